"""`flask engagement publish`: make partners' protected figures, and the gap map's frame, ahead of time (after an
import, or on a timer)."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

engagement_cli = AppGroup("engagement", help="Engagement figures.")


@engagement_cli.command("publish")
def publish_command() -> None:
    """Protect the current figures for every partner account's boroughs and store them; draw the gap map's
    frame when none is stored for the boundaries, tiles and code in use (so no one waits for it)."""
    from . import gap_map, publication

    if gap_map.frame_is_stored():
        click.echo("gap map: already drawn")
    else:
        started = time.perf_counter()
        gap_map.frame()
        click.echo(f"gap map: drawn in {time.perf_counter() - started:.1f} s")

    done = publication.publish_all()
    for viewer, seconds in done:
        click.echo(
            f"already up to date for {viewer}" if seconds is None else f"published for {viewer}: {seconds:.1f} s"
        )
    made = sum(seconds is not None for _, seconds in done)
    click.echo(f"{made} made, {len(done) - made} already up to date" if done else "no partner accounts: nothing to do")


commands = [engagement_cli]
