"""Timing helpers shared by the benchmarks."""
from __future__ import annotations

import time
from collections.abc import Callable

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
