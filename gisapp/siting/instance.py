"""Building a siting instance in PostGIS: the demand, the candidate options, and which option covers what.

All three are temporary tables of the caller's transaction, in lon/lat (EPSG:4326), over the GiST
indexes. ``siting_demand``: what is worth watching inside the area, each point with its weight and
whether an existing online camera covers it already (``locked``: counted as covered, out of the
optimisation). ``siting_option``: every candidate site × kind it takes × direction (a bullet every
360/directions degrees; a dome covers the disc), with its view — the same ``camera_view`` the
stored cameras' views are made by — and cost. The coverage matrix is the pairs (option, demand)
where the view covers the point, read as one sparse matrix.
"""
from __future__ import annotations

import json
import math

import numpy as np
import scipy.sparse as sp
from sqlalchemy import text

from gisapp import domain
from gisapp.siting.solve import Instance

AREA = "(SELECT ST_GeomFromText(:area, 4326) AS g)"

DEMAND_SQL = f"""
CREATE TEMP TABLE siting_demand ON COMMIT DROP AS
WITH area AS MATERIALIZED {AREA},
pieces AS (  -- the roads inside the area, cut to it, in single lines
    SELECT (ST_Dump(ST_Intersection(rd.geom, area.g))).geom AS g
    FROM road rd, area WHERE rd.geom && area.g AND ST_Intersects(rd.geom, area.g)
),
samples AS MATERIALIZED (  -- a point every :sample_m metres along each piece (its middle when shorter)
    SELECT p.geom AS g FROM pieces r CROSS JOIN LATERAL ST_Dump(
        CASE WHEN ST_Length(r.g::geography) > :sample_m
             THEN ST_LineInterpolatePoints(r.g, :sample_m / ST_Length(r.g::geography))
             ELSE ST_LineInterpolatePoint(r.g, 0.5) END) p
    WHERE ST_GeometryType(r.g) = 'ST_LineString'
),
hot AS (  -- road samples in each Gi* hot grid, the grid's weight shared among them
    SELECT gr.code, s.g, count(*) OVER (PARTITION BY gr.id) AS n
    FROM grid gr JOIN samples s ON s.g && gr.geom AND ST_Covers(gr.geom, s.g) WHERE gr.id = ANY(:hot)
),
wanted AS (
    SELECT 'dispute' AS kind, d.code AS ref, (CAST(:weights AS jsonb) -> 'disputes' ->> d.grade)::float AS weight,
           false AS must, d.geom AS g
    FROM dispute d, area WHERE d.geom && area.g AND ST_Covers(area.g, d.geom)
      AND (d.status <> 'closed' OR d.received_at >= CAST(:since AS timestamptz))
    UNION ALL
    SELECT 'gap', NULL, (CAST(:weights AS jsonb) ->> 'gaps')::float, false, s.g FROM samples s
    WHERE EXISTS (SELECT 1 FROM grid_coverage gc WHERE gc.gap_geom && s.g AND ST_Intersects(gc.gap_geom, s.g))
    UNION ALL
    SELECT 'hotspot', hot.code, (CAST(:weights AS jsonb) ->> 'hotspots')::float / hot.n, false, hot.g FROM hot
    UNION ALL
    SELECT 'alarm', a.code, (CAST(:weights AS jsonb) ->> 'alarms')::float, false, a.geom
    FROM alarm_point a, area WHERE a.status = 'online' AND a.geom && area.g AND ST_Covers(area.g, a.geom)
      AND NOT EXISTS (SELECT 1 FROM camera c WHERE c.status = 'online' AND c.view_geom && a.geom
                      AND ST_Covers(c.view_geom, a.geom))
    UNION ALL
    SELECT 'key_place', k.code, (CAST(:weights AS jsonb) ->> 'key_places')::float, k.must_cover, k.geom
    FROM key_place k, area WHERE k.geom && area.g AND ST_Covers(area.g, k.geom)
)
SELECT (row_number() OVER (ORDER BY kind, ref, ST_X(g), ST_Y(g)) - 1)::int AS i, kind, ref, weight, must, g AS geom,
       EXISTS (SELECT 1 FROM camera c WHERE c.status = 'online' AND c.view_geom && w.g
               AND ST_Covers(c.view_geom, w.g)) AS locked
FROM wanted w WHERE weight > 0 OR must
"""

# Candidate sites: the layer's inside the area, or made along the roads (every :spacing_m metres
# and at every crossing of three or more edges of the road network). Both give the same column
# types: the statements over the temporary tables are prepared once per connection.
LAYER_SITES = f"""
SELECT CAST(s.code AS text) AS code, CAST(s.mounts AS text) AS mounts,
       CAST(coalesce(s.cost, :default_cost) AS float) AS cost, s.geom
FROM camera_site s, {AREA} area WHERE s.geom && area.g AND ST_Covers(area.g, s.geom)
"""
GENERATED_SITES = f"""
SELECT 'G' || lpad((row_number() OVER (ORDER BY ST_X(g), ST_Y(g)))::text, 6, '0') AS code, CAST('any' AS text) AS mounts,
       CAST(:default_cost AS float) AS cost, g AS geom
FROM (
    SELECT DISTINCT ON (ST_SnapToGrid(p.geom, 1e-6)) p.geom AS g FROM (
        SELECT (ST_Dump(ST_Intersection(rd.geom, area.g))).geom AS g
        FROM road rd, {AREA} area WHERE rd.geom && area.g AND ST_Intersects(rd.geom, area.g)) r
    CROSS JOIN LATERAL ST_Dump(CASE WHEN ST_Length(r.g::geography) > :spacing_m
        THEN ST_LineInterpolatePoints(r.g, :spacing_m / ST_Length(r.g::geography)) ELSE ST_LineInterpolatePoint(r.g, 0.5) END) p
    WHERE ST_GeometryType(r.g) = 'ST_LineString'
    UNION ALL
    SELECT v.geom FROM road_vertex v, {AREA} area WHERE v.geom && area.g AND ST_Covers(area.g, v.geom)
      AND (SELECT count(*) FROM road_edge e WHERE e.source = v.id OR e.target = v.id) >= 3
) found
"""
OPTIONS_SQL = """
CREATE TEMP TABLE siting_option ON COMMIT DROP AS
WITH sites AS MATERIALIZED ({sites}),
numbered AS (SELECT (row_number() OVER (ORDER BY code) - 1)::int AS site_index, * FROM sites),
kinds AS (SELECT * FROM jsonb_to_recordset(CAST(:kinds AS jsonb)) AS k(kind text, fov float, range_m float)),
options AS (
    SELECT s.site_index, s.code AS site, s.geom, s.cost, k.kind, k.range_m, d.azimuth,
           CASE WHEN k.kind = 'dome' THEN 360 ELSE k.fov END AS fov
    FROM numbered s JOIN kinds k ON s.mounts IN ('any', k.kind)
    CROSS JOIN LATERAL (SELECT (360.0 * n / :directions)::float AS azimuth FROM generate_series(0, :directions - 1) n
                        WHERE k.kind = 'bullet'
                        UNION ALL SELECT NULL WHERE k.kind = 'dome') d
)
SELECT (row_number() OVER (ORDER BY site, kind, azimuth) - 1)::int AS j, site_index, site, kind, azimuth, fov,
       range_m, cost, geom, camera_view(geom, azimuth, fov, range_m) AS view
FROM options
"""
PAIRS_SQL = """
SELECT o.j, d.i FROM siting_option o JOIN siting_demand d ON d.geom && o.view AND ST_Covers(o.view, d.geom)
WHERE NOT d.locked
"""


def dori_range(kind: str, purpose: str, settings: dict) -> float:
    """The range in metres at which ``kind`` (its configured lens and resolution) serves ``purpose`` (IEC 62676-4):
    horizontal pixels / (pixels per metre × 2·tan(field of view / 2))."""
    siting = settings["siting"]
    fov = math.radians(float(siting["fov_deg"][kind]))
    return float(siting["resolution_px"][kind]) / (domain.DORI_PX_PER_M[purpose] * 2 * math.tan(fov / 2))


def build_demand(conn, settings: dict, area_wkt: str, weights: dict, hot: list[int], since) -> None:
    """Fill ``siting_demand`` for the area (WKT, lon/lat) with the given weights."""
    conn.execute(text("DROP TABLE IF EXISTS siting_demand"))
    conn.execute(text(DEMAND_SQL), {"area": area_wkt, "weights": json.dumps(weights), "hot": hot, "since": since,
                                    "sample_m": float(settings["siting"]["sample_m"])})
    conn.execute(text("CREATE INDEX ON siting_demand USING gist (geom)"))
    conn.execute(text("ANALYZE siting_demand"))


def build_options(conn, settings: dict, area_wkt: str, kinds: dict[str, float], generated: bool) -> None:
    """Fill ``siting_option`` with the candidate options in the area: ``kinds`` maps each kind wanted
    to its range in metres; the sites are the layer's, or ``generated`` along the roads."""
    siting = settings["siting"]
    conn.execute(text("DROP TABLE IF EXISTS siting_option"))
    conn.execute(text(OPTIONS_SQL.format(sites=GENERATED_SITES if generated else LAYER_SITES)), {
        "area": area_wkt, "default_cost": float(siting["default_cost"]), "spacing_m": float(siting["spacing_m"]),
        "directions": int(siting["directions"]),
        "kinds": json.dumps([{"kind": k, "fov": float(siting["fov_deg"][k]), "range_m": r} for k, r in kinds.items()])})


def read_instance(conn) -> tuple[Instance, dict]:
    """The instance over the temporary tables, and the demand's facts by index (kind, ref, weight, must, locked)."""
    demand = conn.execute(text("SELECT i, kind, ref, weight, must, locked FROM siting_demand ORDER BY i")).all()
    options = conn.execute(text("SELECT j, site_index, cost FROM siting_option ORDER BY j")).all()
    pairs = np.array(conn.execute(text(PAIRS_SQL)).all(), dtype=np.int64).reshape(-1, 2)
    weight = np.array([d.weight for d in demand], dtype=float)
    cover = sp.csr_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(options), len(demand)))
    cover.sum_duplicates()
    inst = Instance(cover, weight, np.array([o.site_index for o in options], dtype=np.int64),
                    np.array([o.cost for o in options], dtype=float))
    facts = {"kind": np.array([d.kind for d in demand], dtype=object), "ref": [d.ref for d in demand],
             "must": np.array([d.must for d in demand], dtype=bool), "locked": np.array([d.locked for d in demand], dtype=bool)}
    return inst, facts
