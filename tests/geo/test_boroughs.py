"""Borough facts and district names."""

import pytest

from geo import boroughs


def test_the_facts_table_has_the_ten_boroughs_in_code_order():
    facts = boroughs.load_facts()
    assert list(facts["code"]) == list(boroughs.BOROUGH_CODES)
    assert list(facts.columns) == list(boroughs.FACT_COLUMNS)


@pytest.mark.parametrize(
    "code, name, population, rank, score, share",
    [
        ("E08000001", "Bolton", 296000, 30, 31.41, 0.2599),
        ("E08000003", "Manchester", 552000, 4, 38.677, 0.4068),
        ("E08000009", "Trafford", 235100, 201, 14.972, 0.0432),
        ("E08000010", "Wigan", 329300, 78, 25.206, 0.155),
    ],
)
def test_facts_match_the_published_figures(code, name, population, rank, score, share):
    row = boroughs.facts_by_code()[code]
    assert (row["name"], row["population"], row["imd_rank"]) == (name, population, rank)
    assert row["imd_score"] == pytest.approx(score)
    assert row["imd_share_most_deprived_10pc"] == pytest.approx(share)


def test_load_facts_returns_a_copy_so_callers_cannot_spoil_the_cache():
    first = boroughs.load_facts()
    first["population"] = 0
    assert boroughs.load_facts()["population"].min() > 0


def test_neighbouring_districts_have_names_and_unknown_ones_say_their_code():
    assert boroughs.district_name("E06000049") == "Cheshire East"
    assert boroughs.district_name("E08000012") == "Liverpool"
    assert boroughs.district_name("E06000047") == "district E06000047"
    assert boroughs.district_name(None) is None


def test_borough_name_is_only_given_for_the_ten_boroughs():
    assert boroughs.borough_name("E08000005") == "Rochdale"
    assert boroughs.borough_name("E06000049") is None
