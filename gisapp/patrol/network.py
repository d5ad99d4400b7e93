"""The road network noded for routing, built in PostGIS from the road layer.

Each road is cut where another road crosses it, where another road's end comes within the
snapping tolerance of it, and where a patrol base meets its nearest road (routes start there);
the pieces' ends closer than the tolerance become one vertex
(``ST_ClusterDBSCAN``). Edges (``road_edge``) keep their road, class and length in metres
(measured in the projected CRS of the coverage engine); vertices are ``road_vertex``. The whole
network is rebuilt in one transaction, set-based, from the GiST index on ``road.geom``; it is
stale when the roads or the bases have changed since (``road_network`` against ``data_version``).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from tqdm import tqdm

from gisapp.coverage import projected_srid
from gisapp.features import DEGREES_PER_METRE
from gisapp.patrol import routing
from gisapp.patrol.routing import RoutingError

# Pieces shorter than this (metres) are rounding left-overs, not roads.
MIN_PIECE_M = 0.01

# Where each road must be cut, as fractions along it (0 and 1: its ends).
CUTS_SQL = """
CREATE TEMP TABLE network_cut ON COMMIT DROP AS
SELECT r.id, ST_LineLocatePoint(ST_Transform(r.geom, :srid), ST_Transform(x.p, :srid)) AS f
FROM road r CROSS JOIN LATERAL (
    SELECT (ST_DumpPoints(ST_Intersection(r.geom, o.geom))).geom AS p   -- crossings and touches
    FROM road o WHERE o.id <> r.id AND o.geom && r.geom AND ST_Intersects(o.geom, r.geom)
    UNION ALL
    SELECT ST_ClosestPoint(r.geom, e.p)                                  -- other roads' ends nearby
    FROM road o CROSS JOIN LATERAL (VALUES (ST_StartPoint(o.geom)), (ST_EndPoint(o.geom))) AS e(p)
    WHERE o.id <> r.id AND o.geom && ST_Expand(r.geom, :tol_deg)
      AND ST_DWithin(ST_Transform(r.geom, :srid), ST_Transform(e.p, :srid), :tol)
) x
UNION ALL  -- where each patrol base meets its nearest road: routes start there
SELECT r.id, ST_LineLocatePoint(ST_Transform(r.geom, :srid), ST_Transform(b.geom, :srid))
FROM patrol_base b CROSS JOIN LATERAL (SELECT id, geom FROM road ORDER BY geom <-> b.geom LIMIT 1) r
UNION ALL SELECT id, 0 FROM road
UNION ALL SELECT id, 1 FROM road
"""

# The pieces between consecutive cuts, in the projected CRS.
PIECES_SQL = """
CREATE TEMP TABLE network_piece ON COMMIT DROP AS
SELECT row_number() OVER () AS id, s.road_id, s.road_class, ST_LineSubstring(s.g, s.f, s.next_f) AS g
FROM (
    SELECT c.id AS road_id, r.road_class, ST_Transform(r.geom, :srid) AS g, c.f,
           lead(c.f) OVER (PARTITION BY c.id ORDER BY c.f) AS next_f
    FROM (SELECT DISTINCT id, round(f::numeric, 9)::float AS f FROM network_cut) c JOIN road r ON r.id = c.id
) s
WHERE s.next_f > s.f
"""

# Vertices: the pieces' ends, clustered within the tolerance; each cluster's centre is a vertex.
ENDS_SQL = """
CREATE TEMP TABLE network_end ON COMMIT DROP AS
SELECT e.piece, e.at_start, ST_ClusterDBSCAN(e.p, eps := :tol, minpoints := 1) OVER () + 1 AS vertex, e.p
FROM (SELECT id AS piece, true AS at_start, ST_StartPoint(g) AS p FROM network_piece
      UNION ALL SELECT id, false, ST_EndPoint(g) FROM network_piece) e
"""
VERTICES_SQL = """
CREATE TEMP TABLE network_vertex ON COMMIT DROP AS
SELECT vertex AS id, ST_Centroid(ST_Collect(p)) AS g FROM network_end GROUP BY vertex
"""

WRITE_SQL = [
    "TRUNCATE road_edge, road_vertex, reach_vertex, reach_state",  # the reach is computed anew on the new network
    # Each edge's ends are moved onto its vertices, so that the edges meet exactly; a piece no
    # longer than the tolerance whose ends are one vertex is dropped.
    """CREATE TEMP TABLE network_edge ON COMMIT DROP AS
       SELECT p.id, p.road_id, s.vertex AS source, t.vertex AS target, p.road_class, ST_Length(p.g) AS length_m,
              ST_SetPoint(ST_SetPoint(p.g, 0, vs.g), ST_NPoints(p.g) - 1, vt.g) AS g
       FROM network_piece p
       JOIN network_end s ON s.piece = p.id AND s.at_start JOIN network_vertex vs ON vs.id = s.vertex
       JOIN network_end t ON t.piece = p.id AND NOT t.at_start JOIN network_vertex vt ON vt.id = t.vertex
       WHERE ST_Length(p.g) >= :min_piece AND NOT (s.vertex = t.vertex AND ST_Length(p.g) <= :tol)""",
    """INSERT INTO road_vertex (id, geom)
       SELECT id, ST_Transform(g, 4326) FROM network_vertex v
       WHERE EXISTS (SELECT 1 FROM network_edge e WHERE e.source = v.id OR e.target = v.id)""",
    """INSERT INTO road_edge (id, road_id, source, target, road_class, length_m, geom)
       SELECT id, road_id, source, target, road_class, length_m, ST_Transform(g, 4326) FROM network_edge""",
    """INSERT INTO road_network (id, built_at, road_version, base_version, tolerance_m)
       VALUES (1, now(), :road_version, :base_version, :tol)
       ON CONFLICT (id) DO UPDATE SET built_at = EXCLUDED.built_at, road_version = EXCLUDED.road_version,
                                      base_version = EXCLUDED.base_version, tolerance_m = EXCLUDED.tolerance_m""",
]

# The versions of what the network is built from: the roads and the patrol bases.
ROAD_VERSION_SQL = "SELECT coalesce((SELECT version FROM data_version WHERE table_name = 'road'), 0)"
BASE_VERSION_SQL = "SELECT coalesce((SELECT version FROM data_version WHERE table_name = 'patrol_base'), 0)"


def build(conn, settings: dict, progress: bool = False) -> "NetworkStatus":
    """Rebuild the whole network from the roads over ``conn`` (the caller's transaction).

    Returns the new network's figures (see ``status``); ``progress`` shows a bar of the steps.
    """
    tol = float(settings["patrol"]["snap_tolerance_m"])
    params = {"srid": projected_srid(conn, settings), "tol": tol, "tol_deg": tol * DEGREES_PER_METRE * 2,
              "min_piece": MIN_PIECE_M, "road_version": conn.execute(text(ROAD_VERSION_SQL)).scalar(),
              "base_version": conn.execute(text(BASE_VERSION_SQL)).scalar()}
    conn.execute(text("DROP TABLE IF EXISTS network_cut, network_piece, network_end, network_vertex, network_edge"))
    steps = (CUTS_SQL, PIECES_SQL, ENDS_SQL, VERTICES_SQL, *WRITE_SQL)
    for statement in tqdm(steps, desc="network", unit="step", disable=not progress):
        conn.execute(text(statement), params)
    return status(conn)


# The versions the network was built from, and those of now (no row: never built).
STALE_SQL = f"""SELECT n.road_version IS NULL OR (n.road_version, n.base_version) <> (({ROAD_VERSION_SQL}), ({BASE_VERSION_SQL}))
                FROM (SELECT 1) one LEFT JOIN road_network n ON n.id = 1"""


def is_stale(conn) -> bool:
    """True when the network was never built, or the roads or bases changed since."""
    return bool(conn.execute(text(STALE_SQL)).scalar())


def ensure_current(conn, settings: dict) -> bool:
    """Rebuild the network when the roads or bases changed since it was built; True when it was rebuilt."""
    if is_stale(conn):
        build(conn, settings)
        return True
    return False


def ready(conn, settings: dict) -> None:
    """Make the network current for routing; RoutingError (field ``network``) without pgRouting."""
    if not has_pgrouting(conn):
        raise RoutingError("route planning is off: pgRouting is not installed in this database", "network")
    ensure_current(conn, settings)


@dataclass(frozen=True)
class NetworkStatus:
    """What the network is: its size, how connected it is, and whether it follows the roads."""
    built: bool
    stale: bool
    edges: int
    vertices: int
    length_km: float
    components: int | None         # None without pgRouting
    largest_share: float | None    # the largest component's share of the length
    dangling_ends: int             # vertices with one edge: dead ends, or gaps to look at
    tolerance_m: float | None
    routing: bool                  # pgRouting is installed

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def has_pgrouting(conn) -> bool:
    """True when the pgRouting extension is installed in the database."""
    return bool(conn.execute(text("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgrouting')")).scalar())


def status(conn) -> NetworkStatus:
    """The network's figures; components only where pgRouting is installed."""
    row = conn.execute(text(
        """SELECT (SELECT count(*) FROM road_edge) AS edges, (SELECT count(*) FROM road_vertex) AS vertices,
                   (SELECT coalesce(sum(length_m), 0) / 1000 FROM road_edge) AS length_km,
                   (SELECT count(*) FROM (SELECT v FROM (SELECT source AS v FROM road_edge
                                                        UNION ALL SELECT target FROM road_edge) e
                                          GROUP BY v HAVING count(*) = 1) d) AS dangling,
                   n.road_version, n.tolerance_m
            FROM (SELECT 1) one LEFT JOIN road_network n ON n.id = 1""")).one()
    has_routing = has_pgrouting(conn)
    components, largest = routing.components(conn) if has_routing and row.edges else (None, None)
    return NetworkStatus(built=row.road_version is not None, stale=is_stale(conn),
                         edges=row.edges, vertices=row.vertices, length_km=float(row.length_km),
                         components=components, largest_share=None if largest is None else float(largest),
                         dangling_ends=row.dangling, tolerance_m=row.tolerance_m, routing=has_routing)
