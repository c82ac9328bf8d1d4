"""Coordinators type in paper and phone answers, marked as such; mistakes come back with everything typed."""

from __future__ import annotations

from sqlalchemy import select

from coordination.evaluation.models import Channel, EqualityRecord, QuestionnaireKind, Response
from coordination.extensions import db
from tests.conftest import page
from tests.evaluation.helpers import survey_round


def test_two_paper_forms_are_typed_in_and_marked(signed_in):
    client, user = signed_in("coordinator")
    round_ = survey_round(QuestionnaireKind.INVOLVEMENT_OUTCOMES, borough_code="E08000005")
    url = f"/evaluation/rounds/{round_.id}/type-in"
    soup = page(client.get(url))
    assert soup.select_one("#q-outcome_knowledge-2") is not None or soup.select("input[name=outcome_knowledge]")
    bad = client.post(url, data={"outcome_knowledge": "yes", "before_confidence": "9"})
    assert bad.status_code == 400
    errors = [li.get_text(strip=True) for li in page(bad).select(".govuk-error-summary li")]
    assert "Choose whether the answers came on paper or by phone" in errors
    assert errors.count("Choose an answer") == 3  # skills, confidence, motivation are required
    assert "Choose a rating from 1 to 5" in errors
    assert page(bad).select_one("input[name=outcome_knowledge][value=yes]").has_attr("checked")
    full = {
        "outcome_knowledge": "yes",
        "outcome_skills": "partly",
        "outcome_confidence": "no",
        "outcome_motivation": "yes",
        "before_confidence": "2",
        "after_confidence": "4",
    }
    assert client.post(url, data={**full, "channel": "paper"}).status_code == 302
    done = client.post(url, data={**full, "channel": "phone", "name": "Pat", "eq-sex": "female"})
    assert "agreed to their equality answers" in page(done).get_text()  # consent is recorded, not assumed
    response = client.post(
        url,
        data={**full, "channel": "phone", "name": "Pat", "eq-sex": "female", "eq-consent": "yes"},
        follow_redirects=True,
    )
    assert "Give the person this code" in page(response).get_text()
    responses = list(db.session.scalars(select(Response).order_by(Response.id)))
    assert [r.channel for r in responses] == [Channel.PAPER, Channel.PHONE]
    assert all(r.entered_by_id == user.id for r in responses)
    assert responses[1].respondent_name == "Pat" and responses[0].respondent_name is None
    assert responses[0].borough_code == "E08000005"
    assert db.session.scalar(select(EqualityRecord)).sex == "female"
    soup = page(client.get(f"/evaluation/rounds/{round_.id}"))
    assert "1 paper" in soup.select_one("#response-count").get_text() and "1 phone" in soup.get_text()


def test_a_closed_round_still_takes_typed_in_paper_forms(signed_in):
    from coordination.evaluation import operations

    client, _ = signed_in("coordinator")
    round_ = survey_round(QuestionnaireKind.EVENT_FEEDBACK)
    operations.set_round_status(round_, "closed")
    response = client.post(
        f"/evaluation/rounds/{round_.id}/type-in", data={"overall": "5", "understanding": "4", "channel": "paper"}
    )
    assert response.status_code == 302
