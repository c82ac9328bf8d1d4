"""Read-side queries for accounts."""

from sqlalchemy import select

from ..extensions import db
from .models import User


def list_users() -> list[User]:
    """Every account, enabled first, then by name."""
    return list(db.session.scalars(select(User).order_by(User.is_enabled.desc(), User.name)))


def get_user_or_404(user_id: int) -> User:
    """One account or a 404 page."""
    return db.get_or_404(User, user_id)


def find_by_email(email: str) -> User | None:
    """The account with this (normalised) email, if any."""
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))
