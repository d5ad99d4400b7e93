"""Building a siting instance in PostGIS: the demand, the candidate options, and which option covers what.

All are temporary objects of the caller's transaction, in lon/lat (EPSG:4326), over GiST indexes.
``siting_demand``: what is worth watching inside the area, each point with its weight and whether an
existing online camera covers it already (``locked``: counted as covered, out of the optimisation).
``siting_site``: the candidate sites, each with the options it takes (``nb`` bullet directions, every
360/nb degrees, and ``nd`` = 1 for a dome) and the first option's number. ``siting_option``: a view
of every option (site × kind × direction) with its view — the same ``camera_view`` the stored
cameras' views are made by — computed only for the rows read (a city has millions of options).

The coverage matrix is the pairs (option, demand) where the option's view covers the point. They are
found from the sites: the demand near each site by the demand's GiST index, then each pair placed by
its distance and bearing from the site (in metres on the ellipsoid's local tangent plane). A pair well
inside or well outside an option's view (by a margin larger than the difference between the true
sector and ``camera_view``'s polygon: its chords, and for a disc the UTM scale of the geography
buffer) is decided so; the few near a view's edge are decided by ``ST_Covers(camera_view(...), point)``,
so the matrix is the one that function's polygons give.
"""
from __future__ import annotations

import json
import math
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp
from sqlalchemy import text

from gisapp import domain
from gisapp.siting.solve import Instance

AREA = "(SELECT ST_GeomFromText(:area, 4326) AS g)"

# The roads inside the area sampled every :sample_m metres (a piece's middle when shorter), in a table of
# their own with a GiST index: the gap and hot-grid tests below go from each gap or grid to its samples.
SAMPLES_SQL = f"""
CREATE TEMP TABLE siting_sample ON COMMIT DROP AS
WITH area AS MATERIALIZED {AREA},
pieces AS (  -- the roads inside the area, cut to it, in single lines
    SELECT (ST_Dump(ST_Intersection(rd.geom, area.g))).geom AS g
    FROM road rd, area WHERE rd.geom && area.g AND ST_Intersects(rd.geom, area.g)
)
SELECT (row_number() OVER ())::int AS n, p.geom AS g FROM pieces r CROSS JOIN LATERAL ST_Dump(
    CASE WHEN ST_Length(r.g::geography) > :sample_m
         THEN ST_LineInterpolatePoints(r.g, :sample_m / ST_Length(r.g::geography))
         ELSE ST_LineInterpolatePoint(r.g, 0.5) END) p
WHERE ST_GeometryType(r.g) = 'ST_LineString'
"""
DEMAND_SQL = f"""
CREATE TEMP TABLE siting_demand ON COMMIT DROP AS
WITH area AS MATERIALIZED {AREA},
in_gap AS MATERIALIZED (  -- the samples in a coverage gap, found from each gap polygon
    SELECT DISTINCT s.n FROM grid_coverage gc JOIN siting_sample s ON s.g && gc.gap_geom AND ST_Intersects(gc.gap_geom, s.g)
),
hot AS (  -- road samples in each Gi* hot grid, the grid's weight shared among them
    SELECT gr.code, s.g, count(*) OVER (PARTITION BY gr.id) AS n
    FROM grid gr JOIN siting_sample s ON s.g && gr.geom AND ST_Covers(gr.geom, s.g) WHERE gr.id = ANY(:hot)
),
wanted AS (
    SELECT 'dispute' AS kind, d.code AS ref, (CAST(:weights AS jsonb) -> 'disputes' ->> d.grade)::float AS weight,
           false AS must, d.geom AS g
    FROM dispute d, area WHERE d.geom && area.g AND ST_Covers(area.g, d.geom)
      AND (d.status <> 'closed' OR d.received_at >= CAST(:since AS timestamptz))
    UNION ALL
    SELECT 'gap', NULL, (CAST(:weights AS jsonb) ->> 'gaps')::float, false, s.g FROM siting_sample s
    WHERE s.n IN (SELECT n FROM in_gap)
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
       false AS locked
FROM wanted w WHERE weight > 0 OR must
"""
# What an online camera covers already, found from each camera's stored view.
LOCKED_SQL = """
UPDATE siting_demand SET locked = true WHERE i IN (
    SELECT d.i FROM camera c JOIN siting_demand d ON d.geom && c.view_geom AND ST_Covers(c.view_geom, d.geom)
    WHERE c.status = 'online')
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
# Each site numbered in the order of its code, with the options it takes: the bullet's directions (nb) and the
# dome (nd). Its options are numbered after the previous sites' in (kind, azimuth) order: bullets first.
SITES_SQL = """
CREATE TEMP TABLE siting_site ON COMMIT DROP AS
WITH sites AS MATERIALIZED ({sites}),
counted AS (
    SELECT s.*, CASE WHEN CAST(:bullet_fov AS float) IS NOT NULL AND s.mounts IN ('any', 'bullet') THEN :directions ELSE 0 END AS nb,
           CASE WHEN CAST(:dome_range AS float) IS NOT NULL AND s.mounts IN ('any', 'dome') THEN 1 ELSE 0 END AS nd
    FROM sites s
),
numbered AS (SELECT (row_number() OVER (ORDER BY code) - 1)::int AS site_index, * FROM counted)
SELECT site_index, code, mounts, cost, geom, nb::int, nd::int,
       (sum(nb + nd) OVER (ORDER BY site_index) - nb - nd)::int AS first_j,
       CAST(:bullet_fov AS float) AS bullet_fov, CAST(:bullet_range AS float) AS bullet_range,
       CAST(:dome_range AS float) AS dome_range
FROM numbered
"""
# A site's options (s: its siting_site row): k = 0 … nb − 1 the bullet facing 360·k/nb degrees, k = nb the dome.
OPTION_ROWS = """
SELECT b.k, 'bullet'::text AS kind, (360.0 * b.k / s.nb)::float AS azimuth, s.bullet_fov AS fov, s.bullet_range AS range_m
FROM generate_series(0, s.nb - 1) AS b(k)
UNION ALL SELECT s.nb, 'dome'::text, NULL::float, 360::float, s.dome_range WHERE s.nd = 1
"""
OPTIONS_VIEW = f"""
CREATE TEMP VIEW siting_option AS
SELECT s.first_j + o.k AS j, s.site_index, s.code AS site, o.kind, o.azimuth, o.fov, o.range_m, s.cost, s.geom,
       camera_view(s.geom, o.azimuth, o.fov, o.range_m) AS view
FROM siting_site s CROSS JOIN LATERAL ({OPTION_ROWS}) o
"""
# The demand near each site: within the bounding box of :reach_m metres around it (degrees over-estimated
# with radii of curvature smaller than the earth's), as (site_index, i) pairs packed in one bytea.
NEAR_SQL = """
SELECT coalesce(string_agg(int4send(s.site_index) || int4send(d.i), ''::bytea), ''::bytea)
FROM siting_site s JOIN siting_demand d
  ON d.geom && ST_Expand(s.geom, :reach_m / (6335000 * pi() / 180 * greatest(cos(radians(ST_Y(s.geom))), 0.01)),
                         :reach_m / (6335000 * pi() / 180))
WHERE NOT d.locked AND s.nb + s.nd > 0
"""
# The pairs (site, option k, demand i) near a view's edge, decided by the view itself.
EDGE_SQL = f"""
SELECT e.n FROM unnest(CAST(:site AS int[]), CAST(:k AS int[]), CAST(:i AS int[])) WITH ORDINALITY AS e(site_index, k, i, n)
JOIN siting_site s ON s.site_index = e.site_index
JOIN siting_demand d ON d.i = e.i
CROSS JOIN LATERAL (SELECT * FROM ({OPTION_ROWS}) o WHERE o.k = e.k) o
WHERE ST_Covers(camera_view(s.geom, o.azimuth, o.fov, o.range_m), d.geom)
"""

# WGS 84, for the local tangent plane at a site.
A_M = 6378137.0
E2 = 0.00669437999014
# camera_view's polygons: a sector's arc in ceil(fov / 5) chords (at least 4), a disc (the geography buffer,
# quad_segs=16) in 64, drawn in the point's UTM zone, whose scale is within [0.9996, 1.001] of true.
DISC_CHORDS = 64
UTM_SCALE = 1.5e-3
CHUNK = 250_000     # (site, demand) pairs placed at a time


def dori_range(kind: str, purpose: str, settings: dict) -> float:
    """The range in metres at which ``kind`` (its configured lens and resolution) serves ``purpose`` (IEC 62676-4):
    horizontal pixels / (pixels per metre × 2·tan(field of view / 2))."""
    siting = settings["siting"]
    fov = math.radians(float(siting["fov_deg"][kind]))
    return float(siting["resolution_px"][kind]) / (domain.DORI_PX_PER_M[purpose] * 2 * math.tan(fov / 2))


@contextmanager
def _without_jit(conn):
    """JIT compilation off for the statements inside (theirs is PostGIS's work: compiling costs 0.1-0.5 s a
    statement on a city and gains nothing), then back as it was, for the rest of the caller's transaction."""
    was = conn.execute(text("SELECT current_setting('jit')")).scalar()
    conn.execute(text("SELECT set_config('jit', 'off', true)"))
    try:
        yield
    finally:
        conn.execute(text("SELECT set_config('jit', :was, true)"), {"was": was})


def build_demand(conn, settings: dict, area_wkt: str, weights: dict, hot: list[int], since) -> None:
    """Fill ``siting_demand`` for the area (WKT, lon/lat) with the given weights."""
    with _without_jit(conn):
        for table in ("siting_demand", "siting_sample"):
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        conn.execute(text(SAMPLES_SQL), {"area": area_wkt, "sample_m": float(settings["siting"]["sample_m"])})
        conn.execute(text("CREATE INDEX ON siting_sample USING gist (g)"))
        conn.execute(text("ANALYZE siting_sample"))
        conn.execute(text(DEMAND_SQL), {"area": area_wkt, "weights": json.dumps(weights), "hot": hot, "since": since})
        conn.execute(text("DROP TABLE siting_sample"))
        conn.execute(text("CREATE INDEX ON siting_demand USING gist (geom)"))
        conn.execute(text("ANALYZE siting_demand"))
        conn.execute(text(LOCKED_SQL))


def build_options(conn, settings: dict, area_wkt: str, kinds: dict[str, float], generated: bool) -> None:
    """Fill ``siting_site`` (and so the view ``siting_option``) with the candidate options in the area: ``kinds``
    maps each kind wanted to its range in metres; the sites are the layer's, or ``generated`` along the roads."""
    siting = settings["siting"]
    conn.execute(text("DROP VIEW IF EXISTS siting_option"))
    conn.execute(text("DROP TABLE IF EXISTS siting_site"))
    with _without_jit(conn):
        conn.execute(text(SITES_SQL.format(sites=GENERATED_SITES if generated else LAYER_SITES)), {
            "area": area_wkt, "default_cost": float(siting["default_cost"]), "spacing_m": float(siting["spacing_m"]),
            "directions": int(siting["directions"]),
            "bullet_fov": float(siting["fov_deg"]["bullet"]) if "bullet" in kinds else None,
            "bullet_range": float(kinds["bullet"]) if "bullet" in kinds else None,
            "dome_range": float(kinds["dome"]) if "dome" in kinds else None})
    conn.execute(text(OPTIONS_VIEW))
    conn.execute(text("ANALYZE siting_site"))


def _floats(conn, sql: str, params: dict | None = None) -> np.ndarray:
    return np.frombuffer(conn.execute(text(sql), params or {}).scalar() or b"", dtype=">f8").astype(float)


def _ints(conn, sql: str, params: dict | None = None) -> np.ndarray:
    return np.frombuffer(conn.execute(text(sql), params or {}).scalar() or b"", dtype=">i4").astype(np.int64)


def _margin(lat: np.ndarray, reach: float) -> np.ndarray:
    """The relative error allowed for the tangent plane at latitude ``lat`` over ``reach`` metres (with room)."""
    return 1e-3 + 2 * np.abs(np.tan(np.radians(lat))) * reach / 6.3e6


def pairs(conn) -> np.ndarray:
    """The coverage matrix's pairs (option j, demand i), for the demand not locked, as an array of two columns."""
    count, fov, bullet_range, dome_range, polar = conn.execute(text(
        "SELECT count(*), max(bullet_fov), max(bullet_range), max(dome_range), max(abs(ST_Y(geom))) > 70 "
        "FROM siting_site")).one()
    reach = max(bullet_range or 0.0, dome_range or 0.0)
    if not count or reach <= 0:
        return np.zeros((0, 2), dtype=np.int64)
    # as far as a view can reach: its disc drawn in a UTM zone (or, beyond 70 degrees, another projection)
    reach_m = reach * (1 + (0.1 if polar else 2 * UTM_SCALE) + float(_margin(np.array([89.0]), reach)[0])) + 1.0
    with _without_jit(conn):
        near = _ints(conn, NEAR_SQL, {"reach_m": reach_m}).reshape(-1, 2)
    if not len(near):
        return np.zeros((0, 2), dtype=np.int64)
    order = "ORDER BY site_index"
    lon_s = _floats(conn, f"SELECT string_agg(float8send(ST_X(geom)), ''::bytea {order}) FROM siting_site")
    lat_s = _floats(conn, f"SELECT string_agg(float8send(ST_Y(geom)), ''::bytea {order}) FROM siting_site")
    first = _ints(conn, f"SELECT string_agg(int4send(first_j), ''::bytea {order}) FROM siting_site")
    nb = _ints(conn, f"SELECT string_agg(int4send(nb), ''::bytea {order}) FROM siting_site")
    nd = _ints(conn, f"SELECT string_agg(int4send(nd), ''::bytea {order}) FROM siting_site")
    lon_d = _floats(conn, "SELECT string_agg(float8send(ST_X(geom)), ''::bytea ORDER BY i) FROM siting_demand")
    lat_d = _floats(conn, "SELECT string_agg(float8send(ST_Y(geom)), ''::bytea ORDER BY i) FROM siting_demand")

    found: list[tuple[np.ndarray, np.ndarray]] = []   # (j, i) surely covered
    edge: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []   # (site, k, i) to decide by the view
    for start in range(0, len(near), CHUNK):                       # in chunks, to keep memory in bounds
        _place(near[start:start + CHUNK], lon_s, lat_s, first, nb, nd, lon_d, lat_d, fov, bullet_range, dome_range,
               reach, found, edge)
    edge_site, edge_k, edge_i = (np.concatenate([e[n] for e in edge]) if edge else np.zeros(0, dtype=np.int64)
                                 for n in range(3))
    if edge_site.size:
        with _without_jit(conn):
            covered = np.array(conn.execute(text(EDGE_SQL), {"site": edge_site.tolist(), "k": edge_k.tolist(),
                                                            "i": edge_i.tolist()}).scalars().all(), dtype=np.int64) - 1
        found.append((first[edge_site[covered]] + edge_k[covered], edge_i[covered]))
    j = np.concatenate([f[0] for f in found]) if found else np.zeros(0, dtype=np.int64)
    i_all = np.concatenate([f[1] for f in found]) if found else np.zeros(0, dtype=np.int64)
    return np.column_stack([j, i_all]).astype(np.int64)


def _place(near, lon_s, lat_s, first, nb, nd, lon_d, lat_d, fov, bullet_range, dome_range, reach, found, edge) -> None:
    """Place each (site, demand) pair of ``near`` by its distance and bearing from the site: the options surely
    covering it go to ``found`` as (j, i), those near their view's edge to ``edge`` as (site, k, i)."""
    s, i = near[:, 0], near[:, 1]
    phi = np.radians(lat_s[s])
    w = 1 - E2 * np.sin(phi) ** 2
    x = np.radians(lon_d[i] - lon_s[s]) * A_M / np.sqrt(w) * np.cos(phi)     # east, metres
    y = np.radians(lat_d[i] - lat_s[s]) * A_M * (1 - E2) / w ** 1.5          # north, metres
    rho = np.hypot(x, y)
    bearing = np.degrees(np.arctan2(x, y)) % 360.0
    margin = _margin(lat_s[s], reach)

    def disc(rows: np.ndarray, k: np.ndarray, radius: float) -> None:
        scale = np.where(np.abs(lat_s[s[rows]]) <= 70, UTM_SCALE, 0.1)   # beyond: not a UTM zone, a wide band
        inner = radius * math.cos(math.pi / DISC_CHORDS) * (1 - scale - margin[rows])
        outer = radius * (1 + scale + margin[rows])
        sure, maybe = rho[rows] <= inner, (rho[rows] > inner) & (rho[rows] <= outer)
        found.append((first[s[rows[sure]]] + k[sure], i[rows[sure]]))
        edge.append((s[rows[maybe]], k[maybe], i[rows[maybe]]))

    if dome_range:
        rows = np.flatnonzero(nd[s] == 1)
        disc(rows, nb[s[rows]], dome_range)
    if fov and bullet_range:
        rows = np.flatnonzero(nb[s] > 0)
        directions = nb[s[rows]]
        if fov >= 360:
            for k in range(int(directions.max(initial=0))):
                disc(rows[directions > k], np.full(int((directions > k).sum()), k), bullet_range)
        else:
            step = fov / max(4, math.ceil(fov / 5))
            m = margin[rows]
            slack = np.degrees(m)                           # the angular margin, degrees
            inner = bullet_range * math.cos(math.radians(step / 2)) * (1 - m)
            outer = bullet_range * (1 + m)
            r, t = rho[rows], bearing[rows]
            apex = r == 0                                   # the view's own corner: covered by each direction
            spacing = 360.0 / directions
            low = np.ceil((t - fov / 2 - slack) / spacing).astype(np.int64)
            high = np.floor((t + fov / 2 + slack) / spacing).astype(np.int64)
            for offset in range(int(directions.max(initial=0))):
                k = low + offset
                take = (k <= high) & ~apex & (r <= outer)
                k = k % directions
                off = np.abs((t - 360.0 * k / directions + 540.0) % 360.0 - 180.0)
                sure = take & (r <= inner) & (off <= fov / 2 - slack)
                maybe = take & ~sure & (off <= fov / 2 + slack)
                found.append((first[s[rows[sure]]] + k[sure], i[rows[sure]]))
                edge.append((s[rows[maybe]], k[maybe], i[rows[maybe]]))
            at_apex = np.flatnonzero(apex)
            for k in range(int(directions.max(initial=0))):
                at = at_apex[directions[at_apex] > k]
                found.append((first[s[rows[at]]] + k, i[rows[at]]))


DEMAND_READ = """
SELECT array_agg(kind ORDER BY i), array_agg(ref ORDER BY i), string_agg(float8send(weight), ''::bytea ORDER BY i),
       string_agg(CASE WHEN must THEN '1' ELSE '0' END, '' ORDER BY i),
       string_agg(CASE WHEN locked THEN '1' ELSE '0' END, '' ORDER BY i)
FROM siting_demand
"""


def read_instance(conn) -> tuple[Instance, dict]:
    """The instance over the temporary tables, and the demand's facts by index (kind, ref, weight, must, locked)."""
    kinds, refs, weights, must, locked = conn.execute(text(DEMAND_READ)).one()
    per_site = _ints(conn, "SELECT string_agg(int4send(nb + nd), ''::bytea ORDER BY site_index) FROM siting_site")
    cost = _floats(conn, "SELECT string_agg(float8send(cost), ''::bytea ORDER BY site_index) FROM siting_site")
    options = int(per_site.sum())
    found = pairs(conn)
    weight = np.frombuffer(weights or b"", dtype=">f8").astype(float)
    cover = sp.csr_matrix((np.ones(len(found)), (found[:, 0], found[:, 1])), shape=(options, len(weight)))
    cover.sum_duplicates()
    inst = Instance(cover, weight, np.repeat(np.arange(len(per_site), dtype=np.int64), per_site),
                    np.repeat(cost, per_site))
    facts = {"kind": np.array(kinds or [], dtype=object), "ref": list(refs or []),
             "must": np.frombuffer((must or "").encode(), dtype=np.uint8) == ord("1"),
             "locked": np.frombuffer((locked or "").encode(), dtype=np.uint8) == ord("1")}
    return inst, facts
