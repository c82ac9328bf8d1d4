"""What other areas may use from accounts: creating an account, issuing its set-up link, partners' boroughs."""

from __future__ import annotations

from ..extensions import db
from ..permissions import Role
from .models import User
from .operations import AccountError, create_user, issue_link

__all__ = ["AccountError", "create_user", "issue_link", "partner_borough_sets"]


def partner_borough_sets() -> list[tuple[str, ...]]:
    """Each enabled partner account's own boroughs (sorted), once per distinct set."""
    partners = db.session.scalars(db.select(User).where(User.role == Role.PARTNER, User.is_enabled.is_(True)))
    return sorted({tuple(sorted(user.borough_codes)) for user in partners if user.borough_codes})
