"""How far every place is, in minutes along the roads, from the patrols of each shift and from a base.

``refresh`` fills ``reach_vertex``: for each vertex of the road network, the minutes from the
nearest patrol active by day and by night (pgRouting's driving distance from every vertex within
sight of an active route, at that route's mode, all sources at once; the least over the modes) and
from the nearest patrol base (at the configured response mode), up to ``REACH_FACTOR`` times the
alarm reach limit (``patrol.alarm_reach_min``). Each alarm point takes the minutes of its nearest
vertex (``reach_alarm``, one row per period). It runs again only when the routes, their windows,
the roads, the bases, the alarms or the settings changed since (``reach_state``), and marks dirty
the grids of the alarms that crossed the limit, so the coverage flag ``alarm_beyond_patrol_reach``
follows. Without pgRouting nothing is computed, and coverage measures the straight line instead.
"""
from __future__ import annotations

import json

from sqlalchemy import text

from gisapp.coverage.sql import ACTIVE_AT
from gisapp.features import DEGREES_PER_METRE
from gisapp.patrol import network, routing

REACH_FACTOR = 3   # reach is kept up to this many times the alarm limit (the map's bands go that far)
TRACKED = ("patrol_route", "patrol_window", "road", "patrol_base", "alarm_point")

# Where the patrols of each period (and the bases) start from, by mode: every vertex within sight
# of an active route, and each end of the route as a point on the nearest edge its mode may use (a
# route may end between two vertices); for period 'base', each base's vertex at the response mode.
STARTS_SQL = f"""
CREATE TEMP TABLE reach_start ON COMMIT DROP AS
WITH on_duty AS (
    SELECT r.id, r.mode, r.geom, coalesce(r.sight_width_m, (CAST(:widths AS jsonb) ->> r.mode)::float) AS width, p.period
    FROM patrol_route r CROSS JOIN LATERAL (VALUES ('day', {ACTIVE_AT.format(t="CAST(:day AS time)")}),
                                                   ('night', {ACTIVE_AT.format(t="CAST(:night AS time)")})) AS p(period, on_duty)
    WHERE r.active AND p.on_duty
)
SELECT DISTINCT o.period, o.mode, v.id AS vertex, NULL::bigint AS edge_id, NULL::float AS fraction
FROM on_duty o JOIN road_vertex v ON v.geom && ST_Expand(o.geom, :deg)
 AND ST_DWithin(v.geom::geography, o.geom::geography, o.width)
UNION ALL
SELECT o.period, o.mode, NULL, e.id, ST_LineLocatePoint(e.geom, ends.g)
FROM on_duty o CROSS JOIN LATERAL (VALUES (ST_StartPoint(o.geom)), (ST_EndPoint(o.geom))) AS ends(g)
CROSS JOIN LATERAL (
    SELECT id, geom FROM road_edge WHERE NOT coalesce(CAST(:closed AS jsonb) -> o.mode ? road_class, false)
    ORDER BY geom <-> ends.g LIMIT 1) e
WHERE ST_DWithin(e.geom::geography, ends.g::geography, o.width)
UNION ALL
SELECT DISTINCT 'base', CAST(:response AS text),
       CASE WHEN ST_LineLocatePoint(e.geom, b.geom) <= 0.5 THEN e.source ELSE e.target END, NULL::bigint, NULL::float
FROM patrol_base b CROSS JOIN LATERAL (
    SELECT source, target, geom FROM road_edge
    WHERE NOT coalesce(CAST(:closed AS jsonb) -> CAST(:response AS text) ? road_class, false)
    ORDER BY geom <-> b.geom LIMIT 1) e
"""
# Each alarm's minutes (from its nearest vertex) per period; the grids of alarms that crossed the
# limit (or appeared, or lost their vertex) are marked dirty. One statement: ``old`` is the rows before.
ALARMS_SQL = """
WITH old AS (SELECT alarm_id, period, patrol_min FROM reach_alarm),
new AS (
    SELECT a.id AS alarm_id, p.period, rp.minutes AS patrol_min, rb.minutes AS base_min
    FROM alarm_point a CROSS JOIN LATERAL (
        SELECT CASE WHEN ST_LineLocatePoint(e.geom, a.geom) <= 0.5 THEN e.source ELSE e.target END AS id
        FROM road_edge e ORDER BY e.geom <-> a.geom LIMIT 1) v
    CROSS JOIN (VALUES ('day'), ('night')) AS p(period)
    LEFT JOIN reach_vertex rp ON rp.vertex_id = v.id AND rp.source = p.period
    LEFT JOIN reach_vertex rb ON rb.vertex_id = v.id AND rb.source = 'base'
),
written AS (
    INSERT INTO reach_alarm (alarm_id, period, patrol_min, base_min) SELECT * FROM new
    ON CONFLICT (alarm_id, period) DO UPDATE SET patrol_min = EXCLUDED.patrol_min, base_min = EXCLUDED.base_min
),
gone AS (
    DELETE FROM reach_alarm ra WHERE NOT EXISTS (SELECT 1 FROM new WHERE new.alarm_id = ra.alarm_id)
),
crossed AS (
    SELECT coalesce(n.alarm_id, o.alarm_id) AS alarm_id FROM new n FULL JOIN old o USING (alarm_id, period)
    WHERE n.alarm_id IS NULL OR o.alarm_id IS NULL
       OR coalesce(n.patrol_min <= :limit, false) <> coalesce(o.patrol_min <= :limit, false)
)
INSERT INTO coverage_dirty (grid_id)
SELECT DISTINCT g.id FROM alarm_point a JOIN grid g ON g.geom && a.geom AND ST_Covers(g.geom, a.geom)
WHERE a.id IN (SELECT alarm_id FROM crossed)
ON CONFLICT DO NOTHING
"""
STATE_SQL = """
INSERT INTO reach_state (id, signature, computed_at) VALUES (1, :signature, now())
ON CONFLICT (id) DO UPDATE SET signature = EXCLUDED.signature, computed_at = EXCLUDED.computed_at
"""
READ_SQL = """
SELECT a.code, a.enterprise, ST_X(a.geom) AS lon, ST_Y(a.geom) AS lat, ra.patrol_min, ra.base_min
FROM alarm_point a JOIN reach_alarm ra ON ra.alarm_id = a.id AND ra.period = :period
WHERE a.status = 'online' ORDER BY a.code
"""


def limit_min(settings: dict) -> float:
    """How many minutes by road the reach is kept up to."""
    return REACH_FACTOR * float(settings["patrol"]["alarm_reach_min"])


def _signature(conn, settings: dict) -> str:
    """What the reach depends on: the tracked tables' versions and the settings that shape it."""
    versions = dict(conn.execute(text("SELECT table_name, version FROM data_version WHERE table_name = ANY(:t)"),
                                 {"t": list(TRACKED)}).all())
    patrol = settings["patrol"]
    shaping = {"versions": versions, "sight": settings["sight_width_m"],
               "day": str(settings["coverage"]["day"]), "night": str(settings["coverage"]["night"]),
               **{key: patrol[key] for key in ("speed_kmh", "class_speed_factor", "alarm_reach_min", "response_mode")}}
    return json.dumps(shaping, sort_keys=True, default=str)


def is_current(conn, settings: dict) -> bool:
    """True when the stored reach was computed from the data and settings of now."""
    stored = conn.execute(text("SELECT signature FROM reach_state WHERE id = 1")).scalar()
    return stored == _signature(conn, settings)


def refresh(conn, settings: dict, *, force: bool = False) -> bool:
    """Bring ``reach_vertex`` and ``reach_alarm`` up to date over ``conn`` (the caller's transaction).

    Does nothing when they are current (unless ``force``) or without pgRouting; rebuilds the road
    network first when it is stale. Returns True when it recomputed.
    """
    if not network.has_pgrouting(conn) or (not force and is_current(conn, settings)):
        return False
    network.ensure_current(conn, settings)
    modes = settings["patrol"]["speed_kmh"]
    conn.execute(text("DROP TABLE IF EXISTS reach_start"))
    conn.execute(text(STARTS_SQL), {
        "day": settings["coverage"]["day"], "night": settings["coverage"]["night"],
        "widths": json.dumps(settings["sight_width_m"]), "deg": 600 * DEGREES_PER_METRE,
        "response": settings["patrol"]["response_mode"],
        "closed": json.dumps({mode: routing.closed_classes(mode, settings) for mode in modes})})
    conn.execute(text("DELETE FROM reach_vertex"))
    for source, mode in conn.execute(text("SELECT DISTINCT period, mode FROM reach_start ORDER BY 1, 2")).all():
        routing.record_minutes(conn, mode, settings, source, limit_min(settings))
    conn.execute(text(ALARMS_SQL), {"limit": float(settings["patrol"]["alarm_reach_min"])})
    conn.execute(text(STATE_SQL), {"signature": _signature(conn, settings)})
    return True


def alarm_reach(conn, settings: dict, period: str) -> list[dict]:
    """Each online alarm with the minutes by road from the patrols active at ``period`` (the day or
    night time of the configuration) and from the nearest base (None: farther than ``limit_min``),
    and whether the patrols reach it within ``patrol.alarm_reach_min``.

    The reach is made current first; RoutingError (field ``network``) without pgRouting."""
    network.ready(conn, settings)
    refresh(conn, settings)
    within = float(settings["patrol"]["alarm_reach_min"])
    return [{"code": row.code, "enterprise": row.enterprise, "lon": row.lon, "lat": row.lat, "period": period,
             "patrol_min": None if row.patrol_min is None else round(row.patrol_min, 1),
             "base_min": None if row.base_min is None else round(row.base_min, 1),
             "in_reach": row.patrol_min is not None and row.patrol_min <= within}
            for row in conn.execute(text(READ_SQL), {"period": period})]
