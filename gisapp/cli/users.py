"""``gisapp user``: accounts."""
from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from gisapp import accounts, domain
from gisapp.cli.common import fail_cleanly, settings_and_url
from gisapp.db import engine_for
from gisapp.models import User


@click.group()
def user() -> None:
    """Accounts: add users, issue API tokens, list them."""


@user.command("add")
@click.argument("login")
@click.option("--role", required=True, type=click.Choice(list(domain.USER_ROLES)), help="The user's role.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The password (asked for when not given).")
@click.option("--team", "team_code", help="Patrol team code (team leaders).")
@click.option("--grid", "grid_codes", multiple=True, help="Grid code (grid workers); repeat for several.")
@fail_cleanly
def add(login: str, role: str, password: str, team_code: str | None, grid_codes: tuple[str, ...]) -> None:
    """Add the user LOGIN with a role."""
    _, url = settings_and_url()
    with Session(engine_for(url)) as session:
        try:
            accounts.create_user(session, login, password, role, team_code, grid_codes)
        except accounts.AccountError as exc:
            raise click.BadParameter(str(exc)) from exc
        session.commit()
    click.echo(f"user {login} added with role {role}")


@user.command("token")
@click.argument("login")
@fail_cleanly
def token(login: str) -> None:
    """Print a new API bearer token for LOGIN."""
    _, url = settings_and_url()
    with Session(engine_for(url)) as session:
        account = session.scalar(select(User).where(User.login == login))
        if account is None:
            raise click.BadParameter(f"no user named {login!r}", param_hint="LOGIN")
        value = accounts.issue_token(session, account)
        session.commit()
    click.echo(value)


@user.command("list")
@fail_cleanly
def list_users() -> None:
    """List the accounts and their roles."""
    _, url = settings_and_url()
    with Session(engine_for(url)) as session:
        for account in session.scalars(select(User).order_by(User.login)):
            state = "" if account.active else " (disabled)"
            click.echo(f"{account.login:20} {account.role}{state}")
