"""The prompt-payment clock (working days, England and Wales bank holidays, offline) and the dashboard."""

from datetime import date, datetime, timedelta

import pytest

from coordination.claims import queries
from coordination.claims.models import ClaimState
from coordination.extensions import db
from tests.conftest import page, sign_in


def test_bank_holidays_come_from_the_bundled_data_without_any_network_call(monkeypatch):
    import requests

    def no_network(*args, **kwargs):
        raise AssertionError("the bank-holiday list must not be downloaded")

    monkeypatch.setattr(requests, "get", no_network)
    queries.bank_holidays.cache_clear()
    holidays = queries.bank_holidays()
    assert date(2026, 12, 25) in holidays and date(2026, 8, 31) in holidays  # Christmas, summer bank holiday
    assert date(2026, 11, 30) not in holidays  # St Andrew's Day is Scotland only


@pytest.mark.parametrize(
    "start, days, due",
    [
        (date(2026, 11, 26), 10, date(2026, 12, 10)),  # a Thursday: two weekends
        (date(2026, 12, 18), 10, date(2027, 1, 6)),  # over Christmas, Boxing Day (moved) and New Year
        (date(2026, 4, 2), 1, date(2026, 4, 7)),  # Good Friday and Easter Monday
    ],
)
def test_the_target_counts_working_days_only(start, days, due):
    assert queries.add_working_days(start, days) == due
    assert queries.working_days_between(start, due) == days


def _sent(make_claim, state, sent_on: datetime, paid_on: datetime | None = None):
    claim = make_claim(state=state)
    claim.first_submitted_at = claim.submitted_at = sent_on
    if paid_on:
        claim.paid_at = paid_on
    db.session.commit()
    return claim


def test_an_old_open_claim_is_overdue_and_shown_on_the_dashboard(app, make_claim, create_user):
    late = _sent(make_claim, "submitted", datetime(2026, 1, 5, 10))
    fresh = make_claim(state="approved")
    clock = queries.payment_clock(late, today=date(2026, 2, 2))
    assert clock["overdue"] and clock["due"] == date(2026, 1, 19)
    assert not queries.payment_clock(fresh)["overdue"]
    client = app.test_client()
    sign_in(client, create_user("coordinator"))
    soup = page(client.get("/claims/dashboard"))
    overdue = soup.select_one("#overdue").get_text()
    assert late.reference in overdue and fresh.reference not in overdue


def test_median_and_90th_percentile_days_to_pay_are_by_month(make_claim):
    for sent_day, paid_day in [(5, 9), (5, 12), (5, 19), (5, 26)]:  # Jan 2026: 4, 5, 10, 15 working days
        _sent(make_claim, "paid", datetime(2026, 1, sent_day, 10), datetime(2026, 1, paid_day, 15))
    data = queries.dashboard(today=date(2026, 2, 1))
    january = next(row for row in data["by_month"] if row["month"] == "January 2026")
    assert (january["count"], january["median"], january["p90"]) == (4, 7.5, 15)
    assert dict(data["by_state"])[ClaimState.PAID] == 4


def test_the_tax_year_total_counts_only_paid_claims_in_this_tax_year(make_claim, quick_user):
    jo = quick_user("contributor")
    this_year = make_claim(jo, state="paid")
    make_claim(jo, state="approved")
    old = make_claim(jo, state="paid")
    old.paid_at = datetime(2020, 5, 1)
    db.session.commit()
    assert queries.paid_this_tax_year(jo) == this_year.total_pence


def test_contributors_over_the_threshold_are_reminded_about_benefits(app, make_claim, create_user):
    from coordination.claims import operations as ops

    jo = create_user("contributor")
    make_claim(jo, state="paid")
    client = app.test_client()
    sign_in(client, jo)
    assert "might change them" not in client.get("/claims").get_data(as_text=True)
    ops.save_policy(
        effective_from=date.today(), values={"benefits_threshold_pence": 1000}, actor=create_user("coordinator")
    )
    text = client.get("/claims").get_data(as_text=True)
    assert "might change them" in text and "free, private advice" in text


def test_the_fast_working_day_count_agrees_with_counting_day_by_day():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=50, deadline=None)
    @given(st.dates(date(1999, 6, 1), date(2041, 6, 1)), st.integers(min_value=-10, max_value=400))
    def check(start, span):
        end = start + timedelta(days=span)
        assert queries.working_days_between(start, end) == queries.working_days_between_naive(start, end)

    check()
