"""`flask organisations import FILE`: the same import as the web page, for big files and scripts."""
from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

organisations_cli = AppGroup("organisations", help="The organisation directory.")


@organisations_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--operates-in", "operates_in", multiple=True, metavar="CODE",
              help="Borough code or name every organisation in the file works in (repeatable).")
@click.option("--column", "columns", multiple=True, metavar="FIELD=HEADER",
              help="Override the guessed mapping, e.g. --column name='Group name' (repeatable).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="Write the rows that were not imported, with reasons, to this CSV file.")
def import_command(path: str, operates_in: tuple[str, ...], columns: tuple[str, ...], report_path: str | None):
    """Import organisations from a CSV file and print a one-line JSON summary."""
    from . import importer  # here: pandas and the postcode tables load only when a file is imported
    from .validation import FieldError, clean_boroughs

    with open(path, "rb") as handle:
        upload = importer.read_csv(handle.read())
    mapping = importer.guess_mapping(upload.headers)
    for item in columns:
        target, _, header = item.partition("=")
        if target not in importer.TARGETS or header not in upload.headers:
            raise click.BadParameter(f"{item}: use FIELD=HEADER with a field from {', '.join(importer.TARGETS)} "
                                     "and a header from the file", param_hint="--column")
        mapping = {k: v for k, v in mapping.items() if v != upload.headers.index(header)}
        mapping[target] = upload.headers.index(header)
    try:
        summary = importer.import_organisations(upload, mapping, clean_boroughs(list(operates_in)), source=path)
    except (importer.ImportFailed, FieldError) as error:
        click.echo(json.dumps({"error": str(error)}), err=True)
        sys.exit(1)
    if report_path:
        with open(report_path, "w", encoding="utf-8-sig", newline="") as handle:
            handle.write(summary.report_csv())
    click.echo(json.dumps(summary.as_json()))


commands = [organisations_cli]
