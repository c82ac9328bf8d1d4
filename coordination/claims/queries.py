"""Read side for claims: lists, the prompt-payment clock, tax-year totals and the coordinator dashboard."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from statistics import median

from flask import abort
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..extensions import db
from ..permissions import Role
from ..timeutil import to_uk, utcnow
from .models import OPEN_STATES, Claim, ClaimPolicy, ClaimState, Notification, PaymentBatch, PaymentPreference, Receipt
from .pricing import tax_year_start

# ---------------------------------------------------------------- working days


@lru_cache(maxsize=1)
def bank_holidays() -> frozenset[date]:
    """England and Wales bank holidays from the data bundled with govuk-bank-holidays (never the network)."""
    from govuk_bank_holidays.bank_holidays import BankHolidays

    calendar = BankHolidays(use_cached_holidays=True)
    return frozenset(h["date"] for h in calendar.get_holidays(division=BankHolidays.ENGLAND_AND_WALES))


def is_working_day(day: date) -> bool:
    """Monday to Friday and not an England and Wales bank holiday."""
    return day.weekday() < 5 and day not in bank_holidays()


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start`."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            days -= 1
    return current


def working_days_between_naive(start: date, end: date) -> int:
    """Working days after `start` up to and including `end`, counted a day at a time (the reference)."""
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


_INDEX_START, _INDEX_END = date(2000, 1, 1), date(2040, 12, 31)


@lru_cache(maxsize=1)
def _working_day_index() -> list[int]:
    """Cumulative working days since _INDEX_START, one entry per calendar day.

    (The dashboard asks thousands of times.)"""
    counts, total, day = [], 0, _INDEX_START
    while day <= _INDEX_END:
        total += is_working_day(day)
        counts.append(total)
        day += timedelta(days=1)
    return counts


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end is not later)."""
    if end <= start:
        return 0
    if not (start >= _INDEX_START and end <= _INDEX_END):
        return working_days_between_naive(start, end)
    index = _working_day_index()
    base = _INDEX_START.toordinal()
    return index[end.toordinal() - base] - index[start.toordinal() - base]


def _uk_date(value: datetime) -> date:
    return to_uk(value).date()


def due_date(claim: Claim) -> date | None:
    """When the prompt-payment target says a sent claim should be paid (never for rejected or withdrawn ones)."""
    sent = claim.first_submitted_at or claim.submitted_at
    if sent is None or claim.state in (ClaimState.REJECTED, ClaimState.WITHDRAWN):
        return None
    target = claim.policy.target_working_days if claim.policy else 10
    return add_working_days(_uk_date(sent), target)


def payment_clock(claim: Claim, today: date | None = None) -> dict | None:
    """The target shown on every claim: due date, working days so far, overdue or not."""
    due = due_date(claim)
    if due is None:
        return None
    today = today or _uk_date(utcnow())
    sent = _uk_date(claim.first_submitted_at or claim.submitted_at)
    end = _uk_date(claim.paid_at) if claim.paid_at else today
    taken = working_days_between(sent, end)
    target = claim.policy.target_working_days if claim.policy else 10
    if claim.state in (ClaimState.REJECTED, ClaimState.WITHDRAWN):
        return None  # a claim that will not be paid has no payment clock
    running = claim.state in OPEN_STATES
    return {
        "due": due,
        "target": target,
        "taken": taken,
        "sent": sent,
        "overdue": running and today > due,
        "paid_late": claim.state == ClaimState.PAID and end > due,
        "running": running,
    }


# ---------------------------------------------------------------- lookups with object checks


def get_claim_for(claim_id: int, user: User) -> Claim:
    """A claim the user may see, else 404 (never reveal that someone else's claim exists)."""
    claim = db.session.get(Claim, claim_id)
    if claim is None or not claim.can_view(user):
        abort(404)
    return claim


def get_receipt_for(receipt_id: int, user: User) -> Receipt:
    """A receipt whose claim the user may see, else 404."""
    receipt = db.session.get(Receipt, receipt_id)
    if receipt is None or not receipt.claim.can_view(user):
        abort(404)
    return receipt


def claims_of(user: User) -> list[Claim]:
    """A contributor's own claims, newest first."""
    return list(
        db.session.scalars(
            select(Claim)
            .where(Claim.claimant_id == user.id)
            .options(selectinload(Claim.policy))
            .order_by(Claim.id.desc())
        )
    )


def paid_this_tax_year(user: User, today: date | None = None) -> int:
    """Pence paid to a contributor in the current tax year (by payment date)."""
    today = today or _uk_date(utcnow())
    start = tax_year_start(today)
    return (
        db.session.scalar(
            select(func.coalesce(func.sum(Claim.total_pence), 0)).where(
                Claim.claimant_id == user.id,
                Claim.state == ClaimState.PAID,
                Claim.paid_at >= datetime(start.year, 4, 5, 23, 0),
            )
        )
        or 0
    )


def tax_year_totals(user: User, today: date | None = None) -> dict:
    """What was paid to a contributor this tax year, kept apart: fees as money, fees as vouchers, expenses.
    The benefits reminder counts fees only; reimbursed expenses are not income."""
    today = today or _uk_date(utcnow())
    start = tax_year_start(today)
    rows = db.session.execute(
        select(Claim.payment_preference, func.sum(Claim.fee_pence), func.sum(Claim.expenses_pence))
        .where(
            Claim.claimant_id == user.id,
            Claim.state == ClaimState.PAID,
            Claim.paid_at >= datetime(start.year, 4, 5, 23, 0),
        )
        .group_by(Claim.payment_preference)
    ).all()
    totals = {"fees": 0, "vouchers": 0, "expenses": 0}
    for preference, fees, expenses in rows:
        totals["vouchers" if preference == PaymentPreference.VOUCHER else "fees"] += fees or 0
        totals["expenses"] += expenses or 0
    totals["total"] = totals["fees"] + totals["vouchers"] + totals["expenses"]
    totals["fees_for_benefits"] = totals["fees"] + totals["vouchers"]
    return totals


def unread_notifications(user: User) -> list[Notification]:
    """Status messages the contributor has not seen yet, newest first."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None), Notification.dismissed_at.is_(None))
            .order_by(Notification.id.desc())
            .limit(10)
        )
    )


def all_notifications(user: User) -> list[Notification]:
    """Every message about the contributor's claims, newest first (the news list)."""
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc()).limit(200)
        )
    )


def review_queue(states=(ClaimState.SUBMITTED, ClaimState.QUERIED)) -> list[Claim]:
    """Claims waiting for a coordinator, oldest first."""
    return list(
        db.session.scalars(
            select(Claim)
            .where(Claim.state.in_(states))
            .options(selectinload(Claim.claimant), selectinload(Claim.policy))
            .order_by(Claim.submitted_at)
        )
    )


def claims_in_states(states) -> list[Claim]:
    """Claims in any of these states, oldest change first."""
    return list(
        db.session.scalars(
            select(Claim)
            .where(Claim.state.in_(states))
            .options(selectinload(Claim.claimant), selectinload(Claim.policy))
            .order_by(Claim.updated_at.desc())
            .limit(200)
        )
    )


def approved_unbatched() -> list[Claim]:
    """Approved claims not yet in a payment batch."""
    return list(
        db.session.scalars(
            select(Claim)
            .where(Claim.state == ClaimState.APPROVED, Claim.batch_id.is_(None))
            .options(selectinload(Claim.claimant), selectinload(Claim.policy))
            .order_by(Claim.approved_at)
        )
    )


def batches() -> list[PaymentBatch]:
    """Payment batches, newest first."""
    return list(
        db.session.scalars(
            select(PaymentBatch).options(selectinload(PaymentBatch.claims)).order_by(PaymentBatch.id.desc()).limit(100)
        )
    )


def contributors() -> list[User]:
    """Enabled contributor accounts by name (for entering a claim on someone's behalf)."""
    return list(
        db.session.scalars(
            select(User).where(User.role == Role.CONTRIBUTOR, User.is_enabled.is_(True)).order_by(User.name)
        )
    )


def claimant_choices() -> list[tuple[str, str]]:
    """Everyone a coordinator can claim for: contributor accounts ('<id>') and every person in the people
    records ('person-<id>'), whether or not they have an account."""
    from ..communities.models import Person

    people = list(db.session.scalars(select(Person).order_by(Person.name, Person.id)))
    linked = {person.user_id for person in people if person.user_id}
    choices = [(str(user.id), f"{user.name} ({user.email})") for user in contributors() if user.id not in linked]
    for person in people:
        detail = person.email or ("has an account" if person.user_id else "no account")
        choices.append((f"person-{person.id}", f"{person.name} ({detail})"))
    return sorted(choices, key=lambda choice: choice[1].lower())


# ---------------------------------------------------------------- payments: bank lines and vouchers


@dataclass
class PaymentRow:
    """One row of a batch's payment file: one payee and one kind of money."""

    payee_reference: str
    payee_name: str
    kind: str  # "fee", "expenses" or "voucher"
    pence: int
    claim_references: list[str] = field(default_factory=list)
    payment_preference: str = ""

    @property
    def pay_by(self) -> str:
        return "voucher" if self.kind == "voucher" else "bank transfer"


KIND_TITLES = {"fee": "Fee (taxable income)", "expenses": "Expenses paid back", "voucher": "Fee as a voucher"}


def payment_rows(claims, payee_reference_for) -> list[PaymentRow]:
    """Split claims into one row per payee and kind: fees and expenses by bank, voucher fees apart.
    Uses the preference recorded on each claim when it was sent; a declined or expenses-only fee is never paid."""
    rows: dict[tuple, PaymentRow] = {}
    for claim in claims:
        who = ("user", claim.claimant_id) if claim.claimant_id else ("person", claim.person_id)
        reference = payee_reference_for(claim) or f"NO-REFERENCE-{'P' if who[0] == 'person' else ''}{who[1]}"
        parts = [
            ("expenses", claim.expenses_pence),
            ("fee", claim.fee_by_bank_pence),
            ("voucher", claim.fee_as_voucher_pence),
        ]
        for kind, pence in parts:
            if not pence:
                continue
            row = rows.setdefault(
                (who, kind),
                PaymentRow(reference, claim.claimant_name, kind, 0, payment_preference=claim.payment_preference.value),
            )
            row.pence += pence
            row.claim_references.append(claim.reference)
    order = {"fee": 0, "expenses": 1, "voucher": 2}
    return sorted(
        rows.values(),
        key=lambda row: (row.kind == "voucher", row.payee_name.lower(), row.payee_reference, order[row.kind]),
    )


def batch_totals(claims) -> dict:
    """The figures that must reconcile: bank fees + bank expenses + vouchers = claims' fees + expenses, less
    nothing (declined fees are never priced: the lines refuse them)."""
    return {
        "fees": sum(c.fee_by_bank_pence for c in claims),
        "expenses": sum(c.expenses_pence for c in claims),
        "vouchers": sum(c.fee_as_voucher_pence for c in claims),
        "bank": sum(c.bank_pence for c in claims),
        "claims": sum(c.total_pence for c in claims),
    }


def voucher_claims() -> list[Claim]:
    """Claims in a payment batch whose fee is taken as a voucher (finance's voucher list), newest first."""
    return list(
        db.session.scalars(
            select(Claim)
            .where(
                Claim.batch_id.is_not(None), Claim.payment_preference == PaymentPreference.VOUCHER, Claim.fee_pence > 0
            )
            .options(selectinload(Claim.claimant), selectinload(Claim.person), selectinload(Claim.batch))
            .order_by(Claim.id.desc())
            .limit(500)
        )
    )


def policies() -> list[ClaimPolicy]:
    """Every policy version, newest date first."""
    return list(db.session.scalars(select(ClaimPolicy).order_by(ClaimPolicy.effective_from.desc())))


# ---------------------------------------------------------------- dashboard


def _percentile(values: list[int], fraction: float) -> float:
    """Nearest-rank percentile (so the figure is a real claim's number of days)."""
    ordered = sorted(values)
    rank = max(1, -(-int(fraction * 100) * len(ordered) // 100))
    return ordered[min(rank, len(ordered)) - 1]


def dashboard(today: date | None = None) -> dict:
    """Counts by state, ageing of open claims, overdue ones, and days to pay by month."""
    today = today or _uk_date(utcnow())
    counts = dict(db.session.execute(select(Claim.state, func.count()).group_by(Claim.state)).all())
    by_state = [(state, counts.get(state, 0)) for state in ClaimState]
    open_claims = list(
        db.session.scalars(
            select(Claim)
            .where(Claim.state.in_(OPEN_STATES))
            .options(selectinload(Claim.claimant), selectinload(Claim.policy))
        )
    )
    ageing_bands = [
        ("0 to 5 working days", 0, 5),
        ("6 to 10 working days", 6, 10),
        ("11 to 20 working days", 11, 20),
        ("More than 20 working days", 21, 10**6),
    ]
    ageing = {label: 0 for label, _, _ in ageing_bands}
    overdue = []
    for claim in open_claims:
        clock = payment_clock(claim, today)
        for label, low, high in ageing_bands:
            if low <= clock["taken"] <= high:
                ageing[label] += 1
        if clock["overdue"]:
            overdue.append((claim, clock))
    overdue.sort(key=lambda pair: pair[1]["due"])
    months: dict[str, list[int]] = defaultdict(list)
    paid = db.session.execute(
        select(Claim.first_submitted_at, Claim.submitted_at, Claim.paid_at).where(Claim.state == ClaimState.PAID)
    ).all()
    for first, sent, paid_at in paid:
        start = _uk_date(first or sent)
        end = _uk_date(paid_at)
        months[f"{end:%Y-%m}"].append(working_days_between(start, end))
    by_month = [
        {
            "month": datetime.strptime(key, "%Y-%m").strftime("%B %Y"),
            "count": len(days),
            "median": median(days),
            "p90": _percentile(days, 0.9),
        }
        for key, days in sorted(months.items(), reverse=True)
    ]
    return {
        "by_state": by_state,
        "ageing": ageing,
        "overdue": overdue,
        "by_month": by_month,
        "open_count": len(open_claims),
    }
