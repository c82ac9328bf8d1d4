"""The audit trail, visible: a page for coordinators with filters and a CSV export (a small core blueprint)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, render_template, request, url_for
from sqlalchemy import select

from .accounts.models import User
from .audit import RECORD_TITLES, AuditEntry, action_title, changes
from .extensions import db
from .params import whole_number
from .permissions import Role, roles_required
from .spreadsheet import csv_download
from .timeutil import to_uk

bp = Blueprint("audit", __name__)
PAGE_SIZE = 100


@bp.app_template_global("audit_actor_name")
def actor_name(actor_id: int | None) -> str:
    """Who made a change, for the history tables ('The system' for changes without a person)."""
    user = db.session.get(User, actor_id) if actor_id else None
    return user.name if user else "The system"


def _day(text: str | None) -> tuple[date | None, str | None]:
    """A YYYY-MM-DD date box (a date input); a plain message when it is not a real date."""
    text = (text or "").strip()
    if not text:
        return None, None
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return None, f"'{text}' is not a date. Use the date picker or type it like 2026-11-29"


def _filters() -> tuple[dict, list[str]]:
    args = request.args
    errors = []
    start, problem = _day(args.get("from"))
    errors += [f"From: {problem}"] if problem else []
    end, problem = _day(args.get("to"))
    errors += [f"To: {problem}"] if problem else []
    if start and end and end < start:
        errors.append("The 'to' date must be on or after the 'from' date")
    return {
        "person": whole_number(args.get("person")),
        "record": (args.get("record") or "").strip()[:40],
        "record_id": (args.get("record_id") or "").strip()[:40],
        "action": (args.get("action") or "").strip()[:80],
        "from": start,
        "to": end,
    }, errors


def _query(filters: dict):
    query = select(AuditEntry)
    if filters["person"]:
        query = query.where(AuditEntry.actor_id == filters["person"])
    if filters["record"]:
        query = query.where(AuditEntry.entity_type == filters["record"])
    if filters["record_id"]:
        query = query.where(AuditEntry.entity_id == filters["record_id"])
    if filters["action"]:
        query = query.where(AuditEntry.action == filters["action"])
    # Dates are UK days; the log keeps naive UTC, so widen by the hour of British Summer Time and filter exactly.
    if filters["from"]:
        start = datetime.combine(filters["from"], datetime.min.time())
        query = query.where(AuditEntry.at >= start - timedelta(hours=1))
    if filters["to"]:
        query = query.where(AuditEntry.at < datetime.combine(filters["to"] + timedelta(days=1), datetime.min.time()))
    return query.order_by(AuditEntry.id.desc())


def _in_days(entry: AuditEntry, filters: dict) -> bool:
    day = to_uk(entry.at).date()
    return (not filters["from"] or day >= filters["from"]) and (not filters["to"] or day <= filters["to"])


@bp.get("/audit")
@roles_required(Role.COORDINATOR)
def audit_log():
    filters, errors = _filters()
    page_number = whole_number(request.args.get("page"), 1, maximum=10_000)
    entries = (
        []
        if errors
        else [
            e
            for e in db.session.scalars(_query(filters).offset((page_number - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
            if _in_days(e, filters)
        ]
    )
    more = len(entries) > PAGE_SIZE
    people = {u.id: u for u in db.session.scalars(select(User).order_by(User.name))}
    actions = sorted(set(db.session.scalars(select(AuditEntry.action).distinct())))
    records = sorted(set(db.session.scalars(select(AuditEntry.entity_type).distinct())))
    return render_template(
        "audit/log.html",
        entries=entries[:PAGE_SIZE],
        more=more,
        page_number=page_number,
        filters=filters,
        errors=errors,
        people=people,
        actions=actions,
        records=records,
        action_title=action_title,
        record_titles=RECORD_TITLES,
        changes=changes,
        page_url=lambda n: url_for("audit.audit_log", **(_args() | {"page": n})),
        csv_url=url_for("audit.audit_csv", **_args()),
    )


def _args() -> dict:
    return {k: v for k, v in request.args.items() if k in ("person", "record", "record_id", "action", "from", "to")}


@bp.get("/audit.csv")
@roles_required(Role.COORDINATOR)
def audit_csv():
    filters, errors = _filters()
    people = {u.id: u for u in db.session.scalars(select(User))}
    entries = [] if errors else [e for e in db.session.scalars(_query(filters).limit(50_000)) if _in_days(e, filters)]

    def rows():
        for entry in entries:
            actor = people.get(entry.actor_id)
            yield [
                to_uk(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
                actor.name if actor else "the system",
                actor.email if actor else "",
                action_title(entry.action),
                entry.action,
                RECORD_TITLES.get(entry.entity_type, entry.entity_type),
                entry.entity_id or "",
                "; ".join(f"{what}: {old} → {new}" if old else f"{what}: {new}" for what, old, new in changes(entry)),
            ]

    return csv_download(
        "audit-log.csv", ["when_uk", "who", "email", "what", "action", "record", "record_id", "changes"], rows()
    )


@bp.get("/audit/emails")
@roles_required(Role.COORDINATOR)
def sent_emails():
    from .mail import OutboxMessage, mail_configured

    messages = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(500)))
    return render_template("audit/emails.html", messages=messages, mail_on=mail_configured())
