"""Jinja filters and globals shared by every template."""
from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_login import current_user

from .boroughs import borough_name
from .disclosure import format_protected
from .money import format_money
from .navigation import nav_links
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

    @app.context_processor
    def navigation():
        role = current_user.role if current_user and current_user.is_authenticated else None
        return {"nav_links": nav_links(role) if role else [], "service_name": app.config["SERVICE_NAME"]}
