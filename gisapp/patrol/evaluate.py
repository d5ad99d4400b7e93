"""What a patrol route would change, before it is saved: the same coverage engine, on a hypothetical row.

Inside a savepoint the route is written as a saved one would be (through the routes' entity
description, so the same checks apply), the grids it reaches are computed by
``gisapp.coverage.compute_grids`` without it and with it, and the savepoint is rolled back:
nothing is kept, and the figures are those the stored coverage would show. An existing route
(by code) is compared with itself switched off, or with the changes given.

With pgRouting, the patrols' reach by road (``gisapp.patrol.reach``) follows the route: lowered
from the new route's own starts when one is added (a route only brings places nearer), computed
again for a changed one. The alarms it brings within reach are those newly within the limit by day
or by night, and the grids holding them are compared as well. The figures before are the stored
ones (computed only for grids still dirty, or with the route switched off).
Without pgRouting, the alarms are those within the straight-line reach, as coverage then counts.
"""
from __future__ import annotations

import json
import uuid

from sqlalchemy import text

from gisapp.coverage import PERIODS, compute_grids
from gisapp.editing import EditError, create_feature, replace_feature
from gisapp.features import DEGREES_PER_METRE
from gisapp.io.validate import RowError
from gisapp.patrol import network, reach
from gisapp.patrol.passing import ONLINE_ALARM_NEAR, OPEN_DISPUTE_IN_SIGHT

# The grids a route reaches: within its sight width of its line (a stored route's, or a GeoJSON one).
GRIDS_SQL = """
SELECT g.id FROM grid g, (SELECT {line} AS geom) r
WHERE g.geom && ST_Expand(r.geom, :deg) AND ST_DWithin(g.geom::geography, r.geom::geography, :width)
"""
# The grids holding the alarms named.
ALARM_GRIDS_SQL = """
SELECT g.id FROM alarm_point a JOIN grid g ON g.geom && a.geom AND ST_Covers(g.geom, a.geom) WHERE a.code = ANY(:codes)
"""
STORED = "(SELECT geom FROM patrol_route WHERE code = :code)"
GIVEN = "ST_SetSRID(ST_GeomFromGeoJSON(:geojson), 4326)"
FIGURES_SQL = """
SELECT g.code AS grid, gc.period, gc.covered_share, gc.gap_m2, gc.patrol_m2, gc.reasons
FROM grid_coverage gc JOIN grid g ON g.id = gc.grid_id WHERE gc.grid_id = ANY(:ids)
"""
# What the route passes: open disputes within sight, online alarms within the straight-line reach, its length.
PASSES_SQL = f"""
SELECT ST_Length(r.geom::geography) AS length_m,
       (SELECT coalesce(json_agg(json_build_object('code', d.code, 'grade', d.grade) ORDER BY d.code), '[]')
        FROM dispute d WHERE {OPEN_DISPUTE_IN_SIGHT}) AS disputes,
       (SELECT coalesce(json_agg(a.code ORDER BY a.code), '[]') FROM alarm_point a WHERE {ONLINE_ALARM_NEAR}) AS alarms,
       (SELECT coalesce(json_agg(g.code ORDER BY g.code), '[]') FROM grid g
        WHERE g.id = ANY(:hot) AND g.geom && r.geom AND ST_Intersects(g.geom, r.geom)) AS hotspots
FROM patrol_route r WHERE r.code = :code
"""


def _figures(conn, ids: list[int]) -> dict[tuple[str, str], dict]:
    return {(row.grid, row.period): dict(row._mapping) for row in conn.execute(text(FIGURES_SQL), {"ids": ids})}


def _compare(before: dict, after: dict) -> list[dict]:
    """Per grid and period: covered share before and after, gap closed, flags cleared and remaining."""
    compared = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        reasons_before, reasons_after = set(b["reasons"]) if b else set(), set(a["reasons"]) if a else set()
        compared.append({
            "grid": key[0], "period": key[1],
            "covered_share_before": round(b["covered_share"], 4) if b else None,
            "covered_share_after": round(a["covered_share"], 4) if a else None,
            "gap_closed_m2": round((b["gap_m2"] if b else 0.0) - (a["gap_m2"] if a else 0.0), 1),
            "flags_cleared": sorted(reasons_before - reasons_after),
            "flags_remaining": sorted(reasons_after)})
    return compared


def _reached(conn, line: str, params: dict) -> set[int]:
    return set(conn.execute(text(GRIDS_SQL.format(line=line)), params).scalars())


def _dirty(conn) -> set[int]:
    return set(conn.execute(text("SELECT grid_id FROM coverage_dirty")).scalars())


def evaluate(conn, settings: dict, feature: dict, *, existing: str | None = None, hot_grids: list[int] = (),
             dwell_min: float = 0.0) -> dict:
    """Evaluate the route ``feature`` (a GeoJSON Feature of the routes layer); nothing is saved.

    Without ``existing`` the figures compare the stored state with the route added. With
    ``existing`` (a route's code), the feature's changes replace that route and are compared with
    the route as stored; a feature without geometry compares the stored route with itself
    switched off. Returns length, duration (at the mode's speed, plus ``dwell_min``), the grids it
    reaches with per-period figures before and after, and what it passes. EditError (400, or 404
    for an unknown ``existing``) when the route is not a valid route.
    """
    straight = settings["coverage"]["alarm_patrol_reach_m"]
    props = feature.get("properties") or {}
    code = existing or f"WHATIF-{uuid.uuid4().hex[:12]}"
    stored = conn.execute(text("SELECT mode, sight_width_m FROM patrol_route WHERE code = :code"),
                          {"code": code}).first() if existing else None
    if existing and stored is None:
        raise EditError([RowError(1, "route", f"no patrol route {existing!r}")], 404)
    widths = settings["sight_width_m"]
    mode = props.get("mode") or (stored.mode if stored else None)
    params = {"code": code, "deg": 600 * DEGREES_PER_METRE,  # the widest sight width (500 m) and more
              "width": props.get("sight_width_m") or (stored and stored.sight_width_m) or widths.get(mode)
              or max(widths.values())}
    switching = existing is not None and feature.get("geometry") is None
    savepoint = conn.begin_nested()
    try:
        grids = _reached(conn, STORED, params) if existing else set()
        if feature.get("geometry") is not None:
            grids |= _reached(conn, GIVEN, dict(params, geojson=json.dumps(feature["geometry"])))
        if switching:  # the stored route switched off, then on
            conn.execute(text("UPDATE patrol_route SET active = false WHERE code = :code"), params)
        by_road = network.has_pgrouting(conn)
        if by_road:
            reach.refresh(conn, settings)
        reached_before = reach.in_reach(conn, settings) if by_road else set()
        ids = sorted(grids)
        # the stored figures are current but for grids still dirty (or the route switched off)
        compute_grids(conn, settings, ids if switching else sorted(grids & _dirty(conn)))
        before = _figures(conn, ids)
        if switching:
            conn.execute(text("UPDATE patrol_route SET active = true WHERE code = :code"), params)
        elif existing:
            replace_feature(conn, "routes", existing, {**feature, "properties": {**props, "code": existing}}, settings)
        else:
            create_feature(conn, "routes", {**feature, "properties": {**props, "code": code}}, settings)
        if by_road:
            if existing:   # a route changed or back on: everything may move
                reach.refresh(conn, settings)
            else:          # a route added only brings places nearer
                reach.add_route(conn, settings, code)
            reached_after = reach.in_reach(conn, settings)
            brought = sorted({code for code, _ in reached_after - reached_before})
            changed = sorted({code for code, _ in reached_after ^ reached_before})
            crossed = set(conn.execute(text(ALARM_GRIDS_SQL), {"codes": changed}).scalars()) - grids
            before.update(_figures(conn, sorted(crossed)))
            ids = sorted(grids | crossed)
        compute_grids(conn, settings, ids)
        after = _figures(conn, ids)
        passes = conn.execute(text(PASSES_SQL), dict(params, reach=straight, reach_deg=straight * DEGREES_PER_METRE,
                                                     hot=list(hot_grids))).one()
        route_mode = conn.execute(text("SELECT mode FROM patrol_route WHERE code = :code"), params).scalar()
    finally:
        savepoint.rollback()
    speed = settings["patrol"]["speed_kmh"][route_mode] * 1000 / 60
    return {"length_m": round(passes.length_m, 1), "duration_min": round(passes.length_m / speed + dwell_min, 1),
            "mode": route_mode, "grids": _compare(before, after), "disputes": passes.disputes,
            "alarms": brought if by_road else passes.alarms,
            "hotspots": passes.hotspots, "periods": list(PERIODS)}
