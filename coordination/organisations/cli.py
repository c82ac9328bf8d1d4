"""`flask organisations import FILE`, `import-register`, `undo-import` (the web import, for big files and scripts)
and `map-layer` (the directory map's stored layer, built ahead of the first view)."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from . import files, import_runs, importer, map_layer

organisations_cli = AppGroup("organisations", help="The organisation directory.")


def _read(path: str) -> files.Upload:
    with open(path, "rb") as handle:
        return files.read_file(handle.read(), path)


def _run(
    upload: files.Upload, mapping: dict[str, int], path: str, operates_in, only_boroughs, report_path: str | None
) -> None:
    """Import as a recorded run (so it can be undone), print the JSON summary, write the report."""
    from ..extensions import db
    from .models import ImportStatus, OrganisationImport
    from .validation import FieldError

    run = OrganisationImport(
        source=path[-255:],
        status=ImportStatus.RUNNING,
        phase="Importing",
        file_format=upload.file_format[:40],
        total_rows=len(upload.rows),
        options={
            "mapping": mapping,
            "operates_in": list(operates_in),
            "only_boroughs": list(only_boroughs),
            "command_line": True,
        },
    )
    db.session.add(run)
    db.session.commit()
    try:
        summary = importer.import_organisations(
            upload, mapping, list(operates_in), source=path, import_id=run.id, only_boroughs=list(only_boroughs)
        )
    except (files.ImportFailed, FieldError) as error:
        import_runs.record_failed(run.id, str(error))
        click.echo(json.dumps({"error": str(error)}), err=True)
        sys.exit(1)
    import_runs.record_finished(run.id, summary)
    map_layer.build_now()  # ready for the first view (a background build would end with this command)
    if report_path:
        with open(report_path, "w", encoding="utf-8-sig", newline="") as handle:
            handle.write(summary.report_csv())
    click.echo(json.dumps({"import": run.id, **summary.as_json()}))


def _fail(message: str):
    click.echo(json.dumps({"error": message}), err=True)
    sys.exit(1)


@organisations_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--operates-in",
    "operates_in",
    multiple=True,
    metavar="CODE",
    help="Borough code or name every organisation in the file works in (repeatable).",
)
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="FIELD=HEADER",
    help="Override the guessed mapping, e.g. --column name='Group name' (repeatable).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write every row's outcome, each warning and each change (old and new values) to this CSV file.",
)
def import_command(path: str, operates_in: tuple[str, ...], columns: tuple[str, ...], report_path: str | None):
    """Import organisations from a CSV, Excel or JSON file (a register extract is recognised); print JSON."""
    try:
        upload = _read(path)
    except files.ImportFailed as error:
        _fail(str(error))
    mapping = importer.mapping_for(upload)
    for item in columns:
        target, _, header = item.partition("=")
        if target not in importer.TARGETS or header not in upload.headers:
            raise click.BadParameter(
                f"{item}: use FIELD=HEADER with a field from {', '.join(importer.TARGETS)} and a header from the file",
                param_hint="--column",
            )
        mapping = {k: v for k, v in mapping.items() if v != upload.headers.index(header)}
        mapping[target] = upload.headers.index(header)
    _run(upload, mapping, path, operates_in, (), report_path)


@organisations_cli.command("import-register")
@click.argument("charity_path", metavar="CHARITY_FILE", type=click.Path(exists=True, dir_okay=False))
@click.argument(
    "areas_path", metavar="[AREA_OF_OPERATION_FILE]", required=False, type=click.Path(exists=True, dir_okay=False)
)
@click.option(
    "--borough",
    "boroughs",
    multiple=True,
    metavar="NAME",
    help="Keep charities based in or working in this borough (repeatable; default: all ten when the "
    "area-of-operation table is given, everything in the file otherwise).",
)
@click.option(
    "--operates-in",
    "operates_in",
    multiple=True,
    metavar="NAME",
    help="Borough every charity in the file works in (for a borough's own extract without areas).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write every row's outcome, warnings and changes to this CSV file.",
)
def import_register_command(
    charity_path: str,
    areas_path: str | None,
    boroughs: tuple[str, ...],
    operates_in: tuple[str, ...],
    report_path: str | None,
):
    """Import the Charity Commission register (publicextract.charity as .zip, .txt, .json or a CSV extract)."""
    try:
        upload = _read(charity_path)
        if not upload.register:
            _fail(
                f"{charity_path} is not the register's charity table: it needs the columns "
                "registered_charity_number and charity_name"
            )
        if areas_path:
            files.add_areas(upload, _read_areas(areas_path))
    except files.ImportFailed as error:
        _fail(str(error))
    _run(upload, importer.mapping_for(upload), charity_path, operates_in, boroughs, report_path)


def _read_areas(path: str) -> files.Upload:
    with open(path, "rb") as handle:
        raw = handle.read()
    return files.read_table(raw, path)


@organisations_cli.command("undo-import")
@click.argument("import_id", type=int)
def undo_import_command(import_id: int):
    """Undo an import: restore the records it changed and remove the ones it created (unless edited since)."""
    from ..extensions import db
    from .models import OrganisationImport

    run = db.session.get(OrganisationImport, import_id)
    if run is None:
        _fail(f"There is no import {import_id}")
    try:
        result = import_runs.undo_import(run)
    except import_runs.UndoError as error:
        _fail(str(error))
    map_layer.build_now()
    click.echo(json.dumps(result))


@organisations_cli.command("map-layer")
def map_layer_command():
    """Build the directory map's stored layer for the data as it is now (run after deploying or importing)."""
    import time

    started = time.perf_counter()
    path, count, built = map_layer.build_now()
    if built:
        click.echo(
            f"Built the map layer of {count:,} located organisations in {time.perf_counter() - started:.1f} s: {path}"
        )
    else:
        click.echo(f"The map layer of {count:,} located organisations is up to date: {path}")


commands = [organisations_cli]
