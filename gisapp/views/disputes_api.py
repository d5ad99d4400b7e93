"""/api/disputes: intake, the closed loop, lists and exports, figures and hotspots of disputes.

Reads go through the disputes layer (parties emptied for users who may not see them; each view
of them audited). Writes take a JSON body; a browser session must send its CSRF token
(X-CSRFToken), a bearer-token client need not. Refusals are JSON naming the field.
"""
from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pandas as pd

from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy import text

from gisapp import clock, domain
from gisapp.audit import log_views, shown_personal
from gisapp.auth import csrf, protect_browser_session, roles_allowed
from gisapp.coverage import recompute_dirty
from gisapp.disputes import workflow
from gisapp.disputes.figures import GROUPINGS, dispute_figures, flat, hotspots, totals
from gisapp.disputes.records import FilterError, dispute_detail, list_disputes, parse_date
from gisapp.features import DEFAULT_LIMIT, MAX_LIMIT, QueryError, parse_int
from gisapp.request_db import db_session
from gisapp.tables import FORMATS, table_bytes
from gisapp.views.coverage_api import ROLES as COVERAGE_ROLES
from gisapp.views.layer_access import layer_params, visible_layer

bp = Blueprint("disputes_api", __name__, url_prefix="/api/disputes")
csrf.exempt(bp)
INTAKE_ROLES = ("center", "grid_worker")


def _settings() -> dict:
    return current_app.config["GISAPP"]


def _layer():
    return visible_layer("disputes")


def _refused(exc: workflow.WorkflowError):
    body = {"error": {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict"}.get(exc.status, "Error"),
            "message": str(exc), "field": exc.field, "status": exc.status, **exc.extra}
    response = jsonify(body)
    response.status_code = exc.status
    return response


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="body: send a JSON object (Content-Type: application/json)")
    return body


def _audit(rows: list[dict], via: str) -> None:
    layer = _layer()
    log_views(db_session(), current_user, layer.id, [r["code"] for r in rows if shown_personal(layer, r)], via)


def _detail(code: str) -> dict:
    layer = _layer()
    found = dispute_detail(db_session(), layer, layer.properties_for(current_user.role), layer_params(), code)
    if found is None:
        abort(404, description=f"code: no dispute {code!r}")
    _audit([found], request.full_path)
    return found


@bp.route("/vocabulary")
@roles_allowed()
def vocabulary():
    """The values a dispute's fields take, with their labels: categories (configured), grades, sources …"""
    return jsonify(categories=_settings()["dispute_categories"], grades=domain.DISPUTE_GRADES,
                   grade_colours=domain.GRADE_COLOURS, sources=domain.DISPUTE_SOURCES,
                   statuses=domain.DISPUTE_STATUSES, levels=domain.DISPUTE_LEVELS,
                   due_days=_settings()["dispute_due_days"])


@bp.route("", methods=["GET"])
@roles_allowed()
def list_view():
    """Disputes, newest first: filters status, grade, category, level, source, village, grid, open,
    overdue, in_gap=day|night, received_from, received_to (YYYY-MM-DD); limit, offset;
    format=json (default), csv or xlsx (every match, up to 100,000)."""
    layer, fmt = _layer(), request.args.get("format", "json")
    if fmt not in ("json", *FORMATS):
        abort(400, description="format: must be json, csv or xlsx")
    if request.args.get("in_gap") and current_user.role not in COVERAGE_ROLES:
        abort(403, description=f"in_gap: the role {current_user.role!r} may not see where coverage has gaps")
    try:
        limit = parse_int(request.args.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT) if fmt == "json" else 100_000
        offset = parse_int(request.args.get("offset"), "offset", 0, 0)
        rows, matched = list_disputes(db_session(), layer, layer.properties_for(current_user.role), layer_params(),
                                      request.args, _settings()["dispute_categories"], _settings()["timezone"], limit, offset)
    except (QueryError, FilterError) as exc:
        abort(400, description=str(exc))
    _audit(rows, request.full_path)
    if fmt != "json":
        return _file(pd.DataFrame(rows), fmt, "disputes")
    return jsonify(numberMatched=matched, numberReturned=len(rows), disputes=rows)


def _file(frame, fmt: str, name: str) -> Response:
    return Response(table_bytes(frame, fmt, name), mimetype=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@bp.route("", methods=["POST"])
@roles_allowed(*INTAKE_ROLES)
def intake():
    """Take in a dispute: {lon, lat} or {grid} or {village}, category, summary, parties, parties_phone,
    grade, source, remark. Village and grid follow from the place; the due date from the grade."""
    protect_browser_session()
    session = db_session()
    try:
        code = workflow.intake(session.connection(), current_user, _body(), _settings())
        recompute_dirty(session.connection(), _settings())
    except workflow.WorkflowError as exc:
        session.rollback()
        return _refused(exc)
    session.commit()
    response = jsonify(_detail(code))
    response.status_code = 201
    response.headers["Location"] = url_for(".detail", code=code, _external=True)
    return response


@bp.route("/<code>", methods=["GET"])
@roles_allowed()
def detail(code: str):
    """One dispute with its history, its version and the statuses it may move to."""
    return jsonify(_detail(code))


def _change(code: str, apply):
    protect_browser_session()
    session = db_session()
    try:
        apply(session.connection(), _body())
        recompute_dirty(session.connection(), _settings())
    except workflow.WorkflowError as exc:
        session.rollback()
        return _refused(exc)
    session.commit()
    return jsonify(_detail(code))


@bp.route("/<code>/status", methods=["POST"])
@roles_allowed(*INTAKE_ROLES)
def status(code: str):
    """Move one step forward: {status, version, remark, assignee (required to route)}; 409 if illegal or stale."""
    return _change(code, lambda conn, body: workflow.change_status(conn, current_user, code, body))


@bp.route("/<code>/escalate", methods=["POST"])
@roles_allowed("center")
def escalate(code: str):
    """Raise the level: {level: township|county, version, remark}."""
    return _change(code, lambda conn, body: workflow.escalate(conn, current_user, code, body))


@bp.route("/<code>/grade", methods=["POST"])
@roles_allowed("center")
def grade(code: str):
    """Grade an open dispute: {grade, version, remark}; the due date follows the grade."""
    return _change(code, lambda conn, body: workflow.regrade(conn, current_user, code, body, _settings()))


@bp.route("/<code>/revisit", methods=["POST"])
@roles_allowed(*INTAKE_ROLES)
def revisit(code: str):
    """Record the return visit of a closed dispute: {satisfaction: 1–5, version, remark}."""
    return _change(code, lambda conn, body: workflow.revisit(conn, current_user, code, body))


def _period() -> tuple[dt.date, dt.date]:
    """?from= and ?to= (YYYY-MM-DD, to exclusive); by default the year up to and including today."""
    today = clock.now().astimezone(ZoneInfo(_settings()["timezone"])).date()
    try:
        start = parse_date(request.args.get("from"), "from") or today - dt.timedelta(days=365)
        end = parse_date(request.args.get("to"), "to") or today + dt.timedelta(days=1)
    except FilterError as exc:
        abort(400, description=str(exc))
    if end <= start:
        abort(400, description="to: must be after from (the period is [from, to))")
    return start, end


@bp.route("/figures")
@roles_allowed()
def figures():
    """Received, closed, resolution rate, open and overdue, by grade and category, per ?by=township|village|grid
    for the period [?from, ?to); ?village= narrows to one village; ?format=csv|xlsx gives a file."""
    by, fmt = request.args.get("by", "village"), request.args.get("format", "json")
    if by not in GROUPINGS:
        abort(400, description=f"by: must be one of {', '.join(GROUPINGS)}")
    if fmt not in ("json", *FORMATS):
        abort(400, description="format: must be json, csv or xlsx")
    start, end = _period()
    rows = dispute_figures(db_session(), by, start, end, _settings(), clock.now(), request.args.get("village") or None)
    if fmt != "json":
        return _file(pd.DataFrame(flat(rows)), fmt, f"dispute-figures-{by}")
    return jsonify(by=by, start=start.isoformat(), end=end.isoformat(), total=totals(rows), rows=rows)


@bp.route("/hotspots")
@roles_allowed()
def hotspot_view():
    """Getis-Ord Gi* hotspots of grids by disputes received in [?from, ?to), as GeoJSON grids with
    count, z, p and class (hot_99 … cold_90, none); ?significant=true keeps the hot and cold ones."""
    start, end = _period()
    significant = request.args.get("significant", "false")
    if significant not in ("true", "false"):
        abort(400, description="significant: must be true or false")
    session = db_session()
    stats = hotspots(session, start, end, _settings())
    wanted = [i for i, s in stats.items() if significant == "false" or s["class"] != "none"]
    features = [{"type": "Feature", "id": code, "geometry": json.loads(geometry),
                 "properties": {"code": code, "name": name, "village": village, **stats[grid_id]}}
                for grid_id, code, name, village, geometry in session.execute(text(
                    "SELECT g.id, g.code, g.name, v.name, ST_AsGeoJSON(g.geom, 6) FROM grid g "
                    "JOIN admin_area v ON v.id = g.village_id WHERE g.id = ANY(:ids) ORDER BY g.code"),
                    {"ids": wanted})]
    response = jsonify(type="FeatureCollection", start=start.isoformat(), end=end.isoformat(), features=features)
    response.mimetype = "application/geo+json"
    return response
