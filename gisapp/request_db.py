"""One SQLAlchemy session per request, closed when the request ends; and what a process's requests share.

What every request would otherwise ask the database (the tables' data versions, who a token or a
session cookie belongs to) is kept per process for at most ``TTL_S`` seconds (``cached``), and
forgotten as soon as this process commits anything: its own writes are seen by its next request, and
another process's within ``TTL_S``.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import time
from collections.abc import Callable, Iterator

from flask import Flask, current_app, g
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from gisapp.db import engine_for, versions

TTL_S = 1.0
MAX_ENTRIES = 10_000  # beyond it the whole cache is dropped (many tokens in a second)

_entries: dict[tuple, tuple[float, object]] = {}
_commits = [0]  # how many commits this process has made: an entry loaded across one is not kept


def db_session() -> Session:
    """The current request's database session (opened on first use)."""
    if "db_session" not in g:
        g.db_session = Session(engine_for(current_app.config["DATABASE_URL"]))
    return g.db_session


@contextlib.contextmanager
def read_connection() -> Iterator[Connection]:
    """A pooled connection in autocommit, for a request that only reads one statement: no BEGIN and no
    ROLLBACK around it (two round trips fewer than a session's)."""
    with engine_for(current_app.config["DATABASE_URL"]).connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")


def cached(key: tuple, load: Callable[[], object]):
    """``load()``, kept under ``key`` (which names the database) as the module says; None is not kept."""
    now = time.monotonic()
    hit = _entries.get(key)
    if hit is not None and now - hit[0] < TTL_S:
        return hit[1]
    commits = _commits[0]
    value = load()
    if value is not None and commits == _commits[0]:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[key] = (now, value)
    return value


def _forget(*_args) -> None:
    _commits[0] += 1
    _entries.clear()


# Any commit in this process, by a session or a bare connection, before it is sent and after it is done.
event.listen(Engine, "commit", _forget)
event.listen(Session, "after_commit", _forget)


def table_versions() -> dict[str, tuple[int, dt.datetime]]:
    """{table: (version, changed_at)} of the tables ``data_version`` tracks that have changed (cached)."""
    url = current_app.config["DATABASE_URL"]

    def load():
        with engine_for(url).connect() as conn:
            return {name: (version, changed) for name, version, changed in
                    conn.execute(text("SELECT table_name, version, changed_at FROM data_version"))}
    return cached(("data_version", url), load)


@functools.lru_cache(maxsize=8)
def tracked_tables(url: str) -> frozenset[str]:
    """The tables whose changes ``data_version`` counts (``versions.counted_tables``), read once per process."""
    with engine_for(url).connect() as conn:
        return versions.counted_tables(conn)


def _close(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close)
