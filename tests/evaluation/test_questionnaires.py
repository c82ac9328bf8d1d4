"""Questionnaires are data: ready-made ones, coordinator edits, and new versions once answers exist."""

from __future__ import annotations

from sqlalchemy import func, select

from coordination.evaluation import operations
from coordination.evaluation.models import Questionnaire, QuestionnaireKind, Response
from coordination.extensions import db
from tests.conftest import error_messages, page
from tests.evaluation.helpers import questionnaire, respond, survey_round


def test_the_ready_made_questionnaires_cover_the_evaluation_framework(app):
    operations.ensure_ready_made()
    operations.ensure_ready_made()  # idempotent
    assert db.session.scalar(select(func.count()).select_from(Questionnaire)) == 3
    outcomes = questionnaire(QuestionnaireKind.INVOLVEMENT_OUTCOMES).current
    roles = {q["role"] for q in outcomes.questions}
    assert {
        "outcome_knowledge",
        "outcome_skills",
        "outcome_confidence",
        "outcome_motivation",
        "before_confidence",
        "after_confidence",
    } <= roles
    assert outcomes.question("outcome_knowledge")["type"] == "yes_partly_no"
    change = questionnaire(QuestionnaireKind.ORGANISATION_CHANGE).current
    assert {q["role"] for q in change.questions} >= {
        "practice_developed",
        "change_created",
        "embedding",
        "barriers",
        "enablers",
        "story",
    }
    embedding = change.question("embedding")
    assert any("under the radar" in label for _, label in embedding["options"])
    feedback = questionnaire(QuestionnaireKind.EVENT_FEEDBACK).current
    assert feedback.question("overall")["type"] == "rating"
    assert len(feedback.question("borough")["options"]) == 11


def test_a_coordinator_builds_a_questionnaire_of_every_question_type(signed_in):
    client, _ = signed_in("coordinator")
    response = client.post("/evaluation/questionnaires/new", data={"name": "", "kind": "other"})
    assert error_messages(page(response)) == ["Enter the questionnaire's name"]
    response = client.post(
        "/evaluation/questionnaires/new",
        data={"name": "Carers' week", "kind": "other", "intro": "Tell us about carers' week."},
    )
    q = db.session.scalar(select(Questionnaire).where(Questionnaire.name == "Carers' week"))
    base = f"/evaluation/questionnaires/{q.id}/questions/new"
    bad = client.post(base, data={"text": "Which sessions?", "kind": "choose_many", "options": "Only one", "role": ""})
    assert error_messages(page(bad)) == ["Enter at least two options, one on each line"]
    assert page(bad).select_one("#text")["value"] == "Which sessions?"  # nothing typed is lost
    for kind, text, options in (
        ("rating", "How was it?", ""),
        ("yes_partly_no", "Did it help?", ""),
        ("choose_one", "Where did you hear?", "Friend\nPoster\nOnline"),
        ("choose_many", "Which sessions?", "Morning\nAfternoon"),
        ("free_text", "Anything else?", ""),
        ("number", "How many hours?", ""),
    ):
        response = client.post(
            base,
            data={
                "text": text,
                "kind": kind,
                "options": options,
                "role": "",
                "required": "y" if kind == "rating" else "",
            },
        )
        assert response.status_code == 302, error_messages(page(response))
    db.session.expire_all()
    version = db.session.get(Questionnaire, q.id).current
    assert [x["type"] for x in version.questions] == [
        "rating",
        "yes_partly_no",
        "choose_one",
        "choose_many",
        "free_text",
        "number",
    ]
    assert version.number == 1 and version.question("where_did_you_hear")["options"][1] == ["poster", "Poster"]
    soup = page(client.get(f"/evaluation/questionnaires/{q.id}"))
    assert [li.strong.get_text() for li in soup.select(".app-question-list > li")][:2] == [
        "How was it?",
        "Did it help?",
    ]


def test_changing_an_answered_questionnaire_makes_a_new_version_and_answers_stay_with_theirs(signed_in):
    client, _ = signed_in("coordinator")
    round_ = survey_round(QuestionnaireKind.EVENT_FEEDBACK)
    q = round_.questionnaire
    # No answers yet: edits change version 1 in place.
    client.post(
        f"/evaluation/questionnaires/{q.id}/questions/best",
        data={"text": "What was most useful to you?", "kind": "free_text", "role": ""},
    )
    db.session.expire_all()
    assert len(q.versions) == 1 and q.current.question("best")["text"] == "What was most useful to you?"
    respond(round_, {"overall": 5, "understanding": 4, "best": "Stories"})
    notice = page(client.get(f"/evaluation/questionnaires/{q.id}/questions/best"))
    assert "makes a new version" in notice.select_one(".govuk-inset-text").get_text()
    client.post(
        f"/evaluation/questionnaires/{q.id}/questions/best",
        data={"text": "What will you use?", "kind": "free_text", "role": ""},
    )
    client.post(f"/evaluation/questionnaires/{q.id}/questions/improve/remove")
    client.post(f"/evaluation/questionnaires/{q.id}/questions/borough/up")
    db.session.expire_all()
    assert [v.number for v in q.versions] == [1, 2]
    old, new = q.versions
    assert old.question("best")["text"] == "What was most useful to you?" and old.question("improve")
    assert new.question("best")["text"] == "What will you use?" and new.question("improve") is None
    assert [x["key"] for x in new.questions] == ["overall", "understanding", "borough", "best"]
    response = db.session.scalar(select(Response))
    assert response.version_id == old.id
    # The open round keeps asking the version it was opened with; a new round asks the new one.
    assert round_.version_id == old.id
    assert survey_round(QuestionnaireKind.EVENT_FEEDBACK).version_id == new.id
    soup = page(client.get(f"/evaluation/questionnaires/{q.id}?version=1"))
    assert "an earlier version" in soup.get_text()


def test_a_coordinator_opens_a_link_with_a_qr_code_and_closes_it(signed_in):
    client, _ = signed_in("coordinator")
    operations.ensure_ready_made()
    q = questionnaire(QuestionnaireKind.EVENT_FEEDBACK)
    missing = client.post("/evaluation/rounds/new", data={"title": ""})
    assert set(error_messages(page(missing))) == {"Choose a questionnaire", "Enter a title"}
    response = client.post(
        "/evaluation/rounds/new",
        data={"questionnaire_id": q.id, "title": "Masterclass", "programme": "Learning 2026", "ask_equality": "y"},
    )
    round_url = response.headers["Location"]
    soup = page(client.get(round_url))
    link = soup.select_one("#public-link").get_text(strip=True)
    assert "/survey/" in link and len(link.rsplit("/", 1)[1]) >= 43
    qr = client.get(round_url + "/qr-code.svg")
    assert qr.mimetype == "image/svg+xml" and qr.get_data(as_text=True).startswith("<svg")
    assert "<title>QR code for Masterclass</title>" in qr.get_data(as_text=True)
    client.post(round_url + "/close")
    assert "Closed" in page(client.get(round_url)).select_one(".govuk-tag").get_text()
    again = client.post(round_url + "/close", follow_redirects=True)
    assert "already closed" in page(again).get_text()


def test_personal_links_are_shown_once_or_downloaded(signed_in):
    client, _ = signed_in("coordinator")
    round_ = survey_round(QuestionnaireKind.EVENT_FEEDBACK, personal_only=True)
    soup = page(client.post(f"/evaluation/rounds/{round_.id}/personal-links", data={"labels": "Jo\nSam\n\n"}))
    links = [code.get_text() for code in soup.select("td code")]
    assert len(links) == 2 and all("/invitation/" in link for link in links)
    csv_response = client.post(
        f"/evaluation/rounds/{round_.id}/personal-links", data={"labels": "Ali", "format": "csv"}
    )
    assert csv_response.mimetype == "text/csv" and "/invitation/" in csv_response.get_data(as_text=True)


def test_collect_feedback_from_an_event_page_starts_an_event_feedback_round(signed_in):
    from tests.communities import factories as f

    client, _ = signed_in("coordinator")
    operations.ensure_ready_made()
    event = f.event(title="Peer support masterclass")
    db.session.commit()
    event_page = page(client.get(f"/events/{event.id}"))
    link = event_page.find("a", string="Collect feedback")["href"]
    soup = page(client.get(link))
    assert soup.select_one("#title")["value"] == f"Feedback: {event.title}"
    chosen = soup.select_one("#questionnaire_id option[selected]")
    assert chosen.get_text() == "Event feedback"


def test_renaming_keeps_answers_and_a_new_introduction_is_versioned_once_answered(signed_in):
    client, _ = signed_in("coordinator")
    round_ = survey_round(QuestionnaireKind.EVENT_FEEDBACK)
    q = round_.questionnaire
    url = f"/evaluation/questionnaires/{q.id}/edit"
    assert page(client.get(url)).select_one("#intro").get_text().strip().startswith("Tell us how the event went")
    client.post(url, data={"name": "Event feedback (short)", "kind": "event_feedback", "intro": "Two minutes."})
    db.session.expire_all()
    assert q.name == "Event feedback (short)" and len(q.versions) == 1 and q.current.intro == "Two minutes."
    respond(round_, {"overall": 4, "understanding": 4})
    client.post(url, data={"name": "Event feedback (short)", "kind": "event_feedback", "intro": "One minute."})
    db.session.expire_all()
    assert [v.intro for v in q.versions] == ["Two minutes.", "One minute."]
    clash = client.post(url, data={"name": "Involvement outcomes", "kind": "other"})
    assert error_messages(page(clash)) == ["There is already a questionnaire called Involvement outcomes"]
