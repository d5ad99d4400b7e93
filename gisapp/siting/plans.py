"""Siting plans: named sets of planned cameras, and what they would change (what-if coverage).

A plan's cameras are coded ``<plan>-001`` … and named by their candidate site (or the plan's name and
their number).

A plan's cameras are rows of ``camera`` with status ``planned`` and the plan's id: they change
nothing in the real coverage. ``plan_coverage`` holds, for each grid a plan's cameras reach, the
coverage computed by the same statement as the real one with those cameras online; it is
computed again whenever the coverage inputs changed since (``coverage_signature``), so moving,
turning or removing a planned camera by hand (through the cameras' editing API) is followed.
Commissioning a planned camera (status → online) moves it into the real coverage.
"""
from __future__ import annotations

import json

import numpy as np
from sqlalchemy import text

from gisapp import domain
from gisapp.coverage import compute_grids
from gisapp.siting.propose import build_demand

# What plan_coverage depends on: every input of the coverage statement.
INPUTS = ("camera", "alarm_point", "patrol_route", "patrol_window", "road", "grid", "dispute")
SIGNATURE_SQL = ("SELECT coalesce(string_agg(table_name || ':' || version, ',' ORDER BY table_name), '') "
                 "FROM data_version WHERE table_name = ANY(:tables)")
CAMERAS_SQL = """
INSERT INTO camera (code, name, kind, azimuth, fov_deg, range_m, status, height_m, cost, plan_id, geom)
SELECT :plan_code || '-' || lpad(f.n::text, 3, '0'), coalesce(f.p ->> 'site', :name || ' #' || f.n), f.p ->> 'kind',
       (f.p ->> 'azimuth')::float, (f.p ->> 'fov_deg')::float, (f.p ->> 'range_m')::float, 'planned',
       (SELECT s.height_m FROM camera_site s WHERE s.code = f.p ->> 'site'), (f.p ->> 'cost')::float, :plan,
       ST_SetSRID(ST_Force2D(ST_GeomFromGeoJSON(f.g)), 4326)
FROM (SELECT e.value -> 'properties' AS p, (e.value -> 'geometry')::text AS g, e.ordinality AS n
      FROM jsonb_array_elements(CAST(:features AS jsonb)) WITH ORDINALITY e) f
"""
REACHED_SQL = """
SELECT DISTINCT g.id FROM camera c JOIN grid g ON g.geom && c.view_geom AND ST_Intersects(g.geom, c.view_geom)
WHERE c.plan_id = :plan AND c.status = 'planned'
"""
# Per grid reached and period: the real figures and the plan's.
COMPARE_SQL = """
SELECT g.code AS grid, g.name, v.code AS village_code, v.name AS village, pc.period,
       gc.covered_share AS share_before, pc.covered_share AS share_after, gc.gap_m2 AS gap_before,
       pc.gap_m2 AS gap_after, gc.reasons AS reasons_before, pc.reasons AS reasons_after,
       gc.cameras_online AS cameras_before, pc.cameras_online AS cameras_after
FROM plan_coverage pc JOIN grid g ON g.id = pc.grid_id JOIN admin_area v ON v.id = g.village_id
LEFT JOIN grid_coverage gc ON gc.grid_id = pc.grid_id AND gc.period = pc.period
WHERE pc.plan_id = :plan ORDER BY g.code, pc.period
"""
PLAN_SQL = """
SELECT p.id, p.code, p.name, p.note, p.created_at, p.created_by, p.request, p.coverage_signature,
       count(c.id) AS camera_count, count(c.id) FILTER (WHERE c.status = 'planned') AS still_planned,
       coalesce(sum(c.cost), 0) AS cost
FROM siting_plan p LEFT JOIN camera c ON c.plan_id = p.id
WHERE (CAST(:code AS text) IS NULL OR p.code = :code) GROUP BY p.id ORDER BY p.code
"""
PLAN_CAMERAS_SQL = """
SELECT c.code, c.name, c.kind, c.azimuth, c.fov_deg, c.range_m, c.status, c.cost, ST_X(c.geom) AS lon,
       ST_Y(c.geom) AS lat,
       ST_AsGeoJSON(c.view_geom, 7) AS view, g.code AS grid, g.name AS grid_name, v.name AS village, s.code AS site
FROM camera c LEFT JOIN grid g ON g.geom && c.geom AND ST_Covers(g.geom, c.geom)
LEFT JOIN admin_area v ON v.id = g.village_id
-- the candidate site it stands on (named after it when proposed there; none once moved off it)
LEFT JOIN camera_site s ON s.code = c.name AND ST_DWithin(s.geom::geography, c.geom::geography, 1)
WHERE c.plan_id = :plan ORDER BY c.code
"""


def _signature(conn) -> str:
    return conn.execute(text(SIGNATURE_SQL), {"tables": list(INPUTS)}).scalar()


def save(conn, settings: dict, code: str, name: str, features: list[dict], *, note: str | None = None,
         request: dict | None = None, user: str | None = None) -> int:
    """Store a plan and its cameras (each a proposal's Feature: point, kind, azimuth, fov_deg, range_m, site,
    cost) and compute its what-if coverage; returns its id. IntegrityError when the code is taken."""
    plan = conn.execute(text(
        "INSERT INTO siting_plan (code, name, note, created_by, request) VALUES (:code, :name, :note, :user, "
        "CAST(:request AS jsonb)) RETURNING id"),
        {"code": code, "name": name, "note": note, "user": user,
         "request": json.dumps(request) if request else None}).scalar()
    conn.execute(text(CAMERAS_SQL), {"plan": plan, "plan_code": code, "name": name,
                                     "features": json.dumps(features)})
    refresh(conn, settings, plan)
    return plan


def refresh(conn, settings: dict, plan: int) -> bool:
    """Compute the plan's what-if coverage again when the coverage inputs changed since; True when it did."""
    signature = _signature(conn)
    stored = conn.execute(text("SELECT coverage_signature FROM siting_plan WHERE id = :plan"), {"plan": plan}).scalar()
    if stored == signature:
        return False
    conn.execute(text("DELETE FROM plan_coverage WHERE plan_id = :plan"), {"plan": plan})
    compute_grids(conn, settings, list(conn.execute(text(REACHED_SQL), {"plan": plan}).scalars()), plan=plan)
    conn.execute(text("UPDATE siting_plan SET coverage_signature = :s WHERE id = :plan"),
                 {"s": signature, "plan": plan})
    return True


def plans(conn, code: str | None = None) -> list[dict]:
    """The plans (or the one ``code``): code, name, note, who made it and when, its request, how many cameras
    (and how many still planned), their cost."""
    return [dict(row._mapping) for row in conn.execute(text(PLAN_SQL), {"code": code})]


def compare(conn, settings: dict, plan: int) -> dict:
    """What the plan changes: per grid it reaches and period, the real figures and the plan's (share, gap,
    flags cleared and remaining, cameras online), and per village the grids whose flags it clears."""
    refresh(conn, settings, plan)
    grids = []
    villages: dict[str, dict] = {}
    for row in conn.execute(text(COMPARE_SQL), {"plan": plan}).mappings():
        before, after = set(row["reasons_before"] or []), set(row["reasons_after"] or [])
        grids.append({**{k: row[k] for k in ("grid", "name", "village_code", "village", "period", "cameras_before",
                                             "cameras_after")},
                      "covered_share_before": row["share_before"], "covered_share_after": row["share_after"],
                      "gap_m2_before": row["gap_before"], "gap_m2_after": row["gap_after"],
                      "flags_cleared": sorted(before - after), "flags_remaining": sorted(after)})
        village = villages.setdefault(row["village_code"], {"village": row["village"], "grids": set(),
                                                            "flags_cleared": 0, "gap_closed_m2": 0.0})
        village["grids"].add(row["grid"])
        village["flags_cleared"] += len(before - after)
        village["gap_closed_m2"] += (row["gap_before"] or 0.0) - (row["gap_after"] or 0.0)
    return {"grids": grids, "villages": [{"code": code, "village": v["village"], "grids": len(v["grids"]),
                                          "flags_cleared": v["flags_cleared"],
                                          "gap_closed_m2": round(v["gap_closed_m2"], 1)}
                                         for code, v in sorted(villages.items())]}


def cameras(conn, plan: int) -> list[dict]:
    """The plan's cameras with their view (GeoJSON), grid and village."""
    return [{**row._mapping, "view": json.loads(row.view) if row.view else None}
            for row in conn.execute(text(PLAN_CAMERAS_SQL), {"plan": plan})]


# The grids a plan reaches, for the map (their outline, in lon/lat).
GRID_SHAPES_SQL = """
SELECT g.code, ST_AsGeoJSON(g.geom, 7) AS geometry FROM grid g
WHERE g.id IN (SELECT grid_id FROM plan_coverage WHERE plan_id = :plan) ORDER BY g.code
"""
PERIOD_FIGURES = ("covered_share_before", "covered_share_after", "gap_m2_before", "gap_m2_after", "cameras_before",
                  "cameras_after")


def what_if_grids(conn, settings: dict, plan: int) -> dict:
    """The plan's what-if as a GeoJSON FeatureCollection: each grid it reaches with, per period (``_day``,
    ``_night``), the covered share, gap and cameras online before and after, and the flags it clears and leaves
    (comma-separated, as the coverage layers list them)."""
    compared = compare(conn, settings, plan)
    shapes = dict(conn.execute(text(GRID_SHAPES_SQL), {"plan": plan}).all())
    grids: dict[str, dict] = {}
    for row in compared["grids"]:
        properties = grids.setdefault(row["grid"], {k: row[k] for k in ("grid", "name", "village_code", "village")})
        period = row["period"]
        properties.update({f"{k}_{period}": row[k] for k in PERIOD_FIGURES})
        properties[f"flags_cleared_{period}"] = ",".join(row["flags_cleared"])
        properties[f"flags_remaining_{period}"] = ",".join(row["flags_remaining"])
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": code, "geometry": json.loads(shapes[code]), "properties": properties}
        for code, properties in grids.items() if code in shapes]}


# Cameras given as GeoJSON Features (a proposal's, perhaps moved or turned): their views, by the stored cameras'
# function, and the demand each covers that no online camera covers already.
GIVEN_SQL = """
CREATE TEMP TABLE siting_given ON COMMIT DROP AS
SELECT (e.ordinality - 1)::int AS k, camera_view(ST_SetSRID(ST_Force2D(ST_GeomFromGeoJSON(e.value -> 'geometry')), 4326),
       (e.value -> 'properties' ->> 'azimuth')::float, (e.value -> 'properties' ->> 'fov_deg')::float,
       (e.value -> 'properties' ->> 'range_m')::float) AS view
FROM jsonb_array_elements(CAST(:features AS jsonb)) WITH ORDINALITY e
"""
GIVEN_PAIRS_SQL = """
SELECT g.k, d.i FROM siting_given g JOIN siting_demand d ON d.geom && g.view AND ST_Covers(g.view, d.geom)
WHERE NOT d.locked
"""


def _by_kind(weights: np.ndarray, kinds: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    return {kind: round(float(weights[mask & (kinds == kind)].sum()), 3) for kind in domain.DEMAND_KINDS}


def value(conn, settings: dict, area_wkt: str, features: list[dict], given_weights: dict) -> dict:
    """What the cameras ``features`` (each a Feature: point, kind, azimuth, fov_deg, range_m, cost) would watch in
    the area (WKT, lon/lat), valued as a proposal values them: the same demand (weights as given over the
    configured ones; existing online cameras kept) and views. Returns, in the cameras' order, what each adds and
    its view (GeoJSON), the totals by kind of demand (all, covered before, covered after), and the marginal
    curve. Over ``conn``'s temporary tables: nothing is kept."""
    weights = build_demand(conn, settings, area_wkt, given_weights)
    conn.execute(text("DROP TABLE IF EXISTS siting_given"))
    conn.execute(text(GIVEN_SQL), {"features": json.dumps(features)})
    demand = conn.execute(text("SELECT i, kind, weight, locked FROM siting_demand ORDER BY i")).all()
    weight = np.array([d.weight for d in demand], dtype=float)
    kinds = np.array([d.kind for d in demand], dtype=object)
    covered = np.array([d.locked for d in demand], dtype=bool)
    before = covered.copy()
    reached: dict[int, list[int]] = {}
    for k, i in conn.execute(text(GIVEN_PAIRS_SQL)):
        reached.setdefault(k, []).append(i)
    views = dict(conn.execute(text("SELECT k, ST_AsGeoJSON(view, 7) FROM siting_given")).all())
    gains = []
    for k in range(len(features)):
        new = [i for i in reached.get(k, []) if not covered[i]]
        gains.append(round(float(weight[new].sum()), 3) if new else 0.0)
        covered[new] = True
    everything = np.ones(len(weight), dtype=bool)
    cost = sum(float(f["properties"].get("cost") or 0) for f in features)
    return {"features": [{"value": gain, "view": json.loads(views[k]) if views.get(k) else None}
                         for k, gain in enumerate(gains)],
            "totals": {"demand": _by_kind(weight, kinds, everything), "before": _by_kind(weight, kinds, before),
                       "after": _by_kind(weight, kinds, covered), "cameras": len(features), "cost": round(cost, 2)},
            "marginal": gains, "weights": weights}
