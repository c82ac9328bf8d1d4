"""Benefits-safe payments: the preference kept on each claim, fees and expenses apart, vouchers never in the bank
payment, the reminder counting fees only, gap-free batch references, and paying big batches without SMTP waits."""

import csv
import io
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from coordination.accounts.models import User
from coordination.claims import demo, queries
from coordination.claims import operations as ops
from coordination.claims.models import (
    Claim,
    ClaimState,
    PaymentBatch,
    PaymentPreference,
)
from coordination.extensions import db
from tests.conftest import page, sign_in


def _csv(client, batch):
    text = client.get(f"/claims/payments/batches/{batch.id}.csv").get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(text)))


def test_the_claim_keeps_the_preference_in_force_when_it_was_sent(make_claim, quick_user):
    jo = quick_user("contributor")
    ops.save_profile(jo, payment_preference="fee_and_expenses", payee_reference="PAY-1", access_needs="", actor=jo)
    claim = make_claim(jo, state="approved")
    ops.save_profile(jo, payment_preference="voucher", payee_reference="PAY-1", access_needs="", actor=jo)
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).payment_preference == PaymentPreference.FEE_AND_EXPENSES
    assert (claim.fee_pence, claim.expenses_pence, claim.total_pence) == (5000, 4035, 9035)


def test_three_contributors_with_three_preferences_get_a_csv_that_separates_fees_expenses_and_vouchers(
    app, make_claim, quick_user, create_user
):
    people = {}
    for name, preference in (
        ("Ann Fee", "fee_and_expenses"),
        ("Ben Voucher", "voucher"),
        ("Cat Expenses", "expenses_only"),
    ):
        person = quick_user("contributor", name=name)
        ops.save_profile(
            person,
            payment_preference=preference,
            payee_reference=f"PAY-{name[:3].upper()}",
            access_needs="",
            actor=person,
        )
        people[name] = person
    for name in ("Ann Fee", "Ben Voucher"):
        make_claim(people[name], state="approved")
    cat = people["Cat Expenses"]
    claim = ops.create_claim(cat, actor=cat, activity_description="Forum", activity_date=date.today())
    with pytest.raises(ops.ClaimError, match="cannot add a fee"):
        ops.add_line(claim, actor=cat, kind="half_day_fee")
    ops.add_line(claim, actor=cat, kind="car_miles", quantity="10")
    ops.submit_claim(claim, actor=cat, declared=True)
    ops.approve_claim(claim, actor=quick_user("coordinator"))
    gareth = create_user("finance")
    batch = ops.create_batch(actor=gareth)
    client = app.test_client()
    sign_in(client, gareth)
    rows = _csv(client, batch)
    got = {(r["payee_name"], r["payment_kind"], r["pay_by"], r["amount"]) for r in rows}
    assert got == {
        ("Ann Fee", "fee", "bank transfer", "50.00"),
        ("Ann Fee", "expenses", "bank transfer", "40.35"),
        ("Ben Voucher", "expenses", "bank transfer", "40.35"),
        ("Ben Voucher", "voucher", "voucher", "50.00"),
        ("Cat Expenses", "expenses", "bank transfer", "4.50"),
    }
    assert all(r["claim_references"].startswith("CL-") and r["batch"] == batch.reference for r in rows)
    soup = page(client.get(f"/claims/payments/batches/{batch.id}"))
    assert soup.select_one("#bank-total").get_text(strip=True) == "£135.20"
    assert soup.select_one("#voucher-total").get_text(strip=True) == "£50.00"
    assert "Ben Voucher" in soup.select_one("#voucher-rows").get_text()
    assert "Ben Voucher" in page(client.get("/claims/payments/vouchers")).select_one("#vouchers").get_text()


def test_the_database_refuses_fee_money_on_an_expenses_only_claim(make_claim, quick_user):
    from sqlalchemy.exc import IntegrityError

    claim = make_claim(state="submitted")
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(
            Claim.__table__.update().where(Claim.id == claim.id).values(payment_preference="decline_fee")
        )
        db.session.commit()
    db.session.rollback()


def test_the_benefits_reminder_counts_fees_not_reimbursed_expenses(app, quick_user, create_user):
    jo = create_user("contributor")
    coordinator, finance = quick_user("coordinator"), quick_user("finance")
    claim = ops.create_claim(jo, actor=jo, activity_description="Long trip", activity_date=date.today())
    ops.add_line(claim, actor=jo, kind="half_day_fee")
    ops.add_line(claim, actor=jo, kind="car_miles", quantity="400")
    ops.submit_claim(claim, actor=jo, declared=True)
    ops.approve_claim(claim, actor=coordinator, acknowledged=True)
    ops.pay_claim(claim, actor=finance)
    # £50 of fees and £180 of expenses: a £100 threshold is passed by the total but not by the fees.
    ops.save_policy(effective_from=date.today(), values={"benefits_threshold_pence": 10000}, actor=coordinator)
    client = app.test_client()
    sign_in(client, jo)
    soup = page(client.get("/claims"))
    assert soup.select_one("#tax-year-fees").get_text(strip=True) == "£50.00"
    assert soup.select_one("#tax-year-expenses").get_text(strip=True) == "£180.00"
    assert soup.select_one("#benefits-reminder") is None
    ops.save_policy(effective_from=date.today(), values={"benefits_threshold_pence": 4000}, actor=coordinator)
    assert page(client.get("/claims")).select_one("#benefits-reminder") is not None


# ---------------------------------------------------------------- the property over any mix

_claims = st.lists(
    st.tuples(
        st.integers(0, 3), st.sampled_from(list(PaymentPreference)), st.integers(0, 50_000), st.integers(0, 50_000)
    ),
    max_size=25,
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(_claims)
def test_the_csv_columns_sum_exactly_to_the_claims_lines_and_no_voucher_or_declined_fee_reaches_the_bank(mix):
    people = [User(id=i + 1, name=f"Person {i}", email=f"p{i}@example.org") for i in range(4)]
    claims = []
    for n, (who, preference, fee, expenses) in enumerate(mix, start=1):
        fee = fee if preference.takes_fee else 0  # the lines refuse fees for the other choices
        claims.append(
            Claim(
                id=n,
                claimant_id=who + 1,
                claimant=people[who],
                payment_preference=preference,
                fee_pence=fee,
                expenses_pence=expenses,
                total_pence=fee + expenses,
            )
        )
    rows = queries.payment_rows(claims, lambda claim: f"PAY-{claim.claimant_id}")
    by_kind = {kind: sum(r.pence for r in rows if r.kind == kind) for kind in ("fee", "expenses", "voucher")}
    assert by_kind["fee"] == sum(
        c.fee_pence for c in claims if c.payment_preference == PaymentPreference.FEE_AND_EXPENSES
    )
    assert by_kind["expenses"] == sum(c.expenses_pence for c in claims)
    assert by_kind["voucher"] == sum(c.fee_pence for c in claims if c.payment_preference == PaymentPreference.VOUCHER)
    assert sum(r.pence for r in rows) == sum(c.total_pence for c in claims)
    bank = [r for r in rows if r.pay_by == "bank transfer"]
    for row in bank:
        for reference in row.claim_references if row.kind == "fee" else []:
            claim = next(c for c in claims if c.reference == reference)
            assert claim.payment_preference == PaymentPreference.FEE_AND_EXPENSES
    assert all(r.kind != "voucher" for r in bank)
    keys = [(r.payee_reference, r.kind) for r in rows]
    assert len(keys) == len(set(keys))  # one row per payee and kind
    assert all(r.pence > 0 for r in rows)


# ---------------------------------------------------------------- batch references


def test_batch_references_run_per_year_without_gaps_even_when_a_batch_is_refused(make_claim, quick_user):
    finance = quick_user("finance")
    make_claim(state="approved")
    first = ops.create_batch(actor=finance)
    with pytest.raises(ops.ClaimError):
        ops.create_batch(actor=finance)  # nothing left to pay: refused, and no number used
    make_claim(state="approved")
    second = ops.create_batch(actor=finance)
    year = datetime.now().year
    assert (first.reference, second.reference) == (f"PB-{year}-00001", f"PB-{year}-00002")
    assert ops._next_batch_number(year + 1) == 1
    db.session.rollback()  # a number taken in a rolled-back transaction is given back
    assert ops._next_batch_number(year) == 3


def test_a_batch_that_fails_after_taking_its_number_gives_the_number_back(make_claim, quick_user, monkeypatch):
    finance = quick_user("finance")
    make_claim(state="approved")

    def failing_record(*args, **kwargs):
        raise RuntimeError("the database went away mid-transaction")

    monkeypatch.setattr(ops.audit, "record", failing_record)
    with pytest.raises(RuntimeError):
        ops.create_batch(actor=finance)
    db.session.rollback()
    monkeypatch.undo()
    batch = ops.create_batch(actor=finance)
    assert batch.number == 1 and db.session.scalar(select(db.func.count()).select_from(PaymentBatch)) == 1


# ---------------------------------------------------------------- paying many claims with SMTP on


def test_paying_a_batch_of_200_claims_sends_no_email_in_the_request_and_queues_one_each(app, quick_user, monkeypatch):
    from coordination import mail

    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.org")
    calls = []
    monkeypatch.setattr(mail, "_deliver", lambda *a: calls.append(a))
    coordinator, finance = quick_user("coordinator"), quick_user("finance")
    people = [quick_user("contributor") for _ in range(20)]
    demo.approved_claims(people, 200, coordinator)
    db.session.commit()
    batch = ops.create_batch(actor=finance)
    assert ops.mark_batch_paid(batch, actor=finance) is True
    assert calls == []  # SMTP is never waited on while paying
    assert db.session.scalar(select(db.func.count()).select_from(mail.OutboxMessage)) == 200
    assert db.session.scalar(select(db.func.count()).select_from(Claim).where(Claim.state == ClaimState.PAID)) == 200
    assert mail.send_pending()["sent"] == 200 and len(calls) == 200


def test_batches_built_at_the_same_moment_get_distinct_numbers_with_no_gaps(app, make_claim, quick_user):
    import threading

    claim_ids = [make_claim(state="approved").id for _ in range(5)]
    payer_ids = [quick_user("finance").id for _ in range(5)]
    db.session.remove()
    barrier = threading.Barrier(5)
    results: list = []

    def worker(claim_id, payer_id):
        with app.app_context():
            payer = db.session.get(User, payer_id)
            barrier.wait()
            try:
                results.append(ops.create_batch(actor=payer, claim_ids=[claim_id]).number)
            except Exception as error:  # a lock error would be a failure to see, not to hide
                results.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=pair) for pair in zip(claim_ids, payer_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [1, 2, 3, 4, 5], results
