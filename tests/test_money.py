"""Strict money parsing: at most two decimal places, commas only between thousands, round trips with format."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordination.money import MoneyError, format_money, parse_pence, to_pence


@pytest.mark.parametrize(
    "text, pence",
    [
        ("12", 1200),
        ("12.5", 1250),
        ("12.50", 1250),
        ("£12.50", 1250),
        (" £ 1,234.05 ", 123405),
        ("0.01", 1),
        ("1,000,000", 100000000),
    ],
)
def test_ordinary_amounts_are_read_exactly(text, pence):
    assert parse_pence(text) == pence


@pytest.mark.parametrize(
    "text, message",
    [
        ("12.505", "more than 2 numbers after the point"),
        ("1,2,3", "comma in the wrong place"),
        ("12,34", "comma in the wrong place"),
        ("1,234.5.6", "not an amount of money"),
        ("12.", "ends with a point"),
        ("-5", "without a minus sign"),
        ("", "Enter an amount"),
        ("twelve", "not an amount of money"),
        ("1e3", "not an amount of money"),
        ("NaN", "not an amount of money"),
        ("١٢", "not an amount of money"),
    ],
)
def test_amounts_that_are_not_plain_money_are_refused_with_a_specific_message(text, message):
    with pytest.raises(MoneyError, match=message):
        parse_pence(text)


def test_to_pence_reads_typed_text_strictly():
    with pytest.raises(ValueError):
        to_pence("12.505")
    with pytest.raises(TypeError):
        to_pence(1.5)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10**12))
def test_formatting_then_parsing_gives_back_the_same_pence(pence):
    assert parse_pence(format_money(pence)) == pence
    assert parse_pence(format_money(pence).replace(",", "")) == pence


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=99))
def test_any_pounds_and_pence_typed_plainly_are_read_exactly(pounds, pence):
    assert parse_pence(f"{pounds}.{pence:02d}") == pounds * 100 + pence


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet="0123456789,.", min_size=1, max_size=12))
def test_anything_accepted_formats_back_to_the_same_amount(text):
    try:
        pence = parse_pence(text)
    except MoneyError:
        return
    # What was accepted had no stray separators and at most two decimals, so nothing was rounded away.
    whole, _, decimals = text.partition(".")
    assert len(decimals) <= 2 and (not whole.count(",") or all(len(g) == 3 for g in whole.split(",")[1:]))
    assert parse_pence(format_money(pence)) == pence
