"""Unbound extensions, bound to the app in create_app."""

from flask_compress import Compress
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Enum, MetaData
from sqlalchemy.orm import DeclarativeBase

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


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
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
    statistics itself.
    """
    from sqlalchemy import text

    if db.engine.dialect.name != "sqlite":
        return
    preparer = db.engine.dialect.identifier_preparer
    for table in tables:
        db.session.execute(text(f"ANALYZE {preparer.quote(table)}"))
    db.session.commit()
