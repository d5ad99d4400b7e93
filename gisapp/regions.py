"""Where the data changed, as a tile sees it: each process's copy of ``data_change`` (migration 0012).

A layer file lists as ``regional`` the tables whose changes are seen only where their rows are. For
such a table a tile's ETag takes the newest version of a change whose box meets the tile (widened by
its buffer), or the table's floor (the last change known only as "somewhere"), instead of the table's
version: an edit in one village leaves every tile elsewhere valid. Each table's log is read again, in
one statement, only when its ``data_version`` has moved (see ``request_db.table_versions``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import text

from gisapp.db import engine_for

HALF_WORLD_M = 20037508.342789244  # half the width of the Web Mercator world (EPSG:3857)
SEEN_TILES = 100_000  # tiles whose answer a log keeps (then it forgets them all)
LOG_SQL = text("""
    SELECT v.floor, extract(epoch FROM v.floor_at), c.version, extract(epoch FROM c.changed_at),
           c.west, c.south, c.east, c.north
    FROM data_version v LEFT JOIN data_change c ON c.table_name = v.table_name WHERE v.table_name = :table
    ORDER BY c.version DESC""")

Box = tuple[float, float, float, float]


def tile_box(z: int, x: int, y: int, margin: float) -> Box:
    """The lon/lat box (min lon, min lat, max lon, max lat) of the tile z/x/y widened on each side by
    ``margin`` times its width, as ``ST_TileEnvelope(z, x, y, margin => margin)`` in EPSG:4326."""
    size = 2 * HALF_WORLD_M / 2 ** z
    west, east = -HALF_WORLD_M + (x - margin) * size, -HALF_WORLD_M + (x + 1 + margin) * size
    south, north = HALF_WORLD_M - (y + 1 + margin) * size, HALF_WORLD_M - (y - margin) * size

    def lon(metres: float) -> float:
        return max(-180.0, min(180.0, metres / HALF_WORLD_M * 180))

    def lat(metres: float) -> float:
        return math.degrees(math.atan(math.sinh(max(-math.pi, min(math.pi, metres / HALF_WORLD_M * math.pi)))))
    return lon(west), lat(south), lon(east), lat(north)


@dataclass
class ChangeLog:
    """One table's noted changes, newest first: (west, south, east, north, "version@time"), and its floor;
    what each tile asked for saw, kept while this log is current."""
    floor: str
    changes: list[tuple[float, float, float, float, str]]
    seen: dict[tuple[int, int, int, float], str] = field(default_factory=dict)

    def version_at(self, z: int, x: int, y: int, margin: float) -> str:
        """The newest change seen in the tile z/x/y widened by ``margin`` (see ``tile_box``), as
        "version@time", or the floor when none is newer."""
        found = self.seen.get((z, x, y, margin))
        if found is None:
            west, south, east, north = tile_box(z, x, y, margin)
            found = next((label for w, s, e, n, label in self.changes
                          if w <= east and e >= west and s <= north and n >= south), self.floor)
            if len(self.seen) >= SEEN_TILES:
                self.seen.clear()
            self.seen[(z, x, y, margin)] = found
        return found


_logs: dict[tuple[str, str], tuple[object, ChangeLog]] = {}


def change_log(url: str, table: str, version: object) -> ChangeLog:
    """``table``'s log in the database at ``url``, read again when ``version`` (its data_version) moves."""
    kept = _logs.get((url, table))
    if kept is not None and kept[0] == version:
        return kept[1]
    with engine_for(url).connect() as conn:
        rows = conn.execute(LOG_SQL, {"table": table}).all()
    floor = f"{rows[0][0]}@{rows[0][1]}" if rows else "0@0"
    log = ChangeLog(floor, [(*row[4:], f"{row[2]}@{row[3]}") for row in rows if row[2] is not None and row[2] > row[0]])
    _logs[(url, table)] = (version, log)
    return log
