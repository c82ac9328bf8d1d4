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


def record(action: str, entity: Any = None, *, entity_type: str | None = None, entity_id: Any = None,
           before: dict | None = None, after: dict | None = None, actor: Any = None) -> AuditEntry:
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
