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
``add_route`` lowers the stored reach for one route just added, for a what-if.
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
# With :only, the route of that code alone (and no bases).
STARTS_SQL = f"""
CREATE TEMP TABLE reach_start ON COMMIT DROP AS
WITH on_duty AS (
    SELECT r.id, r.mode, r.geom, coalesce(r.sight_width_m, (CAST(:widths AS jsonb) ->> r.mode)::float) AS width, p.period
    FROM patrol_route r CROSS JOIN LATERAL (VALUES ('day', {ACTIVE_AT.format(t="CAST(:day AS time)")}),
                                                   ('night', {ACTIVE_AT.format(t="CAST(:night AS time)")})) AS p(period, on_duty)
    WHERE r.active AND p.on_duty AND (CAST(:only AS text) IS NULL OR r.code = :only)
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
WHERE CAST(:only AS text) IS NULL
"""
# An alarm's vertex: the nearer end of the nearest edge.
ALARM_VERTEX = """CROSS JOIN LATERAL (
        SELECT CASE WHEN ST_LineLocatePoint(e.geom, a.geom) <= 0.5 THEN e.source ELSE e.target END AS id
        FROM road_edge e ORDER BY e.geom <-> a.geom LIMIT 1) v"""
# The grids holding the alarms of the CTE ``crossed`` are marked dirty.
MARK_CROSSED = """
INSERT INTO coverage_dirty (grid_id)
SELECT DISTINCT g.id FROM alarm_point a JOIN grid g ON g.geom && a.geom AND ST_Covers(g.geom, a.geom)
WHERE a.id IN (SELECT alarm_id FROM crossed)
ON CONFLICT DO NOTHING
"""
# Each alarm's minutes (from its nearest vertex) per period; the grids of alarms that crossed the
# limit (or appeared, or lost their vertex) are marked dirty. One statement: ``old`` is the rows before.
ALARMS_SQL = f"""
WITH old AS (SELECT alarm_id, period, patrol_min FROM reach_alarm),
new AS (
    SELECT a.id AS alarm_id, p.period, rp.minutes AS patrol_min, rb.minutes AS base_min
    FROM alarm_point a {ALARM_VERTEX}
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
{MARK_CROSSED}"""
# After a route is added and reach_vertex lowered from its starts: the alarms near it take the lower
# minutes of their vertex; the grids of those now within the limit are marked dirty.
LOWERED_SQL = f"""
WITH near AS (
    SELECT a.id AS alarm_id, p.period, rp.minutes
    FROM patrol_route r JOIN alarm_point a ON a.geom && ST_Expand(r.geom, :radius_deg)
     AND ST_DWithin(a.geom::geography, r.geom::geography, :radius)
    {ALARM_VERTEX}
    CROSS JOIN (VALUES ('day'), ('night')) AS p(period)
    JOIN reach_vertex rp ON rp.vertex_id = v.id AND rp.source = p.period
    WHERE r.code = :code
),
old AS (SELECT ra.* FROM reach_alarm ra JOIN near n USING (alarm_id, period)),
lowered AS (
    UPDATE reach_alarm ra SET patrol_min = n.minutes FROM near n
    WHERE ra.alarm_id = n.alarm_id AND ra.period = n.period AND (ra.patrol_min IS NULL OR n.minutes < ra.patrol_min)
),
crossed AS (
    SELECT n.alarm_id FROM near n JOIN old o USING (alarm_id, period)
    WHERE n.minutes <= :limit AND NOT coalesce(o.patrol_min <= :limit, false)
)
{MARK_CROSSED}"""
STATE_SQL = """
INSERT INTO reach_state (id, signature, computed_at) VALUES (1, :signature, now())
ON CONFLICT (id) DO UPDATE SET signature = EXCLUDED.signature, computed_at = EXCLUDED.computed_at
"""
READ_SQL = """
SELECT a.code, a.enterprise, ST_X(a.geom) AS lon, ST_Y(a.geom) AS lat, ra.patrol_min, ra.base_min
FROM alarm_point a JOIN reach_alarm ra ON ra.alarm_id = a.id AND ra.period = :period
WHERE a.status = 'online' ORDER BY a.code
"""
IN_REACH_SQL = """
SELECT a.code, ra.period FROM alarm_point a JOIN reach_alarm ra ON ra.alarm_id = a.id
WHERE a.status = 'online' AND ra.patrol_min <= :limit
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


def _starts(conn, settings: dict, only: str | None) -> list[tuple[str, str]]:
    """Fill ``reach_start`` with where the patrols (only the route ``only``, when given) and the bases start;
    returns its (source, mode) pairs."""
    modes = settings["patrol"]["speed_kmh"]
    conn.execute(text("DROP TABLE IF EXISTS reach_start"))
    conn.execute(text(STARTS_SQL), {
        "day": settings["coverage"]["day"], "night": settings["coverage"]["night"],
        "widths": json.dumps(settings["sight_width_m"]), "deg": 600 * DEGREES_PER_METRE,
        "response": settings["patrol"]["response_mode"], "only": only,
        "closed": json.dumps({mode: routing.closed_classes(mode, settings) for mode in modes})})
    return [tuple(row) for row in conn.execute(text("SELECT DISTINCT period, mode FROM reach_start ORDER BY 1, 2"))]


def refresh(conn, settings: dict, *, force: bool = False) -> bool:
    """Bring ``reach_vertex`` and ``reach_alarm`` up to date over ``conn`` (the caller's transaction).

    Does nothing when they are current (unless ``force``) or without pgRouting; rebuilds the road
    network first when it is stale. Returns True when it recomputed.
    """
    if not network.has_pgrouting(conn) or (not force and is_current(conn, settings)):
        return False
    network.ensure_current(conn, settings)
    pairs = _starts(conn, settings, None)
    conn.execute(text("DELETE FROM reach_vertex"))
    for source, mode in pairs:
        routing.record_minutes(conn, mode, settings, source, limit_min(settings))
    conn.execute(text(ALARMS_SQL), {"limit": float(settings["patrol"]["alarm_reach_min"])})
    conn.execute(text(STATE_SQL), {"signature": _signature(conn, settings)})
    return True


def add_route(conn, settings: dict, code: str) -> None:
    """Lower the stored reach for the route ``code`` just added (a new route only brings places nearer):
    the minutes from its starts up to the alarm limit, and the alarms near it, whose grids are marked
    dirty when they come within the limit. For a what-if: the reach is not marked current."""
    within = float(settings["patrol"]["alarm_reach_min"])
    pairs = _starts(conn, settings, code)
    for source, mode in pairs:
        routing.record_minutes(conn, mode, settings, source, within)
    if pairs:
        radius = within * float(settings["patrol"]["speed_kmh"][pairs[0][1]]) * 1000 / 60 + 600  # + the widest sight
        conn.execute(text(LOWERED_SQL), {"code": code, "radius": radius, "radius_deg": radius * DEGREES_PER_METRE,
                                         "limit": within})


def in_reach(conn, settings: dict) -> set[tuple[str, str]]:
    """The online alarms the patrols reach within the limit by road, as (code, period), as stored."""
    return set(conn.execute(text(IN_REACH_SQL), {"limit": float(settings["patrol"]["alarm_reach_min"])}).all())


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
