"""Counting changes in ``data_version``, which tiles' ETags and caches are made of.

Triggers count the changes of most tables (one bump a statement). The coverage tables have none: they
are written by parallel batches, which would queue on the one counter row all through their
transactions; their writer counts a change here, as its last statement before the commit."""
from __future__ import annotations

from sqlalchemy import text

BUMP_SQL = """
INSERT INTO data_version (table_name, version, changed_at) VALUES (:table, 1, now())
ON CONFLICT (table_name) DO UPDATE SET version = data_version.version + 1, changed_at = now()
"""


def bump(conn, table: str) -> None:
    """Count a change of ``table`` over ``conn`` (the caller's transaction), as the triggers do."""
    conn.execute(text(BUMP_SQL), {"table": table})
