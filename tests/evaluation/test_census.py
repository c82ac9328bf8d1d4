"""The shipped Census 2021 comparators: every row cited and licensed, mapped onto the questions' answers; the
questions with no published comparator say so on the page and in the CSV."""

from __future__ import annotations

import csv
import io

import pytest

from coordination.evaluation import equality, report
from coordination.evaluation.queries import Scope
from tests.conftest import page
from tests.evaluation.helpers import equality_record, survey_round


def test_every_census_row_names_its_table_source_and_licence():
    rows = equality.census_rows()
    assert rows
    for row in rows:
        assert row["table"].startswith("TS0"), row
        assert row["source_url"].startswith("https://"), row
        assert row["licence"] == "Open Government Licence v3.0", row
        assert 0 < row["percent"] < 100, row


def test_every_census_row_maps_onto_real_answers_of_its_question():
    for row in equality.census_rows():
        question, values = equality.CENSUS_MAP[(row["measure"], row["category"])]
        options = dict(equality.BY_KEY[question].options)
        assert values and all(v in options for v in values), row


def test_gender_identity_has_its_census_comparator_and_sex_age_and_conditions_have_none():
    by_key = {m.key: m for m in equality.MEASURES}
    trans = equality.census_comparator(by_key["trans"])
    assert trans["percent"] == pytest.approx(0.62)
    assert "TS078" in trans["name"]
    assert equality.census_comparator(by_key["women"]) is None
    assert equality.census_comparator(by_key["long_term_condition"]) is None
    # Nothing for age bands, sex or long-term conditions is in the shipped file.
    shipped = {question for question, _ in equality.CENSUS_MAP.values()}
    assert not shipped & set(equality.NO_CENSUS_FIGURE)


def test_the_report_says_no_comparator_published_on_the_page_and_in_the_csv(signed_in, app):
    round_ = survey_round(programme="Census")
    for sex in ("female",) * 6 + ("male",) * 4:
        equality_record(round_, sex=sex, gender_identity="yes", age_band="25_34")
    built = report.build(Scope(programme="Census"))
    headline = {row["key"]: row for row in built["equality_headline"]}
    assert headline["women"]["comparators"] == [] and headline["women"]["no_census"]
    assert headline["trans"]["comparators"][0]["percent"] == pytest.approx(0.0062)

    client, _ = signed_in("coordinator")
    soup = page(client.get("/evaluation/report?programme=Census"))
    women = soup.select_one('[data-figure="women"]')
    assert "No comparator published" in women.get_text()
    trans = soup.select_one('[data-figure="trans"]')
    assert "0.62%" in trans.get_text() and "TS078" in trans.get_text()
    breakdown = next(d for d in soup.select("details") if "age" in d.summary.get_text())
    assert "No comparator published" in breakdown.get_text()

    rows = list(csv.reader(io.StringIO(client.get("/evaluation/report.csv?programme=Census").data.decode("utf-8-sig"))))
    women_row = next(r for r in rows if r[1] == "Women")
    assert women_row[8] == "No comparator published"
    trans_row = next(r for r in rows if r[1].startswith("Gender identity differs"))
    assert trans_row[9] == "0.62%"


def test_the_shipped_shares_of_each_complete_question_add_up_to_100_percent():
    """Ethnic group (five broad groups), religion (with the share who did not answer, given in its basis) and
    disability (three answers) are whole breakdowns: their shares add up to 100% within rounding."""
    import re

    by_measure: dict[str, list[dict]] = {}
    for row in equality.census_rows():
        by_measure.setdefault(row["measure"], []).append(row)
    assert {r["category"] for r in by_measure["ethnic_group"]} == {"white", "mixed", "asian", "black", "other"}
    assert sum(r["percent"] for r in by_measure["ethnic_group"]) == pytest.approx(100, abs=0.2)
    unanswered = {float(re.search(r"([\d.]+)% did not answer", r["basis"]).group(1)) for r in by_measure["religion"]}
    assert len(unanswered) == 1  # one figure for the whole table
    assert sum(r["percent"] for r in by_measure["religion"]) + unanswered.pop() == pytest.approx(100, abs=0.2)
    assert len(by_measure["religion"]) == len(equality.RELIGIONS)
    assert sum(r["percent"] for r in by_measure["disability"]) == pytest.approx(100, abs=0.2)
    # Every row of one measure shares its table, basis, source and licence.
    for rows in by_measure.values():
        assert len({(r["table"], r["universe"], r["basis"], r["source_url"], r["licence"]) for r in rows}) == 1
