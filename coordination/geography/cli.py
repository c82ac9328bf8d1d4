"""`flask geo ...` commands: postcode lookup and the borough boundaries in use."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

geo_cli = AppGroup("geo", help="Postcodes and borough boundaries.")


@geo_cli.command("postcode")
@click.argument("postcodes", nargs=-1, required=True)
def postcode_command(postcodes: tuple[str, ...]) -> None:
    """Print one JSON object per postcode; exit 1 unless every one is in Greater Manchester."""
    all_in_gm = True
    for text in postcodes:
        from geo.postcodes import lookup_postcode  # the postcode tables load only for this command

        result = lookup_postcode(text)
        all_in_gm = all_in_gm and result.in_greater_manchester
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    raise SystemExit(0 if all_in_gm else 1)


def _target(target: str | None) -> Path:
    return Path(target or current_app.config["BOUNDARIES_DIR"])


@geo_cli.command("build-boundaries")
@click.option("--target", type=click.Path(file_okay=False), help="Directory to write to (default BOUNDARIES_DIR).")
def build_boundaries_command(target: str | None) -> None:
    """Build the borough boundaries from the postcode directory and make them the ones in use."""
    from geo import boundaries

    paths = boundaries.build_boundaries(_target(target))
    for kind, path in paths.items():
        click.echo(f"Wrote {kind} boundaries: {path} ({path.stat().st_size / 1024:,.0f} KB)")


@geo_cli.command("import-boundaries")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--code-field", required=True, help="The field holding ONS district codes, e.g. LAD23CD.")
@click.option("--target", type=click.Path(file_okay=False), help="Directory to write to (default BOUNDARIES_DIR).")
def import_boundaries_command(file: str, code_field: str, target: str | None) -> None:
    """Check official boundaries (GeoJSON, GeoPackage or Shapefile) and make them the ones in use."""
    from geo import boundaries

    try:
        paths = boundaries.import_boundaries(file, code_field, _target(target))
    except boundaries.BoundaryError as error:
        raise click.ClickException(str(error)) from error
    for kind, path in paths.items():
        click.echo(f"Wrote {kind} boundaries: {path} ({path.stat().st_size / 1024:,.0f} KB)")


commands = [geo_cli]
