"""``gisapp backup FILE`` and ``gisapp restore FILE``: the whole database, with PostgreSQL's tools."""
from __future__ import annotations

import click
from tqdm import tqdm

from gisapp.cli.common import fail_cleanly
from gisapp.cli.db import grant_web_role, owner_settings_and_url
from gisapp.db import backup as backups
from gisapp.db import engine_for


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _reporting(total: int, desc: str, verbose: bool, quiet: bool):
    """A progress bar over the tables (none when quiet, or verbose: then every line of the tool)."""
    bar = tqdm(total=total, desc=desc, unit="table", disable=quiet or verbose, leave=False)
    echo = (lambda line: click.echo(line, err=True)) if verbose else None
    return bar, (lambda table: bar.update(1)), echo


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@click.option("-v", "--verbose", is_flag=True, help="Show every line pg_dump writes.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar; only the final line.")
@fail_cleanly
def backup_command(file: str, verbose: bool, quiet: bool) -> None:
    """Back up the whole database to FILE (pg_dump, custom format).

    Everything the server keeps: layers, disputes with their full history, accounts and tokens, the
    audit log, computed coverage and networks, the schema's migration. The file holds personal data
    and password hashes: it is made readable by its owner only; keep it so.
    """
    _, url = owner_settings_and_url()
    try:
        bar, progress, echo = _reporting(backups.table_count(url), "backing up", verbose, quiet)
        with bar:
            done = backups.backup(url, file, progress=progress, echo=echo)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup of {done.tables} tables (PostgreSQL {done.server}) written to {file} "
               f"({_size(done.size)}, {done.seconds:.1f} s)")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("-v", "--verbose", is_flag=True, help="Show every line pg_restore writes.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar; only the final line.")
@fail_cleanly
def restore_command(file: str, yes: bool, verbose: bool, quiet: bool) -> None:
    """Replace the whole database with the backup FILE (made by gisapp backup).

    Everything in the database now is replaced. The backup is restored into a new database first:
    if that fails, nothing has changed. A running server's connections are ended; it reconnects by
    itself. The web server's role gets its privileges again.
    """
    settings, url = owner_settings_and_url()
    try:
        _, listing = backups.contents(url, file)
        if not yes:
            click.confirm(f"Replace everything in the database with the backup {file}?", abort=True)
        bar, progress, echo = _reporting(backups.data_entries(listing), "restoring", verbose, quiet)
        engine_for(url).dispose()  # this process's own connections to the old database
        with bar:
            done = backups.restore(url, file, progress=progress, echo=echo)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    grant_web_role(settings, url)
    click.echo(f"restored {done.tables} tables from {file} ({_size(done.size)}, {done.seconds:.1f} s)")
