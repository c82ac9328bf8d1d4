"""Issue 15: /readyz proves the service can save (database write, receipts folder write) and names what
cannot; a database outage gives an honest 503 page that does not claim anyone is signed in."""

from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy.exc import OperationalError

from coordination import create_app
from tests.conftest import page, sign_in


def test_ready_when_the_database_and_the_receipts_folder_can_be_written(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "receipts_folder": "ok"}}


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to a read-only folder; the patched test below covers it")
def test_a_read_only_receipts_folder_is_named(app, client, tmp_path):
    folder = tmp_path / "receipts"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    old = app.config["UPLOAD_FOLDER"]
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    try:
        response = client.get("/readyz")
    finally:
        app.config["UPLOAD_FOLDER"] = old
        folder.chmod(stat.S_IRWXU)
    assert response.status_code == 503 and response.get_json()["failing"] == ["receipts_folder"]


def test_a_receipts_folder_that_cannot_be_written_is_named(app, client, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the upload folder should be")
    old = app.config["UPLOAD_FOLDER"]
    app.config["UPLOAD_FOLDER"] = str(blocker)
    try:
        response = client.get("/readyz")
    finally:
        app.config["UPLOAD_FOLDER"] = old
    # Before: /healthz said "ok" however unwritable the folder was.
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["receipts_folder"] and body["checks"]["database"] == "ok"
    assert body["checks"]["receipts_folder"] == "cannot write to the receipts folder"


def test_a_database_that_cannot_be_written_is_named(tmp_path):
    """A read-only SQLite file: reads work, so the old SELECT 1 said 'ok'."""
    from coordination.extensions import db

    database = tmp_path / "ro.db"
    writable = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}", INSTANCE_PATH=str(tmp_path))
    with writable.app_context():
        db.create_all()
        db.engine.dispose()
    readonly = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///file:{database}?mode=ro&uri=true",
        INSTANCE_PATH=str(tmp_path),
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
    )
    with readonly.app_context():
        response = readonly.test_client().get("/readyz")
        db.engine.dispose()
    assert response.status_code == 503
    assert response.get_json()["failing"] == ["database"]


def test_a_lost_database_gives_a_503_page_that_does_not_claim_anyone_is_signed_in(app, create_user, monkeypatch):
    user = create_user("coordinator")
    client = app.test_client()
    sign_in(client, user)
    assert "Signed in as" in page(client.get("/")).get_text()
    app.config["FRIENDLY_ERRORS_IN_TESTS"] = True
    from coordination.accounts import operations

    def unreachable(user_id):
        raise OperationalError("SELECT user_session", {}, Exception("connection refused"))

    monkeypatch.setattr(app.login_manager, "_user_callback", unreachable)
    try:
        response = client.get("/")
    finally:
        app.config["FRIENDLY_ERRORS_IN_TESTS"] = False
    assert operations  # the real loader is restored by monkeypatch
    text = page(response).get_text(" ", strip=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert "Signed in as" not in text and "Sign out" not in text
    assert "We could not check whether you are signed in" in text
    assert "SELECT" not in text and "connection refused" not in text
