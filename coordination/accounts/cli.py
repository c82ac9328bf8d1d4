"""`flask users ...` commands."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ..boroughs import borough_choices
from ..permissions import Role
from . import operations

users_cli = AppGroup("users", help="Manage accounts.")


def setup_url(token: str) -> str:
    """The set-password link for a token, using EXTERNAL_URL (or the local address) as its base."""
    base = current_app.config.get("EXTERNAL_URL") or "http://{}:{}".format(
        current_app.config.get("HOST", "127.0.0.1"), current_app.config.get("PORT", 5000)
    )
    return f"{base.rstrip('/')}/set-password/{token}"


@users_cli.command("create")
@click.option("--email", required=True, help="The person's email address.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--name", default="", help="Full name (defaults to the part of the email before @).")
@click.option(
    "--borough",
    "boroughs",
    multiple=True,
    type=click.Choice([c for c, _ in borough_choices()]),
    help="Borough code for a partner (repeat for more than one).",
)
def create_user_command(email: str, role: str, name: str, boroughs: tuple[str, ...]) -> None:
    """Create an account and print its single-use set-up link."""
    try:
        user = operations.create_user(email=email, name=name or email.split("@")[0], role=role, boroughs=list(boroughs))
    except operations.AccountError as error:
        raise click.ClickException(str(error)) from error
    token = operations.issue_link(user, "setup")
    hours = current_app.config["SETUP_LINK_HOURS"]
    click.echo(f"Created {user.email} ({Role(role).title}).")
    click.echo(f"Set-up link (single use, valid for {hours} hours): {setup_url(token)}")


commands = [users_cli]
