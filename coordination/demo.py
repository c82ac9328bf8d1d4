"""`flask demo seed`: a believable Greater Manchester demo, extended by each area."""

from __future__ import annotations

import os
import secrets

import click
from flask.cli import AppGroup
from sqlalchemy import select

from .extensions import db
from .versions import compact_versions

demo_cli = AppGroup("demo", help="Demonstration data.")

DEMO_ACCOUNTS = [
    ("coordinator@example.org", "Amira Hussain", "coordinator", []),
    ("finance@example.org", "Gareth Lloyd", "finance", []),
    ("partner.rochdale@example.org", "Sue Whitworth", "partner", ["E08000005"]),
    ("contributor@example.org", "Jo Clarke", "contributor", []),
]
# Areas seeded after accounts, in dependency order; each module has seed(scale: str | None).
SEED_ORDER = (
    "geography",
    "terminology",
    "organisations",
    "communities",
    "claims",
    "engagement",
    "evaluation",
    "networks",
)


def seed_accounts(password: str) -> list:
    """Create the four demo accounts (skipping any that exist)."""
    from .accounts.models import User
    from .accounts.operations import create_user

    created = []
    for email, name, role, boroughs in DEMO_ACCOUNTS:
        if db.session.scalar(select(User.id).where(User.email == email)) is None:
            created.append(create_user(email=email, name=name, role=role, boroughs=boroughs, password=password))
    return created


@demo_cli.command("seed")
@click.option(
    "--scale",
    type=click.Choice(["gm"]),
    default=None,
    help="'gm': add Greater Manchester-sized data (17,500 organisations, five years of events).",
)
@click.option("--if-empty", is_flag=True, help="Do nothing when accounts already exist (used by make run).")
def seed_command(scale: str | None, if_empty: bool) -> None:
    """Create demo accounts and data for every area."""
    from . import _import_optional
    from .accounts.models import User

    if if_empty and db.session.scalar(select(User.id).limit(1)) is not None:
        click.echo("Demo data already present; nothing to do.")
        return
    password = os.environ.get("DEMO_PASSWORD")
    generated = not password
    password = password or secrets.token_urlsafe(12)
    created = seed_accounts(password)
    for area in SEED_ORDER:
        module = _import_optional(f"coordination.{area}.demo")
        if module is not None:
            summary = module.seed(scale)
            if summary:
                click.echo(f"{area}: {summary}")
    db.session.commit()
    compact_versions()  # PostgreSQL: the seed's long transactions grew the data-version table
    if created:
        click.echo("Demo accounts: " + ", ".join(user.email for user in created))
        if generated:
            click.echo(f"Their password (shown once; set DEMO_PASSWORD to choose it): {password}")
    else:
        click.echo("Demo accounts already existed; their passwords are unchanged.")
