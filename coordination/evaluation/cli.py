"""`flask evaluation …`: add the ready-made questionnaires; remove unfinished answers older than two weeks."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import delete

from ..extensions import db
from ..timeutil import utcnow

evaluation_cli = AppGroup("evaluation", help="Evaluation questionnaires and answers.")


@evaluation_cli.command("ready-made")
def ready_made_command() -> None:
    """Add any of the ready-made questionnaires that are missing."""
    from .operations import ensure_ready_made

    created = ensure_ready_made()
    click.echo(
        f"Added {len(created)} ready-made questionnaire(s)."
        if created
        else "All ready-made questionnaires are already present."
    )


@evaluation_cli.command("purge-drafts")
@click.option("--days", type=click.IntRange(min=1), default=None, help="Age in days (default: 14).")
def purge_drafts_command(days: int | None) -> None:
    """Delete unfinished answers nobody has touched for the given number of days (they are also removed
    whenever someone starts a survey)."""
    from .models import ResponseDraft
    from .operations import DRAFT_DAYS

    removed = db.session.execute(
        delete(ResponseDraft).where(ResponseDraft.updated_at < utcnow() - timedelta(days=days or DRAFT_DAYS))
    ).rowcount
    db.session.commit()
    click.echo(f"Removed {removed} unfinished response(s).")


commands = [evaluation_cli]
