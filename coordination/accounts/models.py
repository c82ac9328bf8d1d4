"""Accounts, sessions, one-time links and sign-in attempts."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db, value_enum
from ..permissions import Role
from ..timeutil import utcnow
from ..tokens import hash_token  # noqa: F401  (re-exported for code written before it moved)


class User(UserMixin, db.Model):
    """A person who signs in. Partners are scoped to one or more boroughs."""

    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lower_case"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(value_enum(Role, "user_role"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(DateTime)

    borough_links: Mapped[list[UserBorough]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserBorough.borough_code"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled accounts cannot sign in
        return bool(self.is_enabled)

    @property
    def borough_codes(self) -> list[str]:
        return [link.borough_code for link in self.borough_links]

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    def set_password(self, password: str) -> None:
        method = current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def is_role(self, *roles: Role) -> bool:
        return self.role in roles

    def can_manage_accounts(self) -> bool:
        return self.role == Role.COORDINATOR

    def can_see_borough(self, code: str) -> bool:
        """Partners see their own boroughs' detail; other staff see all."""
        if self.role == Role.PARTNER:
            return code in self.borough_codes
        return self.role in (Role.COORDINATOR, Role.FINANCE)


class UserBorough(db.Model):
    """A borough a partner account speaks for."""

    __tablename__ = "user_borough"
    __table_args__ = (UniqueConstraint("user_id", "borough_code", name="uq_user_borough"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    borough_code: Mapped[str] = mapped_column(String(9))
    user: Mapped[User] = relationship(back_populates="borough_links")


class UserSession(db.Model):
    """A server-side record of one signed-in browser; deleting it signs that browser out."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    user: Mapped[User] = relationship()


class AccountLink(db.Model):
    """A single-use, expiring link to set or reset a password."""

    __tablename__ = "account_link"
    __table_args__ = (CheckConstraint("purpose IN ('setup', 'reset')", name="purpose_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.expires_at > utcnow()


class SignInAttempt(db.Model):
    """Failed sign-ins, counted per account and per IP address to throttle guessing."""

    __tablename__ = "sign_in_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    ip_address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
