"""The Flask application: create_app builds it from a named configuration."""

from __future__ import annotations

import functools
import importlib
import os

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import database, errors, logs, security, throttle
from .config import ROOT, configs
from .extensions import compress, csrf, db, include_in_migrations, login_manager, migrate
from .text import CleanRequest

# One sub-package per area; each has views.bp and may have cli.commands and demo.seed.
AREAS = (
    "accounts",
    "geography",
    "organisations",
    "terminology",
    "claims",
    "communities",
    "engagement",
    "evaluation",
    "networks",
    "help",
)


def create_app(config_name: str | None = None, **overrides) -> Flask:
    """Build the app for 'development', 'test' or 'production' (default: FLASK_CONFIG or development).

    Keyword arguments override single settings, e.g. create_app("test", SQLALCHEMY_DATABASE_URI=url,
    INSTANCE_PATH=folder), so callers need no environment variables.
    """
    config_name = config_name or os.environ.get("FLASK_CONFIG", "development")
    config = configs[config_name]
    app = Flask(
        __name__,
        static_folder=str(ROOT / "coordination" / "static"),
        static_url_path="/static",
        instance_path=str(overrides.get("INSTANCE_PATH", config.INSTANCE_PATH)),
    )
    app.request_class = CleanRequest
    app.config.from_object(config)
    app.config.update(overrides)
    config.init_app(app)
    os.makedirs(app.instance_path, exist_ok=True)
    _init_templates(app)
    _init_extensions(app)
    from .params import BoundedIntegerConverter

    # Before any route is added, so every <int:…> refuses ids too big for the database (404, not a 500).
    app.url_map.converters["int"] = BoundedIntegerConverter
    _register_blueprints(app)
    _register_cli(app)
    security.init_app(app)
    errors.init_app(app)
    logs.install("werkzeug", app.logger.name)
    return app


def _init_templates(app: Flask) -> None:
    from govuk_frontend_wtf.main import WTFormsHelpers

    from . import filters

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    filters.init_app(app)


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            _render_sqlite_index_hints(engine)
            database.ping_idle_connections(engine, app.config["DATABASE_PING_IDLE_SECONDS"])
            database.begin_before_writing(engine)
    migrate.init_app(
        app,
        db,
        directory=str(ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
        include_object=include_in_migrations,
    )
    csrf.init_app(app)
    compress.init_app(app)
    login_manager.init_app(app)
    throttle.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = "Sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # server-side sessions do this job

    from .accounts.operations import load_session_user

    login_manager.user_loader(load_session_user)
    # Import every model module so metadata (and migrations) see all tables.
    from . import audit, mail, versions  # noqa: F401

    mail.init_app(app)

    for area in AREAS:
        _import_optional(f"coordination.{area}.models")
    # Then what areas offer one another (an interface may register itself with another area's).
    for area in AREAS:
        _import_optional(f"coordination.{area}.interface")


def _import_optional(module: str):
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        # Only "this area has no such module"; a missing import inside it is a real error.
        if error.name is None or not (module == error.name or module.startswith(error.name + ".")):
            raise
        return None


def _register_blueprints(app: Flask) -> None:
    from . import assets, audit_views, home

    app.register_blueprint(home.bp)
    app.register_blueprint(assets.bp)
    app.register_blueprint(audit_views.bp)
    for area in AREAS:
        views = _import_optional(f"coordination.{area}.views")
        if views is not None:
            app.register_blueprint(views.bp)


def _register_cli(app: Flask) -> None:
    from . import demo, mail

    app.cli.add_command(demo.demo_cli)
    from . import cli as operator_cli

    for command in operator_cli.commands:
        app.cli.add_command(command)
    app.cli.add_command(mail.mail_cli)
    for area in AREAS:
        cli = _import_optional(f"coordination.{area}.cli")
        for command in getattr(cli, "commands", []):
            app.cli.add_command(command)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: WAL for concurrent readers, a busy timeout instead of instant 'locked', real foreign keys."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _render_sqlite_index_hints(engine) -> None:
    """Let `select(...).with_hint(table, "INDEXED BY ix_name", dialect_name="sqlite")` reach SQLite.

    SQLAlchemy's SQLite compiler drops FROM hints; this engine's compiler writes them after the table name
    (SQLite's INDEXED BY clause). Only statements that ask for a SQLite hint are affected.
    """
    if engine.dialect.name != "sqlite":
        return
    from sqlalchemy.dialects.sqlite.base import SQLiteCompiler

    base = engine.dialect.statement_compiler
    if issubclass(base, SQLiteCompiler) and not getattr(base, "renders_index_hints", False):
        engine.dialect.statement_compiler = _index_hint_compiler(base)


@functools.cache
def _index_hint_compiler(base):
    class IndexHintCompiler(base):
        renders_index_hints = True

        def get_from_hint_text(self, table, text):
            return text

    return IndexHintCompiler
