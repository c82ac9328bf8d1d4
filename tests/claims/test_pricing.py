"""Pricing from the policy: effective dates, the HMRC 10,000-mile switch per tax year, caps, preferences."""

from datetime import date, timedelta

import pytest

from coordination.claims import operations as ops
from coordination.claims.models import ClaimState
from coordination.claims.pricing import tax_year_start


def _claim(user, when, **line):
    claim = ops.create_claim(user, actor=user, activity_description="Forum", activity_date=when)
    if line:
        ops.add_line(claim, actor=user, **line)
    return claim


@pytest.mark.parametrize(
    "day, start",
    [(date(2026, 4, 5), date(2025, 4, 6)), (date(2026, 4, 6), date(2026, 4, 6)), (date(2027, 1, 1), date(2026, 4, 6))],
)
def test_the_tax_year_runs_from_6_april_to_5_april(day, start):
    assert tax_year_start(day) == start


def test_the_default_policy_is_the_one_in_the_issue(app):
    policy = ops.policy_for(date(2026, 6, 1))
    assert (policy.half_day_fee_pence, policy.full_day_fee_pence) == (5000, 10000)
    assert (policy.car_pence_per_mile, policy.car_pence_per_mile_after, policy.car_threshold_miles) == (45, 25, 10000)
    assert (policy.motorcycle_pence_per_mile, policy.bicycle_pence_per_mile, policy.passenger_pence_per_mile) == (
        24,
        20,
        5,
    )


def test_a_rate_change_applies_from_its_date_and_sent_claims_keep_their_rates(create_user):
    coordinator, jo = create_user("coordinator"), create_user("contributor")
    ops.ensure_default_policy()
    before = _claim(jo, date(2026, 5, 1), kind="half_day_fee")
    ops.submit_claim(before, actor=jo, declared=True)
    ops.save_policy(effective_from=date(2026, 6, 1), values={"half_day_fee_pence": 6000}, actor=coordinator)
    after = _claim(jo, date(2026, 6, 1), kind="half_day_fee")
    day_before = _claim(jo, date(2026, 5, 31), kind="half_day_fee")
    assert (before.total_pence, after.total_pence, day_before.total_pence) == (5000, 6000, 5000)
    assert ops.policy_for(date(2026, 6, 2)).full_day_fee_pence == 10000  # unchanged settings carry forward


def test_a_policy_date_that_sent_claims_use_cannot_be_rewritten(create_user):
    coordinator, jo = create_user("coordinator"), create_user("contributor")
    ops.save_policy(effective_from=date(2026, 4, 6), values={}, actor=coordinator)
    claim = _claim(jo, date(2026, 5, 1), kind="half_day_fee")
    ops.submit_claim(claim, actor=jo, declared=True)
    with pytest.raises(ops.ClaimError, match="Choose a later date"):
        ops.save_policy(effective_from=date(2026, 4, 6), values={"half_day_fee_pence": 1}, actor=coordinator)


def test_every_policy_change_is_audited(create_user):
    from sqlalchemy import select

    from coordination.audit import AuditEntry
    from coordination.extensions import db

    coordinator = create_user("coordinator")
    ops.save_policy(effective_from=date(2027, 4, 6), values={"taxi_cap_pence": 4000}, actor=coordinator)
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "claims.policy_created", AuditEntry.actor_id == coordinator.id)
    )
    assert entry.after["taxi_cap_pence"] == 4000


def test_the_10000_mile_switch_happens_inside_one_claim(create_user):
    jo = create_user("contributor")
    when = date(2026, 7, 1)
    earlier = _claim(jo, when - timedelta(days=10), kind="car_miles", quantity="9990")
    ops.submit_claim(earlier, actor=jo, declared=True)
    assert earlier.total_pence == 9990 * 45
    claim = _claim(jo, when, kind="car_miles", quantity="23")
    assert claim.total_pence == 10 * 45 + 13 * 25
    assert "10 miles at 45p, 13 miles at 25p" in claim.lines[0].pricing_note


def test_the_switch_counts_two_lines_in_the_same_claim_in_order(create_user):
    jo = create_user("contributor")
    claim = _claim(jo, date(2026, 7, 1), kind="car_miles", quantity="9995")
    ops.add_line(claim, actor=jo, kind="car_miles", quantity="10", passengers="1")
    assert claim.lines[1].amount_pence == 5 * 45 + 5 * 25 + 10 * 5


def test_miles_from_the_last_tax_year_and_withdrawn_claims_do_not_count(create_user):
    jo = create_user("contributor")
    old = _claim(jo, date(2026, 4, 5), kind="car_miles", quantity="10000")
    ops.submit_claim(old, actor=jo, declared=True)
    gone = _claim(jo, date(2026, 4, 7), kind="car_miles", quantity="10000")
    ops.submit_claim(gone, actor=jo, declared=True)
    ops.withdraw_claim(gone, actor=jo)
    claim = _claim(jo, date(2026, 4, 8), kind="car_miles", quantity="1")
    assert claim.total_pence == 45


def test_other_contributors_miles_do_not_count(create_user):
    jo, sam = create_user("contributor"), create_user("contributor")
    ops.submit_claim(_claim(sam, date(2026, 5, 1), kind="car_miles", quantity="20000"), actor=sam, declared=True)
    assert _claim(jo, date(2026, 5, 2), kind="car_miles", quantity="10").total_pence == 450


@pytest.mark.parametrize(
    "kind, cost, expected",
    [("taxi", "80", 5000), ("taxi", "12.40", 1240), ("replacement_care", "200", 15000), ("interpreter", "90", 9000)],
)
def test_agreed_costs_are_paid_at_cost_up_to_the_cap(create_user, kind, cost, expected):
    jo = create_user("contributor")
    when = date(2026, 5, 1)
    claim = _claim(jo, when, kind=kind, cost=cost, agreed_by="Amira", agreed_on=when)
    assert claim.total_pence == expected


def test_agreed_costs_need_who_agreed_and_when_before_the_activity(create_user):
    jo = create_user("contributor")
    when = date(2026, 5, 1)
    claim = _claim(jo, when)
    with pytest.raises(ops.ClaimError, match="who agreed"):
        ops.add_line(claim, actor=jo, kind="replacement_care", cost="20")
    with pytest.raises(ops.ClaimError, match="on or before the day"):
        ops.add_line(
            claim, actor=jo, kind="replacement_care", cost="20", agreed_by="Amira", agreed_on=when + timedelta(days=1)
        )


@pytest.mark.parametrize(
    "typed, message",
    [
        ("", "Enter the number of miles"),
        ("abc", "must be a number"),
        ("-3", "more than 0"),
        ("1.234", "2 numbers after the point"),
    ],
)
def test_bad_miles_get_a_specific_message(create_user, typed, message):
    jo = create_user("contributor")
    with pytest.raises(ops.ClaimError, match=message):
        ops.add_line(_claim(jo, date(2026, 5, 1)), actor=jo, kind="car_miles", quantity=typed)


def test_people_who_decline_the_fee_cannot_add_one(create_user):
    jo = create_user("contributor")
    ops.save_profile(jo, payment_preference="decline_fee", payee_reference="", access_needs="", actor=jo)
    with pytest.raises(ops.ClaimError, match="cannot add a fee"):
        ops.add_line(_claim(jo, date(2026, 5, 1)), actor=jo, kind="half_day_fee")


def test_tickets_need_a_receipt_before_the_claim_is_sent(create_user):
    jo = create_user("contributor")
    claim = _claim(jo, date(2026, 5, 1), kind="public_transport", cost="4.80")
    with pytest.raises(ops.ClaimError, match="receipt"):
        ops.submit_claim(claim, actor=jo, declared=True)
    assert claim.state == ClaimState.DRAFT
