"""Unbound extensions, bound to the app in create_app."""

import click
from flask_compress import Compress
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Enum, MetaData
from sqlalchemy.orm import DeclarativeBase

from .database import Session

# Named constraints so Alembic migrations behave the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base shared by every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Migrations:
    """Flask-Migrate, bound to the app only when a migration runs (`flask db ...`, tests/test_migrations.py).

    Flask-Migrate imports alembic, mako and pygments (some 10 MB and a hundred modules) when it is
    imported; a web worker never migrates, so it never loads them. `app.extensions["migrate"]` is a
    stand-in that binds the real one at its first use (migrations/env.py, flask_migrate.upgrade), and the
    `flask db` command group is Flask-Migrate's own, looked up when the command line asks for it.
    """

    def __init__(self):
        self.options: dict = {}

    def init_app(self, app, db, **options) -> None:
        app.extensions["migrate"] = _BoundOnUse(app, db, options)
        app.cli.add_command(_MigrationCommands(name="db", help="Database migrations (Flask-Migrate)."))


class _BoundOnUse:
    """app.extensions["migrate"] until first used: then Flask-Migrate's own, bound with the options given."""

    def __init__(self, app, db, options: dict):
        self._app, self._db, self._options = app, db, options

    def __getattr__(self, name: str):
        from flask_migrate import Migrate  # alembic: only when a migration runs

        real = self._app.extensions.get("migrate")
        if real is self or real is None:
            Migrate().init_app(self._app, self._db, **self._options)
            real = self._app.extensions["migrate"]
        return getattr(real, name)


class _MigrationCommands(click.Group):
    """`flask db`: Flask-Migrate's command group, imported when the command line asks for it (its own
    options, subcommands and help then take over)."""

    def make_context(self, info_name, args, parent=None, **extra):
        from flask_migrate.cli import db as commands  # alembic: only for `flask db ...`

        return commands.make_context(info_name, args, parent=parent, **extra)


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrations()
login_manager = LoginManager()
csrf = CSRFProtect()
compress = Compress()


# Name prefixes of database objects that models do not describe (full-text index tables made by raw DDL).
# An area registers its own with not_modelled(...), so the core never imports an area.
NOT_MODELLED: set[str] = set()


def not_modelled(*prefixes: str) -> None:
    """Register database objects (by name prefix) that raw DDL makes and migrations must leave alone."""
    NOT_MODELLED.update(prefixes)


def include_in_migrations(obj, name, type_, reflected, compare_to) -> bool:
    """Leave database objects that models do not describe (full-text index tables) out of migrations."""
    if reflected and compare_to is None and name:
        return not name.startswith(tuple(NOT_MODELLED))
    return True


def value_enum(enum_class, name: str) -> Enum:
    """A database enum stored by the members' values (lower-case words), with a named type for PostgreSQL."""
    return Enum(
        enum_class, name=name, values_callable=lambda members: [m.value for m in members], validate_strings=True
    )


def refresh_statistics(*tables: str) -> None:
    """After a bulk write (an import, the demo seed): give SQLite's query planner statistics for these tables.

    SQLite keeps none until ANALYZE runs, and without them it plans blind (a listing of every active
    organisation walked the (status, name) index instead of reading the table, twice the cost at
    117,500). SQLite before 3.46 analyses in `PRAGMA optimize` only tables its own connection has read, so
    the tables are named here: about 0.15 s at 117,500 organisations. PostgreSQL's autovacuum keeps its
    statistics itself; there the data-version table is compacted instead (versions.compact_versions).
    """
    from sqlalchemy import text

    if db.engine.dialect.name != "sqlite":
        from .versions import compact_versions

        db.session.commit()  # as ANALYZE does below: the compaction waits for no transaction of this session
        compact_versions()  # PostgreSQL: the pages the data-version table grew by during the bulk write
        return
    preparer = db.engine.dialect.identifier_preparer
    for table in tables:
        db.session.execute(text(f"ANALYZE {preparer.quote(table)}"))
    db.session.commit()
