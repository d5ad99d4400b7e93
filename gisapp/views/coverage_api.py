"""/api/coverage: per-grid coverage figures and flags, one grid with its gaps, and all gap polygons."""
from __future__ import annotations

import json

import pandas as pd
from flask import Response, abort, jsonify
from sqlalchemy import text

from gisapp.access import COVERAGE_READERS
from gisapp.api import ApiBlueprint
from gisapp.auth import roles_allowed
from gisapp.coverage import PERIODS
from gisapp.coverage.report import COLUMNS, coverage_table, readable
from gisapp.request_db import db_session
from gisapp.schemas.common import GEOJSON, WORLD, FeatureCollection
from gisapp.schemas.coverage import GapsQuery, GridFigures, GridsQuery, OneGrid
from gisapp.tables import FORMATS, table_bytes
from gisapp.views.files import attachment
from gisapp.views.paging import page

bp = ApiBlueprint("coverage_api", __name__, url_prefix="/api/coverage",
                  description="Coverage of the three nets per grid and period, and the gaps")


# The answer as a file, in place of JSON.
FILES = {200: {"content": {media_type: {"schema": {"type": "string", "format": "binary"}}
                           for media_type in FORMATS.values()}}}
# The columns of the file: the figures a person reads, headed by their labels (domain.REPORT_COLUMNS), shares in %.
FILE_COLUMNS = ("period", "village_code", "village", "grid_code", "grid", "camera_share", "alarm_share", "patrol_share",
                "covered_share", "gap_m2", "reasons")


def _records(table) -> list[dict]:
    records = table.to_dict("records")
    for record in records:
        record["reasons"] = record["reasons"].split(",") if record["reasons"] else []
    return records


def _file(records: list[dict], period: str, fmt: str) -> Response:
    """The grids as a csv or xlsx file as a person reads them (coverage.report.readable); text that could be
    taken for a formula is neutralised (gisapp.tables)."""
    frame = readable(pd.DataFrame(records, columns=COLUMNS), FILE_COLUMNS)
    name = f"flagged-grids-{period}"
    return attachment(table_bytes(frame, fmt, name), FORMATS[fmt], f"{name}.{fmt}")


@bp.route("/grids")
@roles_allowed(*COVERAGE_READERS)
@bp.arguments(GridsQuery, location="query")
@bp.response(200, GridFigures)
@bp.doc(responses=FILES)
def grids(query: dict):
    """Per-grid figures for a period, optionally of one village, flagged or not, flagged for a reason; as JSON, or as
    a csv or xlsx file (Chinese headers and labels: the list of flagged grids the map's panel exports)."""
    records = _records(coverage_table(db_session(), query["period"], village=query.get("village"),
                                      flagged=query.get("flagged")))
    if "reason" in query:
        records = [r for r in records if query["reason"] in r["reasons"]]
    if query["format"] != "json":
        return _file(records, query["period"], query["format"])
    return jsonify(period=query["period"], numberMatched=len(records), grids=records)


@bp.route("/grids/<code>")
@roles_allowed(*COVERAGE_READERS)
@bp.response(200, OneGrid)
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
        records = _records(coverage_table(db_session(), period, grid=code))
        if records:
            result[period] = {**records[0], "gaps": gaps.get(period)}
    return jsonify(result)


@bp.route("/gaps")
@roles_allowed(*COVERAGE_READERS)
@bp.arguments(GapsQuery, location="query")
@bp.response(200, FeatureCollection, content_type=GEOJSON)
def gaps(query: dict):
    """Every gap polygon of a period as GeoJSON, one page, optionally within a bbox."""
    x0, y0, x1, y1 = query.get("bbox") or WORLD
    params = {"period": query["period"], "x0": x0, "y0": y0, "x1": x1, "y1": y1,
              "limit": query["limit"], "offset": query["offset"]}
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
    response = jsonify(type="FeatureCollection", features=features,
                       **page(matched, len(features), query["limit"], query["offset"], GEOJSON))
    response.mimetype = GEOJSON
    return response
