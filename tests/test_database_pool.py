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
        db.engine.dispose()  # the pool holds only the connection this test watches (it hands out the oldest)
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


def test_the_data_version_table_grown_by_a_long_transaction_is_compacted(app):
    from coordination import housekeeping
    from coordination.versions import compact_versions, data_version

    pages = "SELECT pg_relation_size('data_version') / current_setting('block_size')::int"
    with app.app_context():
        db.engine.dispose()  # fresh connections, whatever earlier tests left in the pool
        # A counter row, as the first change to a table makes it.
        db.session.execute(text("INSERT INTO data_version VALUES ('organisation', 1) ON CONFLICT DO NOTHING"))
        db.session.commit()
        before = dict(data_version())
        assert not compact_versions()  # small already: left alone
        # One long transaction (as an import or the demo seed makes): no old row version can be pruned.
        for _ in range(1500):
            db.session.execute(text("UPDATE data_version SET version = version"))
        db.session.commit()
        assert db.session.scalar(text(pages)) > 8
        db.session.commit()
        report = housekeeping.run()
        assert report.versions_compacted
        assert "data-version table compacted" in " ".join(report.lines())
        assert db.session.scalar(text(pages)) <= 1
        assert dict(data_version()) == before  # the counters themselves are untouched
