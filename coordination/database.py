"""How the service talks to its database server: reads outside transactions, pings only after idleness.

A page on PostgreSQL pays a round trip per statement, and psycopg sends BEGIN on its own before a
transaction's first statement and ROLLBACK after its last: a directory page that reads twice made four
round trips. PostgreSQL's default isolation (read committed) gives every statement its own snapshot
whether or not it runs in a transaction, so a page that only reads loses nothing by reading outside one.

`Session` therefore binds the statements of GET and HEAD requests to the same engine in autocommit mode
(`DATABASE_AUTOCOMMIT_READS`, on by default), and a listener keeps writes transactional: before the first
statement of such a request that is not a plain SELECT (an INSERT, an UPDATE, a SAVEPOINT, a SELECT …
FOR UPDATE) it sends BEGIN itself. From there the request's writes are one transaction, committed by its
`db.session.commit()` and rolled back by its rollback or by the request's end, exactly as before. A
streamed read (a server-side cursor, as the exports use) begins one too, to hold its cursor. Only
other reads lose their BEGIN and ROLLBACK. SQLite's driver begins in-process, so it is left as it is.
"""

from __future__ import annotations

import functools
import re

from flask import current_app, has_request_context, request
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event

READ_METHODS = frozenset({"GET", "HEAD"})
BEGIN_BEFORE_WRITING = "coordination_begin_before_writing"  # the execution option the listener looks for
_SELECT = re.compile(r"\s*SELECT\b", re.IGNORECASE)
# A SELECT that locks or changes something needs its transaction too.
_NOT_ONLY_READING = re.compile(
    r"\bFOR\s+(?:NO\s+KEY\s+)?UPDATE\b|\bFOR\s+(?:KEY\s+)?SHARE\b|\bpg_advisory|\bset_config\b|\bnextval\b|\bsetval\b",
    re.IGNORECASE,
)


class Session(FlaskSession):
    """Flask-SQLAlchemy's session, reading outside transactions during GET and HEAD requests."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        engine = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        if bind is None and has_request_context() and request.method in READ_METHODS:
            return reads_engine(engine)
        return engine


def reads_engine(engine):
    """The engine a request that reads uses: the same pool in autocommit mode, if that is on."""
    readers = engine.__dict__.get("_coordination_reads")
    if readers is None:
        readers = engine
        config = current_app.config
        # A stricter isolation chosen for the engine (one snapshot per transaction) is kept as chosen.
        isolation = config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("isolation_level", "READ COMMITTED")
        if (
            engine.dialect.driver == "psycopg"
            and config.get("DATABASE_AUTOCOMMIT_READS", True)
            and str(isolation).upper().replace("_", " ") == "READ COMMITTED"
        ):
            readers = engine.execution_options(isolation_level="AUTOCOMMIT", **{BEGIN_BEFORE_WRITING: True})
        engine.__dict__["_coordination_reads"] = readers
    return readers


@functools.lru_cache(maxsize=1024)
def only_reads(statement: str) -> bool:
    """Whether a statement only reads (the service's statements are few and built once, so remembered)."""
    return bool(_SELECT.match(statement)) and not _NOT_ONLY_READING.search(statement)


def begin_before_writing(engine) -> None:
    """On a connection in the readers' autocommit mode, send BEGIN before the first statement that is not
    only a read, so the writes that follow are one transaction (committed or rolled back as the session
    says: psycopg commits or rolls back whatever transaction the server has open, autocommit or not)."""
    if engine.dialect.driver != "psycopg":
        return
    from psycopg import ServerCursor
    from psycopg.pq import TransactionStatus

    @event.listens_for(engine, "before_cursor_execute")
    def _begin(conn, cursor, statement, parameters, context, executemany):
        if not conn.get_execution_options().get(BEGIN_BEFORE_WRITING):
            return
        # A streamed read (a server-side cursor: the exports) needs a transaction to hold its cursor.
        if only_reads(statement) and not isinstance(cursor, ServerCursor):
            return
        if cursor.connection.info.transaction_status == TransactionStatus.IDLE:
            cursor.connection.execute("BEGIN")


def ping_idle_connections(engine, idle_seconds: float) -> None:
    """A database server: check a pooled connection before use only when it has sat idle for a while.

    SQLAlchemy's pool_pre_ping asks the server on every checkout, which is one round trip more on every
    request. A connection the previous request gave back moments ago is as alive as it was then; one
    that has been idle longer than `idle_seconds` (the server may have restarted, or dropped it) is
    pinged first and, if dead, replaced before the request uses it (the pool retries on
    DisconnectionError). SQLite files need no ping.
    """
    if engine.dialect.name == "sqlite":
        return
    import time

    from sqlalchemy import exc

    def mark(dbapi_connection, record, *_):
        record.info["idle_since"] = time.monotonic()

    def check(dbapi_connection, record, proxy):
        if time.monotonic() - record.info.get("idle_since", 0.0) < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(f"a pooled connection was dead after {idle_seconds:g} s idle") from error

    event.listen(engine, "connect", mark)
    event.listen(engine, "checkin", mark)
    event.listen(engine, "checkout", check)
