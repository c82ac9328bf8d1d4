"""A cheap data version: one counter per table, bumped by the database itself on every change.

Caches of JSON, map payloads and engagement figures key on `data_version(tables)`: one primary-key
read of a ten-row table, instead of counting and scanning the tables they were built from. Triggers
(not ORM events) keep the counters, so bulk inserts, imports and changes made in `psql` count too.

A counter starts from the clock (microseconds) the first time its table changes, then counts up, so
a counter row that was deleted and re-created never repeats a version a cache has already seen.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import DDL, BigInteger, String, cast, event, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .extensions import db

# The tables whose contents reach the directory, its maps and APIs, and the engagement figures.
WATCHED = (
    "organisation",
    "organisation_borough",
    "organisation_practice_area",
    "concept",
    "concept_label",
    "community",
    "person",
    "membership",
    "event",
    "attendance",
)

# The evaluation tables the impact report reads (besides event, attendance and community above).
EVALUATION_TABLES = (
    "questionnaire",
    "questionnaire_version",
    "survey_round",
    "survey_invitation",
    "survey_response",
    "survey_answer",
    "survey_answer_theme",
    "evaluation_theme",
    "equality_record",
    "evaluation_comparator",
    "evaluation_published_report",
)
TRIGGERED = WATCHED + EVALUATION_TABLES


class DataVersion(db.Model):
    """One row per watched table: a number that changes whenever the table does."""

    __tablename__ = "data_version"

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


_SQLITE_START = "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"
_PG_START = "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"


def _sqlite_triggers(table: str) -> list[str]:
    bump = (
        f"INSERT INTO data_version (table_name, version) VALUES ('{table}', {_SQLITE_START}) "
        "ON CONFLICT (table_name) DO UPDATE SET version = data_version.version + 1;"
    )
    return [
        f'CREATE TRIGGER IF NOT EXISTS data_version_{table}_{verb.lower()} AFTER {verb} ON "{table}" BEGIN {bump} END'
        for verb in ("INSERT", "UPDATE", "DELETE")
    ]


PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION bump_data_version() RETURNS trigger AS $$ BEGIN "
    f"INSERT INTO data_version (table_name, version) VALUES (TG_TABLE_NAME, {_PG_START}) "
    "ON CONFLICT (table_name) DO UPDATE SET version = data_version.version + 1; RETURN NULL; END $$ "
    "LANGUAGE plpgsql"
)


def _pg_trigger(table: str) -> str:
    # Once per statement: a bulk insert of 100,000 rows bumps the counter once.
    return (
        f'CREATE TRIGGER data_version_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" '
        "FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()"
    )


def trigger_sql(dialect: str, tables=WATCHED) -> list[str]:
    """The statements that create the counters' triggers (used by the migration and by create_all)."""
    if dialect == "sqlite":
        return [statement for table in tables for statement in _sqlite_triggers(table)]
    return (
        [PG_FUNCTION]
        + [f'DROP TRIGGER IF EXISTS data_version_{table} ON "{table}"' for table in tables]
        + [_pg_trigger(table) for table in tables]
    )


def drop_trigger_sql(dialect: str, tables=WATCHED) -> list[str]:
    """The statements that remove them again (the migration's downgrade)."""
    if dialect == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS data_version_{table}_{verb}"
            for table in tables
            for verb in ("insert", "update", "delete")
        ]
    return [f'DROP TRIGGER IF EXISTS data_version_{table} ON "{table}"' for table in tables] + [
        "DROP FUNCTION IF EXISTS bump_data_version()"
    ]


def _create_triggers(target, connection, **kw) -> None:
    # After the whole schema exists (create_all in tests and benches); migrations call trigger_sql themselves.
    present = set(target.tables)
    tables = [t for t in TRIGGERED if t in present]
    if "data_version" not in present or not tables:
        return
    for statement in trigger_sql(connection.dialect.name, tables):
        connection.execute(DDL(statement))


event.listen(db.metadata, "after_create", _create_triggers)


def data_version(tables=WATCHED) -> tuple:
    """(table, version) pairs for these tables: changes whenever any of them changes.

    Within a request that has not written anything, every counter is read once (one read of the
    ten-row table) and each later call, whatever its tables, reuses that read.
    """
    from flask import g, has_request_context

    memo = None
    if has_request_context() and not (db.session.new or db.session.dirty or db.session.deleted):
        memo = g.get("_data_versions")
        if memo is None:
            memo = g._data_versions = dict(
                db.session.execute(select(DataVersion.table_name, DataVersion.version)).all()
            )
        return tuple((table, memo.get(table, 0)) for table in tables)
    rows = dict(
        db.session.execute(
            select(DataVersion.table_name, DataVersion.version).where(DataVersion.table_name.in_(tables))
        ).all()
    )
    return tuple((table, rows.get(table, 0)) for table in tables)


def versions_column():
    """Every counter as one text value ("table:version,…"), as a column to add to a read the request makes
    anyway (the signed-in person's session): the data versions then cost no round trip of their own."""
    pair = DataVersion.table_name + ":" + cast(DataVersion.version, String)
    return select(func.aggregate_strings(pair, ",")).scalar_subquery()


def remember_versions(text: str | None) -> None:
    """Keep the counters read through versions_column() for this request's data_version() calls.

    Like data_version()'s own read, only while the session holds no unflushed change; a commit or
    rollback forgets them again (`_forget_versions`).
    """
    from flask import g, has_request_context

    if not has_request_context() or db.session.new or db.session.dirty or db.session.deleted:
        return
    pairs = (pair.rpartition(":") for pair in (text or "").split(",") if pair)
    g._data_versions = {table: int(number) for table, _, number in pairs}


def compact_versions(threshold_pages: int = 8) -> bool:
    """PostgreSQL: give back the pages the data_version table grew by; True when it was compacted.

    Every write statement updates one of its few rows. Within a long transaction (an import, the demo
    seed) the old row versions cannot be pruned, so the table grows to hundreds of pages; autovacuum later
    frees the rows but not the pages, and every signed-in request then reads them all (1.1 ms at 402
    pages, against a few microseconds for one). VACUUM FULL rewrites it (a few rows: instant); it waits
    at most two seconds for the requests reading it, then leaves it for the next time.
    """
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    if db.engine.dialect.name != "postgresql":
        return False
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        pages = connection.execute(text("SELECT pg_relation_size('data_version') / current_setting('block_size')::int"))
        if (pages.scalar() or 0) <= threshold_pages:
            return False
        connection.execute(text("SET lock_timeout = '2s'"))
        try:
            connection.execute(text("VACUUM FULL data_version"))
        except OperationalError:  # other requests held it for longer: next time
            return False
        finally:
            connection.execute(text("RESET lock_timeout"))
    return True


def etag_for(*parts) -> str:
    """A strong ETag (quoted) from the data version and whatever else shapes the response."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()
    return f'"{digest}"'


DIRECTORY_TABLES = ("organisation", "organisation_borough", "organisation_practice_area", "concept", "concept_label")
VOCABULARY_TABLES = ("concept", "concept_label")


class VersionedCache:
    """A small thread-safe LRU of built payloads; keys carry the data version, so stale entries are never hit."""

    def __init__(self, size: int = 16):
        import threading
        from collections import OrderedDict

        self.size = size
        self._items = OrderedDict()
        self._lock = threading.Lock()

    def get_or_build(self, key, build):
        """The cached value for key, building it (outside the lock) when missing."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_ENCODINGS = ("br", "gzip", "deflate", "zstd")


def conditional_response(parts: tuple, build, mimetype: str = "application/json"):
    """A response with an ETag from `parts` (data version, filters…): 304 when the caller already has it.

    `build()` returns the body (bytes, str or an iterable for streaming) and is only called on a miss.
    """
    from flask import Response, request

    digest = etag_for(*parts).strip('"')
    # Flask-Compress appends the encoding to a compressed response's ETag ("…:br"); either form matches.
    if any(request.if_none_match.contains(tag) for tag in (digest, *(f"{digest}:{a}" for a in _ENCODINGS))):
        response = Response(status=304)
    else:
        response = Response(build(), mimetype=mimetype)
    response.set_etag(digest)
    return response


def _forget_versions(session) -> None:
    """A commit may have changed counters: the request reads them afresh after it."""
    from flask import g, has_app_context

    if has_app_context():
        g.pop("_data_versions", None)


event.listen(Session, "after_commit", _forget_versions)
event.listen(Session, "after_rollback", _forget_versions)
