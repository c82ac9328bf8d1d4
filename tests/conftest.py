"""Shared fixtures: the app on SQLite or PostgreSQL (TEST_DATABASE_URL), factories, clients, a live server."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
PASSWORD = "correct horse battery staple"


def _worker_database(base_url: str, worker: str | None) -> tuple[str, str | None]:
    """PostgreSQL under pytest-xdist: each worker gets its own database `<name>_<worker>`, made fresh."""
    if not worker:
        return base_url, None
    url = make_url(base_url)
    name = f"{url.database}_{worker}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False), name


def _drop_worker_database(base_url: str, name: str) -> None:
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def app():
    """One app per test process, its schema built from the models.

    Each process (each pytest-xdist worker) has its own folder for the instance, uploads and the SQLite
    database; on PostgreSQL (TEST_DATABASE_URL) each worker has its own database, dropped at the end.
    """
    from coordination import create_app
    from coordination.extensions import db

    run_dir = Path(tempfile.mkdtemp(prefix="coordination-tests-"))
    base_url = os.environ.get("TEST_DATABASE_URL")
    worker_database = None
    if base_url and base_url.startswith("postgresql"):
        url, worker_database = _worker_database(base_url, os.environ.get("PYTEST_XDIST_WORKER"))
    else:
        url = base_url or f"sqlite:///{run_dir / 'coordination-test.db'}"
    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=url,
        INSTANCE_PATH=str(run_dir / "instance"),
        UPLOAD_FOLDER=str(run_dir / "uploads"),
    )
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_request_globals)
    with app.app_context():
        db.drop_all()
        _drop_leftovers(db)
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    if worker_database:
        _drop_worker_database(base_url, worker_database)
    shutil.rmtree(run_dir, ignore_errors=True)


def _fresh_request_globals() -> None:
    """Tests keep one app context pushed, so Flask reuses its `g` for every request: start each clean."""
    from flask import g

    for name in list(vars(g)):
        delattr(g, name)


def _drop_leftovers(db) -> None:
    """A PostgreSQL database reused between runs may hold types or tables from older schemas."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))


@pytest.fixture(autouse=True)
def _empty_database(request, app):
    """Each test starts with empty tables (cheaper than rebuilding the schema)."""
    yield
    from coordination.extensions import db

    db.session.remove()
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if db.engine.dialect.name == "postgresql":
            connection.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            from coordination.audit import AUDIT_GUARD_SQL

            connection.execute(text("DROP TRIGGER IF EXISTS audit_entry_no_delete"))
            for table in tables:
                connection.execute(text(f'DELETE FROM "{table}"'))
            connection.execute(text(AUDIT_GUARD_SQL["sqlite"][1]))
    # The data-version counters start again with the tables, so a cache keyed by them could hand one test
    # another test's figures: every cache on the app starts empty too.
    for cache in app.extensions.get("coordination.caches", {}).values():
        cache.clear()
    app.extensions.pop("coordination.evaluation.latest", None)


@pytest.fixture
def client(app):
    return app.test_client()


_counter = itertools.count(1)


@pytest.fixture
def create_user(app):
    """Factory: create_user(role='coordinator', **overrides) -> User with PASSWORD set."""
    from coordination.accounts.operations import create_user as make

    def factory(role: str = "coordinator", **overrides):
        n = next(_counter)
        values = {
            "email": f"{role}{n}@example.org",
            "name": f"Test {role.title()} {n}",
            "role": role,
            "password": PASSWORD,
        }
        if role == "partner":
            values["boroughs"] = ["E08000005"]
        values.update(overrides)
        return make(**values)

    return factory


def sign_in(client, user, password: str = PASSWORD):
    """Sign a test client in through the real form."""
    response = client.post("/sign-in", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def signed_in(client, create_user):
    """Factory: signed_in(role, **overrides) -> (client, user), the client signed in as a new user."""

    def factory(role: str = "coordinator", **overrides):
        user = create_user(role, **overrides)
        sign_in(client, user)
        return client, user

    return factory


def page(response) -> BeautifulSoup:
    """Parse a response's HTML."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def error_messages(soup: BeautifulSoup) -> list[str]:
    """The texts in the page's error summary."""
    summary = soup.select_one(".govuk-error-summary")
    return [li.get_text(" ", strip=True) for li in summary.select("li")] if summary else []


@pytest.fixture(scope="session")
def live_server(app):
    """The app served over HTTP on a free local port, in a thread, for the browser tests."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()


def shared_file(*parts: str) -> Path:
    """A reference data file from ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data {path} is not present (it lives in ../shared/data beside the repo)")
    return path


def pytest_collection_modifyitems(config, items):
    """Browser tests are marked `browser`; `postgres` tests are skipped unless TEST_DATABASE_URL is PostgreSQL."""
    on_postgres = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql")
    skip = pytest.mark.skip(reason="needs PostgreSQL (set TEST_DATABASE_URL)")
    for item in items:
        if "browser" in item.path.parts:
            item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("postgres") and not on_postgres:
            item.add_marker(skip)
