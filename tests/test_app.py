"""Factory, configuration, health check and friendly errors."""

import pytest

from coordination import create_app
from coordination.config import ProductionConfig


def test_the_test_configuration_is_used_by_the_suite(app):
    assert app.testing
    assert app.config["MAX_CONTENT_LENGTH"] > 0


def test_production_refuses_to_start_without_a_secret_key_and_database(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY, DATABASE_URL"):
        create_app("production")


def test_production_starts_with_both_settings_and_secure_cookies(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/prod.db")
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("prod.db")
    assert ProductionConfig.SESSION_COOKIE_HTTPONLY


def test_development_generates_and_keeps_a_secret_key(monkeypatch, tmp_path):
    import coordination.config as config

    monkeypatch.setattr(config, "INSTANCE", tmp_path)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = config._development_secret_key()
    assert len(first) > 40 and config._development_secret_key() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_the_upload_folder_is_outside_any_static_folder(app):
    from pathlib import Path

    uploads = Path(app.config["UPLOAD_FOLDER"]).resolve()
    assert Path(app.static_folder).resolve() not in uploads.parents


def test_the_liveness_check_only_says_the_process_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_unknown_pages_get_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_unexpected_errors_show_a_plain_500_without_internals(app):
    fresh = create_app("test")
    fresh.config["FRIENDLY_ERRORS_IN_TESTS"] = True

    @fresh.get("/_boom_for_test")
    def boom():
        raise RuntimeError("SELECT secret FROM table")

    with fresh.app_context():
        response = fresh.test_client().get("/_boom_for_test")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "SELECT" not in body and "Traceback" not in body
    assert "Sorry, there is a problem" in body


def test_too_large_uploads_get_a_plain_413(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/sign-in", data=b"x" * (limit + 1), content_type="application/octet-stream")
    assert response.status_code == 413
    assert "The file is too big" in response.get_data(as_text=True)


def test_sqlite_runs_with_wal_a_busy_timeout_and_foreign_keys(app):
    import pytest as _pytest
    from sqlalchemy import text as sql

    from coordination.extensions import db

    if db.engine.dialect.name != "sqlite":
        _pytest.skip("SQLite settings; this run uses PostgreSQL")
    with db.engine.connect() as connection:
        assert connection.execute(sql("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(sql("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(sql("PRAGMA busy_timeout")).scalar() == 10000


def test_settings_can_be_given_to_the_factory_without_environment_variables(tmp_path):
    fresh = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/own.db",
        INSTANCE_PATH=str(tmp_path / "instance"),
        SERVICE_NAME="Test service",
    )
    assert fresh.config["SQLALCHEMY_DATABASE_URI"].endswith("own.db")
    assert fresh.instance_path == str(tmp_path / "instance") and (tmp_path / "instance").is_dir()
    assert fresh.config["SERVICE_NAME"] == "Test service"


def test_development_keeps_its_secret_key_in_the_instance_folder_it_is_given(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app("development", INSTANCE_PATH=str(tmp_path), SQLALCHEMY_DATABASE_URI="sqlite://")
    again = create_app("development", INSTANCE_PATH=str(tmp_path), SQLALCHEMY_DATABASE_URI="sqlite://")
    assert first.config["SECRET_KEY"] == again.config["SECRET_KEY"] == (tmp_path / "secret_key").read_text()


def test_building_the_app_changes_no_folium_setting(tmp_path):
    import folium

    before = list(folium.Map.default_js)
    create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://", INSTANCE_PATH=str(tmp_path))
    assert list(folium.Map.default_js) == before


@pytest.mark.postgres
def test_each_parallel_worker_has_its_own_database(app):
    import os

    from sqlalchemy.engine import make_url

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    base = make_url(os.environ["TEST_DATABASE_URL"]).database
    assert make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database == (f"{base}_{worker}" if worker else base)
