"""Claims policy (rates with effective dates), contributor profiles, claims, line items, receipts, batches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..communities.models import Event, Person
from ..enums import TitledEnum
from ..extensions import db, value_enum
from ..permissions import Role
from ..timeutil import utcnow


class ClaimState(TitledEnum):
    """Where a claim is in its journey; titles are what contributors read."""

    DRAFT = "draft", "Not sent yet"
    SUBMITTED = "submitted", "Sent – waiting for a check"
    QUERIED = "queried", "We have a question"
    APPROVED = "approved", "Approved – waiting to be paid"
    REJECTED = "rejected", "Not approved"
    WITHDRAWN = "withdrawn", "Withdrawn"
    PAID = "paid", "Paid"

    @property
    def colour(self) -> str:
        return STATE_COLOURS[self]


STATE_COLOURS = {
    ClaimState.DRAFT: "grey",
    ClaimState.SUBMITTED: "blue",
    ClaimState.QUERIED: "yellow",
    ClaimState.APPROVED: "turquoise",
    ClaimState.REJECTED: "red",
    ClaimState.WITHDRAWN: "grey",
    ClaimState.PAID: "green",
}
EDITABLE_STATES = (ClaimState.DRAFT, ClaimState.QUERIED)
OPEN_STATES = (ClaimState.SUBMITTED, ClaimState.QUERIED, ClaimState.APPROVED)
FINANCE_STATES = (ClaimState.APPROVED, ClaimState.PAID)


@dataclass(frozen=True)
class Transition:
    """One allowed move, declared as data: the verb, its sources and target, who may do it, the text it needs,
    the timestamps and people it stamps, the note it leaves and whether the contributor is told."""

    action: str
    sources: tuple[ClaimState, ...]
    target: ClaimState
    roles: tuple[Role, ...]
    title: str
    text_required: str | None = None  # the message when the text is missing
    note_kind: str | None = None  # the ClaimNote written from the text
    stamps: tuple[str, ...] = ()  # columns set to now
    stamps_actor: tuple[str, ...] = ()  # columns set to the actor's id
    text_column: str | None = None  # a claim column that keeps the text
    notify: bool = True


# The one table of allowed moves; operations.transition refuses anything not listed here.
TRANSITIONS = {
    t.action: t
    for t in [
        Transition(
            "submit",
            (ClaimState.DRAFT, ClaimState.QUERIED),
            ClaimState.SUBMITTED,
            (Role.CONTRIBUTOR, Role.COORDINATOR),
            "Send",
            note_kind="answer",
            stamps=("submitted_at", "declared_at"),
        ),
        Transition(
            "query",
            (ClaimState.SUBMITTED,),
            ClaimState.QUERIED,
            (Role.COORDINATOR,),
            "Ask a question",
            text_required="Enter your question",
            note_kind="query",
        ),
        Transition(
            "approve",
            (ClaimState.SUBMITTED,),
            ClaimState.APPROVED,
            (Role.COORDINATOR,),
            "Approve",
            stamps=("approved_at",),
            stamps_actor=("approved_by_id",),
        ),
        Transition(
            "reject",
            (ClaimState.SUBMITTED, ClaimState.QUERIED),
            ClaimState.REJECTED,
            (Role.COORDINATOR,),
            "Reject",
            text_required="Enter the reason, which the contributor will see",
            note_kind="rejection",
            stamps=("closed_at",),
            text_column="rejection_reason",
        ),
        Transition(
            "withdraw",
            (ClaimState.DRAFT, ClaimState.SUBMITTED, ClaimState.QUERIED),
            ClaimState.WITHDRAWN,
            (Role.CONTRIBUTOR,),
            "Withdraw",
            stamps=("closed_at",),
            notify=False,
        ),
        Transition(
            "pay",
            (ClaimState.APPROVED,),
            ClaimState.PAID,
            (Role.FINANCE,),
            "Mark paid",
            stamps=("paid_at", "closed_at"),
            stamps_actor=("paid_by_id",),
        ),
    ]
}


class PaymentPreference(TitledEnum):
    FEE_AND_EXPENSES = "fee_and_expenses", "Pay me the fee and my expenses"
    EXPENSES_ONLY = "expenses_only", "Pay my expenses only"
    DECLINE_FEE = "decline_fee", "I do not want the fee (pay my expenses)"
    VOUCHER = "voucher", "Give me a voucher instead of money for the fee"

    @property
    def takes_fee(self) -> bool:
        return self in (PaymentPreference.FEE_AND_EXPENSES, PaymentPreference.VOUCHER)

    @property
    def fee_by_bank(self) -> bool:
        """Whether a fee under this choice goes into the bank payment (a voucher fee never does)."""
        return self == PaymentPreference.FEE_AND_EXPENSES


class LineKind(TitledEnum):
    """Kinds of line item. Fees and mileage are priced from the policy; the rest are at cost up to a cap."""

    HALF_DAY_FEE = "half_day_fee", "Involvement fee: half a day (up to 4 hours, including getting ready)"
    FULL_DAY_FEE = "full_day_fee", "Involvement fee: a full day"
    HOURLY_FEE = "hourly_fee", "Involvement fee: by the hour"
    CAR_MILES = "car_miles", "Car or van miles"
    MOTORCYCLE_MILES = "motorcycle_miles", "Motorbike miles"
    BICYCLE_MILES = "bicycle_miles", "Bicycle miles"
    PUBLIC_TRANSPORT = "public_transport", "Bus, tram or train tickets"
    TAXI = "taxi", "Taxi"
    ACCOMMODATION = "accommodation", "Somewhere to stay overnight"
    REPLACEMENT_CARE = "replacement_care", "Replacement care (someone to care while you take part)"
    SUPPORT_WORKER = "support_worker", "Support worker or personal assistant"
    INTERPRETER = "interpreter", "Interpreter"
    SUBSISTENCE = "subsistence", "Food and drink"


FEE_KINDS = (LineKind.HALF_DAY_FEE, LineKind.FULL_DAY_FEE, LineKind.HOURLY_FEE)
MILEAGE_KINDS = (LineKind.CAR_MILES, LineKind.MOTORCYCLE_MILES, LineKind.BICYCLE_MILES)
# At cost, capped by the policy, and only when someone agreed it before the activity.
AGREED_KINDS = (
    LineKind.TAXI,
    LineKind.ACCOMMODATION,
    LineKind.REPLACEMENT_CARE,
    LineKind.SUPPORT_WORKER,
    LineKind.INTERPRETER,
)
AT_COST_KINDS = (LineKind.PUBLIC_TRANSPORT, LineKind.SUBSISTENCE) + AGREED_KINDS
RECEIPT_KINDS = (LineKind.PUBLIC_TRANSPORT, LineKind.TAXI, LineKind.ACCOMMODATION)


class ClaimPolicy(db.Model):
    """One version of the rates; the version in force on an activity's date prices that claim."""

    __tablename__ = "claim_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, unique=True)
    half_day_fee_pence: Mapped[int] = mapped_column(Integer, default=5000)
    full_day_fee_pence: Mapped[int] = mapped_column(Integer, default=10000)
    hourly_fee_pence: Mapped[int] = mapped_column(Integer, default=1250)
    car_pence_per_mile: Mapped[int] = mapped_column(Integer, default=45)
    car_pence_per_mile_after: Mapped[int] = mapped_column(Integer, default=25)
    car_threshold_miles: Mapped[int] = mapped_column(Integer, default=10000)
    motorcycle_pence_per_mile: Mapped[int] = mapped_column(Integer, default=24)
    bicycle_pence_per_mile: Mapped[int] = mapped_column(Integer, default=20)
    passenger_pence_per_mile: Mapped[int] = mapped_column(Integer, default=5)
    taxi_cap_pence: Mapped[int] = mapped_column(Integer, default=5000)
    accommodation_cap_pence: Mapped[int] = mapped_column(Integer, default=12000)
    replacement_care_cap_pence: Mapped[int] = mapped_column(Integer, default=15000)
    support_worker_cap_pence: Mapped[int] = mapped_column(Integer, default=15000)
    interpreter_cap_pence: Mapped[int] = mapped_column(Integer, default=30000)
    subsistence_cap_pence: Mapped[int] = mapped_column(Integer, default=1500)
    benefits_threshold_pence: Mapped[int] = mapped_column(Integer, default=50000)
    target_working_days: Mapped[int] = mapped_column(Integer, default=10)
    approver_may_pay: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    def cap_for(self, kind: LineKind) -> int | None:
        """The cap in pence for an at-cost kind (public transport has none)."""
        from .pricing import LINE_RULES

        rule = LINE_RULES[kind]
        return getattr(self, rule.setting) if rule.style == "cost" and rule.setting else None


class ClaimantProfile(db.Model):
    """How a contributor wants to be paid; no bank details are kept here, only finance's payee reference."""

    __tablename__ = "claimant_profile"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    payment_preference: Mapped[PaymentPreference] = mapped_column(
        value_enum(PaymentPreference, "payment_preference"), default=PaymentPreference.FEE_AND_EXPENSES
    )
    payee_reference: Mapped[str | None] = mapped_column(String(60))
    access_needs: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    user: Mapped[User] = relationship()


class PersonPaymentProfile(db.Model):
    """How someone in the people records wants to be paid when they claim without an account (by phone or paper)."""

    __tablename__ = "person_payment_profile"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    payment_preference: Mapped[PaymentPreference] = mapped_column(
        value_enum(PaymentPreference, "payment_preference"), default=PaymentPreference.FEE_AND_EXPENSES
    )
    payee_reference: Mapped[str | None] = mapped_column(String(60))
    access_needs: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    person: Mapped[Person] = relationship()


class BatchCounter(db.Model):
    """The last batch number used in a year: batch references run 1, 2, 3… each year with no gaps."""

    __tablename__ = "payment_batch_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class PaymentBatch(db.Model):
    """Approved claims paid together; marking it paid marks each of its claims paid once."""

    __tablename__ = "payment_batch"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'paid')", name="state_known"),
        CheckConstraint("state <> 'paid' OR (paid_at IS NOT NULL AND paid_by_id IS NOT NULL)", name="paid_has_when"),
        UniqueConstraint("year", "number", name="uq_payment_batch_year_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Allocated from BatchCounter in the transaction that creates the batch, so references have no gaps.
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    claims: Mapped[list[Claim]] = relationship(back_populates="batch", order_by="Claim.id")

    @property
    def reference(self) -> str:
        return f"PB-{self.year}-{self.number:05d}"

    @property
    def total_pence(self) -> int:
        return sum(claim.total_pence for claim in self.claims)


class Claim(db.Model):
    """A contributor's claim for one activity. Amounts are priced by the service, never typed in."""

    __tablename__ = "claim"
    __table_args__ = (
        CheckConstraint("state = 'draft' OR state = 'withdrawn' OR submitted_at IS NOT NULL", name="sent_has_date"),
        CheckConstraint(
            "state NOT IN ('approved', 'paid') OR approved_by_id IS NOT NULL", name="approved_has_approver"
        ),
        CheckConstraint("state <> 'paid' OR (paid_at IS NOT NULL AND paid_by_id IS NOT NULL)", name="paid_has_payer"),
        CheckConstraint("state <> 'rejected' OR rejection_reason IS NOT NULL", name="rejected_has_reason"),
        CheckConstraint("total_pence >= 0", name="total_not_negative"),
        CheckConstraint("claimant_id IS NOT NULL OR person_id IS NOT NULL", name="has_claimant"),
        CheckConstraint(
            "fee_pence >= 0 AND expenses_pence >= 0 AND fee_pence + expenses_pence = total_pence", name="lines_add_up"
        ),
        # "Expenses only" and "decline the fee" can never carry fee money, whatever code runs.
        CheckConstraint(
            "payment_preference IS NULL OR payment_preference IN ('fee_and_expenses', 'voucher') OR fee_pence = 0",
            name="no_fee_when_declined",
        ),
        CheckConstraint(
            "state IN ('draft', 'withdrawn') OR payment_preference IS NOT NULL", name="sent_has_preference"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # An account holder's claim names their account; a claim by phone or paper names the person record.
    claimant_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"), index=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    on_behalf: Mapped[bool] = mapped_column(Boolean, default=False)
    # The event (from communities) the claim is for, when it was one; the description still says what it was.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"), index=True)
    activity_description: Mapped[str] = mapped_column(String(300), default="")
    activity_date: Mapped[date | None] = mapped_column(Date)
    state: Mapped[ClaimState] = mapped_column(
        value_enum(ClaimState, "claim_state"), default=ClaimState.DRAFT, index=True
    )
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("claim_policy.id"))
    total_pence: Mapped[int] = mapped_column(Integer, default=0)
    fee_pence: Mapped[int] = mapped_column(Integer, default=0)
    expenses_pence: Mapped[int] = mapped_column(Integer, default=0)
    # The payment choice in force when the claim was sent; later changes to the profile never alter it.
    payment_preference: Mapped[PaymentPreference | None] = mapped_column(
        value_enum(PaymentPreference, "payment_preference")
    )
    declared_at: Mapped[datetime | None] = mapped_column(DateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    first_submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("payment_batch.id"), index=True)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    # Half-typed item fields, saved as you go so nothing is lost (never used for amounts).
    draft_item: Mapped[dict | None] = mapped_column(JSON)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    claimant: Mapped[User | None] = relationship(foreign_keys=[claimant_id])
    person: Mapped[Person | None] = relationship(foreign_keys=[person_id])
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    event: Mapped[Event | None] = relationship()
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    policy: Mapped[ClaimPolicy | None] = relationship()
    batch: Mapped[PaymentBatch | None] = relationship(back_populates="claims")
    lines: Mapped[list[ClaimLine]] = relationship(
        back_populates="claim", cascade="all, delete-orphan", order_by="ClaimLine.id"
    )
    receipts: Mapped[list[Receipt]] = relationship(back_populates="claim", order_by="Receipt.id")
    notes: Mapped[list[ClaimNote]] = relationship(back_populates="claim", order_by="ClaimNote.id")

    @property
    def reference(self) -> str:
        return f"CL-{self.id:05d}"

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def claimant_name(self) -> str:
        """The name of the person claiming, with or without an account."""
        return self.claimant.name if self.claimant is not None else self.person.name

    @property
    def claimant_email(self) -> str | None:
        return self.claimant.email if self.claimant is not None else (self.person.email or None)

    @property
    def first_name(self) -> str:
        return (self.claimant_name or "").split(" ")[0] or "them"

    @property
    def fee_by_bank_pence(self) -> int:
        """Fee money that goes into the bank payment (none for a voucher, expenses only or a declined fee)."""
        return self.fee_pence if self.payment_preference == PaymentPreference.FEE_AND_EXPENSES else 0

    @property
    def fee_as_voucher_pence(self) -> int:
        return self.fee_pence if self.payment_preference == PaymentPreference.VOUCHER else 0

    @property
    def bank_pence(self) -> int:
        """What goes to the bank: expenses, and the fee only for 'fee and expenses'."""
        return self.expenses_pence + self.fee_by_bank_pence

    @property
    def total(self) -> Decimal:
        from ..money import to_pounds

        return to_pounds(self.total_pence)

    def can_view(self, user) -> bool:
        """The claimant and coordinators; finance only once a claim is approved or paid; nobody else."""
        if user.role == Role.FINANCE:
            return self.state in FINANCE_STATES
        return user.role == Role.COORDINATOR or (self.claimant_id is not None and user.id == self.claimant_id)

    def can_edit(self, user) -> bool:
        """The claimant, or a coordinator entering it for them, while it is a draft or queried."""
        if not self.is_editable:
            return False
        return user.id == self.claimant_id or (user.role == Role.COORDINATOR and self.on_behalf)


class ClaimLine(db.Model):
    """One item on a claim. Quantities are hundredths (miles, hours) so no floats touch money."""

    __tablename__ = "claim_line"
    __table_args__ = (
        CheckConstraint("quantity_hundredths >= 0", name="quantity_not_negative"),
        CheckConstraint("amount_pence >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LineKind] = mapped_column(value_enum(LineKind, "claim_line_kind"))
    quantity_hundredths: Mapped[int] = mapped_column(Integer, default=100)
    passengers: Mapped[int] = mapped_column(Integer, default=0)
    cost_pence: Mapped[int | None] = mapped_column(Integer)
    amount_pence: Mapped[int] = mapped_column(Integer, default=0)
    pricing_note: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(String(300), default="")
    agreed_by: Mapped[str | None] = mapped_column(String(120))
    agreed_on: Mapped[date | None] = mapped_column(Date)
    claim: Mapped[Claim] = relationship(back_populates="lines")
    receipts: Mapped[list[Receipt]] = relationship(back_populates="line", order_by="Receipt.id")

    @property
    def is_fee(self) -> bool:
        return self.kind in FEE_KINDS

    @property
    def quantity(self) -> Decimal:
        return (Decimal(self.quantity_hundredths) / 100).normalize()


class Receipt(db.Model):
    """A checked, re-encoded receipt file kept outside the web root under a random name."""

    __tablename__ = "claim_receipt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # The item this receipt supports (none for receipts added before items had their own).
    line_id: Mapped[int | None] = mapped_column(ForeignKey("claim_line.id", ondelete="SET NULL"), index=True)
    claim: Mapped[Claim] = relationship(back_populates="receipts")
    line: Mapped[ClaimLine | None] = relationship(back_populates="receipts")


class ClaimNote(db.Model):
    """A question, answer or reason on a claim, shown to the contributor in order."""

    __tablename__ = "claim_note"
    __table_args__ = (CheckConstraint("kind IN ('query', 'answer', 'rejection', 'note')", name="kind_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    claim: Mapped[Claim] = relationship(back_populates="notes")
    author: Mapped[User] = relationship()


class Notification(db.Model):
    """An in-app message about a claim's status for its contributor."""

    __tablename__ = "claim_notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    dismissed_at: Mapped[datetime | None] = mapped_column(DateTime)


class ClaimChange(db.Model):
    """Who changed a claim's contents (separation of duties reads this, not the audit log's action names)."""

    __tablename__ = "claim_change"

    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    first_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class FormStash(db.Model):
    """What a contributor typed when their session had ended, kept until they sign in again."""

    __tablename__ = "claim_form_stash"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id", ondelete="CASCADE"))
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
