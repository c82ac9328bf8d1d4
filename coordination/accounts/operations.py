"""Every change to accounts: create, links, passwords, sign-in and out, disable."""

from __future__ import annotations

import functools
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, session
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash

from .. import audit
from ..errors import OperationError
from ..extensions import db
from ..permissions import Role
from ..timeutil import utcnow
from ..tokens import hash_token
from ..versions import remember_versions, versions_column
from .models import AccountLink, SignInAttempt, User, UserBorough, UserSession


class AccountError(OperationError):
    """A change to an account that cannot be made, with a message for the user."""


class TooManyAttempts(OperationError):
    """Sign-in is throttled for this account or address; wait_seconds says for how long (the accounts
    blueprint shows its own page)."""

    status = 429
    on_form = False

    def __init__(self, wait_seconds: int = 0, message: str = "Too many attempts"):
        super().__init__(message)
        self.wait_seconds = max(1, int(wait_seconds))


def normalise_email(email: str) -> str:
    """Emails are matched case-insensitively and without surrounding spaces."""
    return (email or "").strip().lower()


def create_user(
    *,
    email: str,
    name: str,
    role: Role | str,
    boroughs: list[str] | None = None,
    password: str | None = None,
    actor: User | None = None,
) -> User:
    """Create an account (partners need at least one borough) and audit it."""
    email = normalise_email(email)
    role = Role(role)
    boroughs = sorted(set(boroughs or []))
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise AccountError(f"There is already an account for {email}")
    if role == Role.PARTNER and not boroughs:
        raise AccountError("Choose at least one borough for a local partner")
    if role != Role.PARTNER:
        boroughs = []
    user = User(
        email=email, name=name.strip(), role=role, borough_links=[UserBorough(borough_code=code) for code in boroughs]
    )
    if password:
        check_password_rules(password)
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("account.created", user, after={"email": email, "role": role.value, "boroughs": boroughs}, actor=actor)
    db.session.commit()
    return user


def check_password_rules(password: str) -> None:
    """Long and pasted passwords are welcome; only a minimum length is enforced."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise AccountError(f"Password must be {minimum} characters or more")
    if len(password) > 1024:
        raise AccountError("Password must be 1,024 characters or fewer")


def issue_link(user: User, purpose: str, actor: User | None = None) -> str:
    """Create a single-use link token (set-up or reset), cancelling earlier unused ones.

    A coordinator's new link replaces every earlier one. A reset asked for from the sign-in pages (no
    actor: anyone can ask for any address) replaces only earlier reset links, never a coordinator's
    set-up link, so a stranger's request cannot cancel the link a new person is about to use.
    """
    hours = current_app.config["SETUP_LINK_HOURS" if purpose == "setup" else "RESET_LINK_HOURS"]
    token = secrets.token_urlsafe(32)
    now = utcnow()
    earlier = select(AccountLink).where(AccountLink.user_id == user.id, AccountLink.used_at.is_(None))
    if actor is None and purpose == "reset":
        earlier = earlier.where(AccountLink.purpose == "reset", AccountLink.created_by_id.is_(None))
    for old in db.session.scalars(earlier):
        old.used_at = now
    db.session.add(
        AccountLink(
            token_hash=hash_token(token),
            user_id=user.id,
            purpose=purpose,
            expires_at=now + timedelta(hours=hours),
            created_by_id=getattr(actor, "id", None),
        )
    )
    audit.record(f"account.{purpose}_link_issued", user, actor=actor)
    db.session.commit()
    return token


def find_link(token: str) -> AccountLink | None:
    """The usable link for a token, or None when unknown, used or expired."""
    return find_link_by_hash(hash_token(token or ""))


def find_link_by_hash(token_hash: str) -> AccountLink | None:
    """The usable link whose token hashes to token_hash (what the browser's session keeps), or None."""
    link = db.session.scalar(select(AccountLink).where(AccountLink.token_hash == (token_hash or "")))
    return link if link and link.is_usable and link.user.is_enabled else None


def set_password_with_link(token: str, password: str, *, token_hash: str | None = None) -> User:
    """Use a link once to choose a password; ends the user's other sessions and cancels their other links."""
    check_password_rules(password)
    link = find_link_by_hash(token_hash) if token_hash else find_link(token)
    if link is None:
        raise AccountError("This link has expired or has already been used. Ask your coordinator for a new one.")
    # Conditional update: two tabs submitting the same link cannot both succeed.
    used = db.session.execute(
        AccountLink.__table__.update()
        .where(AccountLink.id == link.id, AccountLink.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if used != 1:
        db.session.rollback()
        raise AccountError("This link has expired or has already been used. Ask your coordinator for a new one.")
    user = link.user
    user.set_password(password)
    db.session.execute(
        AccountLink.__table__.update()
        .where(AccountLink.user_id == user.id, AccountLink.used_at.is_(None))
        .values(used_at=utcnow())
    )
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    audit.record("account.password_set", user, after={"via": link.purpose}, actor=user)
    db.session.commit()
    return user


@dataclass
class SignInResult:
    user: User | None
    message: str | None = None


def _failures(*conditions) -> tuple[int, datetime | None]:
    """How many failed sign-ins match, within the window, and when the latest was."""
    window = utcnow() - timedelta(minutes=current_app.config["SIGNIN_WINDOW_MINUTES"])
    count, latest = db.session.execute(
        select(func.count(), func.max(SignInAttempt.at)).where(SignInAttempt.at >= window, *conditions)
    ).one()
    return count or 0, latest


def _delay(failures: int, free: int) -> int:
    """Seconds to wait after the latest failure: none for the first `free`, then doubling to a ceiling."""
    if failures < free:
        return 0
    config = current_app.config
    return min(config["SIGNIN_FIRST_DELAY_SECONDS"] * 2 ** min(failures - free, 20), config["SIGNIN_MAX_DELAY_SECONDS"])


def sign_in_wait(email: str, ip_address: str) -> int:
    """Seconds before this account may be tried again from this address (0: now).

    Counted per account and address (someone mistyping their own password), per account from anywhere
    (a guesser spread over many addresses) and per address across accounts with a generous ceiling (one
    office's many people mistyping never lock each other out). Each scope grows its delay as failures mount.
    """
    config, now = current_app.config, utcnow()
    pair = _failures(SignInAttempt.email == email, SignInAttempt.ip_address == ip_address)
    scopes = [
        (pair, config["SIGNIN_FREE_FAILURES"]),
        (_failures(SignInAttempt.email == email), config["SIGNIN_ACCOUNT_FREE_FAILURES"]),
        (_failures(SignInAttempt.ip_address == ip_address), config["SIGNIN_ADDRESS_CEILING"]),
    ]
    wait = 0
    for (count, latest), free in scopes:
        if latest is not None and count >= free:
            wait = max(wait, math.ceil(_delay(count, free) - (now - latest).total_seconds()))
    return max(wait, 0)


# Checked when no account matches, so an unknown address costs the same scrypt work as a known one. Written
# out (werkzeug's default scrypt, N=32768) rather than made at import: making it takes a quarter of a second
# and 32 MB of memory, which every worker would otherwise spend on starting.
_DUMMY_HASH = (
    "scrypt:32768:8:1$MOs2KXlEqz1hX99R$"
    "da95dfb182a053671d093226d87e7ecaea3eb14dbcb048513343d80d4f6342ed10c76e732836e024769720c103da6859627f2af94f1bdf2e23f1b9ebe46dbb5d"
)


def sign_in(email: str, password: str, ip_address: str) -> User:
    """Check credentials with throttling; start a fresh server-side session on success."""
    email = normalise_email(email)
    wait = sign_in_wait(email, ip_address)
    if wait:
        raise TooManyAttempts(wait)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None and user.password_hash:
        correct = user.check_password(password)
    else:
        check_password_hash(_DUMMY_HASH, password)
        correct = False
    if user is None or not user.is_enabled or not correct:
        db.session.add(SignInAttempt(email=email, ip_address=ip_address))
        db.session.commit()
        # Same message whether or not the account exists.
        raise AccountError("Enter a correct email address and password")
    start_session(user)
    user.last_signed_in_at = utcnow()
    audit.record("account.signed_in", user, actor=user)
    db.session.commit()
    return user


def start_session(user: User) -> None:
    """Replace whatever session the browser had with a new server-side one."""
    session.clear()
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(token_hash=hash_token(token), user_id=user.id))
    session["sid"] = token
    session.permanent = True
    login_user(user)


def end_session() -> None:
    """Sign out: delete the server-side session so the cookie stops working everywhere."""
    token = session.get("sid")
    if token:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == hash_token(token)))
        db.session.commit()
    logout_user()
    session.clear()


@functools.cache
def _session_read():
    """The session, its account and the data versions (which most pages' caches key on) in one read.

    Built once: it runs on every signed-in request, and building the statement cost more than running it.
    """
    return (
        select(UserSession, versions_column())
        .options(joinedload(UserSession.user))
        .where(UserSession.token_hash == bindparam("token_hash"), UserSession.user_id == bindparam("user_id"))
    )


def load_session_user(user_id: str) -> User | None:
    """Flask-Login loader: the user only if this browser's server-side session still exists."""
    token = session.get("sid")
    if not token or not str(user_id).isdigit():
        return None
    found = db.session.execute(_session_read(), {"token_hash": hash_token(token), "user_id": int(user_id)}).first()
    if found is None or not found[0].user.is_enabled:
        return None
    row = found[0]
    remember_versions(found[1])
    now = utcnow()
    if now - row.last_seen_at > timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"]):
        db.session.delete(row)
        db.session.commit()
        return None
    if now - row.last_seen_at > timedelta(minutes=1):  # avoid a write on every request
        row.last_seen_at = now
        db.session.commit()
    return row.user


def set_enabled(user: User, enabled: bool, actor: User) -> None:
    """Disable (ending every session at once) or re-enable an account."""
    if user.id == actor.id and not enabled:
        raise AccountError("You cannot disable your own account")
    before = {"enabled": user.is_enabled}
    user.is_enabled = enabled
    if not enabled:
        db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    audit.record(
        "account.enabled" if enabled else "account.disabled",
        user,
        before=before,
        after={"enabled": enabled},
        actor=actor,
    )
    db.session.commit()


def update_user(user: User, *, name: str, role: Role | str, boroughs: list[str], actor: User) -> None:
    """Change a person's name, role or partner boroughs."""
    role = Role(role)
    boroughs = sorted(set(boroughs)) if role == Role.PARTNER else []
    if role == Role.PARTNER and not boroughs:
        raise AccountError("Choose at least one borough for a local partner")
    if user.id == actor.id and role != user.role:
        raise AccountError("You cannot change your own role")
    before = {"name": user.name, "role": user.role.value, "boroughs": user.borough_codes}
    user.name = name.strip()
    user.role = role
    user.borough_links = [UserBorough(borough_code=code) for code in boroughs]
    audit.record(
        "account.updated",
        user,
        before=before,
        after={"name": user.name, "role": role.value, "boroughs": boroughs},
        actor=actor,
    )
    db.session.commit()
