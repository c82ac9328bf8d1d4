"""Pooled PostgreSQL connections: pinged only after sitting idle, and replaced when the server dropped them."""

import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from coordination.extensions import db

pytestmark = pytest.mark.postgres


def _pings(app, monkeypatch) -> list:
    calls = []
    dialect = db.engine.dialect
    real = dialect.do_ping

    def counted(dbapi_connection):
        calls.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return calls


def test_a_connection_given_back_moments_ago_is_used_without_a_ping(app, client, monkeypatch):
    with app.app_context():
        pings = _pings(app, monkeypatch)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
        assert client.get("/sign-in").status_code == 200
    assert pings == []


def test_an_idle_connection_the_server_dropped_is_replaced_before_a_request_uses_it(app, client, monkeypatch):
    with app.app_context():
        pings = _pings(app, monkeypatch)
        with db.engine.connect() as connection:
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        # The server drops it (a restart, an idle timeout) while it sits in the pool.
        outside = create_engine(db.engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        with outside.connect() as other:
            assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        outside.dispose()
        later = time.monotonic() + app.config["DATABASE_PING_IDLE_SECONDS"] + 1
        monkeypatch.setattr(time, "monotonic", lambda: later)
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    assert pings  # the idle connection was checked before use
