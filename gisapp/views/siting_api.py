"""/api/siting: where the next cameras should go (天网), and plans of planned cameras with their what-if."""
from __future__ import annotations

import json

import marshmallow as ma
from flask import current_app, jsonify
from flask_login import current_user
from marshmallow import fields, validate
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from gisapp.access import COVERAGE_READERS, SITING_PLANNERS
from gisapp.api import ApiBlueprint, refuse
from gisapp.auth import csrf, protect_browser_session, roles_allowed
from gisapp.db.errors import describe
from gisapp.request_db import db_session
from gisapp.schemas.common import GEOJSON
from gisapp.schemas.siting import (Area, CameraProposal, CompareQuery, Comparison, Plan, PlanBody, PlanCamera, PlanList,
                                   SitingBody, SitingWeights)
from gisapp.siting import export, plans
from gisapp.siting.propose import Request, SitingError, propose
from gisapp.views.files import attachment

bp = ApiBlueprint("siting_api", __name__, url_prefix="/api/siting",
                  description="Camera siting (天网): proposals for an area, and plans with their what-if coverage")
csrf.exempt(bp)  # a bearer token needs none; a browser session's is checked by protect_browser_session

POLYGON_SQL = """
SELECT ST_IsValid(g) AND NOT ST_IsEmpty(g) AND ST_Within(g, ST_MakeEnvelope(-180, -90, 180, 90, 4326)), ST_AsText(g)
FROM (SELECT ST_SetSRID(ST_GeomFromGeoJSON(:g), 4326) AS g) x
"""
AREAS = {
    "villages": ("SELECT count(*), ST_AsText(ST_Union(geom)) FROM admin_area WHERE level = 'village' "
                 "AND code = ANY(:given)", "village"),
    "grids": ("SELECT count(*), ST_AsText(ST_Union(geom)) FROM grid WHERE code = ANY(:given)", "grid"),
}


def _area_wkt(area: dict) -> str:
    """The area as WKT (lon/lat): the union of the villages or grids named, or the polygon given."""
    session = db_session()
    if "polygon" in area:
        row = None
        if area["polygon"].get("type") in ("Polygon", "MultiPolygon"):
            try:
                with session.begin_nested():
                    row = session.execute(text(POLYGON_SQL), {"g": json.dumps(area["polygon"])}).first()
            except DBAPIError:
                row = None
        if row is None or not row[0]:
            refuse(400, "area.polygon", "must be a valid, non-empty GeoJSON Polygon or MultiPolygon in lon/lat")
        return row[1]
    key = next(iter(area))
    sql, noun = AREAS[key]
    given = sorted(set(area[key]))
    found, wkt = session.execute(text(sql), {"given": given}).one()
    if found != len(given):
        known = set(session.execute(text(sql.replace("count(*), ST_AsText(ST_Union(geom))", "code")),
                                    {"given": given}).scalars())
        refuse(404, f"area.{key}", f"no {noun} {', '.join(sorted(set(given) - known))}")
    return wkt


@bp.route("/propose", methods=["POST"])
@roles_allowed(*SITING_PLANNERS)
@bp.arguments(SitingBody)
@bp.response(200, CameraProposal, content_type=GEOJSON)
def propose_view(body: dict):
    """New cameras for an area: the most demand weight covered within the budget (mclp), or the fewest
    cameras covering every must-cover key place (lscp); existing online cameras kept. Nothing is saved."""
    protect_browser_session()
    request = Request(area_wkt=_area_wkt(body["area"]), count=body.get("count"), cost=body.get("cost"),
                      kinds=tuple(body["kinds"]), purpose=body.get("purpose"), range_m=body.get("range_m"),
                      weights=body["weights"], problem=body["problem"], method=body["method"],
                      generated=body["candidates"] == "generated")
    session = db_session()
    try:
        found = propose(session.connection(), current_app.config["GISAPP"], request)
    except SitingError as exc:
        session.rollback()
        refuse(422, exc.field, str(exc))
    session.rollback()
    response = jsonify(found)
    response.mimetype = GEOJSON
    return response


class ValueBody(ma.Schema):
    """Cameras to value (a proposal's, perhaps moved or turned) in the area they were proposed for."""

    area = fields.Nested(Area, required=True)
    features = fields.List(fields.Nested(PlanCamera), required=True, validate=validate.Length(1, 5000))
    weights = fields.Nested(SitingWeights, load_default=dict)


class CameraValues(ma.Schema):
    """What each camera adds, in the order given (its ``value`` and ``view``), the totals by kind of demand
    (demand, before, after, cameras, cost) and the marginal value curve."""

    class Meta:
        unknown = ma.INCLUDE

    features = fields.List(fields.Dict(), required=True)
    totals = fields.Dict(required=True)
    marginal = fields.List(fields.Float(), required=True)


class WhatIfGrids(ma.Schema):
    """A GeoJSON FeatureCollection: each grid a plan reaches, with its figures before and after per period."""

    type = fields.String(required=True, validate=validate.Equal("FeatureCollection"))
    features = fields.List(fields.Dict(), required=True, metadata={"description": "GeoJSON Features"})


def _on_the_earth(features: list[dict]) -> None:
    """Refuse (400, naming it) a camera whose point is not a longitude and a latitude (a height is ignored)."""
    for n, feature in enumerate(features):
        lon, lat = feature["geometry"]["coordinates"][:2]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            refuse(400, f"features.{n}.geometry.coordinates", "must be a longitude and a latitude (EPSG:4326)")


@bp.route("/value", methods=["POST"])
@roles_allowed(*SITING_PLANNERS)
@bp.arguments(ValueBody)
@bp.response(200, CameraValues)
def value_view(body: dict):
    """What given cameras would watch in an area, valued as a proposal is (the same demand and views, existing
    online cameras kept): each camera's value in the order given, the totals before and after, the marginal
    curve. For a proposed camera moved or turned by hand. Nothing is saved."""
    protect_browser_session()
    _on_the_earth(body["features"])
    wkt = _area_wkt(body["area"])
    session = db_session()
    found = plans.value(session.connection(), current_app.config["GISAPP"], wkt, body["features"], body["weights"])
    session.rollback()
    return jsonify(found)


def _plan(code: str) -> dict:
    found = plans.plans(db_session(), code)
    if not found:
        refuse(404, "code", f"no siting plan {code!r}")
    return found[0]


def _described(plan: dict) -> dict:
    """A plan as the API gives it: its facts, cameras and what it changes (computed again when stale)."""
    session, settings = db_session(), current_app.config["GISAPP"]
    compared = plans.compare(session, settings, plan["id"])
    session.commit()  # a what-if computed again is kept
    return {**{k: v for k, v in plan.items() if k not in ("id", "coverage_signature")},
            "cameras": plans.cameras(session, plan["id"]), **compared}


@bp.route("/plans", methods=["GET"])
@roles_allowed(*COVERAGE_READERS)
@bp.response(200, PlanList)
def list_plans():
    """Every plan: code, name, note, who made it and when, how many cameras (still planned), their cost."""
    return jsonify(plans=[{k: v for k, v in p.items() if k not in ("id", "coverage_signature")}
                          for p in plans.plans(db_session())])


@bp.route("/plans", methods=["POST"])
@roles_allowed(*SITING_PLANNERS)
@bp.arguments(PlanBody)
@bp.response(201, Plan)
def save_plan(body: dict):
    """Save a proposal (or an edited one) as a named plan: its cameras stored as planned, and its what-if
    coverage computed beside the real one."""
    protect_browser_session()
    _on_the_earth(body["features"])
    session = db_session()
    try:
        plans.save(session.connection(), current_app.config["GISAPP"], body["code"], body["name"], body["features"],
                   note=body.get("note"), request=body.get("request"), user=current_user.login)
    except IntegrityError as exc:
        session.rollback()
        field, problem = describe(exc)
        refuse(409 if "already exists" in problem else 400, "code" if field == "code" else (field or "features"),
               problem)
    session.commit()
    return jsonify(_described(_plan(body["code"]))), 201


@bp.route("/plans/<code>", methods=["GET"])
@roles_allowed(*COVERAGE_READERS)
@bp.response(200, Plan)
def show_plan(code: str):
    """A plan: its cameras, and per grid it reaches and per village what it changes (share, gaps, flags)."""
    return jsonify(_described(_plan(code)))


@bp.route("/plans/<code>/grids", methods=["GET"])
@roles_allowed(*COVERAGE_READERS)
@bp.response(200, WhatIfGrids, content_type=GEOJSON)
def plan_grids(code: str):
    """A plan's what-if for the map: each grid it reaches (GeoJSON, lon/lat) with its covered share, gap and
    cameras online before and after, and the flags it clears and leaves, per period (``_day``, ``_night``)."""
    plan = _plan(code)
    session = db_session()
    found = plans.what_if_grids(session, current_app.config["GISAPP"], plan["id"])
    session.commit()  # a what-if computed again is kept
    response = jsonify(found)
    response.mimetype = GEOJSON
    return response


@bp.route("/plans/<code>", methods=["DELETE"])
@roles_allowed(*SITING_PLANNERS)
@bp.response(204)
def delete_plan(code: str):
    """Delete a plan and its cameras still planned (cameras commissioned from it stay, without it)."""
    protect_browser_session()
    plan = _plan(code)
    session = db_session()
    session.execute(text("UPDATE camera SET plan_id = NULL WHERE plan_id = :p AND status <> 'planned'"),
                    {"p": plan["id"]})
    session.execute(text("DELETE FROM siting_plan WHERE id = :p"), {"p": plan["id"]})
    session.commit()
    return "", 204


@bp.route("/plans/<code>.<fmt>", methods=["GET"])
@roles_allowed(*COVERAGE_READERS)
@bp.doc(responses={200: {"description": "the plan's cameras as a file", "content": {
    media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in export.FORMATS.values()}}})
def export_plan(code: str, fmt: str):
    """A plan's cameras as Excel (site, lon/lat in WGS84 and CGCS2000, kind, azimuth, purpose, range, cost,
    grid, village, a column for the GB/T 28181 device ID) or GeoJSON."""
    if fmt not in export.FORMATS:
        if plans.plans(db_session(), f"{code}.{fmt}"):  # a code with a dot in it: the plan itself
            return show_plan(f"{code}.{fmt}")
        refuse(404, "format", f"no export as {fmt!r}: xlsx or geojson")
    plan = _plan(code)
    body = export.write(fmt, plan, plans.cameras(db_session(), plan["id"]))
    return attachment(body, export.FORMATS[fmt], f"{code}.{fmt}")


@bp.route("/compare", methods=["GET"])
@roles_allowed(*COVERAGE_READERS)
@bp.arguments(CompareQuery, location="query")
@bp.response(200, Comparison)
def compare_plans(query: dict):
    """Plans side by side: cameras, cost, flags cleared and gap closed, in all and per village."""
    codes = [c for c in (part.strip() for part in query["plans"].split(",")) if c]
    if not 1 <= len(codes) <= 10:
        refuse(400, "plans", "name 1 to 10 plans, comma-separated")
    found = []
    for code in codes:
        plan = _described(_plan(code))
        found.append({"code": code, "name": plan["name"], "cameras": plan["camera_count"], "cost": plan["cost"],
                      "flags_cleared": sum(v["flags_cleared"] for v in plan["villages"]),
                      "gap_closed_m2": round(sum(v["gap_closed_m2"] for v in plan["villages"]), 1),
                      "villages": plan["villages"]})
    return jsonify(plans=found)
