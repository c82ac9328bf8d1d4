"""People answer without an account: one question per page, saved as they go, clear errors, closed links refuse."""

from __future__ import annotations

from sqlalchemy import func, select

from coordination.evaluation import operations
from coordination.evaluation.models import EqualityRecord, Invitation, QuestionnaireKind, Response, ResponseDraft
from coordination.extensions import db
from tests.conftest import page
from tests.evaluation.helpers import survey_round


def _start(client, round_):
    response = client.post(f"/survey/{round_.token}")
    assert response.status_code == 302
    return response.headers["Location"]


def _errors(response) -> list[str]:
    soup = page(response)
    return [li.get_text(" ", strip=True) for li in soup.select(".govuk-error-summary li")]


def test_someone_answers_event_feedback_page_by_page_and_stays_anonymous(app, client):
    round_ = survey_round(QuestionnaireKind.EVENT_FEEDBACK, borough_code="E08000005")
    start = page(client.get(f"/survey/{round_.token}"))
    assert start.h1.get_text(strip=True) == round_.title
    assert "anonymous" in start.get_text()
    first = _start(client, round_)
    assert first.endswith("/questions/overall")
    # One question per page, the question is the page's heading, with a question number.
    soup = page(client.get(first))
    assert "Overall, how would you rate the event?" in soup.select_one("h1").get_text()
    assert "Question 1 of 5" in soup.get_text()
    # A required question left empty: a specific message, linked to the field.
    response = client.post(first, data={})
    assert response.status_code == 400 and _errors(response) == ["Choose an answer"]
    assert page(response).select_one(".govuk-error-summary a")["href"] == "#answer"
    assert client.post(first, data={"answer": "5"}).headers["Location"].endswith("/questions/understanding")
    client.post(f"/survey/{round_.token}/questions/understanding", data={"answer": "4"})
    # Free text: too long is refused with the length, and what was typed comes back.
    long_text = "x" * 2001
    response = client.post(f"/survey/{round_.token}/questions/best", data={"answer": long_text})
    assert _errors(response) == ["Your answer must be 2,000 characters or fewer (it is 2,001)"]
    assert page(response).select_one("textarea").get_text() == long_text
    client.post(f"/survey/{round_.token}/questions/best", data={"answer": "The stories"})
    client.post(f"/survey/{round_.token}/questions/improve", data={"answer": ""})
    client.post(f"/survey/{round_.token}/questions/borough", data={"answer": "E08000001"})
    # Saved as they go: the draft holds every answer so far.
    draft = db.session.scalar(select(ResponseDraft))
    assert draft.answers == {"overall": 5, "understanding": 4, "best": "The stories", "borough": "E08000001"}
    response = client.post(f"/survey/{round_.token}/about-you", data={"give_name": "no", "quote": "yes"})
    assert response.headers["Location"].endswith("/equality")
    assert (
        client.post(f"/survey/{round_.token}/equality", data={"consent": "no"}).headers["Location"].endswith("/check")
    )
    check = page(client.get(f"/survey/{round_.token}/check"))
    values = [dd.get_text(strip=True) for dd in check.select(".govuk-summary-list__value")]
    assert "Very good" in values and "Good" in values and "Anonymous" in values
    done = client.post(f"/survey/{round_.token}/check")
    assert done.headers["Location"].endswith("/done")
    assert "Thank you" in page(client.get(done.headers["Location"])).get_text()
    response = db.session.scalar(select(Response))
    assert response.respondent_name is None and response.quote_consent and response.borough_code == "E08000001"
    assert response.version_id == round_.version_id
    assert {a.question_key: a.number or a.choice or a.text for a in response.answers} == {
        "overall": 5,
        "understanding": 4,
        "best": "The stories",
        "borough": "E08000001",
    }
    assert db.session.scalar(select(func.count()).select_from(ResponseDraft)) == 0
    assert db.session.scalar(select(func.count()).select_from(EqualityRecord)) == 0


def test_stopping_halfway_loses_nothing_and_carries_on_from_the_start_page(app, client):
    round_ = survey_round(QuestionnaireKind.EVENT_FEEDBACK)
    _start(client, round_)
    client.post(f"/survey/{round_.token}/questions/overall", data={"answer": "3"})
    start = page(client.get(f"/survey/{round_.token}"))
    assert "Carry on where you left off" in start.select_one("button").get_text()
    soup = page(client.get(f"/survey/{round_.token}/questions/overall"))
    assert soup.select_one('input[value="3"]').has_attr("checked")


def test_a_visitor_without_saved_answers_is_sent_back_to_start(app, client):
    round_ = survey_round(QuestionnaireKind.EVENT_FEEDBACK)
    response = client.get(f"/survey/{round_.token}/questions/overall")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/survey/{round_.token}")


def test_equality_answers_are_kept_apart_with_a_deletion_code(app, client):
    round_ = survey_round(QuestionnaireKind.EVENT_FEEDBACK)
    _start(client, round_)
    for key, value in (("overall", "4"), ("understanding", "4")):
        client.post(f"/survey/{round_.token}/questions/{key}", data={"answer": value})
    client.post(f"/survey/{round_.token}/about-you", data={"give_name": "yes", "name": "Jo Clarke", "quote": "no"})
    response = client.post(f"/survey/{round_.token}/equality", data={"consent": "yes"})
    assert response.headers["Location"].endswith("/equality/age_band")
    soup = page(client.get(response.headers["Location"]))
    assert soup.select_one('input[value="prefer_not_to_say"]')
    bad = client.post(f"/survey/{round_.token}/equality/sex", data={"answer": "robot"})
    assert _errors(bad) == ["Choose one of the options shown, or 'Prefer not to say'"]
    client.post(f"/survey/{round_.token}/equality/sex", data={"answer": "female"})
    client.post(f"/survey/{round_.token}/equality/carer", data={"answer": "prefer_not_to_say"})
    client.post(f"/survey/{round_.token}/check")
    done = page(client.get(f"/survey/{round_.token}/done"))
    code = done.select_one("#deletion-code").get_text(strip=True)
    response = db.session.scalar(select(Response))
    assert response.respondent_name == "Jo Clarke"
    record = db.session.scalar(select(EqualityRecord))
    assert (record.sex, record.carer, record.age_band) == ("female", "prefer_not_to_say", None)
    # Nothing links the record to the response or the person.
    columns = set(EqualityRecord.__table__.columns.keys())
    assert not columns & {"response_id", "person_id", "name", "created_at", "submitted_at", "user_id"}
    assert record.month.day == 1 and len(record.id) == 32
    # Deleting needs the code; a wrong one is told so.
    assert client.post("/equality-data/delete", data={"code": "0000-0000-0000-0000"}).status_code == 400
    assert "deleted" in page(client.post("/equality-data/delete", data={"code": code.lower()})).get_text()
    assert db.session.scalar(select(func.count()).select_from(EqualityRecord)) == 0
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_a_closed_link_refuses_politely_and_keeps_nothing(app, client):
    round_ = survey_round(QuestionnaireKind.EVENT_FEEDBACK)
    _start(client, round_)
    operations.set_round_status(round_, "closed")
    for url in (f"/survey/{round_.token}", f"/survey/{round_.token}/questions/overall"):
        response = client.get(url)
        assert response.status_code == 410
        soup = page(response)
        assert soup.h1.get_text(strip=True) == "This survey has closed"
        assert "Thank you" in soup.get_text()
    assert client.post(f"/survey/{round_.token}/check").status_code == 410
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_a_replaced_link_is_not_found_and_unknown_links_say_so(app, client):
    round_ = survey_round(QuestionnaireKind.EVENT_FEEDBACK)
    old = round_.token
    operations.replace_round_link(round_)
    response = client.get(f"/survey/{old}")
    assert response.status_code == 404 and "could not find this survey" in page(response).h1.get_text()
    assert client.get(f"/survey/{round_.token}").status_code == 200


def test_personal_links_allow_one_response_each_and_are_not_linked_to_it(app, client):
    round_ = survey_round(QuestionnaireKind.EVENT_FEEDBACK, personal_only=True, ask_equality=False)
    ((invitation, token),) = operations.create_invitations(round_, ["Jo"])
    assert client.post(f"/survey/{round_.token}").status_code == 403  # the public link does not start it
    assert "personal links" in page(client.get(f"/survey/{round_.token}")).get_text()
    assert client.post(f"/invitation/{token}").status_code == 302
    for key, value in (("overall", "5"), ("understanding", "5")):
        client.post(f"/survey/{round_.token}/questions/{key}", data={"answer": value})
    client.post(f"/survey/{round_.token}/about-you", data={"give_name": "no", "quote": "no"})
    assert client.post(f"/survey/{round_.token}/check").status_code == 302
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).used
    assert "survey_invitation" not in {fk.column.table.name for fk in Response.__table__.foreign_keys}
    again = client.get(f"/invitation/{token}")
    assert again.status_code == 410 and "already been used" in page(again).h1.get_text()


def test_a_second_submission_through_the_same_invitation_is_refused(app, client):
    round_ = survey_round(QuestionnaireKind.EVENT_FEEDBACK, personal_only=True)
    ((invitation, _),) = operations.create_invitations(round_, ["Sam"])
    drafts = [operations.start_draft(round_, invitation)[0] for _ in range(2)]
    for draft in drafts:
        draft.answers = {"overall": 4, "understanding": 4}
    db.session.commit()
    operations.submit_draft(drafts[0])
    try:
        operations.submit_draft(drafts[1])
    except operations.EvaluationError as error:
        assert "already answered" in str(error)
    else:
        raise AssertionError("the second response went through")
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_answers_are_bounded(app, client):
    round_ = survey_round(QuestionnaireKind.ORGANISATION_CHANGE)
    _start(client, round_)
    draft = db.session.scalar(select(ResponseDraft))
    big = "y" * 2000
    for i in range(19):
        operations.save_draft_part(draft, "answers", f"k{i}", big)
    try:
        for i in range(19, 25):
            operations.save_draft_part(draft, "answers", f"k{i}", big)
    except operations.EvaluationError as error:
        assert "too long in total" in str(error)
    else:
        raise AssertionError("an unbounded draft was kept")
    bad = client.post(f"/survey/{round_.token}/questions/practice_developed", data={"answer": "maybe"})
    assert bad.status_code == 400 and _errors(bad) == ["Choose one of the options shown"]


def test_number_questions_say_what_is_wrong(app):
    from coordination.evaluation.questions import parse_answer

    question = {"key": "n", "type": "number", "text": "How many?", "required": True, "min": 0, "max": 100}
    assert parse_answer(question, ["12"]) == (12, None)
    assert parse_answer(question, ["twelve"]) == (None, "Enter a whole number, like 12")
    assert parse_answer(question, ["101"]) == (None, "Enter a number between 0 and 100")
    assert parse_answer(question, [""]) == (None, "Enter a number")
    many = {"key": "m", "type": "choose_many", "text": "Which?", "options": [["a", "A"], ["b", "B"]]}
    assert parse_answer(many, ["b", "a", "a"]) == (["a", "b"], None)
    assert parse_answer(many, ["c"]) == (None, "Choose from the options shown")


def test_a_huge_anonymous_post_is_refused_before_it_is_read(app, client):
    round_ = survey_round(QuestionnaireKind.EVENT_FEEDBACK)
    _start(client, round_)
    response = client.post(f"/survey/{round_.token}/questions/best", data={"answer": "x" * 100_000})
    assert response.status_code == 413
    assert db.session.scalar(select(ResponseDraft)).answers == {}
