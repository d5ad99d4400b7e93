"""Routing on the road network with pgRouting: every statement that names a ``pgr_`` function is here.

Costs are minutes at a mode's speed (``patrol.speed_kmh``), slowed on some road classes and not
allowed on others (``patrol.class_speed_factor``, 0 = closed). The network is undirected.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from gisapp import domain
from gisapp.coverage import projected_srid


class RoutingError(ValueError):
    """A route cannot be found or planned as asked; ``field`` names what is at fault, the message why."""

    def __init__(self, message: str, field: str = "route"):
        super().__init__(message)
        self.field = field


def class_factors(mode: str, settings: dict) -> dict[str, float]:
    """The share of its speed ``mode`` keeps on each road class that slows it (0: closed to it)."""
    return {cls: float(f) for cls, f in settings["patrol"]["class_speed_factor"].get(mode, {}).items()
            if cls in domain.ROAD_CLASSES}


def closed_classes(mode: str, settings: dict) -> list[str]:
    """The road classes ``mode`` may not use."""
    return [cls for cls, f in class_factors(mode, settings).items() if f <= 0]


def edges_sql(mode: str, settings: dict) -> str:
    """The edges query pgRouting reads for ``mode``: id, source, target, cost and reverse cost in minutes."""
    metres_per_minute = float(settings["patrol"]["speed_kmh"][mode]) * 1000 / 60
    open_factors = {cls: f for cls, f in class_factors(mode, settings).items() if f > 0}
    factor = ("CASE road_class " + " ".join(f"WHEN '{cls}' THEN {f!r}" for cls, f in open_factors.items())
              + " ELSE 1.0 END") if open_factors else "1.0"
    cost = f"length_m / ({metres_per_minute!r} * {factor})"
    closed = ", ".join(f"'{cls}'" for cls in closed_classes(mode, settings))
    return (f"SELECT id, source, target, {cost} AS cost, {cost} AS reverse_cost FROM road_edge"
            + (f" WHERE road_class NOT IN ({closed})" if closed else ""))


# A place on an edge closer than this (metres) to one of the edge's ends is that end's vertex.
AT_VERTEX_M = 0.01


@dataclass(frozen=True)
class OnRoad:
    """A place on the network: on ``edge`` (from ``source`` to ``target``, ``length_m`` long), at
    ``fraction`` of its length from the source (measured in metres, in the projected CRS), ``off_m``
    metres from the point it was snapped from."""
    edge: int
    source: int
    target: int
    length_m: float
    fraction: float
    off_m: float

    @property
    def vertex(self) -> int | None:
        """The vertex the place is at, when it is at one of the edge's ends; None inside the edge."""
        if self.fraction * self.length_m <= AT_VERTEX_M:
            return self.source
        if (1 - self.fraction) * self.length_m <= AT_VERTEX_M:
            return self.target
        return None


# For each point (lon, lat, i): the nearest edge open to the mode (the nearest few by the index, then by
# the distance in metres), where along it the point's projection lies, and how far the point is from it.
SNAP_SQL = """
SELECT q.i, e.id, e.source, e.target, e.length_m, e.m,
       ST_LineLocatePoint(ST_Transform(e.geom, :srid), ST_Transform(q.g, :srid)) AS fraction
FROM (SELECT i, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS g
      FROM unnest(CAST(:lons AS float8[]), CAST(:lats AS float8[])) WITH ORDINALITY AS p(lon, lat, i)) q
LEFT JOIN LATERAL (
    SELECT n.*, ST_Distance(n.geom::geography, q.g::geography) AS m
    FROM (SELECT id, source, target, length_m, geom FROM road_edge WHERE road_class <> ALL(CAST(:closed AS text[]))
          ORDER BY geom <-> q.g LIMIT 8) n
    ORDER BY m, n.id LIMIT 1) e ON true
ORDER BY q.i
"""


def _snap(conn, points: list[tuple[float, float]], mode: str, settings: dict, max_m: float,
          fields: list[str]) -> list[OnRoad]:
    """``points`` snapped (see ``snap_points``); a point off the network is named by its entry in ``fields``."""
    rows = conn.execute(text(SNAP_SQL), {
        "lons": [float(p[0]) for p in points], "lats": [float(p[1]) for p in points],
        "closed": closed_classes(mode, settings), "srid": projected_srid(conn, settings)}).all()
    snapped = []
    for (lon, lat), field, row in zip(points, fields, rows):
        if row.id is None or row.m > max_m:
            raise RoutingError(f"the point ({lon:.6f}, {lat:.6f}) is more than {max_m:g} m from the road network "
                               f"usable by {mode}", field)
        snapped.append(OnRoad(row.id, row.source, row.target, float(row.length_m), min(1.0, max(0.0, row.fraction)),
                              float(row.m)))
    return snapped


def snap_points(conn, points: list[tuple[float, float]], mode: str, settings: dict, max_m: float,
                field: str = "points") -> list[OnRoad]:
    """Each (lon, lat) of ``points`` snapped to the road network ``mode`` may use: its projection on the
    nearest such edge. RoutingError (naming ``field[i]``, i the point's index) when no such edge is
    within ``max_m`` metres of a point: it is off the network."""
    return _snap(conn, points, mode, settings, max_m, [f"{field}[{i}]" for i in range(len(points))])


def nearest_vertex(conn, lon: float, lat: float, mode: str, settings: dict, max_m: float,
                   field: str = "start") -> tuple[int, float]:
    """The network vertex a route from or to (lon, lat) uses, and the point's distance from the road in metres.

    That is the nearer end of the nearest edge ``mode`` may use (patrol bases have vertices of their
    own: the network is cut where they meet their road). RoutingError (naming ``field``) when no
    such edge is within ``max_m`` metres: the place is off the network.
    """
    (place,) = _snap(conn, [(lon, lat)], mode, settings, max_m, [field])
    return (place.source if place.fraction <= 0.5 else place.target), place.off_m


def cost_matrix(conn, mode: str, settings: dict, vertices: list[int]) -> dict[tuple[int, int], float]:
    """Minutes between every pair of ``vertices`` (both ways); pairs with no path are left out."""
    rows = conn.execute(text("SELECT start_vid, end_vid, agg_cost FROM pgr_dijkstraCostMatrix(:edges, "
                             "CAST(:vids AS bigint[]), directed := false)"),
                        {"edges": edges_sql(mode, settings), "vids": sorted(set(vertices))})
    return {(a, b): cost for a, b, cost in rows}


def components(conn) -> tuple[int, float]:
    """How many connected components the network has, and the largest one's share of its length."""
    return tuple(conn.execute(text(
        """WITH c AS (SELECT node, component FROM pgr_connectedComponents(
                          'SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM road_edge')),
                per AS (SELECT c.component, sum(e.length_m) AS m FROM road_edge e JOIN c ON c.node = e.source
                        GROUP BY c.component)
           SELECT count(*), max(m) / sum(m) FROM per""")).one())


def record_minutes(conn, mode: str, settings: dict, source: str, limit: float) -> None:
    """Store in ``reach_vertex`` the minutes at ``mode`` to every vertex within ``limit`` minutes of the
    nearest start of ``source`` (a period, or 'base') in the temporary table ``reach_start`` (a vertex,
    or a point at ``fraction`` along an edge).

    One driving distance from a virtual vertex 0 joined to every start: to a vertex at no cost, to a
    point through both ends of its edge at the cost of the part of the edge between them."""
    if mode not in settings["patrol"]["speed_kmh"] or source not in ("day", "night", "base"):
        raise ValueError(f"unknown mode {mode!r} or source {source!r}")
    starts = f"s.period = '{source}' AND s.mode = '{mode}'"
    edges = f"""WITH e AS ({edges_sql(mode, settings)})
        SELECT id, source, target, cost, reverse_cost FROM e
        UNION ALL
        SELECT -row_number() OVER (), 0, v, c, c FROM (
            SELECT s.vertex AS v, 0.0 AS c FROM reach_start s WHERE {starts} AND s.vertex IS NOT NULL
            UNION ALL
            SELECT x.v, x.c FROM reach_start s JOIN e ON e.id = s.edge_id
            CROSS JOIN LATERAL (VALUES (e.source, e.cost * s.fraction), (e.target, e.cost * (1 - s.fraction))) AS x(v, c)
            WHERE {starts}) starts"""
    conn.execute(text(
        """INSERT INTO reach_vertex (vertex_id, source, minutes)
           SELECT node, :source, agg_cost FROM pgr_drivingDistance(:edges, 0, :limit, directed := false) WHERE node <> 0
           ON CONFLICT (vertex_id, source) DO UPDATE SET minutes = least(reach_vertex.minutes, EXCLUDED.minutes)"""),
        {"edges": edges, "limit": limit, "source": source})


# The way through the via places (vertices, and points on edges as pgRouting's negative ids), piece by
# piece: each step of the path runs along its edge from where its node lies to where the next node lies
# (0: the edge's source, 1: its target, a point: its fraction), so that a path starts, passes and ends
# exactly at its points and counts only the part of an edge it rides. Where an edge is a loop (source =
# target), the end of it a step uses is the one whose share of the edge agrees with the step's cost.
PATH_SQL = """
WITH pt AS ({points}),
     via AS (SELECT * FROM pgr_withPointsVia(:edges, :points, CAST(:vids AS bigint[]), directed := false)),
     legs AS (SELECT count(DISTINCT path_id) AS found FROM via),
     step AS (SELECT seq, node, edge, cost, lead(node) OVER (ORDER BY seq) AS next FROM via),
     at AS (SELECT s.seq, s.cost, e.length_m, e.geom, c.cost AS edge_cost,
                   CASE WHEN s.node < 0 THEN a.fraction WHEN e.source = e.target THEN NULL
                        WHEN s.node = e.source THEN 0.0 ELSE 1.0 END AS f0,
                   CASE WHEN s.next < 0 THEN b.fraction WHEN e.source = e.target THEN NULL
                        WHEN s.next = e.source THEN 0.0 ELSE 1.0 END AS f1
            FROM step s JOIN road_edge e ON e.id = s.edge
            LEFT JOIN pt a ON a.pid = -s.node LEFT JOIN pt b ON b.pid = -s.next
            LEFT JOIN LATERAL (SELECT cost FROM ({edges}) c WHERE c.id = s.edge) c ON e.source = e.target),
     pos AS (SELECT seq, cost, length_m, geom,
                    coalesce(f0, CASE WHEN f1 IS NULL THEN 0.0
                                      WHEN abs(f1 - cost / edge_cost) <= abs(1 - f1 - cost / edge_cost) THEN 0.0
                                      ELSE 1.0 END) AS f0,
                    coalesce(f1, CASE WHEN f0 IS NULL THEN 1.0
                                      WHEN abs(f0 - cost / edge_cost) <= abs(1 - f0 - cost / edge_cost) THEN 0.0
                                      ELSE 1.0 END) AS f1
             FROM at),
     piece AS (SELECT seq, cost, length_m * abs(f1 - f0) AS m,
                      CASE WHEN f0 = 0 AND f1 = 1 THEN geom
                           WHEN f0 = 1 AND f1 = 0 THEN ST_Reverse(geom)
                           WHEN f0 < f1 THEN ST_Transform(ST_LineSubstring(ST_Transform(geom, :srid), f0, f1), 4326)
                           ELSE ST_Reverse(ST_Transform(ST_LineSubstring(ST_Transform(geom, :srid), f1, f0), 4326))
                      END AS g
               FROM pos)
SELECT (SELECT found FROM legs) AS found,
       ST_AsGeoJSON(ST_RemoveRepeatedPoints(ST_MakeLine(array_agg(g ORDER BY seq)), 1e-8), 7) AS geojson,
       sum(m) AS length_m, sum(cost) AS minutes
FROM piece
"""


def path_through(conn, mode: str, settings: dict, places: list[int | OnRoad]) -> dict:
    """The shortest way through ``places`` in order — vertices, or places on edges (``snap_points``), which
    it starts at, passes and ends at exactly: GeoJSON geometry (lon/lat), length in metres and minutes of
    travel, a part of an edge counted for its part. RoutingError when a leg has no path."""
    points: dict[tuple[int, float], int] = {}  # (edge, fraction): pgRouting's point id
    vids: list[int] = []
    for place in places:
        vertex = place.vertex if isinstance(place, OnRoad) else int(place)
        if vertex is None:  # a place within AT_VERTEX_M of one already given is that one
            known = next((pid for (edge, fraction), pid in points.items() if edge == place.edge
                          and abs(fraction - place.fraction) * place.length_m <= AT_VERTEX_M), None)
            vertex = -(known or points.setdefault((place.edge, place.fraction), len(points) + 1))
        if not vids or vids[-1] != vertex:
            vids.append(vertex)
    if len(vids) < 2:
        raise RoutingError("a route needs at least two different places on the network")
    points_sql = ("SELECT pid::bigint, edge_id::bigint, fraction::float8 FROM (VALUES "
                  + ", ".join(f"({pid}, {edge}, {fraction!r})" for (edge, fraction), pid in points.items())
                  + ") AS p(pid, edge_id, fraction)") if points else \
        "SELECT 1::bigint AS pid, 1::bigint AS edge_id, 0.5::float8 AS fraction WHERE false"
    edges = edges_sql(mode, settings)
    row = conn.execute(text(PATH_SQL.format(points=points_sql, edges=edges)), {
        "edges": edges, "points": points_sql, "vids": vids,
        "srid": projected_srid(conn, settings) if points else 4326}).one()
    if row.found != len(vids) - 1 or row.geojson is None:
        raise RoutingError("no way along the roads joins these places for this mode")
    return {"geometry": row.geojson, "length_m": float(row.length_m), "minutes": float(row.minutes)}
