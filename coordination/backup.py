"""Backups that restore: one timestamped archive holding the database, the upload folder and a manifest.

* SQLite is copied with SQLite's online backup API, which reads through the database's own locks and so
  includes what is still in the write-ahead log (copying the .db file alone lost the newest audit rows).
* PostgreSQL is dumped with `pg_dump --format=custom` (one consistent snapshot of a running database) and
  restored with `pg_restore --single-transaction`.
* The upload folder (receipts, imports in progress) is added file by file.
* manifest.json lists every file with its size and SHA-256, the schema revision, row counts of the tables
  a restore is checked against, and what a restore needs that the archive does not hold.

The secret key is NOT in the archive unless asked (`--include-secret-key`): an archive that is copied to
another machine or a cloud bucket would otherwise carry the key that signs every session. Without the old
key a restored service works; everyone simply signs in again. Set-up links, API tokens and passwords are
stored as hashes and do not depend on it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import make_url

from .extensions import db

FORMAT = 1
COUNTED_TABLES = ("user_account", "claim", "claim_receipt", "payment_batch", "audit_entry", "organisation", "concept")


class BackupError(Exception):
    """A backup, verification or restore that cannot go ahead, with a plain message for the operator."""


@dataclass
class Archive:
    path: Path
    manifest: dict


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _database_url():
    return make_url(str(db.engine.url.render_as_string(hide_password=False)))


def _libpq(url) -> tuple[str, dict]:
    """A libpq connection string without the password, and an environment that carries it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client tools (Debian: postgresql-client)")
    return found


def _run(command: list[str], env: dict) -> subprocess.CompletedProcess:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[:500]}")
    return result


def _counts() -> dict[str, int]:
    names = set(inspect(db.engine).get_table_names())
    counts = {}
    with db.engine.connect() as connection:
        for table in COUNTED_TABLES:
            if table in names:
                counts[table] = connection.execute(select(func.count()).select_from(text(f'"{table}"'))).scalar_one()
    return counts


def _revision() -> str | None:
    try:
        with db.engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - a schema built by create_all (tests, demos) has no alembic table
        return None


def _dump_database(work: Path) -> tuple[str, Path]:
    url = _database_url()
    if url.get_backend_name() == "sqlite":
        source = url.database
        if not source or source == ":memory:":
            raise BackupError("An in-memory SQLite database cannot be backed up")
        target = work / "database.sqlite3"
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
            src.backup(dst)  # the online backup API: includes committed pages still in the WAL
        with closing(sqlite3.connect(target)) as check:
            check.execute("PRAGMA journal_mode=DELETE")  # one self-contained file in the archive
        return "sqlite", target
    if url.get_backend_name() == "postgresql":
        target = work / "database.pgdump"
        dsn, env = _libpq(url)
        _run(
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={target}",
                f"--dbname={dsn}",
            ],
            env,
        )
        return "postgresql", target
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {url.get_backend_name()}")


def create(destination: Path, *, include_secret_key: bool = False, now: datetime | None = None) -> Archive:
    """Write one archive `coordination-backup-<UTC time>.tar.gz` into destination; return it with its manifest."""
    now = now or datetime.now(UTC)
    destination.mkdir(parents=True, exist_ok=True)
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    with tempfile.TemporaryDirectory(prefix="backup-", dir=destination) as scratch:
        work = Path(scratch)
        counts, revision = _counts(), _revision()
        kind, dump = _dump_database(work)
        members: list[tuple[str, Path]] = [(f"database/{dump.name}", dump)]
        if uploads.is_dir():
            for path in sorted(
                p
                for p in uploads.rglob("*")
                if p.is_file() and not p.name.startswith(".readyz-") and not p.name.endswith(".partial")
            ):
                members.append((f"uploads/{path.relative_to(uploads).as_posix()}", path))
        if include_secret_key:
            key = work / "secret_key"
            key.write_text(current_app.config["SECRET_KEY"])
            members.append(("secret_key", key))
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(timespec="seconds"),
            "service": current_app.config.get("SERVICE_NAME"),
            "database": {"kind": kind, "file": f"database/{dump.name}", "schema_revision": revision},
            "row_counts": counts,
            "files": {name: {"bytes": path.stat().st_size, "sha256": _sha256(path)} for name, path in members},
            "secret_key_included": include_secret_key,
            "restore_needs": [
                "The same or a newer version of this service's code; run `flask db upgrade` after restoring "
                "if the code is newer than the schema revision above.",
                "The environment: DATABASE_URL (an empty database), UPLOAD_FOLDER (an empty folder), "
                "EXTERNAL_URL and the SMTP settings (docs/configuration.md).",
                "SECRET_KEY: "
                + (
                    "in this archive (keep the archive as secret as the key)."
                    if include_secret_key
                    else "not in this archive. Use the old key to keep people signed in, or a new "
                    "one (everyone signs in again; nothing else is lost)."
                ),
            ],
        }
        name = f"coordination-backup-{now.strftime('%Y%m%dT%H%M%SZ')}.tar.gz"
        final = destination / name
        if final.exists():
            raise BackupError(f"{final} already exists")
        partial = destination / (name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
            archive.addfile(info, io.BytesIO(data))
            for member, path in members:
                archive.add(path, arcname=member, recursive=False)
        os.chmod(partial, 0o600)  # personal data: readable by the service's user only
        os.replace(partial, final)
    return Archive(final, manifest)


def _safe_members(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = archive.getmembers()
    for member in members:
        if not member.isfile() or member.name.startswith("/") or ".." in Path(member.name).parts:
            raise BackupError(f"The archive holds an unexpected entry: {member.name}")
    return members


def verify(path: Path) -> Archive:
    """Check the archive: manifest present, every listed file present with its size and checksum, nothing extra,
    and the database copy readable (SQLite integrity check, or pg_restore --list)."""
    if not path.is_file():
        raise BackupError(f"No archive at {path}")
    try:
        archive = tarfile.open(path, "r:gz")  # noqa: SIM115 - closed by the with statement below
    except (tarfile.TarError, OSError) as error:
        raise BackupError(f"{path.name} is not a readable backup archive: {error}") from error
    with archive, tempfile.TemporaryDirectory(prefix="verify-") as scratch:
        members = {m.name: m for m in _safe_members(archive)}
        if "manifest.json" not in members:
            raise BackupError("The archive has no manifest.json")
        manifest = json.load(archive.extractfile(members["manifest.json"]))
        if manifest.get("format") != FORMAT:
            raise BackupError(f"Unknown backup format {manifest.get('format')!r}")
        listed = manifest["files"]
        extra = sorted(set(members) - set(listed) - {"manifest.json"})
        missing = sorted(set(listed) - set(members))
        if missing or extra:
            raise BackupError(
                f"The archive does not match its manifest: missing {missing or 'nothing'}, "
                f"unexpected {extra or 'nothing'}"
            )
        for name, expected in listed.items():
            digest, size = hashlib.sha256(), 0
            handle = archive.extractfile(members[name])
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
            if digest.hexdigest() != expected["sha256"] or size != expected["bytes"]:
                raise BackupError(f"{name} is damaged: its checksum does not match the manifest")
        database = manifest["database"]
        extracted = Path(scratch) / "database"
        archive.extract(members[database["file"]], path=scratch, filter="data")
        dump = Path(scratch) / database["file"]
        if database["kind"] == "sqlite":
            with closing(sqlite3.connect(dump)) as check:
                result = check.execute("PRAGMA integrity_check").fetchone()[0]
            if result != "ok":
                raise BackupError(f"The database copy fails SQLite's integrity check: {result}")
        else:
            _run([_tool("pg_restore"), "--list", str(dump)], dict(os.environ))
        del extracted
    return Archive(path, manifest)


def _database_is_empty() -> bool:
    return not [name for name in inspect(db.engine).get_table_names() if name != "alembic_version"] and not _has_rows(
        "alembic_version"
    )


def _has_rows(table: str) -> bool:
    try:
        with db.engine.connect() as connection:
            return connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar() > 0
    except Exception:  # noqa: BLE001 - no such table
        return False


def restore(path: Path) -> Archive:
    """Restore an archive into this instance, which must have an empty database and an empty upload folder."""
    archive_info = verify(path)
    manifest = archive_info.manifest
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    url = _database_url()
    kind = manifest["database"]["kind"]
    if url.get_backend_name() != kind:
        raise BackupError(f"This archive holds a {kind} database but this instance uses {url.get_backend_name()}")
    if not _database_is_empty():
        raise BackupError(
            "The database is not empty. Restore only into a new, empty database, so nothing is "
            "overwritten: create one and point DATABASE_URL at it"
        )
    if uploads.exists() and any(p for p in uploads.rglob("*") if p.is_file() and not p.name.startswith(".readyz-")):
        raise BackupError(f"The upload folder {uploads} is not empty. Restore only into an empty folder")
    with tarfile.open(path, "r:gz") as archive, tempfile.TemporaryDirectory(prefix="restore-") as scratch:
        members = {m.name: m for m in _safe_members(archive)}
        dump_name = manifest["database"]["file"]
        archive.extract(members[dump_name], path=scratch, filter="data")
        dump = Path(scratch) / dump_name
        if kind == "sqlite":
            target = Path(url.database)
            db.session.remove()
            db.engine.dispose()
            for suffix in ("-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            staged = target.with_name(target.name + ".restoring")
            shutil.copyfile(dump, staged)
            os.replace(staged, target)
        else:
            dsn, env = _libpq(url)
            db.session.remove()
            db.engine.dispose()
            _run(
                [
                    _tool("pg_restore"),
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    f"--dbname={dsn}",
                    str(dump),
                ],
                env,
            )
        uploads.mkdir(parents=True, exist_ok=True)
        for name, member in members.items():
            if name.startswith("uploads/"):
                relative = Path(name).relative_to("uploads")
                target = uploads / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.extractfile(member) as source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out)
    db.engine.dispose()
    counts = _counts()
    expected = manifest.get("row_counts", {})
    wrong = {table: (counts.get(table), n) for table, n in expected.items() if counts.get(table) != n}
    if wrong:
        raise BackupError(f"The restored database does not have the rows the backup counted: {wrong}")
    return archive_info
