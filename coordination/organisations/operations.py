"""Every change to the directory: create, edit, close, reopen, merge, import, and API tokens."""

from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import select, update

from .. import audit
from ..errors import OperationError
from ..extensions import db
from ..terminology.interface import Concept
from ..timeutil import utcnow
from ..tokens import hash_token
from . import validation as v
from .models import ApiToken, LocationStatus, Organisation, OrganisationBorough, OrganisationStatus


class OrganisationError(OperationError):
    """A change that cannot be made; `field` names the form field to attach the message to."""


# The details a coordinator edits (the location follows the postcode; status has its own operations).
EDITABLE_FIELDS = (
    "name",
    "description",
    "org_type",
    "charity_number",
    "company_number",
    "website",
    "email",
    "phone",
    "address",
)
SNAPSHOT_FIELDS = EDITABLE_FIELDS + (
    "postcode",
    "borough_code",
    "location_status",
    "status",
    "last_checked_on",
)


def snapshot(org: Organisation) -> dict:
    """The audited view of a record."""
    values = {name: getattr(org, name) for name in SNAPSHOT_FIELDS}
    values["operates_in"] = org.operates_in_codes
    values["practice_areas"] = [c.id for c in org.practice_areas]
    return values


def locate(postcode_text: str | None) -> dict:
    """Postcode -> stored postcode, coordinates, borough and location status (never raises)."""
    if v.blank(postcode_text):
        return {
            "postcode": None,
            "latitude": None,
            "longitude": None,
            "borough_code": None,
            "district_code": None,
            "location_status": LocationStatus.NO_POSTCODE,
        }
    from geo.postcodes import lookup_postcode  # the postcode tables load on the first edit, not at start-up

    result = lookup_postcode(postcode_text)
    if not result.found or result.latitude is None:
        shown = result.postcode if result.valid else None
        return {
            "postcode": shown,
            "latitude": None,
            "longitude": None,
            "borough_code": None,
            "district_code": None,
            "location_status": LocationStatus.UNKNOWN_POSTCODE,
        }
    return {
        "postcode": result.postcode,
        "latitude": result.latitude,
        "longitude": result.longitude,
        "borough_code": result.borough_code,
        "district_code": result.district_code,
        "location_status": LocationStatus.LOCATED if result.borough_code else LocationStatus.OUTSIDE_GM,
    }


def clean_fields(data: dict) -> dict:
    """Validate form-shaped data; raise OrganisationError naming the first bad field."""
    cleaners = {
        "name": v.clean_name,
        "description": v.clean_description,
        "org_type": v.clean_org_type,
        "charity_number": v.clean_charity_number,
        "company_number": v.clean_company_number,
        "website": v.clean_website,
        "email": v.clean_email,
        "phone": v.clean_phone,
        "address": v.clean_address,
    }
    cleaned = {}
    for field, cleaner in cleaners.items():
        if field in data:
            try:
                cleaned[field] = cleaner(data[field])
            except v.FieldError as error:
                raise OrganisationError(str(error), field) from None
    if "postcode" in data:
        from geo.postcodes import postcode_problem

        if not v.blank(data["postcode"]) and postcode_problem(data["postcode"]):
            raise OrganisationError(postcode_problem(data["postcode"]), "postcode")
        cleaned["postcode_text"] = data["postcode"]
    for key in ("operates_in", "practice_areas", "last_checked_on"):
        if key in data:
            cleaned[key] = data[key]
    return cleaned


def _check_identifiers(org_id: int | None, charity_number: str | None, company_number: str | None) -> None:
    for column, value, field, label in (
        (Organisation.charity_number, charity_number, "charity_number", "charity"),
        (Organisation.company_number, company_number, "company_number", "company"),
    ):
        if value:
            other = db.session.scalar(select(Organisation).where(column == value, Organisation.id != (org_id or 0)))
            if other is not None:
                raise OrganisationError(f"{other.name} already has {label} number {value}", field)


def _apply(org: Organisation, cleaned: dict, actor) -> None:
    for field in EDITABLE_FIELDS:
        if field in cleaned:
            setattr(org, field, cleaned[field])
    org.normalised_name = v.normalise_name(org.name)
    if "postcode_text" in cleaned:
        for key, value in locate(cleaned["postcode_text"]).items():
            setattr(org, key, value)
    if "operates_in" in cleaned:
        wanted = set(cleaned["operates_in"] or [])
        org.operates_in = [link for link in org.operates_in if link.borough_code in wanted] + [
            OrganisationBorough(borough_code=code) for code in sorted(wanted - set(org.operates_in_codes))
        ]
    if "practice_areas" in cleaned:
        ids = [int(i) for i in cleaned["practice_areas"] or []]
        org.practice_areas = list(db.session.scalars(select(Concept).where(Concept.id.in_(ids)))) if ids else []
    if "last_checked_on" in cleaned:
        org.last_checked_on = cleaned["last_checked_on"]
    org.updated_by_id = getattr(actor, "id", None)


def create_organisation(data: dict, actor=None) -> Organisation:
    """Add an organisation (its details count as checked today unless a date is given)."""
    cleaned = clean_fields(data)
    cleaned.setdefault("last_checked_on", date.today())
    _check_identifiers(None, cleaned.get("charity_number"), cleaned.get("company_number"))
    org = Organisation(created_by_id=getattr(actor, "id", None), status=OrganisationStatus.ACTIVE)
    _apply(org, cleaned, actor)
    db.session.add(org)
    db.session.flush()
    audit.record("organisation.created", org, after=snapshot(org), actor=actor)
    db.session.commit()
    return org


def update_organisation(org: Organisation, data: dict, actor=None) -> Organisation:
    """Change an organisation's details."""
    cleaned = clean_fields(data)
    _check_identifiers(org.id, cleaned.get("charity_number"), cleaned.get("company_number"))
    before = snapshot(org)
    _apply(org, cleaned, actor)
    db.session.flush()
    audit.record("organisation.updated", org, before=before, after=snapshot(org), actor=actor)
    db.session.commit()
    return org


def _set_status(org: Organisation, expected: OrganisationStatus, new: OrganisationStatus, action: str, actor):
    changed = db.session.execute(
        update(Organisation)
        .where(Organisation.id == org.id, Organisation.status == expected)
        .values(status=new, updated_by_id=getattr(actor, "id", None), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise OrganisationError(f"{org.name} is already {new.value}")
    audit.record(action, org, before={"status": expected}, after={"status": new}, actor=actor)
    db.session.commit()
    db.session.refresh(org)


def close_organisation(org: Organisation, actor=None) -> None:
    """Mark an organisation closed (kept in the directory, hidden from the default list)."""
    _set_status(org, OrganisationStatus.ACTIVE, OrganisationStatus.CLOSED, "organisation.closed", actor)


def reopen_organisation(org: Organisation, actor=None) -> None:
    """Mark a closed organisation active again."""
    if org.merged_into_id:
        raise OrganisationError(f"{org.name} was merged into another record; edit that record instead")
    _set_status(org, OrganisationStatus.CLOSED, OrganisationStatus.ACTIVE, "organisation.reopened", actor)


MERGE_FILL_FIELDS = ("description", "charity_number", "company_number", "website", "email", "phone", "address")


def merge_organisations(keep: Organisation, duplicate: Organisation, actor=None) -> Organisation:
    """Fold a duplicate into the record we keep: fill blanks, join boroughs and practice areas, close it."""
    if keep.id == duplicate.id:
        raise OrganisationError(
            "Choose a different organisation: a record cannot be merged into itself", "duplicate_id"
        )
    if duplicate.merged_into_id:
        raise OrganisationError(f"{duplicate.name} has already been merged into another record", "duplicate_id")
    if keep.merged_into_id:
        # Merging into a record that was merged away would hide the data in a closed record (or make a loop).
        raise OrganisationError(
            f"{keep.name} was merged into another record; merge into that record instead", "duplicate_id"
        )
    # Claim both records first with conditional updates, so a merge another coordinator finished after this
    # request read them cannot be merged a second time (the loser changes nothing).
    claimed = db.session.execute(
        update(Organisation)
        .where(Organisation.id == duplicate.id, Organisation.merged_into_id.is_(None))
        .values(merged_into_id=keep.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    still_open = db.session.execute(
        update(Organisation)
        .where(Organisation.id == keep.id, Organisation.merged_into_id.is_(None))
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1 or still_open != 1:
        db.session.rollback()
        raise OrganisationError(
            f"{duplicate.name} has already been merged into another record, or the record "
            "you are keeping was merged away. Reload the page to see the latest",
            "duplicate_id",
        )
    before_keep, before_dup = snapshot(keep), snapshot(duplicate)
    moved = {}
    for field in MERGE_FILL_FIELDS:
        if not getattr(keep, field) and getattr(duplicate, field):
            moved[field] = getattr(duplicate, field)
    # Identifiers are unique: free them on the duplicate before the kept record takes them.
    for field in ("charity_number", "company_number"):
        if field in moved:
            setattr(duplicate, field, None)
    db.session.flush()
    for field, value in moved.items():
        setattr(keep, field, value)
    if keep.latitude is None and duplicate.latitude is not None:
        for field in ("postcode", "latitude", "longitude", "borough_code", "district_code", "location_status"):
            setattr(keep, field, getattr(duplicate, field))
    for code in sorted(set(duplicate.operates_in_codes) - set(keep.operates_in_codes)):
        keep.operates_in.append(OrganisationBorough(borough_code=code))
    for concept in duplicate.practice_areas:
        if concept not in keep.practice_areas:
            keep.practice_areas.append(concept)
    if duplicate.last_checked_on and (not keep.last_checked_on or duplicate.last_checked_on > keep.last_checked_on):
        keep.last_checked_on = duplicate.last_checked_on
    keep.updated_by_id = duplicate.updated_by_id = getattr(actor, "id", None)
    duplicate.status = OrganisationStatus.CLOSED
    duplicate.merged_into_id = keep.id
    db.session.flush()
    audit.record(
        "organisation.merged",
        keep,
        before=before_keep,
        after={**snapshot(keep), "merged_from": duplicate.id},
        actor=actor,
    )
    audit.record(
        "organisation.merged_away",
        duplicate,
        before=before_dup,
        after={**snapshot(duplicate), "merged_into": keep.id},
        actor=actor,
    )
    db.session.commit()
    return keep


# --- API tokens -------------------------------------------------------------------------------

TOKEN_PREFIX = "gmvcse_"


def issue_api_token(name: str, actor=None) -> tuple[ApiToken, str]:
    """Create a token; the secret is returned once and only its hash is kept."""
    name = (name or "").strip()
    if not name:
        raise OrganisationError("Enter a name for the token, like 'Bolton CVS website'", "name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name[:120], token_hash=hash_token(secret), prefix=secret[:12], created_by_id=getattr(actor, "id", None)
    )
    db.session.add(token)
    db.session.flush()
    audit.record("api_token.issued", token, after={"name": token.name, "prefix": token.prefix}, actor=actor)
    db.session.commit()
    return token, secret


def revoke_api_token(token: ApiToken, actor=None) -> None:
    """Stop a token working (conditional update: revoking twice is harmless)."""
    changed = db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise OrganisationError(f"The token {token.name} was already revoked")
    audit.record("api_token.revoked", token, after={"name": token.name}, actor=actor)
    db.session.commit()
    db.session.refresh(token)


def check_api_token(secret: str) -> ApiToken | None:
    """The active token for a bearer secret, or None."""
    if not secret or not secret.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or not token.is_active:
        return None
    token.last_used_at = utcnow()
    db.session.commit()
    return token
