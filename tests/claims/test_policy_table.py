"""Policy declared once: the settings table drives the form, prefill, validation and pricing; properties of pricing."""

from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordination.claims.forms import PolicyForm
from coordination.claims.models import LineKind
from coordination.claims.pricing import (
    DEFAULT_RATES,
    LINE_RULES,
    SETTINGS,
    SETTINGS_BY_NAME,
    price_line,
)
from tests.conftest import error_messages, page

POLICY = SimpleNamespace(**DEFAULT_RATES)


def test_every_setting_has_a_form_field_and_every_line_kind_a_rule():
    assert {s.name for s in SETTINGS} == set(DEFAULT_RATES)
    assert all(hasattr(PolicyForm, s.name) for s in SETTINGS)
    assert set(LINE_RULES) == set(LineKind)


@pytest.mark.parametrize(
    "name, typed, message",
    [
        ("half_day_fee_pence", "12.505", "more than 2 numbers after the point"),
        ("taxi_cap_pence", "1,2,3", "comma in the wrong place"),
        ("target_working_days", "0", "between 1 working days and 60 working days"),
        ("car_pence_per_mile", "4.5", "must be a whole number"),
        ("half_day_fee_pence", "5000.00", "between £0.00 and £1,000.00"),
    ],
)
def test_typed_settings_outside_the_table_bounds_are_refused_plainly(name, typed, message):
    with pytest.raises(ValueError, match=message):
        SETTINGS_BY_NAME[name].parse(typed)


def test_the_policy_page_prefills_from_the_table_and_refuses_stray_separators(signed_in):
    client, _ = signed_in("coordinator")
    soup = page(client.get("/claims/policy"))
    assert soup.select_one("#half_day_fee_pence")["value"] == "50.00"
    assert soup.select_one("#car_pence_per_mile")["value"] == "45"
    soup = page(client.post("/claims/policy", data={"half_day_fee_pence": "1,2,3"}))
    assert any("comma in the wrong place" in m for m in error_messages(soup))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=st.integers(0, 2_000_000), miles=st.integers(1, 2_000_000), passengers=st.integers(0, 8))
def test_car_miles_switch_rate_exactly_at_the_threshold(before, miles, passengers):
    threshold = POLICY.car_threshold_miles * 100
    priced = price_line(LineKind.CAR_MILES, miles, passengers, None, POLICY, before)
    high = max(0, min(miles, threshold - before))
    low = miles - high
    expected = (high * 45 + low * 25 + miles * passengers * 5) / 100
    assert abs(priced.amount_pence - expected) <= 0.5
    assert priced.amount_pence >= 0


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from([k for k, r in LINE_RULES.items() if r.style == "cost"]), cost=st.integers(0, 10_000_00))
def test_costs_are_paid_as_asked_up_to_the_cap_and_never_more(kind, cost):
    priced = price_line(kind, 100, 0, cost, POLICY)
    rule = LINE_RULES[kind]
    cap = getattr(POLICY, rule.setting) if rule.setting else None
    assert priced.amount_pence == (min(cost, cap) if cap is not None else cost)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from([k for k, r in LINE_RULES.items() if r.style == "fee"]), hundredths=st.integers(1, 100_000))
def test_fees_are_the_rate_times_the_quantity_rounded_half_up(kind, hundredths):
    rate = getattr(POLICY, LINE_RULES[kind].setting)
    exact = hundredths * rate
    assert price_line(kind, hundredths, 0, None, POLICY).amount_pence == (exact + 50) // 100
