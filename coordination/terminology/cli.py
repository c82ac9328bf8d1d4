"""`flask terminology export|import`: the vocabulary as SKOS."""

from __future__ import annotations

import click
from flask.cli import AppGroup

terminology_cli = AppGroup("terminology", help="Practice-area vocabulary (SKOS).")


@terminology_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["turtle", "json-ld"]), default="turtle", show_default=True)
def export_command(fmt: str) -> None:
    """Write the vocabulary as SKOS to standard output."""
    from .skos import export

    click.echo(export(fmt), nl=False)


@terminology_cli.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["turtle", "json-ld", "xml", "nt"]),
    default=None,
    help="Default: guessed from the file's first characters.",
)
def import_command(file, fmt: str | None) -> None:
    """Merge a SKOS file into the vocabulary (concepts matched by URI)."""
    from rdflib.exceptions import ParserError

    from .operations import TerminologyError
    from .skos import import_text

    try:
        summary = import_text(file.read(), fmt)
    except (TerminologyError, ParserError, SyntaxError, ValueError) as error:
        raise click.ClickException(f"Could not import {file.name}: {error}") from error
    click.echo(f"Imported {file.name}: {summary}.")


commands = [terminology_cli]
