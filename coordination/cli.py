"""Operator commands: `flask backup create|verify|restore` and `flask housekeeping` (docs/deployment.md)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

backup_cli = AppGroup("backup", help="Back up, check and restore the database and the upload folder.")


@backup_cli.command("create")
@click.option(
    "--to",
    "destination",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the archive (default: BACKUP_FOLDER, instance/backups).",
)
@click.option(
    "--include-secret-key",
    is_flag=True,
    help="Also store SECRET_KEY (then keep the archive as secret as the key itself).",
)
def create_command(destination: Path | None, include_secret_key: bool) -> None:
    """Write one timestamped archive: database, uploads, manifest with checksums."""
    from .backup import BackupError, create, verify

    try:
        archive = create(
            destination or Path(current_app.config["BACKUP_FOLDER"]), include_secret_key=include_secret_key
        )
        verify(archive.path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    counts = ", ".join(f"{n} {table}" for table, n in archive.manifest["row_counts"].items())
    click.echo(f"Backed up to {archive.path} ({len(archive.manifest['files'])} files; {counts}). Verified.")
    if not include_secret_key:
        click.echo("SECRET_KEY is not in the archive: keep it safe separately (see docs/deployment.md).")


@backup_cli.command("verify")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
def verify_command(archive: Path) -> None:
    """Check an archive's files against its manifest and that its database copy is readable."""
    from .backup import BackupError, verify

    try:
        checked = verify(archive)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    manifest = checked.manifest
    click.echo(
        f"{archive.name}: {len(manifest['files'])} files match their checksums; "
        f"{manifest['database']['kind']} database from {manifest['created_at']}."
    )


@backup_cli.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
def restore_command(archive: Path) -> None:
    """Restore into this instance's EMPTY database and EMPTY upload folder (refuses anything else)."""
    from .backup import BackupError, restore

    try:
        restored = restore(archive)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    manifest = restored.manifest
    click.echo(f"Restored {archive.name} ({manifest['created_at']}).")
    for line in manifest["restore_needs"]:
        click.echo(f"- {line}")


@click.command("housekeeping")
def housekeeping_command() -> None:
    """Delete expired sessions, attempts, kept forms, old import files and stale searches; apply retention."""
    from .housekeeping import run

    for line in run().lines():
        click.echo(line)


commands = [backup_cli, housekeeping_command]
