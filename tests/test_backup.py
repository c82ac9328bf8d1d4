"""Issue 15: a backup taken from a running instance restores into an empty one with nothing lost, on SQLite
(online backup API, WAL included) and on PostgreSQL (pg_dump / pg_restore into a second database)."""

from __future__ import annotations

import json
import shutil
import tarfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError

from coordination import create_app
from coordination.audit import AuditEntry
from coordination.backup import BackupError, create, restore, verify
from coordination.claims import operations as ops
from coordination.claims.models import Claim, PaymentBatch
from coordination.extensions import db
from tests.claims.conftest import make_claim, png_bytes, quick_user  # noqa: F401 (fixtures)
from tests.conftest import PASSWORD, _fresh_request_globals


@pytest.fixture
def records(app, make_claim, create_user):
    """Claims with receipts, a paid batch and their audit rows, as a real instance would hold."""
    contributor = create_user("contributor", email="backup-contributor@example.org")
    finance = create_user("finance", email="backup-finance@example.org")
    coordinator = create_user("coordinator")
    claim = make_claim(contributor, state="approved", approver=coordinator)
    draft = make_claim(contributor)
    receipt = ops.add_receipt(draft, actor=contributor, data=png_bytes(), filename="bus-ticket.png")
    batch = ops.create_batch(actor=finance, claim_ids=[claim.id])
    ops.mark_batch_paid(batch, actor=finance)
    batch_csv = _batch_csv(app.test_client(), finance.email, batch.id)
    audit_rows = [
        (e.id, e.action, e.entity_type, e.entity_id, e.after)
        for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    ]
    return {
        "contributor": contributor.email,
        "finance": finance.email,
        "receipt_id": receipt.id,
        "receipt_bytes": ops.receipt_path(receipt).read_bytes(),
        "batch_id": batch.id,
        "batch_csv": batch_csv,
        "audit": audit_rows,
        "claims": sorted(db.session.scalars(select(Claim.id))),
    }


def _batch_csv(client, email, batch_id):
    client.post("/sign-in", data={"email": email, "password": PASSWORD})
    response = client.get(f"/claims/payments/batches/{batch_id}.csv")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _fresh_instance(monkeypatch, tmp_path, url: str):
    fresh = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=url,
        UPLOAD_FOLDER=str(tmp_path / "restored-uploads"),
        INSTANCE_PATH=str(tmp_path / "restored-instance"),
    )
    fresh.before_request_funcs.setdefault(None, []).insert(0, _fresh_request_globals)
    return fresh


def _restore_target(app, tmp_path):
    """A second, empty database of the same kind, and a function that removes it."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.db'}", lambda: None
    if shutil.which("pg_restore") is None or shutil.which("pg_dump") is None:
        pytest.skip("pg_dump/pg_restore are not installed (Debian: postgresql-client)")
    name = f"{url.database}_restore"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001
        admin.dispose()
        pytest.skip(f"cannot create a second PostgreSQL database for the restore: {error}")

    def drop():
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def test_a_backup_restores_into_an_empty_instance_with_everything_found(app, records, tmp_path, monkeypatch):
    result = app.test_cli_runner().invoke(args=["backup", "create", "--to", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    archive = next((tmp_path / "backups").glob("coordination-backup-*.tar.gz"))
    assert "Verified" in result.output and "SECRET_KEY is not in the archive" in result.output
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert "secret_key" not in names and manifest["secret_key_included"] is False
    assert any(name.startswith("uploads/receipts/") for name in names)
    assert manifest["row_counts"]["audit_entry"] == len(records["audit"])

    url, drop = _restore_target(app, tmp_path)
    fresh = _fresh_instance(monkeypatch, tmp_path, url)
    try:
        with fresh.app_context():
            result = fresh.test_cli_runner().invoke(args=["backup", "restore", str(archive)])
            assert result.exit_code == 0, result.output
            assert "SECRET_KEY" in result.output
            # Everything is there: the audit chain, entry for entry.
            assert [
                (e.id, e.action, e.entity_type, e.entity_id, e.after)
                for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            ] == records["audit"]
            assert sorted(db.session.scalars(select(Claim.id))) == records["claims"]
            assert db.session.get(PaymentBatch, records["batch_id"]).state == "paid"
            # The restored audit log is still append-only.
            with pytest.raises(DBAPIError):
                db.session.execute(text("DELETE FROM audit_entry"))
                db.session.commit()
            db.session.rollback()
            client = fresh.test_client()
            client.post("/sign-in", data={"email": records["contributor"], "password": PASSWORD})
            download = client.get(f"/claims/receipts/{records['receipt_id']}")
            assert download.status_code == 200 and download.data == records["receipt_bytes"]
            assert _batch_csv(fresh.test_client(), records["finance"], records["batch_id"]) == records["batch_csv"]
            # A second restore into the now non-empty instance is refused.
            again = fresh.test_cli_runner().invoke(args=["backup", "restore", str(archive)])
            assert again.exit_code != 0 and "not empty" in again.output
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


def test_verify_finds_a_damaged_archive(app, records, tmp_path):
    archive = create(tmp_path).path
    assert verify(archive).manifest["files"]
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("uploads/"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            import io

            target.addfile(member, io.BytesIO(data))
    with pytest.raises(BackupError, match="damaged"):
        verify(damaged)
    result = app.test_cli_runner().invoke(args=["backup", "verify", str(damaged)])
    assert result.exit_code != 0 and "damaged" in result.output


def test_restore_refuses_a_database_that_is_not_empty(app, records, tmp_path):
    archive = create(tmp_path).path
    with pytest.raises(BackupError, match="not empty"):
        restore(archive)


def test_the_secret_key_is_stored_only_when_asked(app, records, tmp_path):
    archive = create(tmp_path, include_secret_key=True).path
    with tarfile.open(archive) as tar:
        assert tar.extractfile("secret_key").read().decode() == app.config["SECRET_KEY"]
    assert (archive.stat().st_mode & 0o077) == 0


def test_the_sqlite_copy_includes_rows_still_in_the_write_ahead_log(app, records, tmp_path):
    """Copying the .db file alone lost the newest audit rows; the online backup API does not."""
    import sqlite3

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write-ahead log; PostgreSQL is dumped with pg_dump")

    newest = AuditEntry(action="test.newest", entity_type="system")
    db.session.add(newest)
    db.session.commit()
    source = Path(db.engine.url.database)
    wal = Path(str(source) + "-wal")
    assert wal.exists() and wal.stat().st_size > 0  # the newest rows are still in the WAL
    archive = create(tmp_path / uuid.uuid4().hex).path
    with tarfile.open(archive) as tar:
        tar.extract("database/database.sqlite3", path=tmp_path, filter="data")
    copy = sqlite3.connect(tmp_path / "database" / "database.sqlite3")
    try:
        assert copy.execute("SELECT count(*) FROM audit_entry WHERE action = 'test.newest'").fetchone()[0] == 1
    finally:
        copy.close()
