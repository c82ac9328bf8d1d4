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
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # PostgreSQL: a pooled connection idle longer than this is checked (and replaced if the server dropped
    # it) before a request uses it; one given back moments ago is used straight away (no round trip).
    DATABASE_PING_IDLE_SECONDS = float(os.environ.get("DATABASE_PING_IDLE_SECONDS", "10"))
    # PostgreSQL: GET and HEAD requests read outside a transaction (no BEGIN and ROLLBACK round trips);
    # their first write still begins one (coordination/database.py). "0" makes every request transactional.
    DATABASE_AUTOCOMMIT_READS = os.environ.get("DATABASE_AUTOCOMMIT_READS", "1") != "0"
    INSTANCE_PATH = str(INSTANCE)
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE / "uploads"))
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    # Web imports run in a background thread with a progress page; False runs them inside the request.
    IMPORT_IN_BACKGROUND = os.environ.get("IMPORT_IN_BACKGROUND", "1") != "0"
    # Partners' protected engagement figures are made in a background thread after the figures change
    # (partners see the newest ready ones meanwhile); False makes them inside the partner's request.
    ENGAGEMENT_PUBLISH_IN_BACKGROUND = os.environ.get("ENGAGEMENT_PUBLISH_IN_BACKGROUND", "1") != "0"
    # The directory map's stored layer is built in a background thread after each directory write.
    MAP_LAYER_BUILD_AFTER_WRITES = os.environ.get("MAP_LAYER_BUILD_AFTER_WRITES", "1") != "0"
    # The same for the impact report's partner and public versions (their joint small-number protection).
    EVALUATION_PROTECT_IN_BACKGROUND = os.environ.get("EVALUATION_PROTECT_IN_BACKGROUND", "1") != "0"
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
    SIGNIN_WINDOW_MINUTES = 60  # failures older than this are forgotten
    SETUP_LINK_HOURS = 72
    RESET_LINK_HOURS = 2
    PASSWORD_MIN_LENGTH = 8
    # Sign-in throttling (operations.sign_in, docs/roles.md): after SIGNIN_FREE_FAILURES wrong passwords
    # for one account from one address, each further try waits twice as long as the last (from
    # SIGNIN_FIRST_DELAY_SECONDS up to SIGNIN_MAX_DELAY_SECONDS); the account as a whole (every address)
    # gets SIGNIN_ACCOUNT_FREE_FAILURES; one address gets SIGNIN_ADDRESS_CEILING failures across all
    # accounts in the window before it waits, generous so one office's typos never lock its colleagues out.
    SIGNIN_FREE_FAILURES = 5
    SIGNIN_ACCOUNT_FREE_FAILURES = 20
    SIGNIN_FIRST_DELAY_SECONDS = 30
    SIGNIN_MAX_DELAY_SECONDS = 15 * 60
    SIGNIN_ADDRESS_CEILING = 200
    # Request rate limits (Flask-Limiter, coordination/throttle.py). "database://" keeps the counts in this
    # service's database so every gunicorn worker shares them; redis:// or memcached:// also work.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "database://")
    RATELIMIT_STRATEGY = "fixed-window"
    RATELIMIT_SWALLOW_ERRORS = True  # a broken store lets requests through (and logs) rather than failing
    RATELIMIT_HEADERS_ENABLED = False  # the 429 page sets Retry-After itself (coordination/errors.py)
    RATELIMIT_KEY_PREFIX = "gmvcse"
    SIGNIN_RATE_LIMIT = os.environ.get("SIGNIN_RATE_LIMIT", "30 per minute")
    RESET_RATE_LIMIT_EMAIL = os.environ.get("RESET_RATE_LIMIT_EMAIL", "3 per hour")
    RESET_RATE_LIMIT_NETWORK = os.environ.get("RESET_RATE_LIMIT_NETWORK", "20 per hour")
    LINK_RATE_LIMIT = os.environ.get("LINK_RATE_LIMIT", "30 per hour")
    ANONYMOUS_FORM_RATE_LIMIT = os.environ.get("ANONYMOUS_FORM_RATE_LIMIT", "10 per hour")
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120 per minute")
    # A claim form posted after the session ended is kept this long, and at most this big, per browser.
    FORM_STASH_HOURS = 12
    FORM_STASH_MAX_BYTES = 8 * 1024
    # Housekeeping and retention (coordination/housekeeping.py, `flask housekeeping`).
    LINK_KEEP_DAYS = 30
    UNFOUND_SEARCH_KEEP_DAYS = int(os.environ.get("UNFOUND_SEARCH_KEEP_DAYS", "365"))
    FINANCIAL_YEAR_END = os.environ.get("FINANCIAL_YEAR_END", "03-31")  # month-day the financial year ends
    RETENTION_YEARS = 6  # HMRC: six years after the end of the financial year
    BACKUP_FOLDER = os.environ.get("BACKUP_FOLDER", str(INSTANCE / "backups"))
    PASSWORD_HASH_METHOD = "scrypt"  # werkzeug's default cost (N=32768): about half a second per check
    SERVICE_NAME = "GM VCSE Coordination"
    # No tile server by default: maps draw their own background from the boundary data, so no page asks a
    # third party for anything. Set TILE_URL (and TILE_ATTRIBUTION) to a tile server whose usage policy
    # allows this service (see docs/configuration.md); its host is then the only other one images may come from.
    TILE_URL = os.environ.get("TILE_URL", "")
    TILE_ATTRIBUTION = os.environ.get("TILE_ATTRIBUTION", "")
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "587"))
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_USE_TLS = os.environ.get("SMTP_USE_TLS", "1") == "1"
    MAIL_FROM = os.environ.get("MAIL_FROM", "no-reply@example.org")
    # Send the email outbox from a background thread after each commit (otherwise run `flask mail send-pending`).
    MAIL_BACKGROUND_SEND = os.environ.get("MAIL_BACKGROUND_SEND", "0") == "1"
    MAIL_BACKGROUND_INTERVAL = int(os.environ.get("MAIL_BACKGROUND_INTERVAL", "60"))
    EXTERNAL_URL = os.environ.get("EXTERNAL_URL", "")
    HOST = os.environ.get("HOST", "127.0.0.1")
    PORT = int(os.environ.get("PORT", "5000"))
    NODE_MODULES = str(ROOT / "node_modules")
    BOUNDARIES_DIR = os.environ.get("BOUNDARIES_DIR", str(ROOT / "data" / "boroughs"))
    # Map frames not yet stored, and partners' network figures, are worked out in a child process, so no worker
    # holds folium, pandas or the HiGHS solver (coordination/apart.py). 0: the worker does it itself.
    RUN_APART = os.environ.get("RUN_APART", "1") != "0"
    # Flask-Compress: pages, JSON, GeoJSON, CSV, styles and scripts (a 800 KB gap-map page is 170 KB gzipped).
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "text/csv",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/geo+json",
        "image/svg+xml",
    ]
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_ALGORITHM_STREAMING = ["br", "deflate"]  # streamed APIs (Flask-Compress cannot stream gzip)
    COMPRESS_BR_LEVEL = 4  # brotli's default (11) costs ~100 ms on a large page; 4 is about gzip's speed
    COMPRESS_LEVEL = 6
    COMPRESS_MIN_SIZE = 1024

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
    IMPORT_IN_BACKGROUND = False  # tests that want the thread switch it on and wait for it
    ENGAGEMENT_PUBLISH_IN_BACKGROUND = False
    MAP_LAYER_BUILD_AFTER_WRITES = False  # a view builds it; tests of the background build switch it on
    EVALUATION_PROTECT_IN_BACKGROUND = False
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
            raise RuntimeError("Production configuration needs these environment variables: " + ", ".join(missing))
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
