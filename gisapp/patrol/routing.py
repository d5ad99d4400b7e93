"""Routing on the road network with pgRouting: every statement that names a ``pgr_`` function is here.

Costs are minutes at a mode's speed (``patrol.speed_kmh``), slowed on some road classes and not
allowed on others (``patrol.class_speed_factor``, 0 = closed). The network is undirected.
"""
from __future__ import annotations

from sqlalchemy import text

from gisapp import domain


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


def nearest_vertex(conn, lon: float, lat: float, mode: str, settings: dict, max_m: float,
                   field: str = "start") -> tuple[int, float]:
    """The network vertex a route from or to (lon, lat) uses, and the point's distance from the road in metres.

    That is the nearer end of the nearest edge ``mode`` may use (patrol bases have vertices of their
    own: the network is cut where they meet their road). RoutingError (naming ``field``) when no
    such edge is within ``max_m`` metres: the place is off the network.
    """
    closed = closed_classes(mode, settings)
    row = conn.execute(text(
        """SELECT CASE WHEN ST_LineLocatePoint(e.geom, p.g) <= 0.5 THEN e.source ELSE e.target END AS id,
                  ST_Distance(e.geom::geography, p.g::geography) AS m
           FROM (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g) p CROSS JOIN LATERAL (
               SELECT source, target, geom FROM road_edge WHERE road_class <> ALL(CAST(:closed AS text[]))
               ORDER BY geom <-> p.g LIMIT 1) e"""), {"lon": lon, "lat": lat, "closed": closed}).first()
    if row is None or row.m > max_m:
        raise RoutingError(f"the point ({lon:.6f}, {lat:.6f}) is more than {max_m:g} m from the road network "
                           f"usable by {mode}", field)
    return row.id, row.m


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


def path_through(conn, mode: str, settings: dict, vertices: list[int]) -> dict:
    """The shortest way through ``vertices`` in order: GeoJSON geometry (lon/lat), length in metres
    and minutes of travel. RoutingError when a leg has no path."""
    legs = [v for i, v in enumerate(vertices) if i == 0 or v != vertices[i - 1]]
    if len(legs) < 2:
        raise RoutingError("a route needs at least two different places on the network")
    row = conn.execute(text(
        """WITH via AS (SELECT * FROM pgr_dijkstraVia(:edges, CAST(:vids AS bigint[]), directed := false)),
                legs AS (SELECT count(DISTINCT path_id) AS found FROM via),
                walked AS (SELECT via.seq, via.cost, e.length_m,
                                  CASE WHEN via.node = e.source THEN e.geom ELSE ST_Reverse(e.geom) END AS g
                           FROM via JOIN road_edge e ON e.id = via.edge)
           SELECT (SELECT found FROM legs) AS found, ST_AsGeoJSON(ST_MakeLine(array_agg(g ORDER BY seq)), 7) AS geojson,
                  sum(length_m) AS length_m, sum(cost) AS minutes FROM walked"""),
        {"edges": edges_sql(mode, settings), "vids": legs}).one()
    if row.found != len(legs) - 1 or row.geojson is None:
        raise RoutingError("no way along the roads joins these places for this mode")
    return {"geometry": row.geojson, "length_m": float(row.length_m), "minutes": float(row.minutes)}
