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


def test_sex_age_bands_and_long_term_conditions_have_their_census_comparators():
    by_key = {m.key: m for m in equality.MEASURES}
    trans = equality.census_comparator(by_key["trans"])
    assert trans["percent"] == pytest.approx(0.62)
    assert "TS078" in trans["name"] and trans["derivation"] == ""
    women = equality.census_comparator(by_key["women"])
    assert women["percent"] == pytest.approx(50.7) and "TS008" in women["name"]
    assert women["derived"] and "ten boroughs" in women["derivation"]
    condition = equality.census_comparator(by_key["long_term_condition"])
    assert condition["percent"] == pytest.approx(24.7) and "TS038" in condition["name"]
    assert "not age-standardised" in condition["basis"]
    # Every age band of the questionnaire has its own figure: no band is approximated by another banding.
    ages = equality.census_breakdown("age_band")
    assert set(ages) == {value for value, _ in equality.BY_KEY["age_band"].options}
    assert ages["25_34"] == pytest.approx(14.5) and ages["75_plus"] == pytest.approx(7.1)
    assert [s["table"] for s in equality.census_sources("age_band")] == ["TS007"]
    assert equality.census_breakdown("sex") == {"female": 50.7, "male": 49.3}
    assert equality.census_breakdown("long_term_condition") == {"yes": 24.7, "no": 75.3}
    assert equality.NO_CENSUS_FIGURE == ()


def _boroughs(table: str) -> dict[str, dict[str, int]]:
    with open(equality.CENSUS_FILE.parent / "gm_boroughs_2021.csv", newline="", encoding="utf-8") as handle:
        found: dict[str, dict[str, int]] = {}
        for row in csv.DictReader(handle):
            if row["table"] == table:
                found.setdefault(row["area_code"], {})[row["category"]] = int(row["count"])
    return found


def _ages() -> dict[str, list[int]]:
    with open(equality.CENSUS_FILE.parent / "gm_boroughs_2021_age.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns = [str(age) for age in range(90)] + ["90_plus"]
    assert {row["table"] for row in rows} == {"TS007"}
    return {row["area_code"]: [int(row[c]) for c in columns] for row in rows}


TEN_BOROUGHS = {f"E080000{i:02d}" for i in range(1, 11)}


def test_the_figures_added_up_over_the_ten_boroughs_are_recomputed_from_their_published_counts():
    """data/census/gm_boroughs_2021*.csv hold each borough's published count (TS008, TS038, TS007 single years of
    age); the Greater Manchester rows are their sums, to one decimal place, and every input is cited."""
    sex, disability, ages = _boroughs("TS008"), _boroughs("TS038"), _ages()
    assert set(sex) == set(disability) == set(ages) == TEN_BOROUGHS
    for code in TEN_BOROUGHS:
        assert sex[code]["female"] + sex[code]["male"] == sex[code]["all_persons"]
        # Each census table is perturbed a little on its own, so the boroughs' totals agree to within a few people.
        assert abs(sum(disability[code].values()) - sex[code]["all_persons"]) <= 5
        assert abs(sum(ages[code]) - sex[code]["all_persons"]) <= 25  # 91 single-year cells, each perturbed
    population = sum(b["all_persons"] for b in sex.values())
    assert round(population, -2) == 2_867_800  # GMCA, Census 2021: First Results (rounded to the hundred)

    def share(part: int, whole: int) -> float:
        return round(100 * part / whole, 1)

    by_single_year = [sum(b[age] for b in ages.values()) for age in range(91)]
    bands = {"under_16": (0, 16), "16_24": (16, 25), "25_34": (25, 35), "35_44": (35, 45), "45_54": (45, 55)}
    bands |= {"55_64": (55, 65), "65_74": (65, 75), "75_plus": (75, 91)}
    conditions = ("disabled_limited_a_lot", "disabled_limited_a_little", "not_disabled_condition_not_limiting")
    residents = sum(sum(b.values()) for b in disability.values())
    with_condition = sum(b[c] for b in disability.values() for c in conditions)
    expected = {
        ("sex", "female"): share(sum(b["female"] for b in sex.values()), population),
        ("sex", "male"): share(sum(b["male"] for b in sex.values()), population),
        ("long_term_condition", "yes"): share(with_condition, residents),
        ("long_term_condition", "no"): share(residents - with_condition, residents),
        **{
            ("age_band", band): share(sum(by_single_year[low:high]), sum(by_single_year))
            for band, (low, high) in bands.items()
        },
    }
    shipped = {(r["measure"], r["category"]): r for r in equality.census_rows() if r["derived_from"]}
    assert set(shipped) == set(expected)
    for key, percent in expected.items():
        assert shipped[key]["percent"] == percent, key
    # Each derived row cites the page its inputs were read from, and the inputs cite the same page.
    with open(equality.CENSUS_FILE.parent / "gm_boroughs_2021.csv", newline="", encoding="utf-8") as handle:
        sources = {(r["table"], r["source_url"]) for r in csv.DictReader(handle)}
    with open(equality.CENSUS_FILE.parent / "gm_boroughs_2021_age.csv", newline="", encoding="utf-8") as handle:
        sources |= {(r["table"], r["source_url"]) for r in csv.DictReader(handle)}
    for row in shipped.values():
        assert (row["table"], row["source_url"]) in sources, row
        assert (equality.CENSUS_FILE.parent / row["derived_from"]).is_file()


def test_the_report_shows_the_census_figures_with_their_sources_on_the_page_and_in_the_csv(signed_in, app):
    round_ = survey_round(programme="Census")
    for sex in ("female",) * 6 + ("male",) * 4:
        equality_record(round_, sex=sex, gender_identity="yes", age_band="25_34", long_term_condition="yes")
    built = report.build(Scope(programme="Census"))
    headline = {row["key"]: row for row in built["equality_headline"]}
    assert headline["women"]["comparators"][0]["percent"] == pytest.approx(0.507)
    assert headline["trans"]["comparators"][0]["percent"] == pytest.approx(0.0062)

    client, _ = signed_in("coordinator")
    soup = page(client.get("/evaluation/report?programme=Census"))
    women = soup.select_one('[data-figure="women"]')
    assert "50.7%" in women.get_text() and "TS008" in women.get_text() and "ten boroughs" in women.get_text()
    assert "No comparator published" not in women.get_text()
    condition = soup.select_one('[data-figure="long_term_condition"]')
    assert "24.7%" in condition.get_text() and "TS038" in condition.get_text()
    trans = soup.select_one('[data-figure="trans"]')
    assert "0.62%" in trans.get_text() and "TS078" in trans.get_text()
    ages = next(d for d in soup.select("details") if "age" in d.summary.get_text())
    cells = {tr.th.get_text(strip=True): tr.select("td")[-1].get_text(strip=True) for tr in ages.select("tbody tr")}
    assert cells["25 to 34"] == "14.5%" and cells["Under 16"] == "20.4%" and cells["75 or over"] == "7.1%"
    source = ages.select_one("a.govuk-link")
    assert source.get_text().startswith("Source") and "traffordDataLab" in source["href"]
    assert "TS007" in source.parent.get_text() and "single years of age" in source.parent.get_text()
    assert "ten boroughs" in source.parent.get_text()

    rows = list(csv.reader(io.StringIO(client.get("/evaluation/report.csv?programme=Census").data.decode("utf-8-sig"))))
    women_row = next(r for r in rows if r[1] == "Women")
    assert women_row[9] == "50.7%" and "TS008" in women_row[8] and women_row[10].startswith("https://")
    trans_row = next(r for r in rows if r[1].startswith("Gender identity differs"))
    assert trans_row[9] == "0.62%"
    band_row = next(r for r in rows if r[0].startswith("Who took part: What is your age") and r[1] == "25 to 34")
    assert band_row[9] == "14.5%" and "TS007" in band_row[8] and "traffordDataLab" in band_row[10]


def test_a_measure_whose_census_rows_are_missing_says_no_comparator_published(signed_in, app, monkeypatch):
    """If a shipped row is taken out, the report says so rather than showing a figure from elsewhere."""
    kept = tuple(r for r in equality.census_rows() if r["measure"] not in ("sex", "age_band"))
    monkeypatch.setattr(equality, "census_rows", lambda: kept)
    round_ = survey_round(programme="Census")
    for sex in ("female",) * 6 + ("male",) * 4:
        equality_record(round_, sex=sex, gender_identity="yes", age_band="25_34")
    client, _ = signed_in("coordinator")
    soup = page(client.get("/evaluation/report?programme=Census"))
    assert "No comparator published" in soup.select_one('[data-figure="women"]').get_text()
    rows = list(csv.reader(io.StringIO(client.get("/evaluation/report.csv?programme=Census").data.decode("utf-8-sig"))))
    assert next(r for r in rows if r[1] == "Women")[8] == "No comparator published"


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
    for measure in ("sex", "age_band", "long_term_condition"):
        assert sum(r["percent"] for r in by_measure[measure]) == pytest.approx(100, abs=0.2), measure
    # Every row of one measure shares its table, basis, source and licence.
    for rows in by_measure.values():
        assert len({(r["table"], r["universe"], r["basis"], r["source_url"], r["licence"]) for r in rows}) == 1
