"""Configuration classes, chosen by name in create_app."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("INSTANCE_PATH", ROOT / "instance"))


def _development_secret_key(instance: str | Path | None = None) -> str:
    """Generate a secret key once and keep it under instance/ so sessions survive restarts."""
    folder = Path(instance) if instance is not None else INSTANCE
    path = folder / "secret_key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _sqlite_url(name: str) -> str:
    return f"sqlite:///{INSTANCE / name}"


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or _sqlite_url("coordination.db")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    INSTANCE_PATH = str(INSTANCE)
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE / "uploads"))
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "gmvcse_session"
    # The cookie only carries the server-side session id and the CSRF secret; sign-in itself ends after
    # SESSION_IDLE_MINUTES without use. A long-lived cookie means a form left open for a day still posts
    # (and a claim typed after the sign-in ended is kept until the person signs in again).
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "240"))
    WTF_CSRF_TIME_LIMIT = None  # the session bounds the token; a long form must not fail on submit
    SIGNIN_MAX_FAILURES = 5
    SIGNIN_WINDOW_MINUTES = 15
    SETUP_LINK_HOURS = 72
    RESET_LINK_HOURS = 2
    PASSWORD_MIN_LENGTH = 8
    PASSWORD_HASH_METHOD = "scrypt"  # werkzeug's default cost (N=32768): about half a second per check
    SERVICE_NAME = "GM VCSE Coordination"
    # Map tiles are the only images allowed from another host; set TILE_URL='' for no basemap.
    TILE_URL = os.environ.get("TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "587"))
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_USE_TLS = os.environ.get("SMTP_USE_TLS", "1") == "1"
    MAIL_FROM = os.environ.get("MAIL_FROM", "no-reply@example.org")
    EXTERNAL_URL = os.environ.get("EXTERNAL_URL", "")
    HOST = os.environ.get("HOST", "127.0.0.1")
    PORT = int(os.environ.get("PORT", "5000"))
    NODE_MODULES = str(ROOT / "node_modules")
    BOUNDARIES_DIR = os.environ.get("BOUNDARIES_DIR", str(ROOT / "data" / "boroughs"))

    @staticmethod
    def init_app(app) -> None:
        """Hook for environment-specific checks."""


class DevelopmentConfig(Config):
    """Local development: generated secret key, SQLite under instance/."""

    SECRET_KEY = Config.SECRET_KEY or None  # filled lazily in init_app

    @staticmethod
    def init_app(app) -> None:
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = _development_secret_key(app.instance_path)


class TestConfig(Config):
    """Tests: a throwaway database, CSRF checked only where a test asks for it."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite:///" + str(
        Path(os.environ.get("TEST_TMPDIR", "/tmp")) / "coordination-test.db"
    )
    WTF_CSRF_ENABLED = False
    # The same algorithm at a cost a test suite can afford (every signed-in test hashes and checks twice).
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"
    TILE_URL = ""
    SMTP_HOST = ""


class ProductionConfig(Config):
    """Production: refuses to start without a secret key and a database URL."""

    SESSION_COOKIE_SECURE = True
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "1"))

    @staticmethod
    def init_app(app) -> None:
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(
                "Production configuration needs these environment variables: " + ", ".join(missing)
            )
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
        if app.config["TRUSTED_PROXIES"]:
            from werkzeug.middleware.proxy_fix import ProxyFix

            # Behind one TLS proxy: take the client address and scheme from it (throttling counts by IP).
            hops = app.config["TRUSTED_PROXIES"]
            app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


configs = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
