"""Counting changes in ``data_version``, which tiles' ETags and caches are made of, and where they were.

Triggers count the changes of most tables (one bump a statement); for the tables whose rows have a
place, they also note the box each statement changed in ``data_change`` (migration 0012), so a tile
elsewhere keeps its ETag. The coverage tables have no trigger: they are written by parallel batches,
which would queue on the one counter row all through their transactions; their writer counts a change
here, as its last statement before the commit."""
from __future__ import annotations

from sqlalchemy import text

BUMP_SQL = """
INSERT INTO data_version (table_name, version, changed_at) VALUES (:table, 1, now())
ON CONFLICT (table_name) DO UPDATE SET version = data_version.version + 1, changed_at = now()
"""
# The grids' box (NULL, i.e. everywhere, when there is none).
NOTE_GRIDS_SQL = "SELECT note_data_change(:table, (SELECT ST_Extent(geom) FROM grid WHERE id = ANY(:ids)))"
# Tables noted by their writer, not by a trigger: where they changed is where the grids written are.
NOTED_BY_WRITER = frozenset({"grid_coverage"})
TRIGGERED_SQL = text("SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                     "JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = :function")


def counted_tables(conn) -> frozenset[str]:
    """The tables whose changes ``data_version`` counts: by trigger, or by their writer (``bump``)."""
    return frozenset(conn.execute(TRIGGERED_SQL, {"function": "bump_data_version"}).scalars()) | NOTED_BY_WRITER


def noted_tables(conn) -> frozenset[str]:
    """The tables whose changes are noted where they were (``data_change``): by trigger, or by their writer."""
    return frozenset(conn.execute(TRIGGERED_SQL, {"function": "log_data_change"}).scalars()) | NOTED_BY_WRITER


def bump(conn, table: str, grid_ids: list[int] | None = None) -> None:
    """Count a change of ``table`` over ``conn`` (the caller's transaction), as the triggers do; with
    ``grid_ids``, noted as a change where those grids are (``table`` must be in NOTED_BY_WRITER)."""
    if grid_ids is None:
        conn.execute(text(BUMP_SQL), {"table": table})
    else:
        conn.execute(text(NOTE_GRIDS_SQL), {"table": table, "ids": grid_ids})
