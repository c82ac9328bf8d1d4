"""Append-only audit log that every area writes to inside its own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import DDL, JSON, DateTime, ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .timeutil import utcnow


class AuditEntry(db.Model):
    """Who did what, when, with the values before and after."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(80))
    entity_type: Mapped[str] = mapped_column(String(80), index=True)
    entity_id: Mapped[str | None] = mapped_column(String(80), index=True)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    ip_address: Mapped[str | None] = mapped_column(String(64))


# The database itself refuses changes to written entries, whatever code runs.
_SQLITE_GUARDS = [
    "CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
]
_POSTGRES_GUARDS = [
    "CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_entry "
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
]
AUDIT_GUARD_SQL = {"sqlite": _SQLITE_GUARDS, "postgresql": _POSTGRES_GUARDS}

for _dialect, _statements in AUDIT_GUARD_SQL.items():
    for _statement in _statements:
        event.listen(AuditEntry.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))


def _plain(value: Any) -> Any:
    """Make values JSON-friendly (dates, decimals, enums) for before/after snapshots."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "value") and hasattr(value, "name"):
        return value.value
    return str(value)


def record(
    action: str,
    entity: Any = None,
    *,
    entity_type: str | None = None,
    entity_id: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    actor: Any = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits)."""
    from flask_login import current_user

    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    entry = AuditEntry(
        action=action,
        entity_type=entity_type or (type(entity).__name__ if entity is not None else "system"),
        entity_id=str(entity_id if entity_id is not None else getattr(entity, "id", "") or "") or None,
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        actor_id=getattr(actor, "id", None),
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


# ---------------------------------------------------------------- reading the trail in plain words

ACTION_TITLES = {
    "account.created": "Created an account",
    "account.enabled": "Turned an account on or off",
    "account.password_set": "Set a password",
    "account.signed_in": "Signed in",
    "account.updated": "Changed an account",
    "account.setup_link_issued": "Issued a set-up link",
    "account.reset_link_issued": "Issued a password reset link",
    "api_token.issued": "Issued an API token",
    "api_token.revoked": "Revoked an API token",
    "claims.activity_saved": "Saved a claim's activity",
    "claims.batch_created": "Built a payment batch",
    "claims.batch_paid": "Marked a payment batch paid",
    "claims.claim_started": "Started a claim",
    "claims.claimant_invited": "Invited a claimant to an account",
    "claims.line_added": "Added an item to a claim",
    "claims.line_removed": "Removed an item from a claim",
    "claims.person_profile_saved": "Saved someone's payment details",
    "claims.policy_changed": "Changed the rates",
    "claims.policy_created": "Added a version of the rates",
    "claims.profile_saved": "Saved payment details",
    "claims.receipt_added": "Added a receipt",
    "claims.submit": "Sent a claim",
    "claims.query": "Asked a question about a claim",
    "claims.approve": "Approved a claim",
    "claims.reject": "Rejected a claim",
    "claims.withdraw": "Withdrew a claim",
    "claims.pay": "Marked a claim paid",
    "community.created": "Created a community",
    "event.attendance_recorded": "Recorded attendance",
    "event.created": "Created an event",
    "membership.added": "Added a member",
    "membership.ended": "Ended a membership",
    "organisation.created": "Added an organisation",
    "organisation.imported": "Imported organisations",
    "organisation.merged": "Merged organisations",
    "organisation.merged_away": "Merged an organisation into another",
    "organisation.updated": "Changed an organisation",
    "person.created": "Added a person",
    "pledge.followed_up": "Followed up a pledge",
    "pledge.recorded": "Recorded a pledge",
}
RECORD_TITLES = {
    "Claim": "Claim",
    "PaymentBatch": "Payment batch",
    "User": "Account",
    "Organisation": "Organisation",
    "ClaimPolicy": "Rates",
    "ClaimantProfile": "Payment details",
    "Person": "Person",
    "system": "System",
}


def action_title(action: str) -> str:
    """'claims.approve' -> 'Approved a claim' (unknown actions are made readable)."""
    return ACTION_TITLES.get(action) or action.replace(".", ": ").replace("_", " ").capitalize()


def _words(value: Any, key: str = "") -> str:
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and (key.endswith("_pence") and "per_mile" not in key):
        from .money import format_money

        return format_money(value)
    if isinstance(value, list):
        return ", ".join(_words(v) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{_label(k)}: {_words(v, k)}" for k, v in value.items())
    if isinstance(value, str) and "_" in value and " " not in value and value.islower():
        return value.replace("_", " ")
    return str(value)


def _label(key: str) -> str:
    key = key.removesuffix("_pence").removesuffix("_id")
    return key.replace("_", " ").capitalize()


def changes(entry: AuditEntry) -> list[tuple[str, str, str]]:
    """(what, before, after) in plain words for every value an entry recorded."""
    before, after = entry.before or {}, entry.after or {}
    rows = []
    for key in list(before) + [k for k in after if k not in before]:
        old, new = before.get(key), after.get(key)
        if key in before and key in after and old == new:
            continue
        if key not in before and new in (None, "", [], {}):
            continue  # nothing was set: leave it out rather than list empty values
        rows.append((_label(key), _words(old, key) if key in before else "", _words(new, key) if key in after else ""))
    return rows


def history_for(entity_type: str, entity_id: Any, limit: int = 200) -> list[AuditEntry]:
    """One record's own history, oldest first (claims, organisations and accounts show it)."""
    from sqlalchemy import select

    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.id)
            .limit(limit)
        )
    )
