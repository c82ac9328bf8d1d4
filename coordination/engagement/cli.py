"""`flask engagement publish`: make partners' protected figures ahead of time (after an import, or on a timer)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

engagement_cli = AppGroup("engagement", help="Engagement figures.")


@engagement_cli.command("publish")
def publish_command() -> None:
    """Protect the current figures for every partner account's boroughs and store them."""
    from . import publication

    done = publication.publish_all()
    for viewer, seconds in done:
        click.echo(
            f"already up to date for {viewer}" if seconds is None else f"published for {viewer}: {seconds:.1f} s"
        )
    made = sum(seconds is not None for _, seconds in done)
    click.echo(f"{made} made, {len(done) - made} already up to date" if done else "no partner accounts: nothing to do")


commands = [engagement_cli]
