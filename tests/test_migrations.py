"""`flask db upgrade` builds exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@pytest.fixture
def empty_database_url(tmp_path):
    """A brand-new empty database on the same kind of server the suite uses."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path}/migrations.db"
        return
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.slow
def test_migrations_build_the_schema_the_models_describe(empty_database_url, tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import upgrade

    from coordination import create_app
    from coordination.extensions import db, include_in_migrations

    app = create_app("test", SQLALCHEMY_DATABASE_URI=empty_database_url, INSTANCE_PATH=str(tmp_path / "instance"))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": include_in_migrations}
            )
            differences = compare_metadata(context, db.metadata)
            triggers = (
                connection.execute(
                    text(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                        if db.engine.dialect.name == "sqlite"
                        else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
                    )
                )
                .scalars()
                .all()
            )
        db.engine.dispose()
    assert differences == [], "models and migrations differ; run `flask --app app db migrate`"
    assert any("audit_entry" in name for name in triggers)
