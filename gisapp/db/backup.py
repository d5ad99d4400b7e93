"""Backing up and restoring the whole database with PostgreSQL's own tools (pg_dump, pg_restore).

A backup is pg_dump's custom format: every table (the layers, the disputes and their history, the
accounts and their tokens, the audit log, the computed coverage and networks), the sequences, the
schema and the migration it is at, compressed. A restore replaces the database with the backup's:
it is restored into a new database first, and only when that succeeded does the new one take the
old one's place, so a failed restore leaves the database as it was.

pg_restore's script is run by psql with one change: its search path is ``public, pg_catalog``
instead of empty. The stored columns of cameras' views and alarms' reach are computed by SQL
functions (``camera_view``, ``alarm_reach``, migrations 0002-0003) that name PostGIS's types and
functions without their schema, which an empty search path cannot find.

pg_dump refuses servers newer than itself and a dump restores reliably only with tools of the same
major version, so both must match the server's major version (``pg_tool``); the embedded cluster's
own are found beside its server binaries.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from gisapp.db.server import libpq_dsn

VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")
# The lines pg_dump -v writes for each table's rows; the line of pg_restore's script that loads them.
DUMPING = re.compile(r'dumping contents of table "?([^"\s]+)"?')
COPYING = re.compile(rb"^COPY ([^ (]+)")
EMPTY_PATH = b"SELECT pg_catalog.set_config('search_path', '', false);"
PUBLIC_PATH = b"SELECT pg_catalog.set_config('search_path', 'public, pg_catalog', false);"


class BackupError(RuntimeError):
    """The backup or restore could not be done; the message says why and what to do."""


@dataclass
class Outcome:
    path: Path
    tables: int
    size: int
    seconds: float
    server: str


def _connect(url: str, database: str | None = None) -> psycopg.Connection:
    target = make_url(url) if database is None else make_url(url).set(database=database)
    try:
        return psycopg.connect(libpq_dsn(target.render_as_string(hide_password=False)), autocommit=True,
                               connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise BackupError(f"cannot connect to {target.render_as_string(hide_password=True)}: "
                          f"{str(exc).strip()}") from exc


def server_version(url: str) -> tuple[int, str]:
    """The server's major version and its full version text."""
    with _connect(url) as conn:
        number, text = conn.execute("SELECT current_setting('server_version_num')::int, "
                                    "current_setting('server_version')").fetchone()
    return number // 10000, text


def tool_major(path: str | Path) -> int | None:
    """The major version a PostgreSQL tool says it is (``pg_dump --version``), None if it does not say."""
    try:
        result = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    match = VERSION.search(result.stdout)
    return int(match.group(1)) if match else None


def pg_tool(name: str, major: int, search: list[Path] | None = None) -> Path:
    """The ``name`` tool (pg_dump, pg_restore) of PostgreSQL ``major``: Debian's
    /usr/lib/postgresql/<major>/bin first, then the PATH. BackupError naming the versions found and
    the package to install when none matches."""
    candidates = search if search is not None else [
        Path(f"/usr/lib/postgresql/{major}/bin/{name}"), *(Path(p) for p in [shutil.which(name)] if p)]
    found = []
    for path in candidates:
        if not path.is_file():
            continue
        version = tool_major(path)
        if version == major:
            return path
        found.append(f"{path} is PostgreSQL {version or '(unknown)'}")
    seen = "; ".join(found) if found else f"no {name} found"
    raise BackupError(f"the database server runs PostgreSQL {major}, and {name} must be of the same major version "
                      f"({seen}): install PostgreSQL {major}'s client tools (Debian, Ubuntu: "
                      f"apt-get install postgresql-client-{major})")


def _environment(url: str) -> dict:
    """libpq's variables for ``url``: the password never goes on a command line."""
    parsed = make_url(url)
    env = {**os.environ, "PGHOST": parsed.host or "127.0.0.1", "PGPORT": str(parsed.port or 5432),
           "PGUSER": parsed.username or "", "PGDATABASE": parsed.database or "", "PGCONNECT_TIMEOUT": "10"}
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    for key, value in parsed.query.items():
        if key == "sslmode":
            env["PGSSLMODE"] = str(value)
    return env


def _run(args: list[str], env: dict, pattern: re.Pattern, progress: Callable[[str], None],
         echo: Callable[[str], None] | None) -> None:
    """Run a tool with -v, calling ``progress`` for each table it reports and ``echo`` for every
    line (when verbose); BackupError with its last lines when it fails."""
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               errors="replace", cwd="/")
    tail: list[str] = []
    for line in _lines(process):
        if echo:
            echo(line)
        match = pattern.search(line)
        if match:
            progress(match.group(1))
        elif "error" in line.lower() or "warning" in line.lower() or not line.startswith(f"{Path(args[0]).name}:"):
            tail = (tail + [line])[-12:]
    if process.wait() != 0:
        raise BackupError(f"{Path(args[0]).name} failed (exit {process.returncode}):\n" + "\n".join(tail))


def _lines(process: subprocess.Popen) -> Iterator[str]:
    for line in process.stderr:
        yield line.rstrip("\n")


def _table_count(conn) -> int:
    return conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
                        ).fetchone()[0]


def table_count(url: str) -> int:
    """How many tables the database at ``url`` has (the length of a backup's progress)."""
    with _connect(url) as conn:
        return _table_count(conn)


def backup(url: str, path: str | Path, *, progress: Callable[[str], None] = lambda table: None,
           echo: Callable[[str], None] | None = None) -> Outcome:
    """Write the whole database at ``url`` to ``path`` (pg_dump, custom format), readable by its
    owner only; the file appears whole or not at all."""
    path = Path(path)
    started = time.monotonic()
    major, version = server_version(url)
    tool = pg_tool("pg_dump", major)
    with _connect(url) as conn:
        tables = _table_count(conn)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))  # personal data: owner only
    try:
        _run([str(tool), "--format=custom", "--verbose", "--no-password", f"--file={partial}"],
             _environment(url), DUMPING, progress, echo)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return Outcome(path, tables, path.stat().st_size, time.monotonic() - started, version)


def data_entries(listing: list[str]) -> int:
    """How many tables' rows a backup's table of contents (``contents``) holds."""
    return sum(1 for line in listing if " TABLE DATA " in line and not line.startswith(";"))


def contents(url: str, path: str | Path) -> tuple[Path, list[str]]:
    """The matching pg_restore and the backup's table of contents (BackupError when ``path`` is not
    a backup pg_restore can read)."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    major, _ = server_version(url)
    tool = pg_tool("pg_restore", major)
    listed = subprocess.run([str(tool), "--list", str(path)], capture_output=True, text=True, errors="replace",
                            check=False)
    if listed.returncode != 0:
        raise BackupError(f"{path.name} is not a backup made by gisapp backup (pg_dump's custom format): "
                          f"{listed.stderr.strip().splitlines()[-1] if listed.stderr.strip() else 'unreadable'}")
    return tool, listed.stdout.splitlines()


def _run_script(pg_restore: Path, psql: Path, path: Path, env: dict, progress: Callable[[str], None],
                echo: Callable[[str], None] | None) -> None:
    """pg_restore's script of ``path`` into psql (one transaction, stopping at the first error), its
    search path made ``public, pg_catalog``; ``progress`` for each table loaded."""
    restore_args = [str(pg_restore), "--no-owner", "--no-privileges", "--file=-", str(path)]
    psql_args = [str(psql), "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
                 "--no-password", f"--dbname={env['PGDATABASE']}"]
    if echo:
        echo(" ".join(restore_args) + " | " + " ".join(psql_args))
    source = subprocess.Popen(restore_args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd="/")
    sink = subprocess.Popen(psql_args, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, cwd="/")
    errors: dict[str, bytes] = {}
    readers = [threading.Thread(target=lambda: errors.__setitem__("pg_restore", source.stderr.read()), daemon=True),
               threading.Thread(target=lambda: errors.__setitem__("psql", sink.stderr.read()), daemon=True)]
    for reader in readers:
        reader.start()
    try:
        header = True
        for line in source.stdout:
            if header and line.rstrip(b"\n") == EMPTY_PATH:
                line = PUBLIC_PATH + b"\n"
            match = COPYING.match(line)
            if match:
                header = False
                progress(match.group(1).decode(errors="replace"))
            sink.stdin.write(line)
        sink.stdin.close()
    except BrokenPipeError:
        pass  # psql stopped at an error: said below
    finally:
        source.stdout.close()
        restored, loaded = source.wait(), sink.wait()
        for reader in readers:
            reader.join()
    if echo:
        for text in errors.values():
            for line in text.decode(errors="replace").splitlines():
                echo(line)
    if restored != 0 or loaded != 0:
        failed = "pg_restore" if restored != 0 else "psql"
        lines = errors[failed].decode(errors="replace").strip().splitlines()
        raise BackupError(f"{failed} failed (exit {restored or loaded}): nothing was restored\n" + "\n".join(
            line for line in lines if not line.startswith(("    ", "\t")))[-2000:])


def restore(url: str, path: str | Path, *, progress: Callable[[str], None] = lambda table: None,
            echo: Callable[[str], None] | None = None) -> Outcome:
    """Replace the database at ``url`` with the backup ``path``.

    The backup is restored (in one transaction, stopping at the first error) into a new database
    on the same server; then the old database is dropped (its sessions ended: a running web server
    reconnects by itself) and the new one renamed in its place. Objects are owned by ``url``'s user
    and carry no grants: grant the web server's role afterwards (gisapp.db.roles).
    """
    path = Path(path)
    started = time.monotonic()
    tool, _ = contents(url, path)
    major, version = server_version(url)
    name = make_url(url).database
    scratch = f"{name[:40]}_restoring_{os.getpid()}"
    with _connect(url, "postgres") as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))
        try:
            admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
                sql.Identifier(scratch)))
        except psycopg.errors.InsufficientPrivilege as exc:
            raise BackupError("restoring needs a user that may create databases (and PostGIS in them): the "
                              "embedded cluster's owner, or the server's administrator") from exc
        try:
            _run_script(tool, pg_tool("psql", major), path, {**_environment(url), "PGDATABASE": scratch},
                        progress, echo)
            with _connect(url, scratch) as restored:
                tables = _table_count(restored)
        except BaseException:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))
            raise
        # The backup is whole in the new database: only now does the old one go.
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        try:
            admin.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(scratch),
                                                                            sql.Identifier(name)))
        except psycopg.Error as exc:
            raise BackupError(f"the backup is restored in database {scratch!r}, which could not be renamed to "
                              f"{name!r}: {str(exc).strip()}; rename it by hand (ALTER DATABASE ... RENAME)") from exc
    return Outcome(path, tables, path.stat().st_size, time.monotonic() - started, version)
