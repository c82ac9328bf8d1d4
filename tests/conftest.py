"""Shared fixtures: the app on SQLite or PostgreSQL (TEST_DATABASE_URL), factories, clients, a live server."""
from __future__ import annotations

import itertools
import os
import tempfile
import threading
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
PASSWORD = "correct horse battery staple"

# Set before anything imports coordination.config (it reads these at import time), so parallel
# runs and worktrees never share a test database or instance folder.
_RUN_DIR = Path(tempfile.mkdtemp(prefix="coordination-tests-"))
os.environ.setdefault("TEST_TMPDIR", str(_RUN_DIR))
os.environ["INSTANCE_PATH"] = str(_RUN_DIR / "instance")


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """One app for the whole run, its schema built from the models."""
    from coordination import create_app
    from coordination.extensions import db

    app = create_app("test")
    app.config["UPLOAD_FOLDER"] = str(tmp_path_factory.mktemp("uploads"))
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_request_globals)
    with app.app_context():
        db.drop_all()
        _drop_leftovers(db)
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()


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
    for cleanup in getattr(app, "_test_cache_clears", []):
        cleanup()


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
        values = {"email": f"{role}{n}@example.org", "name": f"Test {role.title()} {n}", "role": role,
                  "password": PASSWORD}
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
