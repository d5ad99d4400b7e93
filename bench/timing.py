"""Timing helpers shared by the benchmarks, and the scratch database they run in."""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event


def time_statements(engine, width: int, seen: Callable[[str, object], None] | None = None) -> dict[str, float]:
    """Seconds spent in each SQL statement ``engine`` runs from now on, keyed by its first ``width``
    characters (whitespace folded); ``seen(statement, parameters)`` is called after each. The dict
    fills as statements run: clear it between runs."""
    statements: dict[str, float] = {}

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - conn.info["bench_started"].pop()
        key = " ".join(statement.split())[:width]
        statements[key] = statements.get(key, 0.0) + took
        if seen:
            seen(statement, parameters)

    return statements


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """A fresh, migrated database named ``prefix_<random>`` on the embedded cluster (or DATABASE_URL's
    server); yields its URL and drops it on the way out, whatever happens (its connections closed)."""
    import psycopg
    from sqlalchemy.engine import make_url

    from gisapp.config import load_settings
    from gisapp.db import database_url, migrate
    from gisapp.db.server import ensure_database, libpq_dsn

    server = database_url(load_settings())
    name = f"{prefix}_{uuid.uuid4().hex[:6]}"
    ensure_database(server, name)
    try:
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url)
        yield url
    finally:
        with psycopg.connect(libpq_dsn(server), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
