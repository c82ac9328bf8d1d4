"""The impact report's figures against a hand-computed example, its protection for partners, CSV and print."""

from __future__ import annotations

import csv
import io

import pytest

from coordination.evaluation import report
from coordination.evaluation.models import QuestionnaireKind
from coordination.evaluation.queries import Scope
from coordination.evaluation.stats import wilson
from tests.conftest import page
from tests.evaluation.helpers import equality_record, respond, survey_round

ROCHDALE, BOLTON = "E08000005", "E08000001"


def _rows(built, section_key):
    section = next(s for s in built["sections"] if s["key"] == section_key)
    return {row["key"]: row for row in section["rows"]}


@pytest.fixture
def example(app):
    """Eight outcome answers out of ten people asked, five event ratings, four organisation-change answers."""
    outcomes = survey_round(programme="Example", expected_count=10, borough_code=ROCHDALE)
    knowledge = ["yes"] * 5 + ["partly"] * 2 + ["no"]
    skills = ["no"] * 6 + ["partly", "yes"]
    for i, (k, s) in enumerate(zip(knowledge, skills)):
        answers = {"outcome_knowledge": k, "outcome_skills": s, "outcome_confidence": "no", "outcome_motivation": "no"}
        if i < 3:  # three paired self-ratings: 2→4, 3→3, 1→4
            answers.update(before_confidence=[2, 3, 1][i], after_confidence=[4, 3, 4][i])
        respond(outcomes, answers)
    events = survey_round(QuestionnaireKind.EVENT_FEEDBACK, programme="Example", expected_count=5)
    for overall, understanding in ((5, 5), (4, 3), (4, 4), (3, 2), (2, 4)):
        respond(events, {"overall": overall, "understanding": understanding, "borough": ROCHDALE})
    change = survey_round(QuestionnaireKind.ORGANISATION_CHANGE, programme="Example")
    for practice, created, embedding in (
        ("yes", "no", "strategy"),
        ("partly", "partly", "under_the_radar"),
        ("no", "no", None),
        ("yes", "yes", "strategy"),
    ):
        answers = {"practice_developed": practice, "change_created": created, "borough": ROCHDALE}
        if embedding:
            answers["embedding"] = embedding
        respond(change, answers)
    return outcomes, events, change


def test_the_report_figures_match_the_hand_computed_example(example):
    built = report.build(Scope(programme="Example"))
    assert built["responses"] == 17
    outcomes = _rows(built, "outcomes")
    # Knowledge: 5 of 8 said yes; 7 of 8 yes or partly; 8 answered of 10 asked (80%).
    knowledge = outcomes["outcome_knowledge"]
    assert (knowledge["count"], knowledge["n"], knowledge["percent"]) == (5, 8, 5 / 8)
    assert knowledge["low"] == pytest.approx(0.3057, abs=5e-4)  # Wilson 95% for 5/8, worked by hand
    assert knowledge["high"] == pytest.approx(0.8632, abs=5e-4)
    assert knowledge["response_rate"] == pytest.approx(0.8)
    assert outcomes["outcome_knowledge_partly"]["count"] == 7
    # At least one 'yes' among the four: the five knowledge yeses, plus the one skills yes (a 'no' on knowledge).
    assert (outcomes["outcome_any"]["count"], outcomes["outcome_any"]["n"]) == (6, 8)
    rating = built["self_rating"]
    assert rating["n"] == 3 and rating["before"] == pytest.approx(2) and rating["after"] == pytest.approx(11 / 3)
    assert rating["change"] == pytest.approx(5 / 3) and rating["improved"]["count"] == 2
    events = _rows(built, "events")
    assert (events["event_good"]["count"], events["event_good"]["n"]) == (3, 5)  # 5, 4, 4
    assert (events["event_understanding"]["count"], events["event_understanding"]["n"]) == (3, 5)  # 5, 4, 4
    assert events["event_good"]["response_rate"] == pytest.approx(1.0)
    change = _rows(built, "change")
    assert (change["practice_developed"]["count"], change["practice_developed"]["n"]) == (3, 4)
    assert (change["change_created"]["count"], change["change_created"]["n"]) == (2, 4)
    assert change["change_created"]["response_rate"] is None  # nobody said how many were asked
    embedding = _rows(built, "embedding")
    assert (embedding["embedding_strategy"]["count"], embedding["embedding_strategy"]["n"]) == (2, 3)


def test_wilson_matches_published_values():
    low, high = wilson(5, 8)
    assert (round(low, 4), round(high, 4)) == (0.3057, 0.8632)
    assert wilson(0, 10)[0] == 0 and wilson(10, 10)[1] == 1
    assert wilson(0, 0) is None


def test_equality_figures_are_counts_with_census_and_configured_comparators(example):
    from coordination.evaluation import operations

    outcomes = example[0]
    for ethnic in ["white_british"] * 6 + ["asian_pakistani"] * 3 + ["black_african", "prefer_not_to_say"]:
        equality_record(outcomes, ethnic_group=ethnic, sex="female", borough=ROCHDALE)
    operations.add_comparator(
        measure="ethnic_minority",
        name="Sector workforce",
        percent="9",
        source="Workforce survey",
        source_url="https://example.org/workforce",
    )
    built = report.build(Scope(programme="Example"))
    minority = next(r for r in built["equality_headline"] if r["key"] == "ethnic_minority")
    assert (minority["count"], minority["n"], minority["prefer_not"]) == (4, 10, 1)
    names = [c["name"] for c in minority["comparators"]]
    assert any("Census 2021" in name for name in names) and "Sector workforce" in names
    census = next(c for c in minority["comparators"] if "Census" in c["name"])
    assert census["percent"] == pytest.approx(0.236)
    assert next(c for c in minority["comparators"] if c["name"] == "Sector workforce")["percent"] == pytest.approx(0.09)


def test_partners_get_no_percentage_built_on_one_to_four_people(example):
    built = report.protect(report.build(Scope(programme="Example", borough_code=ROCHDALE)))
    events = _rows(built, "events")
    # 3 of 5 (ratings 5, 4, 4, 3, 2): every part is small, so neither percentage nor count is shown.
    assert events["event_good"]["percent"] is None and events["event_good"]["count"] is None
    change = _rows(built, "change")
    assert change["practice_developed"]["n"] is None  # only four answered
    text = report.display(change["practice_developed"])
    assert text["n"] in ("fewer than 5", "not shown") and text["percent"] == "not shown"
    # Knowledge: yes 5, partly 2, no 1 of 8. "Yes" (5) and "yes or partly" (7) beside n (8) would give the
    # small ones away, so at most one of the two counts is shown and never both with n.
    outcomes = _rows(built, "outcomes")
    shown = [outcomes[k]["count"] for k in ("outcome_knowledge", "outcome_knowledge_partly")]
    assert outcomes["outcome_knowledge"]["n"] is None or None in shown


def test_a_single_hidden_cell_in_a_breakdown_is_protected_by_hiding_another(app):
    round_ = survey_round()
    for sex in ["female"] * 3 + ["male"] * 10:
        equality_record(round_, sex=sex, religion="christian" if sex == "male" else "muslim")
    built = report.protect(report.build(Scope()))
    sex = next(b for b in built["equality_breakdowns"] if b["key"] == "sex")
    assert all(row["count"] is None for row in sex["rows"] if row["key"] in ("sex.female", "sex.male"))


def test_the_report_page_shows_n_intervals_and_comparators_and_offers_csv(signed_in, example):
    client, _ = signed_in("coordinator")
    soup = page(client.get("/evaluation/report?programme=Example"))
    row = soup.select_one('tr[data-figure="outcome_knowledge"]')
    assert row.select_one('[data-cell="percent"]').get_text(strip=True) == "62%"
    assert row.select_one('[data-cell="interval"]').get_text(strip=True) == "31% to 86%"
    assert row.select_one('[data-cell="count"]').get_text(" ", strip=True) == "5 of 8"
    assert row.select_one('[data-cell="response-rate"]').get_text(strip=True) == "80%"
    assert soup.select("svg.app-chart title")
    response = client.get("/evaluation/report.csv?programme=Example")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    knowledge = next(r for r in rows if r[1] == "Knowledge increased")
    assert knowledge[2:8] == ["5", "8", "62%", "31%", "86%", "80%"]


def test_a_partner_sees_only_their_borough_protected(signed_in, example):
    client, _ = signed_in("partner")  # partner for Rochdale
    outcomes = example[0]
    respond(outcomes, {"outcome_knowledge": "yes", "borough": BOLTON})  # a Bolton answer must not count
    soup = page(client.get(f"/evaluation/report?borough={BOLTON}"))
    assert soup.select_one("#protection-note")
    assert "Rochdale" in soup.select_one("#report-scope").get_text()
    row = soup.select_one('tr[data-figure="outcome_knowledge"]')
    # 5 of 8 (the Bolton answer left out): 2 said partly and 1 no, so no percentage is shown.
    assert row.select_one('[data-cell="percent"]').get_text(strip=True) == "not shown"
    assert "not shown" in row.select_one('[data-cell="count"]').get_text()
    unprotected = report.build(Scope(borough_code=ROCHDALE, boroughs=(ROCHDALE,)))
    assert _rows(unprotected, "outcomes")["outcome_knowledge"]["n"] == 8
    events = soup.select_one('tr[data-figure="event_good"]')
    assert events.select_one('[data-cell="percent"]').get_text(strip=True) == "not shown"
    csv_text = client.get("/evaluation/report.csv").get_data(as_text=True)
    assert "fewer than 5" in csv_text
