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
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from .. import audit, errors
from ..accounts.models import User
from ..communities.models import Person
from ..errors import OperationError
from ..extensions import db
from ..mail import queue_email
from ..money import MoneyError, format_money, parse_pence
from ..permissions import Role
from ..timeutil import to_uk, utcnow
from .models import (
    AGREED_KINDS,
    EDITABLE_STATES,
    FEE_KINDS,
    MILEAGE_KINDS,
    RECEIPT_KINDS,
    TRANSITIONS,
    BatchCounter,
    Claim,
    ClaimantProfile,
    ClaimChange,
    ClaimLine,
    ClaimNote,
    ClaimPolicy,
    ClaimState,
    LineKind,
    Notification,
    PaymentBatch,
    PaymentPreference,
    PersonPaymentProfile,
    Receipt,
    Transition,
)
from .pricing import DEFAULT_RATES, SETTINGS_BY_NAME, price_line, tax_year_start


class ClaimError(OperationError):
    """A change that cannot be made, with a plain-English message; `field` names the form field to flag."""


class NotAllowed(ClaimError, errors.NotAllowed):
    """The person may not make this change (403 when it reaches the app-wide handler)."""


class Conflict(ClaimError, errors.Conflict):
    """Someone else changed the claim first (two clicks, two tabs, two workers): 409."""


MAX_RECEIPT_BYTES = 10 * 1024 * 1024
MAX_RECEIPT_PIXELS = 40_000_000  # about a 7,000 × 6,000 photo; bigger is a decompression bomb


# ---------------------------------------------------------------- policy


def policy_for(day: date | None) -> ClaimPolicy:
    """The policy version in force on a day (today when None); creates the default version if none exists."""
    day = day or date.today()
    policy = db.session.scalar(
        select(ClaimPolicy)
        .where(ClaimPolicy.effective_from <= day)
        .order_by(ClaimPolicy.effective_from.desc())
        .limit(1)
    )
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
        try:
            SETTINGS_BY_NAME[name].check(value)
        except ValueError as error:
            raise ClaimError(str(error), field=name) from None
    existing = db.session.scalar(select(ClaimPolicy).where(ClaimPolicy.effective_from == effective_from))
    if existing is not None:
        used = db.session.scalar(
            select(func.count())
            .select_from(Claim)
            .where(Claim.policy_id == existing.id, Claim.state.not_in(EDITABLE_STATES + (ClaimState.WITHDRAWN,)))
        )
        if used:
            raise ClaimError(
                "Sent claims already use the rates from that date. Choose a later date so their rates stay the same.",
                field="effective_from",
            )
        before = policy_values(existing)
        for name, value in values.items():
            setattr(existing, name, value)
        policy = existing
        audit.record(
            "claims.policy_changed",
            policy,
            before=before | {"effective_from": effective_from},
            after=policy_values(policy) | {"effective_from": effective_from},
            actor=actor,
        )
    else:
        previous = policy_for(effective_from)
        base = policy_values(previous) if previous else dict(DEFAULT_RATES)
        policy = ClaimPolicy(effective_from=effective_from, created_by_id=actor.id, **(base | values))
        db.session.add(policy)
        db.session.flush()
        audit.record(
            "claims.policy_created",
            policy,
            before=base,
            after=policy_values(policy) | {"effective_from": effective_from},
            actor=actor,
        )
    db.session.commit()
    return policy


# ---------------------------------------------------------------- profiles


def get_profile(user: User) -> ClaimantProfile:
    """The contributor's profile, or an unsaved one with the default preference."""
    profile = db.session.get(ClaimantProfile, user.id)
    return profile or ClaimantProfile(user_id=user.id, payment_preference=PaymentPreference.FEE_AND_EXPENSES)


def _profile_view(profile) -> dict:
    """What the audit log keeps of a payment profile: the access-needs text stays out of it (it may be health
    information), only whether there is one."""
    return {
        "payment_preference": profile.payment_preference,
        "payee_reference": profile.payee_reference,
        "access_needs": bool(profile.access_needs),
    }


def save_profile(
    user: User, *, payment_preference: str, payee_reference: str | None, access_needs: str | None, actor: User
) -> ClaimantProfile:
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
        before = _profile_view(profile)
    profile.payment_preference = PaymentPreference(payment_preference)
    profile.payee_reference = (payee_reference or "").strip() or None
    profile.access_needs = (access_needs or "").strip() or None
    audit.record(
        "claims.profile_saved",
        entity_type="ClaimantProfile",
        entity_id=user.id,
        before=before,
        after=_profile_view(profile),
        actor=actor,
    )
    db.session.commit()
    return profile


def get_person_profile(person: Person) -> PersonPaymentProfile:
    """How someone without an account wants to be paid, or an unsaved default."""
    profile = db.session.get(PersonPaymentProfile, person.id)
    return profile or PersonPaymentProfile(person_id=person.id, payment_preference=PaymentPreference.FEE_AND_EXPENSES)


def payment_profile(claim: Claim):
    """The payment choice and payee reference that apply to a claim's claimant (account or person record)."""
    if claim.claimant is not None:
        return get_profile(claim.claimant)
    return get_person_profile(claim.person)


def save_person_profile(
    person: Person, *, payment_preference: str, payee_reference: str | None, access_needs: str | None, actor: User
) -> PersonPaymentProfile:
    """Record how someone without an account wants to be paid (a coordinator or finance, told by phone or paper)."""
    if actor.role not in (Role.COORDINATOR, Role.FINANCE):
        raise NotAllowed("Only coordinators and finance can record someone's payment details")
    if person.user_id is not None and db.session.get(User, person.user_id) is not None:
        user = db.session.get(User, person.user_id)
        if user.role == Role.CONTRIBUTOR:
            save_profile(
                user,
                payment_preference=payment_preference,
                payee_reference=payee_reference,
                access_needs=access_needs,
                actor=actor,
            )
            return get_person_profile(person)
    profile = db.session.get(PersonPaymentProfile, person.id)
    before = None
    if profile is None:
        profile = PersonPaymentProfile(person_id=person.id)
        db.session.add(profile)
    else:
        before = _profile_view(profile)
    try:
        profile.payment_preference = PaymentPreference(payment_preference)
    except ValueError:
        raise ClaimError("Choose how they want to be paid", field="payment_preference") from None
    profile.payee_reference = (payee_reference or "").strip()[:60] or None
    profile.access_needs = (access_needs or "").strip() or None
    audit.record(
        "claims.person_profile_saved",
        entity_type="Person",
        entity_id=person.id,
        before=before,
        after=_profile_view(profile),
        actor=actor,
    )
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
    """A typed amount like '£12.50' as pence (strict: at most 2 decimal places, commas only between thousands)."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise ClaimError(f"Enter how much the {label} cost", field=field)
    if not any(c.isdigit() for c in cleaned):
        raise ClaimError("Cost must be an amount of money, like 12.50", field=field)
    try:
        pence = parse_pence(cleaned)
    except MoneyError as error:
        raise ClaimError(f"Cost: {error}", field=field) from None
    if pence <= 0:
        raise ClaimError("Cost must be more than £0", field=field)
    if pence > 10_000_00:
        raise ClaimError("Cost must be £10,000 or less", field=field)
    return pence


def _account_for(person: Person) -> User | None:
    """The contributor account linked to a person record, if there is one."""
    user = db.session.get(User, person.user_id) if person.user_id else None
    return user if user is not None and user.role == Role.CONTRIBUTOR else None


def create_claim(
    claimant: User | Person,
    *,
    actor: User,
    activity_description: str = "",
    activity_date: date | None = None,
    event_id: int | None = None,
) -> Claim:
    """Start a claim once the activity is valid; a coordinator may start one for any contributor or person record
    (recorded as on their behalf). A person without an account is named by their person record."""
    person = None
    if isinstance(claimant, Person):
        person = claimant
        if actor.role != Role.COORDINATOR:
            raise NotAllowed("Only coordinators can claim for someone in the people records")
        claimant = _account_for(person)
    else:
        if claimant.role != Role.CONTRIBUTOR:
            raise ClaimError("Claims are for contributors", field="claimant")
        person = db.session.scalar(select(Person).where(Person.user_id == claimant.id))
    if claimant is not None and actor.id != claimant.id and actor.role != Role.COORDINATOR:
        raise NotAllowed("You can only start your own claims")
    on_behalf = claimant is None or actor.id != claimant.id
    if event_id is not None:
        from ..communities.models import Event

        event = db.session.get(Event, event_id)
        if event is None:
            raise ClaimError("Choose an event from the list, or describe the activity", field="event")
        # The event names and dates the activity unless the person typed their own words.
        activity_description = activity_description or event.title
        activity_date = activity_date or event.starts_at.date()
    # No claim exists until the activity is valid: no blank, nameless £0.00 drafts in anyone's list.
    if not (activity_description or "").strip():
        raise ClaimError("Enter what the activity was, or choose the event", field="activity_description")
    if activity_date is None:
        raise ClaimError("Enter the date of the activity", field="activity_date")
    if activity_date > date.today():
        raise ClaimError("The date of the activity must be today or in the past", field="activity_date")
    claim = Claim(
        claimant_id=claimant.id if claimant else None,
        person_id=person.id if person else None,
        entered_by_id=actor.id,
        on_behalf=on_behalf,
        activity_description=(activity_description or "").strip()[:300],
        activity_date=activity_date,
        event_id=event_id,
        state=ClaimState.DRAFT,
    )
    db.session.add(claim)
    db.session.flush()
    audit.record(
        "claims.claim_started",
        claim,
        after={
            "claimant_id": claimant.id if claimant else None,
            "person_id": person.id if person else None,
            "on_behalf": on_behalf,
            "activity": claim.activity_description,
            "event_id": event_id,
        },
        actor=actor,
    )
    db.session.commit()
    return claim


def _lock_editable(claim: Claim, actor: User) -> None:
    """Refuse edits to claims the actor may not change, and hold the row so approval cannot interleave."""
    if not claim.can_edit(actor):
        if claim.can_view(actor) and not claim.is_editable:
            raise ClaimError("This claim can no longer be changed")
        raise NotAllowed("You cannot change this claim")
    touched = db.session.execute(
        update(Claim).where(Claim.id == claim.id, Claim.state.in_(EDITABLE_STATES)).values(updated_at=utcnow())
    ).rowcount
    if touched != 1:
        db.session.rollback()
        raise Conflict("This claim has just been sent or changed. Look at it again.")
    # The explicit record of who changed this claim (separation of duties reads it).
    if db.session.get(ClaimChange, (claim.id, actor.id)) is None:
        db.session.add(ClaimChange(claim_id=claim.id, user_id=actor.id))


def save_activity(claim: Claim, *, actor: User, activity_description: str | None, activity_date: date | None) -> Claim:
    """Save the activity part of a draft (every step saves as you go)."""
    _lock_editable(claim, actor)
    before = {"activity": claim.activity_description, "date": claim.activity_date}
    claim.activity_description = (activity_description or "").strip()[:300]
    claim.activity_date = activity_date
    reprice(claim)
    audit.record(
        "claims.activity_saved",
        claim,
        before=before,
        after={"activity": claim.activity_description, "date": claim.activity_date},
        actor=actor,
    )
    db.session.commit()
    return claim


def add_line(
    claim: Claim,
    *,
    actor: User,
    kind: str,
    quantity: str | None = None,
    passengers: str | int | None = 0,
    cost: str | None = None,
    description: str | None = "",
    agreed_by: str | None = None,
    agreed_on: date | None = None,
) -> ClaimLine:
    """Add one item; the service prices it from the policy (the browser never sends an amount)."""
    try:
        kind = LineKind(kind)
    except ValueError:
        raise ClaimError("Choose what you are claiming for", field="kind") from None
    line = ClaimLine(kind=kind, description=(description or "").strip()[:300])
    if kind in FEE_KINDS:
        preference = payment_profile(claim).payment_preference
        if not preference.takes_fee:
            whose = "Your" if actor.id == claim.claimant_id else f"{claim.first_name}'s"
            raise ClaimError(
                f"{whose} payment choice is '{preference.title}', so you cannot add a fee. "
                "Change the payment choice first if the fee is wanted.",
                field="kind",
            )
        line.quantity_hundredths = parse_quantity(quantity, "hours", "hours") if kind == LineKind.HOURLY_FEE else 100
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
                raise ClaimError(
                    "The date it was agreed must be on or before the day of the activity", field="agreed_on"
                )
            line.agreed_by = agreed_by.strip()[:120]
            line.agreed_on = agreed_on
    _lock_editable(claim, actor)
    claim.lines.append(line)
    reprice(claim)
    db.session.flush()
    audit.record(
        "claims.line_added",
        claim,
        after={
            "line_id": line.id,
            "kind": kind,
            "quantity": line.quantity,
            "cost_pence": line.cost_pence,
            "amount_pence": line.amount_pence,
            "agreed_by": line.agreed_by,
            "agreed_on": line.agreed_on,
        },
        actor=actor,
    )
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
    audit.record(
        "claims.line_removed",
        claim,
        before={"line_id": line_id, "kind": line.kind, "amount_pence": line.amount_pence},
        actor=actor,
    )
    db.session.commit()


def car_miles_before(claim: Claim) -> int:
    """Car miles (hundredths) on the contributor's earlier sent claims in the same tax year."""
    if claim.activity_date is None:
        return 0
    start = tax_year_start(claim.activity_date)
    counted = (ClaimState.SUBMITTED, ClaimState.QUERIED, ClaimState.APPROVED, ClaimState.PAID)
    earlier = (Claim.activity_date < claim.activity_date) | (
        (Claim.activity_date == claim.activity_date) & (Claim.id < claim.id)
    )
    same_claimant = (
        (Claim.claimant_id == claim.claimant_id) if claim.claimant_id else (Claim.person_id == claim.person_id)
    )
    return (
        db.session.scalar(
            select(func.coalesce(func.sum(ClaimLine.quantity_hundredths), 0))
            .join(Claim)
            .where(
                same_claimant,
                Claim.id != claim.id,
                Claim.state.in_(counted),
                ClaimLine.kind == LineKind.CAR_MILES,
                Claim.activity_date >= start,
                earlier,
            )
        )
        or 0
    )


def reprice(claim: Claim) -> None:
    """Price every line from the policy in force on the activity date and set the total."""
    policy = policy_for(claim.activity_date)
    claim.policy_id = policy.id
    miles = car_miles_before(claim)
    total = fees = 0
    for line in claim.lines:
        priced = price_line(line.kind, line.quantity_hundredths, line.passengers, line.cost_pence, policy, miles)
        if line.kind == LineKind.CAR_MILES:
            miles += line.quantity_hundredths
        line.amount_pence = priced.amount_pence
        line.pricing_note = priced.note[:200]
        total += priced.amount_pence
        fees += priced.amount_pence if line.kind in FEE_KINDS else 0
    claim.total_pence = total
    claim.fee_pence = fees
    claim.expenses_pence = total - fees


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


def add_receipt(claim: Claim, *, actor: User, data: bytes, filename: str, line_id: int | None = None) -> Receipt:
    """Check, clean and store a receipt under a random name, attached to the item it supports."""
    if line_id is None:
        needing = [line for line in claim.lines if line.kind in RECEIPT_KINDS and not line.receipts]
        line_id = needing[0].id if len(needing) == 1 else None
    elif not any(line.id == line_id for line in claim.lines):
        raise ClaimError("Choose which item the receipt is for", field="receipt_for")
    cleaned, mime, extension = check_receipt(data, filename)
    _lock_editable(claim, actor)
    stored = secrets.token_hex(16)
    path = receipts_folder() / stored
    _store_file(path, cleaned)
    safe_name = "".join(c for c in Path(filename or "receipt").stem if c.isalnum() or c in " -_")[:80].strip()
    receipt = Receipt(
        claim_id=claim.id,
        stored_name=stored,
        original_name=f"{safe_name or 'receipt'}.{extension}",
        content_type=mime,
        size_bytes=len(cleaned),
        uploaded_by_id=actor.id,
        line_id=line_id,
    )
    db.session.add(receipt)
    try:
        db.session.flush()
        audit.record(
            "claims.receipt_added",
            claim,
            after={"receipt_id": receipt.id, "type": mime, "bytes": len(cleaned), "line_id": line_id},
            actor=actor,
        )
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
            raise ClaimError(
                "The receipt could not be saved because the service has run out of storage space. "
                "Nothing was stored. Try again later, and tell your coordinator.",
                field="receipt",
            ) from error
        raise ClaimError(
            "The receipt could not be saved just now. Nothing was stored. Try again later.", field="receipt"
        ) from error


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
    preference = payment_profile(claim).payment_preference
    if not preference.takes_fee and any(line.kind in FEE_KINDS for line in claim.lines):
        raise ClaimError(
            f"The payment choice is '{preference.title}'. Remove the fee or change the choice.", field="kind"
        )
    if any(line.kind in RECEIPT_KINDS for line in claim.lines) and not claim.receipts:
        raise ClaimError("Add a photo or PDF of your receipt or ticket", field="receipt")
    # Each item that needs a receipt has its own (receipts from before items had them count for any item).
    loose = any(receipt.line_id is None for receipt in claim.receipts)
    for line in claim.lines:
        if line.kind in RECEIPT_KINDS and not line.receipts and not loose:
            raise ClaimError(f"Add a photo or PDF of the receipt or ticket for: {line.kind.title}", field="receipt")
    for line in claim.lines:
        if line.kind in AGREED_KINDS and line.agreed_on and line.agreed_on > claim.activity_date:
            raise ClaimError(
                f"{line.kind.title}: it must be agreed on or before the day of the activity", field="agreed_on"
            )


def changed_by(claim: Claim, actor: User) -> bool:
    """Whether this person changed the claim's contents (from the explicit ClaimChange record)."""
    return db.session.get(ClaimChange, (claim.id, actor.id)) is not None


SOD_MESSAGE = "You cannot approve a claim you made, entered or changed"


def refusal(claim: Claim, action: str, actor: User, approver_may_pay: bool | None = None) -> str | None:
    """Why this person may not make this move now (None when they may): pages show it, operations enforce it."""
    rule = TRANSITIONS[action]
    if actor.role not in rule.roles or not claim.can_view(actor):
        return "You cannot do that to this claim"
    if claim.state not in rule.sources:
        return f"This claim is '{claim.state.title}', so it cannot be changed that way now."
    if action in ("submit", "withdraw") and (
        actor.id != claim.claimant_id and not (actor.role == Role.COORDINATOR and claim.on_behalf)
    ):
        return "Only the person claiming can do that"
    if action == "approve":
        if actor.id == claim.claimant_id:
            return f"{SOD_MESSAGE}: this is your own claim, so another coordinator must approve it."
        if claim.on_behalf and actor.id == claim.entered_by_id:
            return f"{SOD_MESSAGE}: you entered this claim, so another coordinator must approve it."
        if changed_by(claim, actor):
            return f"{SOD_MESSAGE}: you changed this claim, so another coordinator must approve it."
    if action == "pay":
        if actor.id == claim.claimant_id:
            return "You cannot pay your own claim"
        if approver_may_pay is None:
            approver_may_pay = policy_for(None).approver_may_pay
        if actor.id == claim.approved_by_id and not approver_may_pay:
            return "The person who approved a claim cannot also pay it"
    return None


def _may(claim: Claim, action: str, actor: User, approver_may_pay: bool | None = None) -> None:
    """Permission and separation-of-duties checks for one transition."""
    reason = refusal(claim, action, actor, approver_may_pay)
    if reason and claim.state in TRANSITIONS[action].sources:
        raise NotAllowed(reason)


# ---------------------------------------------------------------- plausibility

MILES_WARNING = 500


def plausibility_warnings(claim: Claim) -> list[str]:
    """Things a coordinator must look at and acknowledge before approving (none stop a claim on their own)."""
    warnings = []
    sent = to_uk(claim.submitted_at).date() if claim.submitted_at else date.today()
    if claim.activity_date and claim.activity_date > sent:
        warnings.append(f"The activity date ({claim.activity_date:%d %B %Y}) is after the claim was sent.")
    miles = sum(line.quantity_hundredths for line in claim.lines if line.kind in MILEAGE_KINDS) / 100
    if miles > MILES_WARNING:
        warnings.append(f"The claim has {miles:,.0f} miles, more than {MILES_WARNING} in one claim.")
    day_share = {LineKind.FULL_DAY_FEE: Decimal(1), LineKind.HALF_DAY_FEE: Decimal("0.5")}
    days = sum(
        (Decimal(line.quantity_hundredths) / 100 * day_share.get(line.kind, 0) for line in claim.lines), Decimal(0)
    )
    hours = sum(
        (Decimal(line.quantity_hundredths) / 100 for line in claim.lines if line.kind == LineKind.HOURLY_FEE),
        Decimal(0),
    )
    if claim.activity_date and (claim.claimant_id or claim.person_id):
        same = (Claim.claimant_id == claim.claimant_id) if claim.claimant_id else (Claim.person_id == claim.person_id)
        others = db.session.scalars(
            select(ClaimLine)
            .join(Claim)
            .where(
                same,
                Claim.id != claim.id,
                Claim.activity_date == claim.activity_date,
                Claim.state.in_((ClaimState.SUBMITTED, ClaimState.QUERIED, ClaimState.APPROVED, ClaimState.PAID)),
                ClaimLine.kind.in_(FEE_KINDS),
            )
        )
        for line in others:
            if line.kind == LineKind.HOURLY_FEE:
                hours += Decimal(line.quantity_hundredths) / 100
            else:
                days += (
                    Decimal(line.quantity_hundredths)
                    / 100
                    * (1 if line.kind == LineKind.FULL_DAY_FEE else Decimal("0.5"))
                )
    if days + hours / Decimal(8) > 1:  # eight hours count as a day
        warnings.append("The fees add up to more than one day for one date (counting other claims for that date).")
    return warnings


STATE_MESSAGES = {
    ClaimState.SUBMITTED: "We have your claim {ref}. We aim to pay it by {due}.",
    ClaimState.QUERIED: "We have a question about claim {ref}. Please answer it so we can pay you.",
    ClaimState.APPROVED: "Claim {ref} is approved. Finance will pay it soon.",
    ClaimState.REJECTED: "Claim {ref} was not approved. Look at the claim to see why.",
    ClaimState.WITHDRAWN: "You withdrew claim {ref}.",
    ClaimState.PAID: "Claim {ref} has been paid: {total}.",
}


def _paid_words(claim: Claim) -> str:
    """What was paid and how: money to the bank, and a voucher for the fee when that was the choice."""
    parts = []
    if claim.bank_pence:
        parts.append(f"{format_money(claim.bank_pence)} to your bank account")
    if claim.fee_as_voucher_pence:
        parts.append(f"a voucher worth {format_money(claim.fee_as_voucher_pence)} for your fee")
    return " and ".join(parts) or format_money(0)


def _notify(claim: Claim, state: ClaimState) -> None:
    """Tell the contributor in the app (when they have an account) and queue the same words by email."""
    from .queries import due_date

    due = due_date(claim)
    total = _paid_words(claim) if state == ClaimState.PAID else format_money(claim.total_pence)
    message = STATE_MESSAGES[state].format(
        ref=claim.reference, total=total, due=f"{due.day} {due:%B %Y}" if due else "soon"
    )
    if claim.claimant_id is not None:
        db.session.add(Notification(user_id=claim.claimant_id, claim_id=claim.id, message=message))
    queue_email(claim.claimant_email, f"Your claim {claim.reference}", f"Hello {claim.claimant_name},\n\n{message}\n")


def _apply(
    claim: Claim,
    rule: Transition,
    *,
    actor: User,
    text: str,
    now,
    extra: dict | None = None,
    audit_after: dict | None = None,
    notify: bool = True,
) -> None:
    """The one way a claim changes state: a conditional update from its current state, the note the transition
    leaves, the audit entry and the notice. The caller checks permission first and commits."""
    values: dict = {"state": rule.target, "updated_at": now}
    values |= {column: now for column in rule.stamps}
    values |= {column: actor.id for column in rule.stamps_actor}
    if rule.text_column:
        values[rule.text_column] = text
    values |= extra or {}
    before_state = claim.state
    # No session synchronisation: the claim is refreshed below, and scanning every loaded object for each
    # claim of a big batch would make paying 200 claims take seconds.
    changed = db.session.execute(
        update(Claim)
        .where(Claim.id == claim.id, Claim.state == before_state)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise Conflict("Someone else changed this claim at the same time. Look at it again.")
    if rule.note_kind and text:
        db.session.add(ClaimNote(claim_id=claim.id, author_id=actor.id, kind=rule.note_kind, text=text))
    audit.record(
        f"claims.{rule.action}",
        claim,
        before={"state": before_state},
        after={"state": rule.target, "total_pence": claim.total_pence, "text": text or None} | (audit_after or {}),
        actor=actor,
    )
    # The row now holds these values; show them on the loaded claim without another query or flush.
    for column, value in values.items():
        set_committed_value(claim, column, value)
    if notify and rule.notify:
        _notify(claim, rule.target)


def transition(
    claim: Claim,
    action: str,
    *,
    actor: User,
    text: str | None = None,
    declared: bool = False,
    notify: bool = True,
    acknowledged: bool = False,
) -> Claim:
    """Move a claim along the one transition table: check, conditional update, audit, notify, commit."""
    rule = TRANSITIONS.get(action)
    if rule is None:
        raise ClaimError("Unknown action")
    db.session.refresh(claim)
    if claim.state not in rule.sources:
        raise Conflict(f"This claim is '{claim.state.title}', so it cannot be changed that way now.")
    _may(claim, action, actor)
    now = utcnow()
    text = (text or "").strip()
    if rule.text_required and not text:
        raise ClaimError(rule.text_required, field="text")
    extra: dict = {}
    audit_after: dict = {}
    if action == "submit":
        if not declared:
            raise ClaimError("Tick the box to say the claim is true", field="declaration")
        check_ready(claim)
        reprice(claim)
        preference = payment_profile(claim).payment_preference
        # The choice in force now is kept on the claim: a later change of mind never moves its money.
        extra = {
            "total_pence": claim.total_pence,
            "fee_pence": claim.fee_pence,
            "expenses_pence": claim.expenses_pence,
            "payment_preference": preference,
            "policy_id": claim.policy_id,
            "first_submitted_at": claim.first_submitted_at or now,
        }
        audit_after = {
            "payment_preference": preference,
            "fee_pence": claim.fee_pence,
            "expenses_pence": claim.expenses_pence,
        }
    elif action == "approve":
        warnings = plausibility_warnings(claim)
        if warnings and not acknowledged:
            raise ClaimError(
                "Tick the box to say you have checked the warnings: " + " ".join(warnings), field="acknowledge"
            )
        audit_after = {"warnings_acknowledged": warnings} if warnings else {}
    _apply(claim, rule, actor=actor, text=text, now=now, extra=extra, audit_after=audit_after, notify=notify)
    db.session.commit()
    return claim


def submit_claim(claim, *, actor, declared, answer=None):
    """Send a draft, or resend a queried claim with an answer."""
    if claim.state == ClaimState.QUERIED and not (answer or "").strip():
        raise ClaimError("Answer the question before you send the claim again", field="answer")
    return transition(claim, "submit", actor=actor, declared=declared, text=answer)


def query_claim(claim, *, actor, question):
    """Ask the contributor a question; they answer and resend."""
    return transition(claim, "query", actor=actor, text=question)


def approve_claim(claim, *, actor, acknowledged=False):
    """Approve a sent claim (never your own); any plausibility warnings must be acknowledged."""
    return transition(claim, "approve", actor=actor, acknowledged=acknowledged)


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
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()


def dismiss_notice(notice_id: int, *, user: User) -> bool:
    """Put away one of your own notices (it stays in your list of news); False when it was not yours."""
    now = utcnow()
    changed = db.session.execute(
        update(Notification)
        .where(Notification.id == notice_id, Notification.user_id == user.id, Notification.dismissed_at.is_(None))
        .values(dismissed_at=now, read_at=func.coalesce(Notification.read_at, now))
    ).rowcount
    db.session.commit()
    return changed == 1


# ---------------------------------------------------------------- people without accounts


def invite_claimant(person: Person, *, email: str, actor: User) -> tuple[User, str]:
    """Give someone who has claimed by phone or paper their own account: it inherits their claims and payment
    details. Returns the account and its set-up link token."""
    from ..accounts import interface as accounts

    if actor.role != Role.COORDINATOR:
        raise NotAllowed("Only coordinators can invite someone to an account")
    if _account_for(person) is not None or person.user_id is not None:
        raise ClaimError(f"{person.name} already has an account", field="email")
    try:
        user = accounts.create_user(email=email, name=person.name, role=Role.CONTRIBUTOR, actor=actor)
    except accounts.AccountError as error:
        raise ClaimError(str(error), field="email") from None
    person.user_id = user.id
    if not person.email:
        person.email = user.email
    moved = db.session.execute(
        update(Claim).where(Claim.person_id == person.id, Claim.claimant_id.is_(None)).values(claimant_id=user.id)
    ).rowcount
    held = db.session.get(PersonPaymentProfile, person.id)
    if held is not None:
        db.session.add(
            ClaimantProfile(
                user_id=user.id,
                payment_preference=held.payment_preference,
                payee_reference=held.payee_reference,
                access_needs=held.access_needs,
            )
        )
    audit.record(
        "claims.claimant_invited",
        entity_type="Person",
        entity_id=person.id,
        after={"user_id": user.id, "email": user.email, "claims_inherited": moved},
        actor=actor,
    )
    db.session.commit()
    token = accounts.issue_link(user, "setup", actor=actor)
    return user, token


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
    year = to_uk(utcnow()).year
    batch = PaymentBatch(created_by_id=actor.id, year=year, number=_next_batch_number(year))
    db.session.add(batch)
    db.session.flush()
    added = db.session.execute(
        update(Claim)
        .where(Claim.id.in_(ids), Claim.state == ClaimState.APPROVED, Claim.batch_id.is_(None))
        .values(batch_id=batch.id)
    ).rowcount
    if added != len(ids):
        db.session.rollback()
        raise Conflict("Someone else changed these claims at the same time. Try again.")
    audit.record("claims.batch_created", batch, after={"reference": batch.reference, "claim_ids": ids}, actor=actor)
    db.session.commit()
    return batch


def _next_batch_number(year: int) -> int:
    """The next batch number for a year, taken inside the caller's transaction from a counter row.

    The conditional UPDATE holds the counter row until commit (PostgreSQL row lock, SQLite's write lock), so
    two batches never share a number, and a rolled-back batch gives its number back: no sequence, no gaps.
    """
    bumped = db.session.execute(
        update(BatchCounter).where(BatchCounter.year == year).values(last_number=BatchCounter.last_number + 1)
    ).rowcount
    if bumped != 1:
        try:
            with db.session.begin_nested():
                db.session.add(BatchCounter(year=year, last_number=1))
        except IntegrityError:  # another batch created the year's counter first
            db.session.execute(
                update(BatchCounter).where(BatchCounter.year == year).values(last_number=BatchCounter.last_number + 1)
            )
        else:
            return 1
    return db.session.scalar(select(BatchCounter.last_number).where(BatchCounter.year == year))


def mark_batch_paid(batch: PaymentBatch, *, actor: User) -> bool:
    """Mark a batch and each of its claims paid in one transaction, through the same pay step as one claim;
    a second call changes nothing (returns False)."""
    if actor.role != Role.FINANCE:
        raise NotAllowed("Only finance can mark payments")
    db.session.refresh(batch)
    if batch.state == "paid":
        return False
    approver_may_pay = policy_for(None).approver_may_pay
    for claim in batch.claims:
        _may(claim, "pay", actor, approver_may_pay)
    now = utcnow()
    won = db.session.execute(
        update(PaymentBatch)
        .where(PaymentBatch.id == batch.id, PaymentBatch.state == "open")
        .values(state="paid", paid_at=now, paid_by_id=actor.id)
    ).rowcount
    if won != 1:
        db.session.rollback()
        return False
    claims = list(batch.claims)
    rule = TRANSITIONS["pay"]
    with db.session.no_autoflush:  # one flush at commit, not one per claim
        for claim in claims:
            if claim.state != ClaimState.APPROVED:
                db.session.rollback()
                raise Conflict("Some claims in this batch changed at the same time. Look at the batch again.")
            _apply(claim, rule, actor=actor, text="", now=now, audit_after={"batch_id": batch.id})
    audit.record(
        "claims.batch_paid",
        batch,
        after={
            "reference": batch.reference,
            "claim_ids": [c.id for c in claims],
            "total_pence": sum(c.total_pence for c in claims),
            "bank_pence": sum(c.bank_pence for c in claims),
            "voucher_pence": sum(c.fee_as_voucher_pence for c in claims),
        },
        actor=actor,
    )
    db.session.commit()
    return True
