"""Rate limits (Flask-Limiter) and the database store that lets every gunicorn worker share the counts.

Flask-Limiter ships stores for memory, Redis, memcached and MongoDB. Memory counts per worker process, so
with three workers an address would get three times its allowance, and a restart forgets everything.
This service already has a database that every worker shares, so the default store is a small table
(`rate_limit`, one row per limit and key with a fixed window) reached through its own short
transactions. Larger deployments can point RATELIMIT_STORAGE_URI at Redis or memcached instead
(docs/configuration.md); tests and quick experiments can use memory://.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time

from flask import current_app, request
from flask_limiter import Limiter
from limits.storage import Storage
from sqlalchemy import Float, Integer, String, case, delete, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db


class RateLimitCounter(db.Model):
    """One fixed-window counter: how many requests a key has made until the window ends."""

    __tablename__ = "rate_limit"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # seconds since the epoch


def _short(key: str) -> str:
    return key if len(key) <= 200 else key[:120] + "#" + hashlib.sha256(key.encode()).hexdigest()


class DatabaseStorage(Storage):
    """A `limits` store in the service's own database ("database://"), shared by every worker."""

    STORAGE_SCHEME = ["database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    @staticmethod
    def _insert():
        table = RateLimitCounter.__table__
        if db.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return table, insert(table)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        table, insert = self._insert()
        expired = table.c.expires_at <= now
        statement = (
            insert.values(key=_short(key), hits=amount, expires_at=now + expiry)
            .on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "hits": case((expired, amount), else_=table.c.hits + amount),
                    "expires_at": case((expired, now + expiry), else_=table.c.expires_at),
                },
            )
            .returning(table.c.hits)
        )
        # Its own short transaction on its own connection: never commits the request's work.
        with db.engine.begin() as connection:
            return int(connection.execute(statement).scalar_one())

    def get(self, key: str) -> int:
        with db.engine.connect() as connection:
            hits = connection.execute(
                select(RateLimitCounter.hits).where(
                    RateLimitCounter.key == _short(key), RateLimitCounter.expires_at > time.time()
                )
            ).scalar()
        return int(hits or 0)

    def get_expiry(self, key: str) -> float:
        with db.engine.connect() as connection:
            expires = connection.execute(
                select(RateLimitCounter.expires_at).where(RateLimitCounter.key == _short(key))
            ).scalar()
        return float(expires) if expires and expires > time.time() else time.time()

    def check(self) -> bool:
        try:
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with db.engine.begin() as connection:
            return connection.execute(delete(RateLimitCounter)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as connection:
            connection.execute(delete(RateLimitCounter).where(RateLimitCounter.key == _short(key)))


def client_address() -> str:
    """The client's address (ProxyFix has already taken it from the trusted proxy in production)."""
    return request.remote_addr or "unknown"


def client_network() -> str:
    """The client's network: an IPv4 /24 or an IPv6 /64, so one office or one host's many addresses count once."""
    try:
        address = ipaddress.ip_address(client_address())
    except ValueError:
        return client_address()
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def email_in_form() -> str:
    """The email address a form names (normalised and hashed, so the store holds no addresses)."""
    email = (request.form.get("email") or "").strip().lower()
    return "email:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def api_client() -> str:
    """Bearer-token callers count per token (hashed); anyone else per address."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return "token:" + hashlib.sha256(header[7:].strip().encode()).hexdigest()[:32]
    return client_address()


def configured(name: str):
    """A limit read from the configuration at request time (so deployments and tests can tune it)."""
    return lambda: current_app.config[name]


limiter = Limiter(key_func=client_address)


def allow(scope: str, config_name: str, key: str | None = None) -> bool:
    """Count one request against a configured limit outside a route decorator; False once it is used up.

    For checks that must run before a view (the signed-out claim form rescue runs in before_request).
    A store that cannot be reached lets the request through, as RATELIMIT_SWALLOW_ERRORS does for routes.
    """
    from limits import parse

    item = parse(current_app.config[config_name])
    try:
        return limiter.limiter.hit(
            item, current_app.config.get("RATELIMIT_KEY_PREFIX", ""), scope, key or client_address()
        )
    except Exception:  # noqa: BLE001 - counting must never take the page down
        current_app.logger.exception("Rate limit store unavailable; %s not counted", scope)
        return True


def init_app(app) -> None:
    """Bind the limiter; the 429 page is the house error page (coordination/errors.py)."""
    limiter.init_app(app)
