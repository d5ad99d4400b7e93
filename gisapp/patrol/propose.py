"""Proposing patrol routes for a team: what is worth collecting, travel times, the optimiser, the paths.

Everything worth a visit near the start comes from PostGIS in one statement per kind — open
disputes by grade (within the sight width of an edge: riding that edge collects them), road in
the coverage gaps of the shift (by km, per edge), Gi* hot spot grids (a dwell stop at the vertex
nearest the grid's centre), online alarms (a vertex within the alarm reach). Travel minutes
between the places come from pgRouting; ``orienteering.solve`` picks and orders the stops; each
route's geometry is the shortest way through its stops along the roads.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import text

from gisapp.disputes.figures import hot_grid_ids
from gisapp.features import DEGREES_PER_METRE
from gisapp.patrol import network, routing
from gisapp.patrol.orienteering import Stop, solve
from gisapp.patrol.routing import RoutingError


@dataclass
class Request:
    """A proposal's parameters (validated at the edge)."""
    mode: str
    start: tuple[float, float]                 # lon, lat
    end: tuple[float, float] | None = None     # None: back to the start
    budget_min: float = 120.0
    period: str = "day"
    routes: int = 1
    dwell_min: float | None = None             # None: the configured dwell
    weights: dict = field(default_factory=dict)  # merged over the configured weights
    sight_width_m: float | None = None         # None: the mode's configured width


@dataclass
class Candidate:
    """Something worth collecting: where (an edge to ride, or a vertex to stop at) and its value."""
    kind: str          # dispute, gap, hotspot, alarm
    ref: str           # its code (a grid's code for gaps and hot spots)
    value: float
    edge: tuple[int, int] | None = None   # source, target of the street ridden
    edge_id: int | None = None
    vertex: int | None = None             # or the vertex stopped at
    service: float = 0.0                  # minutes along the street, or the dwell at the vertex
    name: str | None = None               # what people call it, when not its code (an alarm's enterprise)


# Within reach of the start (a box in degrees around it), and the usable vertex nearest a place.
NEAR_START = "ST_Expand(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :radius_deg)"
USABLE = "road_class <> ALL(CAST(:closed AS text[]))"
NEAREST_VERTEX = f"""(
    SELECT rv.id, rv.geom FROM road_vertex rv
    WHERE EXISTS (SELECT 1 FROM road_edge e WHERE (e.source = rv.id OR e.target = rv.id) AND e.{USABLE})
    ORDER BY rv.geom <-> {{place}} LIMIT 1)"""

DISPUTES_SQL = f"""
SELECT d.code, d.grade, e.id, e.source, e.target
FROM dispute d CROSS JOIN LATERAL (
    SELECT id, source, target, geom FROM road_edge WHERE {USABLE} ORDER BY geom <-> d.geom LIMIT 1) e
WHERE d.status <> 'closed' AND d.geom && {NEAR_START} AND ST_DWithin(d.geom::geography, e.geom::geography, :sight)
"""
GAPS_SQL = f"""
SELECT e.id, e.source, e.target, string_agg(DISTINCT g.code, ',') AS grids,
       sum(ST_Length(ST_Intersection(e.geom, c.gap_geom)::geography)) / 1000 AS km
FROM grid_coverage c JOIN grid g ON g.id = c.grid_id
JOIN road_edge e ON e.geom && c.gap_geom AND ST_Intersects(e.geom, c.gap_geom)
WHERE c.period = :period AND c.gap_geom && {NEAR_START} AND e.{USABLE}
GROUP BY e.id, e.source, e.target
"""
ALARMS_SQL = f"""
SELECT a.code, a.enterprise, v.id FROM alarm_point a CROSS JOIN LATERAL {NEAREST_VERTEX.format(place="a.geom")} v
WHERE a.status = 'online' AND a.geom && {NEAR_START} AND ST_DWithin(a.geom::geography, v.geom::geography, :reach)
"""
HOTSPOT_GRIDS_SQL = f"""
SELECT g.code, v.id FROM grid g CROSS JOIN LATERAL {NEAREST_VERTEX.format(place="ST_PointOnSurface(g.geom)")} v
WHERE g.id = ANY(:ids) AND g.geom && {NEAR_START} AND ST_Intersects(v.geom, g.geom)
"""
# Where a stop is: the middle of the edge ridden, or the vertex stopped at.
STOP_PLACES_SQL = """
SELECT 'edge' AS kind, id, ST_X(p), ST_Y(p) FROM (SELECT id, ST_LineInterpolatePoint(geom, 0.5) AS p
                                                   FROM road_edge WHERE id = ANY(:edges)) e
UNION ALL SELECT 'vertex', id, ST_X(geom), ST_Y(geom) FROM road_vertex WHERE id = ANY(:vertices)
"""
EDGE_MINUTES_SQL = "SELECT id, cost FROM ({edges}) e WHERE id = ANY(:ids)"


def _weights(settings: dict, request: Request) -> dict:
    configured = settings["patrol"]["weights"]
    given = request.weights or {}
    return {"disputes": {**configured["disputes"], **given.get("disputes", {})},
            **{k: float(given.get(k, configured[k])) for k in ("gaps", "hotspots", "alarms")}}


def _candidates(conn, settings: dict, request: Request, params: dict) -> list[Candidate]:
    """What is worth collecting within reach of the start, by kind, with its value."""
    weights, found = _weights(settings, request), []
    if any(weights["disputes"].values()):
        found += [Candidate("dispute", code, float(weights["disputes"][grade]), edge=(source, target), edge_id=edge)
                  for code, grade, edge, source, target in conn.execute(text(DISPUTES_SQL), params)
                  if weights["disputes"].get(grade, 0) > 0]
    if weights["gaps"] > 0:
        found += [Candidate("gap", grids, weights["gaps"] * float(km), edge=(source, target), edge_id=edge)
                  for edge, source, target, grids, km in conn.execute(text(GAPS_SQL), params) if km > 0]
    if weights["alarms"] > 0:
        found += [Candidate("alarm", code, weights["alarms"], vertex=vertex, name=enterprise)
                  for code, enterprise, vertex in conn.execute(text(ALARMS_SQL), params)]
    if weights["hotspots"] > 0:
        hot = hot_grid_ids(conn, settings)
        dwell = settings["patrol"]["dwell_min"] if request.dwell_min is None else request.dwell_min
        found += [Candidate("hotspot", code, weights["hotspots"], vertex=vertex, service=float(dwell))
                  for code, vertex in conn.execute(text(HOTSPOT_GRIDS_SQL), dict(params, ids=hot))]
    ridden = [c for c in found if c.edge_id is not None]
    minutes = dict(conn.execute(text(EDGE_MINUTES_SQL.format(edges=routing.edges_sql(request.mode, settings))),
                                {"ids": sorted({c.edge_id for c in ridden})}).all())
    for c in ridden:
        c.service = float(minutes[c.edge_id])
    return found


def _groups(candidates: list[Candidate], limit: int) -> list[tuple[float, list[Candidate]]]:
    """Candidates collected by the same visit (one edge ridden, or one vertex stopped at) grouped,
    most valuable first, at most ``limit`` groups."""
    by_visit: dict[tuple, list[Candidate]] = {}
    for c in candidates:
        key = ("edge", c.edge_id) if c.edge_id is not None else ("vertex", c.vertex, c.service > 0)
        by_visit.setdefault(key, []).append(c)
    groups = sorted(((sum(c.value for c in members), members) for members in by_visit.values()),
                    key=lambda g: -g[0])
    return groups[:limit]


def propose(conn, settings: dict, request: Request) -> dict:
    """Routes for ``request`` as a GeoJSON FeatureCollection (one LineString per route, lon/lat).

    Each route has ``length_m``, ``duration_min`` (travel and dwell), ``value`` (of its stops) and
    its ordered ``stops``. RoutingError (a 4xx for the API) when pgRouting is missing, the start
    or end is off the network, or the budget reaches nothing worth collecting.
    """
    network.ready(conn, settings)
    patrol = settings["patrol"]
    start, _ = routing.nearest_vertex(conn, *request.start, request.mode, settings, patrol["max_start_m"])
    end = start if request.end is None else routing.nearest_vertex(
        conn, *request.end, request.mode, settings, patrol["max_start_m"], "end")[0]
    metres_per_minute = patrol["speed_kmh"][request.mode] * 1000 / 60
    sight = request.sight_width_m or settings["sight_width_m"][request.mode]
    radius_m = request.budget_min * metres_per_minute / (2 if end == start else 1)
    params = {"lon": request.start[0], "lat": request.start[1], "period": request.period,
              "radius_deg": radius_m * DEGREES_PER_METRE, "sight": sight, "reach": settings["coverage"]["alarm_patrol_reach_m"],
              "closed": routing.closed_classes(request.mode, settings)}
    groups = _groups(_candidates(conn, settings, request, params), patrol["max_candidates"])

    stops, owners = [], []
    for g, (_, members) in enumerate(groups):
        first = members[0]
        if first.edge:
            source, target = first.edge
            stops += [Stop(source, target, first.service, g), Stop(target, source, first.service, g)]
            owners += [g, g]
        else:
            stops.append(Stop(first.vertex, first.vertex, first.service, g))
            owners.append(g)
    places = sorted({start, end} | {s.arrive for s in stops} | {s.leave for s in stops})
    index = {v: i for i, v in enumerate(places)}
    travel = np.full((len(places), len(places)), math.inf)
    np.fill_diagonal(travel, 0.0)
    for (a, b), minutes in routing.cost_matrix(conn, request.mode, settings, places).items():
        travel[index[a], index[b]] = minutes
    indexed = [Stop(index[s.arrive], index[s.leave], s.service, s.group) for s in stops]
    chosen = solve(travel, indexed, {g: value for g, (value, _) in enumerate(groups)}, index[start], index[end],
                   request.budget_min, request.routes, patrol["solver_seconds"])
    if not any(chosen):
        raise RoutingError(f"nothing worth collecting can be reached and left within {request.budget_min:g} minutes "
                           f"by {request.mode} from the start ({len(groups)} place(s) considered)", "budget_min")
    visited = [groups[owners[i]][1][0] for order in chosen for i in order]
    where = {(kind, key): (lon, lat) for kind, key, lon, lat in conn.execute(text(STOP_PLACES_SQL), {
        "edges": [c.edge_id for c in visited if c.edge_id], "vertices": [c.vertex for c in visited if c.vertex]})}
    features = [_route_feature(conn, settings, request, (start, end), index[start],
                               [(stops[i], indexed[i]) for i in order],
                               [groups[owners[i]] for i in order], travel, where) for order in chosen if order]
    return {"type": "FeatureCollection", "features": features}


def _route_feature(conn, settings: dict, request: Request, ends: tuple[int, int], start_index: int,
                   stops: list[tuple[Stop, Stop]], groups: list[tuple[float, list[Candidate]]], travel,
                   where: dict) -> dict:
    """One route's Feature: the path through its stops, its figures, and its stops with arrival minutes
    and where they are (lon, lat: the middle of the edge ridden, or the vertex stopped at).

    ``ends`` are the start and end vertices; ``stops`` pairs each stop by vertex with the same stop
    by index into ``travel`` (where the start is ``start_index``).
    """
    start, end = ends
    vertices = [start] + [v for s, _ in stops for v in (s.arrive, s.leave)] + [end]
    path = routing.path_through(conn, request.mode, settings, vertices) if len(set(vertices)) > 1 else None
    arrival, at, listed = 0.0, start_index, []
    for (_, stop), (value, members) in zip(stops, groups):
        arrival += travel[at, stop.arrive]
        first = members[0]
        lon, lat = where[("edge", first.edge_id) if first.edge_id else ("vertex", first.vertex)]
        listed.append({"arrive_min": round(arrival, 1), "dwell_min": round(stop.service, 1) if stop.arrive == stop.leave
                       else 0.0, "value": round(value, 3), "lon": round(lon, 7), "lat": round(lat, 7),
                       "collects": [{"kind": c.kind, "ref": c.ref, "name": c.name} for c in members]})
        arrival += stop.service
        at = stop.leave
    dwell = sum(s["dwell_min"] for s in listed)
    return {"type": "Feature", "geometry": None if path is None else json.loads(path["geometry"]),
            "properties": {"mode": request.mode, "length_m": round(path["length_m"], 1) if path else 0.0,
                           "duration_min": round((path["minutes"] if path else 0.0) + dwell, 1),
                           "value": round(sum(v for v, _ in groups), 3), "stops": listed}}
