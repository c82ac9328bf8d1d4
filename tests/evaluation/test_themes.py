"""Barriers and enablers: themes suggested through the terminology service, tags, counts by borough, quotes."""

from __future__ import annotations

from sqlalchemy import select

from coordination.evaluation import operations, report
from coordination.evaluation.models import Answer, QuestionnaireKind
from coordination.evaluation.queries import Scope
from coordination.evaluation.themes import suggest_themes, theme_phrases
from coordination.extensions import db
from tests.conftest import page
from tests.evaluation.helpers import respond, survey_round


def test_a_theme_named_in_national_words_is_suggested_for_an_answer_in_local_words(app):
    from coordination.terminology import demo

    demo.seed(None)  # 'supported self-management' is 'self-care' locally
    theme = operations.save_theme(None, name="Supported self-management", kind="enabler", words="")
    other = operations.save_theme(None, name="Funding", kind="barrier", words="budget, grant")
    assert any(p.casefold() == "self-care" for p in theme_phrases(theme))
    suggestions = suggest_themes(["Our self-care group kept people going", "The grant ran out", None], [theme, other])
    assert suggestions == [[theme], [other], []]


def test_tagged_answers_are_counted_by_theme_and_borough_and_only_consenting_ones_are_quoted(signed_in):
    client, _ = signed_in("coordinator")
    round_ = survey_round(QuestionnaireKind.ORGANISATION_CHANGE)
    base = {"practice_developed": "yes", "change_created": "yes"}
    respond(round_, {**base, "barriers": "No time to plan", "borough": "E08000005"}, quote=True)
    respond(round_, {**base, "barriers": "No time at all", "borough": "E08000001"}, quote=False)
    respond(round_, {**base, "enablers": "My manager backed it", "borough": "E08000005"}, quote=True)
    time = operations.save_theme(None, name="Time and capacity", kind="barrier", words="time")
    leaders = operations.save_theme(None, name="Leadership support", kind="either", words="manager")
    soup = page(client.get("/evaluation/tagging"))
    assert len(soup.select(".app-tag-answer")) == 3
    suggested = [tag.find_parent("label").get_text(" ", strip=True) for tag in soup.select(".govuk-tag--yellow")]
    assert suggested.count("Time and capacity suggested") == 2 and "Leadership support suggested" in suggested
    answers = {a.text: a for a in db.session.scalars(select(Answer).where(Answer.text.is_not(None)))}
    for text, theme in (("No time to plan", time), ("No time at all", time), ("My manager backed it", leaders)):
        client.post(f"/evaluation/answers/{answers[text].id}/themes", data={"theme": [str(theme.id)]})
    built = report.build(Scope())
    counts = {t["name"]: (t["total"], t["by_borough"]) for t in built["themes"]}
    assert counts["Time and capacity"] == (2, {"E08000005": 1, "E08000001": 1})
    assert counts["Leadership support"] == (1, {"E08000005": 1})
    assert sorted(q["text"] for q in built["quotes"]) == ["My manager backed it", "No time to plan"]
    soup = page(client.get("/evaluation/report"))
    assert "No time at all" not in soup.get_text() and "No time to plan" in soup.get_text()
    # Partners see small theme counts protected.
    protected = report.protect(built)
    assert all(t["total"] in ("fewer than 5", "not shown") for t in protected["themes"])
    only_time = page(client.get(f"/evaluation/tagging?theme={time.id}"))
    assert len(only_time.select(".app-tag-answer")) == 2


def test_themes_are_unique_and_removing_one_keeps_answers(signed_in):
    client, _ = signed_in("coordinator")
    client.post("/evaluation/themes", data={"name": "Funding", "kind": "barrier"})
    clash = client.post("/evaluation/themes", data={"name": "funding", "kind": "barrier"})
    assert "There is already a theme called funding" in page(clash).get_text()
