"""Import runs: store the upload, run the import in the background (progress on its row), and undo it.

The web import never waits for a large file: the request stores the file and a queued `OrganisationImport`
row, a background thread (with its own app context and session) runs the import, writing its progress to
that row from a separate connection, and the progress page reads the row. `IMPORT_IN_BACKGROUND = False`
runs the same step inside the request (tests, or a host where threads are not wanted).
"""

from __future__ import annotations

import contextlib
import os
from datetime import date
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import delete, select, update

from .. import audit, background
from ..errors import Conflict
from ..extensions import db, refresh_statistics
from ..timeutil import utcnow
from . import files, importer
from .map_layer import BASE_TABLES
from .models import (
    ImportStatus,
    LocationStatus,
    Organisation,
    OrganisationBorough,
    OrganisationImport,
    OrganisationImportChange,
    OrganisationStatus,
    OrganisationType,
    organisation_practice_area,
)

REPORT_LIMIT = 200_000  # report lines kept with the run (a 17,500-row file with warnings is far below)
STALE_SECONDS = 15 * 60  # a running import with no progress for this long has stopped (its process ended)


class UndoError(Conflict):
    """An import that cannot be undone (already undone, still running, or failed)."""


def upload_folder() -> str:
    path = os.path.join(current_app.config["UPLOAD_FOLDER"], "organisation-imports")
    os.makedirs(path, exist_ok=True)
    return path


def read_stored(options: dict) -> files.Upload:
    """The stored upload (and its area-of-operation file, when one came with it) as an Upload."""
    folder = upload_folder()
    with open(os.path.join(folder, options["file"]), "rb") as handle:
        upload = files.read_file(handle.read(), options.get("name", ""))
    if options.get("areas_file"):
        with open(os.path.join(folder, options["areas_file"]), "rb") as handle:
            files.add_areas(upload, files.read_table(handle.read(), options.get("areas_name", "")))
    return upload


def queue_import(options: dict, source: str, actor=None) -> OrganisationImport:
    """A queued run for a stored upload (options: file, areas_file, mapping, operates_in, only_boroughs)."""
    run = OrganisationImport(
        source=source[:255],
        options=options,
        status=ImportStatus.QUEUED,
        phase="Waiting to start",
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(run)
    db.session.commit()
    return run


def start_import(run: OrganisationImport) -> None:
    """Run it in a background thread, or now when IMPORT_IN_BACKGROUND is off."""
    if not current_app.config.get("IMPORT_IN_BACKGROUND", True):
        run_import(run.id)
        return
    run_id = run.id
    background.start(
        current_app._get_current_object(),
        ("organisation-import", run_id),
        lambda: run_import(run_id),
        name=f"organisation-import-{run_id}",
    )


def wait_for(run_id: int, timeout: float = 60) -> None:
    """Block until a background run ends (tests; the command line runs in the foreground anyway)."""
    background.wait([("organisation-import", run_id)], timeout)


def _progress(run_id: int):
    """A callback writing progress on its own connection, so the import's transaction is not disturbed."""

    def tick(phase: str, done: int) -> None:
        with db.engine.begin() as connection:
            connection.execute(
                update(OrganisationImport.__table__)
                .where(OrganisationImport.id == run_id)
                .values(phase=phase, processed_rows=done, heartbeat_at=utcnow())
            )

    return tick


def run_import(run_id: int) -> OrganisationImport:
    """Read the stored file, import it, and keep the counts and report on the run (or the reason it failed)."""
    claimed = db.session.execute(
        update(OrganisationImport)
        .where(OrganisationImport.id == run_id, OrganisationImport.status == ImportStatus.QUEUED)
        .values(status=ImportStatus.RUNNING, phase="Reading the file", heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    run = db.session.get(OrganisationImport, run_id)
    if claimed != 1:
        return run
    options = dict(run.options)
    actor = SimpleNamespace(id=run.created_by_id) if run.created_by_id else None
    try:
        upload = read_stored(options)
        mapping = {k: int(i) for k, i in (options.get("mapping") or importer.mapping_for(upload)).items()}
        run.total_rows, run.file_format = len(upload.rows), upload.file_format[:40]
        db.session.commit()
        summary = importer.import_organisations(
            upload,
            mapping,
            options.get("operates_in") or [],
            actor=actor,
            source=run.source,
            import_id=run.id,
            only_boroughs=options.get("only_boroughs") or [],
            progress=_progress(run.id),
        )
    except (files.ImportFailed, ValueError, OSError) as error:
        return record_failed(run_id, str(error))
    except Exception as error:  # anything else: the run must not stay "running" for ever
        current_app.logger.exception("organisation import %s failed", run_id)
        return record_failed(run_id, f"The import stopped and nothing was changed: {error}")
    run = record_finished(run_id, summary)
    forget_files(options)
    return run


def record_failed(run_id: int, message: str) -> OrganisationImport:
    db.session.rollback()
    run = db.session.get(OrganisationImport, run_id)
    run.status, run.error, run.phase, run.finished_at = ImportStatus.FAILED, message, "Stopped", utcnow()
    db.session.commit()
    return run


def record_finished(run_id: int, summary: importer.ImportSummary) -> OrganisationImport:
    """Keep the counts, the report and the refused rows with the run."""
    run = db.session.get(OrganisationImport, run_id)
    run.status, run.phase, run.finished_at = ImportStatus.FINISHED, "Finished", utcnow()
    run.processed_rows = run.total_rows = summary.rows
    run.file_format = (summary.file_format or run.file_format)[:40]
    run.counts = {
        **summary.as_json(),
        "blank_lines": summary.blank_lines,
        "encoding": summary.encoding,
        "skipped_reasons": summary.skipped_reasons,
        "marked": summary.marked,
    }
    run.report = summary.report[:REPORT_LIMIT]
    run.refused_rows = {"headers": summary.headers, "rows": summary.refused_rows}
    db.session.commit()
    return run


def forget_files(options: dict) -> None:
    """The uploaded files hold contact details: once imported they live in the directory, not twice."""
    for key in ("file", "areas_file", "name_file"):
        if options.get(key):
            with contextlib.suppress(OSError):
                os.remove(os.path.join(upload_folder(), options[key]))


def is_stale(run: OrganisationImport) -> bool:
    """Still marked running, but no progress for a long time: the process running it has ended."""
    return run.is_running and (utcnow() - run.heartbeat_at).total_seconds() > STALE_SECONDS


# --- Undo -------------------------------------------------------------------------------------

_ENUMS = {"org_type": OrganisationType, "location_status": LocationStatus, "status": OrganisationStatus}
_DATES = ("registered_on", "last_checked_on")


def _value(key: str, stored):
    if stored is None:
        return None
    if key in _ENUMS:
        return _ENUMS[key](stored)
    if key in _DATES:
        return date.fromisoformat(stored)
    return stored


def _referenced(ids: list[int]) -> set[int]:
    """Created records something else now points at (a community, a claim, a merge): kept by undo."""
    found: set[int] = set()
    for table in db.metadata.sorted_tables:
        if table.name in ("organisation_borough", "organisation_practice_area"):
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "organisation" and fk.column.name == "id":
                for start in range(0, len(ids), 500):
                    chunk = ids[start : start + 500]
                    found |= {
                        oid
                        for (oid,) in db.session.execute(select(fk.parent).where(fk.parent.in_(chunk)).distinct())
                        if oid is not None
                    }
    return found


def undo_import(run: OrganisationImport, actor=None) -> dict:
    """Put back what the import changed and remove what it created, unless edited since; audited."""
    claimed = db.session.execute(
        update(OrganisationImport)
        .where(OrganisationImport.id == run.id, OrganisationImport.status == ImportStatus.FINISHED)
        .values(status=ImportStatus.UNDONE, undone_at=utcnow(), undone_by_id=getattr(actor, "id", None))
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise UndoError(f"Only a finished import can be undone, once: this one is {run.status.title.lower()}")
    changes = list(
        db.session.scalars(select(OrganisationImportChange).where(OrganisationImportChange.import_id == run.id))
    )
    created = [c.organisation_id for c in changes if c.action == "created"]
    edited_since = (
        set(
            db.session.scalars(
                select(Organisation.id).where(Organisation.id.in_(created), Organisation.updated_at > run.finished_at)
            )
        )
        if created
        else set()
    )
    keep = edited_since | _referenced(created)
    removable = [oid for oid in created if oid not in keep]
    restored, kept_fields = 0, []
    for change in (c for c in changes if c.action == "updated"):
        org = db.session.get(Organisation, change.organisation_id)
        if org is None:
            continue
        after = change.after
        put_back = {}
        for key, old in change.before.items():
            current = getattr(org, key)
            if _plain(current) == after.get(key):
                put_back[key] = _value(key, old)
            else:
                kept_fields.append(f"{org.name}: {importer.LABELS.get(key, key)}")
        for key, value in put_back.items():
            setattr(org, key, value)
        if "name" in put_back:
            from .validation import normalise_name

            org.normalised_name = normalise_name(org.name)
        if after.get("operates_in_added"):
            db.session.execute(
                delete(OrganisationBorough).where(
                    OrganisationBorough.organisation_id == org.id,
                    OrganisationBorough.borough_code.in_(after["operates_in_added"]),
                )
            )
        if after.get("practice_areas_added"):
            db.session.execute(
                delete(organisation_practice_area).where(
                    organisation_practice_area.c.organisation_id == org.id,
                    organisation_practice_area.c.concept_id.in_(after["practice_areas_added"]),
                )
            )
        org.updated_by_id = getattr(actor, "id", None)
        restored += 1
    for start in range(0, len(removable), 500):
        chunk = removable[start : start + 500]
        db.session.execute(delete(OrganisationBorough).where(OrganisationBorough.organisation_id.in_(chunk)))
        db.session.execute(
            delete(organisation_practice_area).where(organisation_practice_area.c.organisation_id.in_(chunk))
        )
        db.session.execute(
            delete(Organisation).where(Organisation.id.in_(chunk)).execution_options(synchronize_session=False)
        )
    result = {
        "import_id": run.id,
        "restored": restored,
        "removed": len(removable),
        "kept_created": sorted(keep),
        "kept_fields": kept_fields[:500],
    }
    audit.record(
        "organisation.import_undone",
        entity_type="OrganisationImport",
        entity_id=run.id,
        actor=actor,
        after={**result, "removed_ids": removable},
    )
    run = db.session.get(OrganisationImport, run.id)
    run.counts = {**(run.counts or {}), "undo": result}
    db.session.commit()
    refresh_statistics(*BASE_TABLES)
    return result


def _plain(value):
    return importer.plain(value)
