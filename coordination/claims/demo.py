"""Demo claims: the default policy, Jo Clarke's profile and claims in every state, with a paid batch."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db
from . import operations as ops
from .models import Claim, ClaimState, PaymentPreference


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def seed(scale: str | None = None) -> str | None:
    """Create the policy, a profile for contributor@example.org and claims for the dashboards."""
    ops.ensure_default_policy()
    jo, amira, gareth = (
        _user("contributor@example.org"),
        _user("coordinator@example.org"),
        _user("finance@example.org"),
    )
    if not (jo and amira and gareth):
        return "demo accounts missing; policy only"
    if db.session.scalar(select(Claim.id).where(Claim.claimant_id == jo.id).limit(1)) is not None:
        return "claims already present"
    ops.save_profile(
        jo,
        payment_preference="fee_and_expenses",
        payee_reference="PAY-0042",
        access_needs="Step-free access and a quiet room, please.",
        actor=jo,
    )
    # A second coordinator approves what Amira enters on someone's behalf (separation of duties).
    today = date.today()
    activities = [
        ("Carers' forum, Rochdale", 40, "paid"),
        ("Mental health community of practice, Salford", 33, "paid"),
        ("Hospital discharge workshop, Bolton", 26, "paid"),
        ("Patient panel, Oldham", 19, "approved"),
        ("Lived experience network, Manchester", 12, "queried"),
        ("Autism-friendly events planning, Wigan", 8, "submitted"),
        ("Young carers listening event, Tameside", 2, "draft"),
    ]
    for description, days_ago, state in activities:
        when = today - timedelta(days=days_ago)
        claim = ops.create_claim(jo, actor=jo, activity_description=description, activity_date=when)
        ops.add_line(claim, actor=jo, kind="half_day_fee")
        ops.add_line(claim, actor=jo, kind="car_miles", quantity="23")
        ops.add_line(
            claim,
            actor=jo,
            kind="replacement_care",
            cost="30.00",
            agreed_by="Amira Hussain",
            agreed_on=when - timedelta(days=7),
        )
        if state == "draft":
            continue
        ops.submit_claim(claim, actor=jo, declared=True)
        if state == "queried":
            ops.query_claim(claim, actor=amira, question="Did you travel on your own, or with a passenger?")
        elif state in ("approved", "paid"):
            ops.approve_claim(claim, actor=amira)
    paid_ids = [
        c.id
        for c in db.session.scalars(select(Claim).where(Claim.claimant_id == jo.id))
        if c.activity_description.split(",")[0]
        in ("Carers' forum", "Mental health community of practice", "Hospital discharge workshop")
    ]
    batch = ops.create_batch(actor=gareth, claim_ids=paid_ids)
    ops.mark_batch_paid(batch, actor=gareth)
    # Spread the demo's history back in time so the dashboard has months and ages to show.
    for claim in db.session.scalars(select(Claim).where(Claim.claimant_id == jo.id, Claim.submitted_at.is_not(None))):
        sent = datetime.combine(claim.activity_date + timedelta(days=1), time(10))
        claim.submitted_at = claim.first_submitted_at = sent
        if claim.approved_at:
            claim.approved_at = sent + timedelta(days=3)
        if claim.paid_at:
            claim.paid_at = sent + timedelta(days=6 + claim.id % 9)
    db.session.commit()
    phone = _phone_claim(amira)
    return f"{len(activities)} claims for {jo.email} (draft to paid) and payment batch {batch.reference}" + (
        f"; a phone claim for {phone} waiting for a second coordinator" if phone else ""
    )


def _phone_claim(amira: User) -> str | None:
    """A claim taken by phone for someone in the people records who has no account (sent, waiting for approval
    by a coordinator other than the one who entered it)."""
    from ..communities.models import Person

    person = db.session.scalar(
        select(Person).where(Person.user_id.is_(None), Person.lived_experience.is_(True)).order_by(Person.id).limit(1)
    )
    if person is None:
        person = Person(name="Mary Ellis", lived_experience=True)
        db.session.add(person)
        db.session.commit()
    ops.save_person_profile(
        person, payment_preference="voucher", payee_reference="PAY-0107", access_needs="", actor=amira
    )
    when = date.today() - timedelta(days=4)
    claim = ops.create_claim(person, actor=amira, activity_description="Carers' forum (by phone)", activity_date=when)
    ops.add_line(claim, actor=amira, kind="half_day_fee")
    ops.add_line(claim, actor=amira, kind="public_transport", cost="6.40")
    ops.add_receipt(claim, actor=amira, data=_ticket_png(), filename="bus-ticket.png")
    ops.submit_claim(claim, actor=amira, declared=True)
    return person.name


def _ticket_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (60, 40), (240, 240, 240)).save(out, "PNG")
    return out.getvalue()


def approved_claims(people: list, count: int, approver, fee_pence: int = 5000, expenses_pence: int = 0) -> None:
    """Add `count` approved claims round the `people`, straight into the approved state (for demo batches,
    benchmarks and tests of paying; real claims reach it through the workflow). The caller commits."""
    policy = ops.policy_for(None)
    now = datetime.utcnow()
    for n in range(count):
        person = people[n % len(people)]
        db.session.add(
            Claim(
                claimant_id=person.id,
                entered_by_id=person.id,
                activity_description="Forum",
                activity_date=date.today() - timedelta(days=2),
                state=ClaimState.APPROVED,
                policy_id=policy.id,
                total_pence=fee_pence + expenses_pence,
                fee_pence=fee_pence,
                expenses_pence=expenses_pence,
                payment_preference=PaymentPreference.FEE_AND_EXPENSES,
                submitted_at=now,
                first_submitted_at=now,
                declared_at=now,
                approved_at=now,
                approved_by_id=approver.id,
            )
        )
