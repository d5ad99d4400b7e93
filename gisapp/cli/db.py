"""``gisapp db``: the embedded cluster (up, down, status, destroy) and migrations."""
from __future__ import annotations

import click
from sqlalchemy.engine import make_url

from gisapp.cli.common import fail_cleanly
from gisapp.config import load_settings, var_dir
from gisapp.db import database_url, migrate, roles
from gisapp.db.embedded import EmbeddedCluster


def _cluster_or_none() -> EmbeddedCluster | None:
    settings = load_settings()
    if settings.get("database_url"):
        click.echo("DATABASE_URL is set: the embedded cluster is not used")
        return None
    return EmbeddedCluster(var_dir(settings))


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def owner_settings_and_url() -> tuple[dict, str]:
    """The settings and the database's URL as the schema's owner (whatever database_role says)."""
    settings = {**load_settings(), "database_role": "owner"}
    return settings, database_url(settings)


def grant_web_role(settings: dict, url: str) -> None:
    """Give the web server's role its privileges on the migrated schema, and say which role it is."""
    role = roles.prepare_app_role(settings, url)
    if role:
        click.echo(f"the web server connects as {role!r}: rows only; dispute history and audit log append-only")
    else:
        click.echo("note: the web server connects as DATABASE_URL's user, the schema's owner: give it a role "
                   "of its own with app_database_url (README, 'The database')", err=True)


@click.group()
def db() -> None:
    """The database: the embedded PostGIS cluster and the schema migrations."""


@db.command()
@fail_cleanly
def up() -> None:
    """Create (first time) and start the embedded PostGIS, and print its URL."""
    settings, url = owner_settings_and_url()
    click.echo(f"database ready: {_safe(url)}")
    if not settings.get("database_url"):
        roles.prepare_app_role(settings, url)


@db.command()
@fail_cleanly
def down() -> None:
    """Stop the embedded PostGIS."""
    cluster = _cluster_or_none()
    if cluster:
        cluster.stop()
        click.echo("embedded PostGIS stopped")


@db.command()
@fail_cleanly
def status() -> None:
    """Say whether the embedded PostGIS runs (exit 0) or not (exit 3)."""
    cluster = _cluster_or_none()
    if cluster is None:
        return
    if cluster.is_running():
        click.echo(f"running: {_safe(cluster.url())} (data in {cluster.data_dir})")
    elif cluster.initialized:
        click.echo(f"stopped (data in {cluster.data_dir}); start it with `gisapp db up`")
        raise SystemExit(3)
    else:
        click.echo("not created yet; create and start it with `gisapp db up`")
        raise SystemExit(3)


@db.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@fail_cleanly
def destroy(yes: bool) -> None:
    """Stop the embedded PostGIS and delete all its data."""
    cluster = _cluster_or_none()
    if cluster and (yes or click.confirm("Delete the embedded database and all its data?")):
        cluster.destroy()
        click.echo("embedded PostGIS deleted")


@db.command("migrate")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.option("--down", is_flag=True, help="Migrate down to the revision (default base).")
@fail_cleanly
def migrate_command(revision: str, down: bool) -> None:
    """Apply the schema migrations (or undo them with --down), as the schema's owner; then grant the
    web server's role what it needs on the tables there are now."""
    settings, url = owner_settings_and_url()
    if down:
        migrate.downgrade(url, "base" if revision == "head" else revision)
    else:
        migrate.upgrade(url, revision)
    click.echo(f"schema at revision {migrate.current_revision(url) or 'base (empty)'}")
    grant_web_role(settings, url)
