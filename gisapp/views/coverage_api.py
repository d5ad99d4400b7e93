"""/api/coverage: per-grid coverage figures and flags, one grid with its gaps, and all gap polygons."""
from __future__ import annotations

import json

from flask import Blueprint, abort, jsonify, request
from sqlalchemy import text

from gisapp.auth import roles_allowed
from gisapp.coverage import PERIODS
from gisapp.coverage.report import coverage_table
from gisapp.features import QueryError, parse_bbox, parse_int
from gisapp.request_db import db_session

bp = Blueprint("coverage_api", __name__, url_prefix="/api/coverage")
# Where the nets leave gaps is sensitive: not for the plain viewer role.
ROLES = ("center", "team_leader", "planner", "grid_worker")


def _period() -> str:
    period = request.args.get("period", "day")
    if period not in PERIODS:
        abort(400, description=f"period: must be one of {', '.join(PERIODS)}")
    return period


@bp.route("/grids")
@roles_allowed(*ROLES)
def grids():
    """Per-grid figures: ?period=day|night, ?village=<code>, ?flagged=true|false."""
    flagged = request.args.get("flagged")
    if flagged not in (None, "true", "false"):
        abort(400, description="flagged: must be true or false")
    table = coverage_table(db_session(), _period(), village=request.args.get("village"),
                           flagged=None if flagged is None else flagged == "true")
    records = table.to_dict("records")
    for record in records:
        record["reasons"] = record["reasons"].split(",") if record["reasons"] else []
    return jsonify(period=_period(), numberMatched=len(records), grids=records)


@bp.route("/grids/<code>")
@roles_allowed(*ROLES)
def one_grid(code: str):
    """One grid's figures for both periods, each with its gap polygons as GeoJSON."""
    rows = db_session().execute(text(
        "SELECT gc.period, ST_AsGeoJSON(gc.gap_geom, 7) AS gaps FROM grid_coverage gc JOIN grid g ON g.id = gc.grid_id "
        "WHERE g.code = :code"), {"code": code}).all()
    if not rows:
        abort(404, description=f"no coverage for grid {code!r} (unknown grid, or not computed yet)")
    gaps = {period: json.loads(geojson) if geojson else None for period, geojson in rows}
    result = {"grid_code": code}
    for period in PERIODS:
        row = coverage_table(db_session(), period, grid=code).to_dict("records")
        if row:
            row[0]["reasons"] = row[0]["reasons"].split(",") if row[0]["reasons"] else []
            result[period] = {**row[0], "gaps": gaps.get(period)}
    return jsonify(result)


@bp.route("/gaps")
@roles_allowed(*ROLES)
def gaps():
    """Every gap polygon as GeoJSON: ?period=day|night, ?bbox=, ?limit= (at most 1000), ?offset=."""
    try:
        bbox = parse_bbox(request.args.get("bbox")) or (-180, -90, 180, 90)
        limit = parse_int(request.args.get("limit"), "limit", 100, 1, 1000)
        offset = parse_int(request.args.get("offset"), "offset", 0, 0)
    except QueryError as exc:
        abort(400, description=str(exc))
    params = {"period": _period(), "x0": bbox[0], "y0": bbox[1], "x1": bbox[2], "y1": bbox[3],
              "limit": limit, "offset": offset}
    where = ("gc.period = :period AND gc.gap_geom IS NOT NULL "
             "AND gc.gap_geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)")
    session = db_session()
    matched = session.execute(text(f"SELECT count(*) FROM grid_coverage gc WHERE {where}"), params).scalar()
    features = session.execute(text(
        "SELECT json_build_object('type', 'Feature', 'id', g.code, 'geometry', ST_AsGeoJSON(gc.gap_geom, 7)::json, "
        "'properties', json_build_object('grid_code', g.code, 'grid', g.name, 'period', gc.period, "
        "'gap_m2', round(gc.gap_m2::numeric, 1), 'reasons', gc.reasons)) "
        f"FROM grid_coverage gc JOIN grid g ON g.id = gc.grid_id WHERE {where} ORDER BY g.code "
        "LIMIT :limit OFFSET :offset"), params).scalars().all()
    response = jsonify(type="FeatureCollection", features=features, numberMatched=matched,
                       numberReturned=len(features))
    response.mimetype = "application/geo+json"
    return response
