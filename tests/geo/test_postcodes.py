"""Postcode normalising, validation and lookup."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.postcodes import (
    RESULT_COLUMNS,
    is_valid_postcode,
    lookup_postcode,
    lookup_postcodes,
    normalise_postcode,
    postcode_problem,
)

OUTWARD = st.from_regex(r"[A-Z]{1,2}[0-9][A-Z0-9]?", fullmatch=True)
INWARD = st.from_regex(r"[0-9][A-Z]{2}", fullmatch=True)


@given(OUTWARD, INWARD, st.sampled_from(["", " ", "  ", "\t", " \u00a0"]), st.booleans(), st.booleans())
def test_normalising_ignores_case_spacing_and_a_trailing_full_stop(outward, inward, gap, lower, stop):
    typed = f" {outward}{gap}{inward}{'.' if stop else ''} "
    if lower:
        typed = typed.lower()
    assert normalise_postcode(typed) == f"{outward} {inward}"
    assert is_valid_postcode(typed)


@given(st.text(max_size=20))
def test_normalising_never_fails_and_is_idempotent(text):
    once = normalise_postcode(text)
    assert normalise_postcode(once) == once


@given(st.text(max_size=20))
def test_every_input_is_either_valid_or_has_a_message(text):
    problem = postcode_problem(text)
    assert problem is None or problem.strip()


@pytest.mark.parametrize(
    "typed, fragment",
    [
        ("", "Enter a postcode"),
        ("   ", "Enter a postcode"),
        ("M1", "too short"),
        ("SW1A 1AAXX", "too long"),
        ("M1 1A!", "only contain letters and numbers"),
        ("1M1 1AD", "first part of the postcode (1M1)"),
        ("MMM1 1AD", "first part"),
        ("M1 AAD", "last part of the postcode (AAD)"),
        ("M1 11D", "last part"),
    ],
)
def test_malformed_postcodes_say_what_is_wrong(typed, fragment):
    assert fragment in postcode_problem(typed)
    result = lookup_postcode(typed)
    assert not result.valid and not result.found
    assert fragment in result.message


@pytest.mark.parametrize(
    "typed, display, borough",
    [
        ("m1 1ad", "M1 1AD", "Manchester"),
        ("OL16 1AA.", "OL16 1AA", "Rochdale"),
        ("bl11aa", "BL1 1AA", "Bolton"),
        ("BL9 0AF", "BL9 0AF", "Bury"),
        ("OL1 1UT", "OL1 1UT", "Oldham"),
        ("M5 4WT", "M5 4WT", "Salford"),
        ("SK1 3XE", "SK1 3XE", "Stockport"),
        ("OL6 7SR", "OL6 7SR", "Tameside"),
        ("M33 5DL", "M33 5DL", "Trafford"),
        ("  wn1   1yn ", "WN1 1YN", "Wigan"),
    ],
)
def test_real_greater_manchester_postcodes_are_found_in_their_borough(typed, display, borough):
    result = lookup_postcode(typed)
    assert result.valid and result.found
    assert result.postcode == display
    assert result.borough_name == borough
    assert result.borough_code == result.district_code
    assert result.in_greater_manchester
    assert 53.3 < result.latitude < 53.7 and -2.75 < result.longitude < -1.9
    assert result.message == f"{display} is in {borough}"


def test_m1_1ad_converts_to_the_right_place_in_wgs84():
    result = lookup_postcode("M1 1AD")
    # Piccadilly, central Manchester; a wrong axis order would put it in Somalia.
    assert result.latitude == pytest.approx(53.4838, abs=0.001)
    assert result.longitude == pytest.approx(-2.2449, abs=0.001)


@pytest.mark.parametrize(
    "typed, district, name",
    [
        ("SK10 1AA", "E06000049", "Cheshire East"),
        ("WA16 0AA", "E06000049", "Cheshire East"),
        ("L1 1JD", "E08000012", "Liverpool"),
        ("WA1 1AA", "E06000007", "Warrington"),
    ],
)
def test_postcodes_outside_greater_manchester_are_a_result_not_an_error(typed, district, name):
    result = lookup_postcode(typed)
    assert result.valid and result.found
    assert result.district_code == district
    assert result.borough_code is None and result.borough_name is None
    assert result.message.endswith(f"outside Greater Manchester: {name}")


def test_districts_without_a_typed_name_are_named_by_code():
    result = lookup_postcode("SW1A 1AA")
    assert result.message.endswith("outside Greater Manchester: district E09000033")


def test_northern_ireland_postcodes_use_the_irish_grid():
    result = lookup_postcode("BT1 1AA")
    assert 54.5 < result.latitude < 54.7 and -6.0 < result.longitude < -5.8


def test_a_well_formed_postcode_that_does_not_exist_is_not_found():
    result = lookup_postcode("M1 1ZZ")
    assert result.valid and not result.found
    assert "could not find M1 1ZZ" in result.message


def test_a_listed_postcode_without_a_location_says_it_may_be_withdrawn():
    result = lookup_postcode("WA16 1AA")
    assert result.found and result.latitude is None and result.district_code is None
    assert "withdrawn" in result.message


def test_nothing_typed_asks_for_a_postcode():
    assert lookup_postcode(None).message == "Enter a postcode"


def test_results_serialise_with_exactly_the_documented_fields():
    assert list(lookup_postcode("M1 1AD").to_dict()) == RESULT_COLUMNS


def test_bulk_lookup_agrees_with_single_lookups_and_keeps_input_order():
    typed = ["m1 1ad", "SK10 1AA", "M1", "M1 1ZZ", "WA16 1AA", None, "BT1 1AA", "OL16 1AA."]
    frame = lookup_postcodes(typed)
    assert list(frame.columns) == ["input", *RESULT_COLUMNS]
    assert len(frame) == len(typed)
    for row, text in zip(frame.to_dict(orient="records"), typed):
        single = lookup_postcode(text or "").to_dict()
        for key, value in single.items():
            if isinstance(value, float):
                assert math.isclose(row[key], value, abs_tol=1e-6)
            else:
                assert row[key] == value, (text, key)


def test_bulk_lookup_uses_none_not_nan_for_missing_values():
    row = lookup_postcodes(["SK10 1AA"]).iloc[0]
    assert row["borough_code"] is None and row["borough_name"] is None
