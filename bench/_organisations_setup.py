"""Shared set-up for the organisation benchmarks: a fresh SQLite database in a temporary folder."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fresh_app():
    """An app on an empty temporary SQLite database (or BENCH_DATABASE_URL), schema from the models."""
    folder = tempfile.mkdtemp(prefix="bench-organisations-")
    os.environ["INSTANCE_PATH"] = folder
    if os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.db"
    from coordination import create_app
    from coordination.extensions import db

    app = create_app("development")
    app.config["TILE_URL"] = ""
    context = app.app_context()
    context.push()
    db.drop_all()
    db.create_all()
    return app, db
