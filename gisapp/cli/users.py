"""``gisapp user``: accounts."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from gisapp import accounts, domain
from gisapp.cli.common import fail_cleanly, settings_and_url
from gisapp.db import engine_for
from gisapp.models import User

PASSWORD_HELP = (f"The password (asked for when not given): at least {accounts.MIN_PASSWORD_LENGTH} characters, "
                 "not the login, not a common password.")


@click.group()
def user() -> None:
    """Accounts: add users, change passwords, disable and enable them, issue and revoke API tokens."""


def _account(session: Session, login: str) -> User:
    account = session.scalar(select(User).where(User.login == login))
    if account is None:
        raise click.BadParameter(f"no user named {login!r}", param_hint="LOGIN")
    return account


@contextmanager
def _changing(login: str) -> Iterator[tuple[Session, User]]:
    """A session on the configured database and the account LOGIN, committed when the block ends;
    an account rule broken (accounts.AccountError) is a bad parameter and nothing is written."""
    _, url = settings_and_url()
    with Session(engine_for(url)) as session:
        try:
            yield session, _account(session, login)
        except accounts.AccountError as exc:
            raise click.BadParameter(str(exc)) from exc
        session.commit()


@user.command("add")
@click.argument("login")
@click.option("--role", required=True, type=click.Choice(list(domain.USER_ROLES)), help="The user's role.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help=PASSWORD_HELP)
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


@user.command("passwd")
@click.argument("login")
@click.option("--password", prompt="New password", hide_input=True, confirmation_prompt=True, help=PASSWORD_HELP)
@fail_cleanly
def passwd(login: str, password: str) -> None:
    """Give LOGIN a new password: their sessions end and their API tokens are revoked."""
    with _changing(login) as (session, account):
        revoked = accounts.set_password(session, account, password)
    click.echo(f"password of {login} changed; signed out everywhere, {revoked} API token(s) revoked")


@user.command("disable")
@click.argument("login")
@fail_cleanly
def disable(login: str) -> None:
    """Disable LOGIN: no sign-in; their sessions end and their API tokens are revoked at once."""
    with _changing(login) as (session, account):
        revoked = accounts.disable_user(session, account)
    click.echo(f"user {login} disabled; signed out everywhere, {revoked} API token(s) revoked")


@user.command("enable")
@click.argument("login")
@fail_cleanly
def enable(login: str) -> None:
    """Let LOGIN sign in again (their old sessions and tokens stay ended)."""
    with _changing(login) as (session, account):
        accounts.enable_user(session, account)
    click.echo(f"user {login} enabled")


@user.command("revoke-tokens")
@click.argument("login")
@fail_cleanly
def revoke_tokens(login: str) -> None:
    """Revoke every API token of LOGIN (they stop working at once)."""
    with _changing(login) as (session, account):
        revoked = accounts.revoke_tokens(session, account)
    click.echo(f"{revoked} API token(s) of {login} revoked")


@user.command("token")
@click.argument("login")
@click.option("--days", type=click.IntRange(1), help="Days until it expires (default: auth.token_days).")
@fail_cleanly
def token(login: str, days: int | None) -> None:
    """Print a new API bearer token for LOGIN (its expiry goes to standard error)."""
    settings, url = settings_and_url()
    with Session(engine_for(url)) as session:
        account = _account(session, login)
        if not account.active:
            raise click.BadParameter(f"user {login!r} is disabled (gisapp user enable {login})", param_hint="LOGIN")
        value, row = accounts.new_token(session, account, days or settings["auth"]["token_days"])
        session.commit()
        expires = row.expires_at.astimezone(ZoneInfo(settings["timezone"]))
        click.echo(f"token {row.public_id} expires {expires:%Y-%m-%d %H:%M} ({settings['timezone']})", err=True)
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
