"""Every change to claims: policy, profiles, drafts, receipts, the workflow and payment batches."""
from __future__ import annotations

import errno
import io
import os
import secrets
import warnings
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, update

from .. import audit
from ..accounts.models import User
from ..extensions import db
from ..mail import send_email
from ..money import format_money, to_pence
from ..permissions import Role
from ..timeutil import utcnow
from .models import (AGREED_KINDS, EDITABLE_STATES, FEE_KINDS, MILEAGE_KINDS, RECEIPT_KINDS, TRANSITIONS, Claim, ClaimLine,
                     ClaimNote, ClaimPolicy, ClaimantProfile, ClaimState, LineKind, Notification, PaymentBatch,
                     PaymentPreference, Receipt)
from .pricing import DEFAULT_RATES, price_line, tax_year_start


class ClaimError(ValueError):
    """A change that cannot be made, with a plain-English message; `field` names the form field to flag."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotAllowed(ClaimError):
    """The person may not make this change (shown as 403 by views)."""


class Conflict(ClaimError):
    """Someone else changed the claim first (two clicks, two tabs, two workers)."""


MAX_RECEIPT_BYTES = 10 * 1024 * 1024
MAX_RECEIPT_PIXELS = 40_000_000  # about a 7,000 × 6,000 photo; bigger is a decompression bomb


# ---------------------------------------------------------------- policy

def policy_for(day: date | None) -> ClaimPolicy:
    """The policy version in force on a day (today when None); creates the default version if none exists."""
    day = day or date.today()
    policy = db.session.scalar(select(ClaimPolicy).where(ClaimPolicy.effective_from <= day)
                               .order_by(ClaimPolicy.effective_from.desc()).limit(1))
    if policy is None:
        policy = db.session.scalar(select(ClaimPolicy).order_by(ClaimPolicy.effective_from).limit(1))
    if policy is None:
        policy = ensure_default_policy()
    return policy


def ensure_default_policy() -> ClaimPolicy:
    """The default rates (the service's starting policy), effective from 6 April 2020."""
    policy = db.session.scalar(select(ClaimPolicy).order_by(ClaimPolicy.effective_from).limit(1))
    if policy is None:
        policy = ClaimPolicy(effective_from=date(2020, 4, 6), **DEFAULT_RATES)
        db.session.add(policy)
        db.session.flush()
        audit.record("claims.policy_created", policy, after=DEFAULT_RATES | {"effective_from": policy.effective_from})
        db.session.commit()
    return policy


def policy_values(policy: ClaimPolicy) -> dict:
    """The settings of a version as a dict (for audit and forms)."""
    return {name: getattr(policy, name) for name in DEFAULT_RATES}


def save_policy(*, effective_from: date, values: dict, actor: User) -> ClaimPolicy:
    """Add a policy version from a date (or change one that no sent claim has used yet); audited."""
    if actor.role != Role.COORDINATOR:
        raise NotAllowed("Only coordinators can change the policy")
    unknown = set(values) - set(DEFAULT_RATES)
    if unknown:
        raise ClaimError(f"Unknown settings: {', '.join(sorted(unknown))}")
    for name, value in values.items():
        if name != "approver_may_pay" and (not isinstance(value, int) or value < 0):
            raise ClaimError("Amounts and numbers must be 0 or more", field=name)
    existing = db.session.scalar(select(ClaimPolicy).where(ClaimPolicy.effective_from == effective_from))
    if existing is not None:
        used = db.session.scalar(select(func.count()).select_from(Claim).where(
            Claim.policy_id == existing.id, Claim.state.not_in(EDITABLE_STATES + (ClaimState.WITHDRAWN,))))
        if used:
            raise ClaimError("Sent claims already use the rates from that date. Choose a later date so "
                             "their rates stay the same.", field="effective_from")
        before = policy_values(existing)
        for name, value in values.items():
            setattr(existing, name, value)
        policy = existing
        audit.record("claims.policy_changed", policy, before=before | {"effective_from": effective_from},
                     after=policy_values(policy) | {"effective_from": effective_from}, actor=actor)
    else:
        previous = policy_for(effective_from)
        base = policy_values(previous) if previous else dict(DEFAULT_RATES)
        policy = ClaimPolicy(effective_from=effective_from, created_by_id=actor.id, **(base | values))
        db.session.add(policy)
        db.session.flush()
        audit.record("claims.policy_created", policy, before=base,
                     after=policy_values(policy) | {"effective_from": effective_from}, actor=actor)
    db.session.commit()
    return policy


# ---------------------------------------------------------------- profiles

def get_profile(user: User) -> ClaimantProfile:
    """The contributor's profile, or an unsaved one with the default preference."""
    profile = db.session.get(ClaimantProfile, user.id)
    return profile or ClaimantProfile(user_id=user.id, payment_preference=PaymentPreference.FEE_AND_EXPENSES)


def save_profile(user: User, *, payment_preference: str, payee_reference: str | None, access_needs: str | None,
                 actor: User) -> ClaimantProfile:
    """Save how a contributor wants to be paid (the contributor, or a coordinator or finance for them)."""
    if actor.id != user.id and actor.role not in (Role.COORDINATOR, Role.FINANCE):
        raise NotAllowed("You can only change your own details")
    if user.role != Role.CONTRIBUTOR:
        raise ClaimError("Only contributors have a payment profile")
    profile = db.session.get(ClaimantProfile, user.id)
    before = None
    if profile is None:
        profile = ClaimantProfile(user_id=user.id)
        db.session.add(profile)
    else:
        before = {"payment_preference": profile.payment_preference, "payee_reference": profile.payee_reference,
                  "access_needs": bool(profile.access_needs)}
    profile.payment_preference = PaymentPreference(payment_preference)
    profile.payee_reference = (payee_reference or "").strip() or None
    profile.access_needs = (access_needs or "").strip() or None
    # The access-needs text stays out of the audit log (it may be health information); only whether there is one.
    audit.record("claims.profile_saved", entity_type="ClaimantProfile", entity_id=user.id, before=before,
                 after={"payment_preference": profile.payment_preference,
                        "payee_reference": profile.payee_reference, "access_needs": bool(profile.access_needs)},
                 actor=actor)
    db.session.commit()
    return profile


# ---------------------------------------------------------------- drafts

def parse_quantity(text: str | None, label: str, field: str = "quantity") -> int:
    """A typed number of miles or hours as whole hundredths ('23', '2.5')."""
    cleaned = (text or "").strip().replace(",", "")
    if not cleaned:
        raise ClaimError(f"Enter the number of {label}", field=field)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ClaimError(f"Number of {label} must be a number, like 23 or 2.5", field=field) from None
    if not value.is_finite() or value <= 0:
        raise ClaimError(f"Number of {label} must be more than 0", field=field)
    if value > 100000:
        raise ClaimError(f"Number of {label} must be 100,000 or fewer", field=field)
    hundredths = value * 100
    if hundredths != hundredths.to_integral_value():
        raise ClaimError(f"Number of {label} can have up to 2 numbers after the point", field=field)
    return int(hundredths)


def parse_money(text: str | None, label: str, field: str = "cost") -> int:
    """A typed amount like '£12.50' as pence."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise ClaimError(f"Enter how much the {label} cost", field=field)
    try:
        pence = to_pence(cleaned)
    except (ValueError, InvalidOperation):
        raise ClaimError("Cost must be an amount of money, like 12.50", field=field) from None
    if pence <= 0:
        raise ClaimError("Cost must be more than £0", field=field)
    if pence > 10_000_00:
        raise ClaimError("Cost must be £10,000 or less", field=field)
    return pence


def create_claim(claimant: User, *, actor: User, activity_description: str = "", activity_date: date | None = None,
                 event_id: int | None = None) -> Claim:
    """Start a draft; a coordinator may start one for a contributor (recorded as on their behalf)."""
    if claimant.role != Role.CONTRIBUTOR:
        raise ClaimError("Claims are for contributors", field="claimant")
    if actor.id != claimant.id and actor.role != Role.COORDINATOR:
        raise NotAllowed("You can only start your own claims")
    on_behalf = actor.id != claimant.id
    if event_id is not None:
        from ..communities.models import Event

        event = db.session.get(Event, event_id)
        if event is None:
            raise ClaimError("Choose an event from the list, or describe the activity", field="event")
        # The event names and dates the activity unless the person typed their own words.
        activity_description = activity_description or event.title
        activity_date = activity_date or event.starts_at.date()
    claim = Claim(claimant_id=claimant.id, entered_by_id=actor.id, on_behalf=on_behalf,
                  activity_description=(activity_description or "").strip()[:300],
                  activity_date=activity_date, event_id=event_id, state=ClaimState.DRAFT)
    db.session.add(claim)
    db.session.flush()
    audit.record("claims.claim_started", claim, after={"claimant_id": claimant.id, "on_behalf": on_behalf,
                                                      "activity": claim.activity_description,
                                                      "event_id": event_id}, actor=actor)
    db.session.commit()
    return claim


def _lock_editable(claim: Claim, actor: User) -> None:
    """Refuse edits to claims the actor may not change, and hold the row so approval cannot interleave."""
    if not claim.can_edit(actor):
        if claim.can_view(actor) and not claim.is_editable:
            raise ClaimError("This claim can no longer be changed")
        raise NotAllowed("You cannot change this claim")
    touched = db.session.execute(update(Claim).where(Claim.id == claim.id, Claim.state.in_(EDITABLE_STATES))
                                 .values(updated_at=utcnow())).rowcount
    if touched != 1:
        db.session.rollback()
        raise Conflict("This claim has just been sent or changed. Look at it again.")


def save_activity(claim: Claim, *, actor: User, activity_description: str | None,
                  activity_date: date | None) -> Claim:
    """Save the activity part of a draft (every step saves as you go)."""
    _lock_editable(claim, actor)
    before = {"activity": claim.activity_description, "date": claim.activity_date}
    claim.activity_description = (activity_description or "").strip()[:300]
    claim.activity_date = activity_date
    reprice(claim)
    audit.record("claims.activity_saved", claim, before=before,
                 after={"activity": claim.activity_description, "date": claim.activity_date}, actor=actor)
    db.session.commit()
    return claim


def add_line(claim: Claim, *, actor: User, kind: str, quantity: str | None = None, passengers: str | int | None = 0,
             cost: str | None = None, description: str | None = "", agreed_by: str | None = None,
             agreed_on: date | None = None) -> ClaimLine:
    """Add one item; the service prices it from the policy (the browser never sends an amount)."""
    try:
        kind = LineKind(kind)
    except ValueError:
        raise ClaimError("Choose what you are claiming for", field="kind") from None
    line = ClaimLine(kind=kind, description=(description or "").strip()[:300])
    if kind in FEE_KINDS:
        preference = get_profile(claim.claimant).payment_preference
        if not preference.takes_fee:
            raise ClaimError(f"Your payment choice is '{preference.title}', so you cannot add a fee. "
                             "Change your payment choice first if you want the fee.", field="kind")
        line.quantity_hundredths = (parse_quantity(quantity, "hours", "hours") if kind == LineKind.HOURLY_FEE
                                    else 100)
    elif kind in MILEAGE_KINDS:
        line.quantity_hundredths = parse_quantity(quantity, "miles", "miles")
        if kind == LineKind.CAR_MILES:
            try:
                line.passengers = int(str(passengers or 0).strip() or 0)
            except ValueError:
                raise ClaimError("Passengers must be a whole number, like 0 or 1", field="passengers") from None
            if not 0 <= line.passengers <= 8:
                raise ClaimError("Passengers must be between 0 and 8", field="passengers")
    else:
        line.quantity_hundredths = 100
        line.cost_pence = parse_money(cost, "item", "cost")
        if kind in AGREED_KINDS:
            if not (agreed_by or "").strip():
                raise ClaimError("Enter who agreed this cost before the activity", field="agreed_by")
            if agreed_on is None:
                raise ClaimError("Enter the date it was agreed", field="agreed_on")
            if claim.activity_date and agreed_on > claim.activity_date:
                raise ClaimError("The date it was agreed must be on or before the day of the activity",
                                 field="agreed_on")
            line.agreed_by = agreed_by.strip()[:120]
            line.agreed_on = agreed_on
    _lock_editable(claim, actor)
    claim.lines.append(line)
    reprice(claim)
    db.session.flush()
    audit.record("claims.line_added", claim, after={"line_id": line.id, "kind": kind, "quantity": line.quantity,
                                                    "cost_pence": line.cost_pence, "amount_pence": line.amount_pence,
                                                    "agreed_by": line.agreed_by, "agreed_on": line.agreed_on},
                 actor=actor)
    db.session.commit()
    return line


def remove_line(claim: Claim, line_id: int, *, actor: User) -> None:
    """Take an item off a draft."""
    line = next((line for line in claim.lines if line.id == line_id), None)
    if line is None:
        raise ClaimError("That item is not on this claim")
    _lock_editable(claim, actor)
    claim.lines.remove(line)
    reprice(claim)
    audit.record("claims.line_removed", claim, before={"line_id": line_id, "kind": line.kind,
                                                       "amount_pence": line.amount_pence}, actor=actor)
    db.session.commit()


def car_miles_before(claim: Claim) -> int:
    """Car miles (hundredths) on the contributor's earlier sent claims in the same tax year."""
    if claim.activity_date is None:
        return 0
    start = tax_year_start(claim.activity_date)
    counted = (ClaimState.SUBMITTED, ClaimState.QUERIED, ClaimState.APPROVED, ClaimState.PAID)
    earlier = (Claim.activity_date < claim.activity_date) | (
        (Claim.activity_date == claim.activity_date) & (Claim.id < claim.id))
    return db.session.scalar(
        select(func.coalesce(func.sum(ClaimLine.quantity_hundredths), 0)).join(Claim).where(
            Claim.claimant_id == claim.claimant_id, Claim.id != claim.id, Claim.state.in_(counted),
            ClaimLine.kind == LineKind.CAR_MILES, Claim.activity_date >= start, earlier)) or 0


def reprice(claim: Claim) -> None:
    """Price every line from the policy in force on the activity date and set the total."""
    policy = policy_for(claim.activity_date)
    claim.policy_id = policy.id
    miles = car_miles_before(claim)
    total = 0
    for line in claim.lines:
        priced = price_line(line.kind, line.quantity_hundredths, line.passengers, line.cost_pence, policy, miles)
        if line.kind == LineKind.CAR_MILES:
            miles += line.quantity_hundredths
        line.amount_pence = priced.amount_pence
        line.pricing_note = priced.note[:200]
        total += priced.amount_pence
    claim.total_pence = total


# ---------------------------------------------------------------- receipts

def check_receipt(data: bytes, filename: str) -> tuple[bytes, str, str]:
    """Check a receipt by its content (PDF, JPEG or PNG), refuse big files and pixel bombs, strip image metadata."""
    import filetype
    from PIL import Image, ImageOps

    if len(data) == 0:
        raise ClaimError("The file is empty. Choose a photo or PDF of the receipt", field="receipt")
    if len(data) > MAX_RECEIPT_BYTES:
        raise ClaimError("The file must be smaller than 10 MB", field="receipt")
    if data[:5] == b"%PDF-":
        if b"%%EOF" not in data[-2048:]:
            raise ClaimError("The PDF looks damaged. Try saving it again", field="receipt")
        return data, "application/pdf", "pdf"
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ("image/jpeg", "image/png"):
        raise ClaimError("The file must be a PDF, JPG or PNG", field="receipt")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_RECEIPT_PIXELS:
                    raise ClaimError("The picture is too big. Take a smaller photo", field="receipt")
                image.load()
                clean = ImageOps.exif_transpose(image)
                if clean.mode not in ("RGB", "L") and kind.extension == "jpg":
                    clean = clean.convert("RGB")
                out = io.BytesIO()
                # Saving without exif or info drops GPS and camera metadata.
                if kind.extension == "jpg":
                    clean.save(out, "JPEG", quality=88)
                else:
                    clean.save(out, "PNG", optimize=True)
    except ClaimError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ClaimError("The picture is too big. Take a smaller photo", field="receipt") from None
    except Exception:  # Pillow raises many kinds for broken files; all mean the same to the user
        raise ClaimError("The picture could not be opened. Try taking it again", field="receipt") from None
    return out.getvalue(), kind.mime, kind.extension


def receipts_folder() -> Path:
    """Where receipts live: UPLOAD_FOLDER/receipts, outside the web root."""
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "receipts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def add_receipt(claim: Claim, *, actor: User, data: bytes, filename: str) -> Receipt:
    """Check, clean and store a receipt under a random name."""
    cleaned, mime, extension = check_receipt(data, filename)
    _lock_editable(claim, actor)
    stored = secrets.token_hex(16)
    path = receipts_folder() / stored
    _store_file(path, cleaned)
    safe_name = "".join(c for c in Path(filename or "receipt").stem if c.isalnum() or c in " -_")[:80].strip()
    receipt = Receipt(claim_id=claim.id, stored_name=stored, original_name=f"{safe_name or 'receipt'}.{extension}",
                      content_type=mime, size_bytes=len(cleaned), uploaded_by_id=actor.id)
    db.session.add(receipt)
    try:
        db.session.flush()
        audit.record("claims.receipt_added", claim, after={"receipt_id": receipt.id, "type": mime,
                                                           "bytes": len(cleaned)}, actor=actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise
    return receipt


def _store_file(path: Path, data: bytes) -> None:
    """Write a whole file or nothing: a full disk leaves no half-written receipt behind, and says so."""
    partial = path.with_name(path.name + ".partial")
    try:
        with open(partial, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        current_app.logger.error("Could not store a receipt: %s", error)
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise ClaimError("The receipt could not be saved because the service has run out of storage space. "
                             "Nothing was stored. Try again later, and tell your coordinator.", field="receipt") from error
        raise ClaimError("The receipt could not be saved just now. Nothing was stored. Try again later.",
                         field="receipt") from error


def receipt_path(receipt: Receipt) -> Path:
    """The stored file for a receipt."""
    return receipts_folder() / receipt.stored_name


# ---------------------------------------------------------------- workflow

def check_ready(claim: Claim) -> None:
    """Everything a claim needs before it is sent; the first problem is raised."""
    if not claim.activity_description:
        raise ClaimError("Enter what the activity was", field="activity_description")
    if claim.activity_date is None:
        raise ClaimError("Enter the date of the activity", field="activity_date")
    if claim.activity_date > date.today():
        raise ClaimError("The date of the activity must be today or in the past", field="activity_date")
    if not claim.lines:
        raise ClaimError("Add at least one thing you are claiming for", field="kind")
    preference = get_profile(claim.claimant).payment_preference
    if not preference.takes_fee and any(line.kind in FEE_KINDS for line in claim.lines):
        raise ClaimError(f"Your payment choice is '{preference.title}'. Remove the fee or change your choice.",
                         field="kind")
    if any(line.kind in RECEIPT_KINDS for line in claim.lines) and not claim.receipts:
        raise ClaimError("Add a photo or PDF of your receipt or ticket", field="receipt")
    for line in claim.lines:
        if line.kind in AGREED_KINDS and line.agreed_on and line.agreed_on > claim.activity_date:
            raise ClaimError(f"{line.kind.title}: it must be agreed on or before the day of the activity",
                             field="agreed_on")


CHANGE_ACTIONS = ("claims.activity_saved", "claims.line_added", "claims.line_removed", "claims.receipt_added")


def _changed_by(claim: Claim, actor: User) -> bool:
    """Whether this person changed the claim's contents (the audit log is the record of who did)."""
    from ..audit import AuditEntry

    return db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.entity_type == "Claim", AuditEntry.entity_id == str(claim.id),
        AuditEntry.actor_id == actor.id, AuditEntry.action.in_(CHANGE_ACTIONS)).limit(1)) is not None


def _may(claim: Claim, action: str, actor: User) -> None:
    """Permission and separation-of-duties checks for one transition."""
    rule = TRANSITIONS[action]
    if actor.role not in rule.roles or not claim.can_view(actor):
        raise NotAllowed("You cannot do that to this claim")
    if action in ("submit", "withdraw"):
        if actor.id != claim.claimant_id and not (actor.role == Role.COORDINATOR and claim.on_behalf):
            raise NotAllowed("Only the person claiming can do that")
    if action == "approve" and (actor.id in (claim.claimant_id, claim.entered_by_id if claim.on_behalf else None)
                                or _changed_by(claim, actor)):
        raise NotAllowed("You cannot approve a claim you made, entered or changed. Ask another coordinator.")
    if action == "pay":
        if actor.id == claim.claimant_id:
            raise NotAllowed("You cannot pay your own claim")
        if actor.id == claim.approved_by_id and not policy_for(None).approver_may_pay:
            raise NotAllowed("The person who approved a claim cannot also pay it")


STATE_MESSAGES = {
    ClaimState.SUBMITTED: "We have your claim {ref}. We aim to pay it by {due}.",
    ClaimState.QUERIED: "We have a question about claim {ref}. Please answer it so we can pay you.",
    ClaimState.APPROVED: "Claim {ref} is approved. Finance will pay it soon.",
    ClaimState.REJECTED: "Claim {ref} was not approved. Look at the claim to see why.",
    ClaimState.WITHDRAWN: "You withdrew claim {ref}.",
    ClaimState.PAID: "Claim {ref} has been paid: {total}.",
}


def _notify(claim: Claim, state: ClaimState) -> None:
    from .queries import due_date

    due = due_date(claim)
    message = STATE_MESSAGES[state].format(ref=claim.reference, total=format_money(claim.total_pence),
                                           due=f"{due.day} {due:%B %Y}" if due else "soon")
    db.session.add(Notification(user_id=claim.claimant_id, claim_id=claim.id, message=message))
    return message


def transition(claim: Claim, action: str, *, actor: User, text: str | None = None, declared: bool = False,
               notify: bool = True) -> Claim:
    """Move a claim along the one transition table: check, conditional update, audit, notify, commit."""
    rule = TRANSITIONS.get(action)
    if rule is None:
        raise ClaimError("Unknown action")
    db.session.refresh(claim)
    if claim.state not in rule.sources:
        raise Conflict(f"This claim is '{claim.state.title}', so it cannot be changed that way now.")
    _may(claim, action, actor)
    now = utcnow()
    values: dict = {"state": rule.target, "updated_at": now}
    text = (text or "").strip()
    if action == "submit":
        if not declared:
            raise ClaimError("Tick the box to say the claim is true", field="declaration")
        check_ready(claim)
        reprice(claim)
        values |= {"submitted_at": now, "declared_at": now, "total_pence": claim.total_pence,
                   "policy_id": claim.policy_id, "first_submitted_at": claim.first_submitted_at or now}
    elif action in ("query", "reject"):
        if not text:
            raise ClaimError("Enter your question" if action == "query" else "Enter the reason, which the "
                             "contributor will see", field="text")
        if action == "reject":
            values |= {"rejection_reason": text, "closed_at": now}
    elif action == "approve":
        values |= {"approved_at": now, "approved_by_id": actor.id}
    elif action == "withdraw":
        values |= {"closed_at": now}
    elif action == "pay":
        values |= {"paid_at": now, "paid_by_id": actor.id, "closed_at": now}
    before_state = claim.state
    changed = db.session.execute(update(Claim).where(Claim.id == claim.id, Claim.state == before_state)
                                 .values(**values)).rowcount
    if changed != 1:
        db.session.rollback()
        raise Conflict("Someone else changed this claim at the same time. Look at it again.")
    if action == "submit" and before_state == ClaimState.QUERIED and text:
        db.session.add(ClaimNote(claim_id=claim.id, author_id=actor.id, kind="answer", text=text))
    elif action in ("query", "reject"):
        db.session.add(ClaimNote(claim_id=claim.id, author_id=actor.id,
                                 kind="query" if action == "query" else "rejection", text=text))
    audit.record(f"claims.{action}", claim, before={"state": before_state},
                 after={"state": rule.target, "total_pence": claim.total_pence, "text": text or None}, actor=actor)
    db.session.flush()
    db.session.refresh(claim)
    message = _notify(claim, rule.target) if notify and action != "withdraw" else None
    db.session.commit()
    if message:
        send_email(claim.claimant.email, f"Your claim {claim.reference}", f"Hello {claim.claimant.name},\n\n{message}\n")
    return claim


def submit_claim(claim, *, actor, declared, answer=None):
    """Send a draft, or resend a queried claim with an answer."""
    if claim.state == ClaimState.QUERIED and not (answer or "").strip():
        raise ClaimError("Answer the question before you send the claim again", field="answer")
    return transition(claim, "submit", actor=actor, declared=declared, text=answer)


def query_claim(claim, *, actor, question):
    """Ask the contributor a question; they answer and resend."""
    return transition(claim, "query", actor=actor, text=question)


def approve_claim(claim, *, actor):
    """Approve a sent claim (never your own)."""
    return transition(claim, "approve", actor=actor)


def reject_claim(claim, *, actor, reason):
    """Refuse a claim with a reason the contributor sees."""
    return transition(claim, "reject", actor=actor, text=reason)


def withdraw_claim(claim, *, actor):
    """The contributor takes back a claim before it is approved."""
    return transition(claim, "withdraw", actor=actor)


def pay_claim(claim, *, actor):
    """Mark one approved claim paid (exactly once, however many clicks or workers)."""
    return transition(claim, "pay", actor=actor)


def mark_read(user: User) -> None:
    """Mark the contributor's notifications as read."""
    db.session.execute(update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
                       .values(read_at=utcnow()))
    db.session.commit()


# ---------------------------------------------------------------- payment batches

def create_batch(*, actor: User, claim_ids: list[int] | None = None) -> PaymentBatch:
    """Put approved claims not yet in a batch into a new batch (all of them, or the chosen ones)."""
    if actor.role != Role.FINANCE:
        raise NotAllowed("Only finance can build payment batches")
    query = select(Claim.id).where(Claim.state == ClaimState.APPROVED, Claim.batch_id.is_(None))
    if claim_ids is not None:
        query = query.where(Claim.id.in_(claim_ids))
    ids = list(db.session.scalars(query))
    if not ids:
        raise ClaimError("There are no approved claims to pay", field="claims")
    batch = PaymentBatch(created_by_id=actor.id)
    db.session.add(batch)
    db.session.flush()
    added = db.session.execute(update(Claim).where(Claim.id.in_(ids), Claim.state == ClaimState.APPROVED,
                                                   Claim.batch_id.is_(None)).values(batch_id=batch.id)).rowcount
    if added != len(ids):
        db.session.rollback()
        raise Conflict("Someone else changed these claims at the same time. Try again.")
    audit.record("claims.batch_created", batch, after={"claim_ids": ids}, actor=actor)
    db.session.commit()
    return batch


def mark_batch_paid(batch: PaymentBatch, *, actor: User) -> bool:
    """Mark a batch and its claims paid; a second call changes nothing (returns False)."""
    if actor.role != Role.FINANCE:
        raise NotAllowed("Only finance can mark payments")
    db.session.refresh(batch)
    if batch.state == "paid":
        return False
    for claim in batch.claims:
        _may(claim, "pay", actor)
    now = utcnow()
    won = db.session.execute(update(PaymentBatch).where(PaymentBatch.id == batch.id, PaymentBatch.state == "open")
                             .values(state="paid", paid_at=now, paid_by_id=actor.id)).rowcount
    if won != 1:
        db.session.rollback()
        return False
    ids = [claim.id for claim in batch.claims]
    paid = db.session.execute(update(Claim).where(Claim.batch_id == batch.id, Claim.state == ClaimState.APPROVED)
                              .values(state=ClaimState.PAID, paid_at=now, paid_by_id=actor.id, closed_at=now,
                                      updated_at=now)).rowcount
    if paid != len(ids):
        db.session.rollback()
        raise Conflict("Some claims in this batch changed at the same time. Look at the batch again.")
    audit.record("claims.batch_paid", batch, after={"claim_ids": ids, "total_pence": batch.total_pence}, actor=actor)
    messages = []
    for claim in batch.claims:
        audit.record("claims.pay", claim, before={"state": ClaimState.APPROVED},
                     after={"state": ClaimState.PAID, "batch_id": batch.id}, actor=actor)
        db.session.refresh(claim)
        messages.append((claim, _notify(claim, ClaimState.PAID)))
    db.session.commit()
    for claim, message in messages:
        send_email(claim.claimant.email, f"Your claim {claim.reference}", f"Hello {claim.claimant.name},\n\n{message}\n")
    return True
