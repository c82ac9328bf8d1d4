"""Liveness and readiness: is the process answering, and can it save anything right now?

`/healthz` only says the process is up (a load balancer restarting the app because the database is
down would not help). `/readyz` proves the service can do its job: it writes a row in the database and
rolls it back, and writes, syncs and deletes a small file in the receipts folder. Each part is named
in the answer, so a 503 says what is wrong without anyone reading logs; the details go to the log.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy import insert

from .extensions import db


def check_database() -> str:
    """'ok', or a short reason; writes a probe row on its own connection and rolls it back."""
    from .throttle import RateLimitCounter

    try:
        with db.engine.connect() as connection:
            transaction = connection.begin()
            try:
                connection.execute(
                    insert(RateLimitCounter).values(key=f"readyz-probe-{secrets.token_hex(8)}", hits=0, expires_at=0.0)
                )
            finally:
                transaction.rollback()
        return "ok"
    except Exception as error:  # noqa: BLE001 - the point is to report, not raise
        current_app.logger.error("Readiness: the database cannot be written: %s", error)
        return "cannot write to the database"


def check_folder(path: Path) -> str:
    """'ok', or a short reason; creates the folder if needed and writes a temporary file in it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".readyz-", delete=True) as handle:
            handle.write(b"readiness probe\n")
            handle.flush()
            os.fsync(handle.fileno())
        return "ok"
    except OSError as error:
        current_app.logger.error("Readiness: %s cannot be written: %s", path, error)
        return "cannot write to the receipts folder"


def readiness() -> dict[str, str]:
    """Each part's state: database and receipts folder."""
    return {
        "database": check_database(),
        "receipts_folder": check_folder(Path(current_app.config["UPLOAD_FOLDER"]) / "receipts"),
    }
