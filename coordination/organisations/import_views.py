"""Import pages: upload, check the columns, follow the progress, read the report, undo (routes on the area's bp)."""

from __future__ import annotations

import json
import os
import re
import secrets
import time

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..boroughs import borough_choices
from ..errors import flash_errors
from ..extensions import db
from ..forms import errors_onto
from ..permissions import Role, roles_required
from . import files, import_runs, importer
from .forms import UndoImportForm, UploadForm, mapping_form_class
from .models import OrganisationImport
from .views import bp

C = Role.COORDINATOR
_UPLOAD_NAME = re.compile(r"[0-9a-f]{32}")
UPLOAD_KEEP_DAYS = 7
PAGE_LINES = 100


def _forget_old_uploads() -> None:
    """Uploads hold contact details: remove any older than a week."""
    cutoff = time.time() - UPLOAD_KEEP_DAYS * 86400
    for entry in os.scandir(import_runs.upload_folder()):
        if entry.is_file() and entry.stat().st_mtime < cutoff:
            os.remove(entry.path)


def _stored_options(upload_id: str) -> dict:
    if not _UPLOAD_NAME.fullmatch(upload_id):
        abort(404)
    folder = import_runs.upload_folder()
    try:
        with open(os.path.join(folder, upload_id + ".json"), encoding="utf-8") as handle:
            options = json.load(handle)
    except (OSError, ValueError):
        return {}
    if not os.path.exists(os.path.join(folder, options.get("file", ""))):
        return {}
    return options


def _add_areas(upload: files.Upload, raw: bytes, name: str) -> None:
    """The area-of-operation table joined to the register (its problems go on its own field)."""
    try:
        if not upload.register:
            raise files.ImportFailed(
                "An area-of-operation table goes with the Charity Commission register's charity table only"
            )
        files.add_areas(upload, files.read_table(raw, name))
    except files.ImportFailed as error:
        raise files.ImportFailed(str(error), "areas_file") from error


def _store(raw: bytes, name: str, areas_raw: bytes, form) -> str:
    """Keep the upload under a random name, so reloading the column page never loses it."""
    upload_id = secrets.token_hex(16)
    folder = import_runs.upload_folder()
    options = {"file": upload_id + ".upload", "name": name, "name_file": upload_id + ".json"}
    with open(os.path.join(folder, options["file"]), "wb") as handle:
        handle.write(raw)
    if areas_raw:
        options["areas_file"] = upload_id + ".areas"
        options["areas_name"] = os.path.basename(form.areas_file.data.filename or "")[:200]
        with open(os.path.join(folder, options["areas_file"]), "wb") as handle:
            handle.write(areas_raw)
    with open(os.path.join(folder, options["name_file"]), "w", encoding="utf-8") as handle:
        json.dump(options, handle)
    return upload_id


@bp.route("/organisations/import", methods=["GET", "POST"])
@roles_required(C)
def import_upload():
    form = UploadForm()
    if form.validate_on_submit():
        _forget_old_uploads()
        raw = form.file.data.read()
        areas_raw = form.areas_file.data.read() if form.areas_file.data else b""
        name = os.path.basename(form.file.data.filename or "upload.csv")[:200]
        with errors_onto(form, "file"):
            upload = files.read_file(raw, name)
            if areas_raw:
                _add_areas(upload, areas_raw, form.areas_file.data.filename or "")
            return redirect(url_for("organisations.import_mapping", upload_id=_store(raw, name, areas_raw, form)))
    return render_template("organisations/import-upload.html", form=form)


@bp.route("/organisations/import/<upload_id>", methods=["GET", "POST"])
@roles_required(C)
def import_mapping(upload_id: str):
    options = _stored_options(upload_id)
    if not options:
        flash("That upload has expired or was already imported. Upload the file again.", "error")
        return redirect(url_for("organisations.import_upload"))
    upload = import_runs.read_stored(options)
    form = mapping_form_class(upload.headers)(borough_choices=borough_choices())
    if request.method == "GET":
        for target, index in importer.mapping_for(upload).items():
            getattr(form, f"col_{target}").data = str(index)
    if form.validate_on_submit():
        mapping = {
            target: int(getattr(form, f"col_{target}").data)
            for target in importer.TARGETS
            if getattr(form, f"col_{target}").data
        }
        run = import_runs.queue_import(
            {
                **options,
                "mapping": mapping,
                "operates_in": form.operates_in.data,
                "only_boroughs": form.only_boroughs.data if upload.areas is not None else [],
            },
            source=options.get("name", ""),
            actor=current_user,
        )
        import_runs.start_import(run)
        return redirect(url_for("organisations.import_progress", import_id=run.id))
    return render_template(
        "organisations/import-mapping.html", form=form, upload=upload, preview=upload.rows[:5], upload_id=upload_id
    )


def _run_or_404(import_id: int) -> OrganisationImport:
    run = db.session.get(OrganisationImport, import_id)
    if run is None:
        abort(404)
    return run


@bp.get("/organisations/imports")
@roles_required(C)
def list_imports():
    runs = list(db.session.scalars(select(OrganisationImport).order_by(OrganisationImport.id.desc()).limit(50)))
    return render_template("organisations/imports.html", runs=runs)


@bp.get("/organisations/imports/<int:import_id>")
@roles_required(C)
def import_progress(import_id: int):
    run = _run_or_404(import_id)
    report = run.report or []
    changes = [item for item in report if item.get("outcome") == "change"][:PAGE_LINES]
    warnings = [item for item in report if item.get("outcome") == "warning"][:PAGE_LINES]
    refused = [item for item in report if item.get("outcome") == "refused"][:PAGE_LINES]
    return render_template(
        "organisations/import-progress.html",
        run=run,
        counts=run.counts or {},
        changes=changes,
        warnings=warnings,
        refused=refused,
        stale=import_runs.is_stale(run),
        undo_form=UndoImportForm(),
    )


def _csv(filename: str, body: str) -> Response:
    return Response(
        "\ufeff" + body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@bp.get("/organisations/imports/<int:import_id>/report.csv")
@roles_required(C)
def import_report(import_id: int):
    run = _run_or_404(import_id)
    return _csv(f"import-{run.id}-report.csv", importer.report_csv(run.report or []))


@bp.get("/organisations/imports/<int:import_id>/refused.csv")
@roles_required(C)
def import_refused(import_id: int):
    run = _run_or_404(import_id)
    refused = run.refused_rows or {}
    return _csv(
        f"import-{run.id}-refused-rows.csv", importer.refused_csv(refused.get("headers", []), refused.get("rows", []))
    )


@bp.post("/organisations/imports/<int:import_id>/undo")
@roles_required(C)
def undo_import(import_id: int):
    run = _run_or_404(import_id)
    form = UndoImportForm()
    if not form.validate_on_submit():
        abort(400)
    with flash_errors():
        result = import_runs.undo_import(run, actor=current_user)
        kept = len(result["kept_created"])
        flash(
            f"Import undone: {result['restored']:,} records put back, {result['removed']:,} removed"
            + (f"; {kept:,} it created were kept because they were edited or linked since" if kept else ""),
            "success",
        )
    return redirect(url_for("organisations.import_progress", import_id=run.id))
