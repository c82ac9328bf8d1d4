"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, g
from flask_login import current_user

from .boroughs import borough_name
from .disclosure import format_protected
from .money import format_money
from .navigation import nav_links, service_navigation
from .timeutil import to_uk


def format_date(value: date | datetime | None) -> str:
    """'26 November 2026'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_uk(value)
    return f"{value.day} {value:%B %Y}"


def format_datetime(value: datetime | None) -> str:
    """'26 November 2026 at 2:05pm' in UK time."""
    if value is None:
        return ""
    local = to_uk(value)
    hour = local.hour % 12 or 12
    return f"{format_date(local)} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def init_app(app: Flask) -> None:
    """Register filters and globals."""
    app.add_template_filter(format_money, "money")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(borough_name, "borough_name")
    app.add_template_filter(format_protected, "protected")

    from . import audit

    app.add_template_global(audit.action_title, "audit_action_title")
    app.add_template_global(lambda kind: audit.RECORD_TITLES.get(kind, kind), "audit_record_title")
    app.add_template_global(audit.changes, "audit_changes")
    app.add_template_global(audit.history_for, "record_history")
    app.add_template_global(service_navigation)

    @app.context_processor
    def navigation():
        person = signed_in_person()
        role = person.role if person is not None else None
        return {
            "nav_links": nav_links(role) if role else [],
            "service_name": app.config["SERVICE_NAME"],
            "signed_in_as": person,
            "account_unknown": bool(g.get("account_unknown")),
        }


def signed_in_person():
    """The signed-in user for the page header, or None; None (and g.account_unknown) when the session
    could not be read, so an error page never claims someone is signed in that it could not check."""
    if g.get("account_unknown"):
        return None
    try:
        return current_user if current_user and current_user.is_authenticated else None
    except Exception:  # noqa: BLE001 - the database behind the session is out of reach
        from .extensions import db

        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001
            db.session.remove()
        g.account_unknown = True
        from flask import current_app

        g._login_user = current_app.login_manager.anonymous_user()
        return None
