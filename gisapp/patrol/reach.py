"""How far each online alarm is, in minutes along the roads, from the patrols of a shift and from a base.

From every vertex on an active route of the shift (within its sight width), pgRouting's driving
distance at that route's mode gives the minutes to every vertex within the limit (all sources at
once); an alarm takes the minutes of its nearest usable vertex, the least over the modes patrolling.
The same from the patrol bases, at the configured response mode. ``None`` is beyond the limit.
"""
from __future__ import annotations

from sqlalchemy import text

from gisapp.coverage.sql import ACTIVE_AT
from gisapp.patrol import network, routing

ROUTE_VERTICES_SQL = f"""
SELECT DISTINCT v.id FROM patrol_route r
JOIN road_vertex v ON v.geom && ST_Expand(r.geom, 0.01)
 AND ST_DWithin(v.geom::geography, r.geom::geography, coalesce(r.sight_width_m, :width))
WHERE r.active AND r.mode = :mode AND {ACTIVE_AT.format(t="CAST(:at AS time)")}
"""
BASE_VERTICES_SQL = """
SELECT DISTINCT CASE WHEN ST_LineLocatePoint(e.geom, b.geom) <= 0.5 THEN e.source ELSE e.target END
FROM patrol_base b CROSS JOIN LATERAL (
    SELECT source, target, geom FROM road_edge WHERE road_class <> ALL(CAST(:closed AS text[]))
    ORDER BY geom <-> b.geom LIMIT 1) e
"""
ALARMS_SQL = """
SELECT a.code, a.enterprise, ST_X(a.geom) AS lon, ST_Y(a.geom) AS lat, v.id AS vertex
FROM alarm_point a CROSS JOIN LATERAL (
    SELECT CASE WHEN ST_LineLocatePoint(e.geom, a.geom) <= 0.5 THEN e.source ELSE e.target END AS id
    FROM road_edge e ORDER BY e.geom <-> a.geom LIMIT 1) v
WHERE a.status = 'online' ORDER BY a.code
"""


def alarm_reach(conn, settings: dict, period: str) -> list[dict]:
    """Each online alarm with the minutes from the patrols active at ``period`` (day or night time of
    the configuration) and from the nearest base, and whether the patrols reach it in time.

    The network is made current first; RoutingError without pgRouting."""
    network.ready(conn, settings)
    patrol = settings["patrol"]
    limit = float(patrol["alarm_reach_min"]) * 3
    at = settings["coverage"][period]
    from_routes: dict[int, float] = {}
    for mode in patrol["speed_kmh"]:
        sources = list(conn.execute(text(ROUTE_VERTICES_SQL), {
            "mode": mode, "at": at, "width": settings["sight_width_m"][mode]}).scalars())
        for vertex, minutes in routing.minutes_from(conn, mode, settings, sources, limit).items():
            from_routes[vertex] = min(minutes, from_routes.get(vertex, minutes))
    response = patrol["response_mode"]
    bases = list(conn.execute(text(BASE_VERTICES_SQL), {"closed": routing.closed_classes(response, settings)}).scalars())
    from_bases = routing.minutes_from(conn, response, settings, bases, limit)
    found = []
    for alarm in conn.execute(text(ALARMS_SQL)).mappings():
        minutes = from_routes.get(alarm["vertex"])
        found.append({"code": alarm["code"], "enterprise": alarm["enterprise"], "lon": alarm["lon"],
                      "lat": alarm["lat"], "period": period,
                      "patrol_min": None if minutes is None else round(minutes, 1),
                      "base_min": None if alarm["vertex"] not in from_bases else round(from_bases[alarm["vertex"]], 1),
                      "in_reach": minutes is not None and minutes <= patrol["alarm_reach_min"]})
    return found
