"""/api/disputes: intake, the closed loop, lists and exports, figures and hotspots of disputes.

Reads go through the disputes layer (parties emptied for users who may not see them; each view
of them audited). Writes take a JSON body; a browser session must send its CSRF token
(X-CSRFToken), a bearer-token client need not. Refusals are JSON naming the field.
"""
from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from flask import Response, current_app, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy import text

from gisapp import clock, domain
from gisapp.access import COVERAGE_READERS, DISPUTE_HANDLERS, DISPUTE_SUPERVISORS
from gisapp.api import ApiBlueprint, Refusal, refuse
from gisapp.audit import log_views, shown_personal
from gisapp.auth import csrf, protect_browser_session, roles_allowed
from gisapp.coverage import recompute_dirty
from gisapp.disputes import workflow
from gisapp.disputes.export import figures_frame, list_frame
from gisapp.disputes.figures import dispute_figures, hotspots, totals
from gisapp.disputes.records import FilterError, dispute_detail, list_disputes
from gisapp.request_db import db_session
from gisapp.schemas.common import GEOJSON
from gisapp.schemas.disputes import (AssignBody, Dispute, DisputeList, EscalateBody, Figures, FiguresQuery, GradeBody,
                                     Hotspots, HotspotsQuery, IntakeBody, ListQuery, NoteBody, RevisitBody, SendBackBody,
                                     StatusBody, Vocabulary)
from gisapp.tables import FORMATS, table_bytes
from gisapp.views.files import attachment
from gisapp.views.layer_access import layer_params, visible_layer
from gisapp.views.paging import page

bp = ApiBlueprint("disputes_api", __name__, url_prefix="/api/disputes",
                  description="Disputes (矛盾纠纷): intake, the closed loop, lists, figures, hotspots")
csrf.exempt(bp)
EXPORT_ROWS = 100_000  # rows of a csv or xlsx list at most
# The answers of lists and figures in another format than JSON.
FILES = {200: {"content": {media_type: {"schema": {"type": "string", "format": "binary"}}
                             for media_type in FORMATS.values()}}}


def _settings() -> dict:
    return current_app.config["GISAPP"]


def _layer():
    return visible_layer("disputes")


def _refused(exc: workflow.WorkflowError) -> Refusal:
    details = dict(exc.extra)
    problems = [(p["field"], p["problem"]) for p in details.pop("problems", [])]
    return Refusal(exc.status, problems or [(exc.field, str(exc).removeprefix(f"{exc.field}: "))], **details)


def _audit(rows: list[dict], via: str) -> None:
    layer = _layer()
    log_views(db_session(), current_user, layer.id, [r["code"] for r in rows if shown_personal(layer, r)], via)


def _detail(code: str) -> dict:
    layer = _layer()
    found = dispute_detail(db_session(), layer, layer.properties_for(current_user.role), layer_params(), code)
    if found is None:
        refuse(404, "code", f"no dispute {code!r}")
    _audit([found], request.full_path)
    found["actions"] = workflow.allowed_changes(db_session().connection(), current_user, code)
    return found


@bp.route("/vocabulary")
@roles_allowed()
@bp.response(200, Vocabulary)
def vocabulary():
    """The values a dispute's fields take, with their labels: categories (configured), grades, sources …"""
    return jsonify(categories=_settings()["dispute_categories"], grades=domain.DISPUTE_GRADES,
                   grade_colours=domain.GRADE_COLOURS, sources=domain.DISPUTE_SOURCES,
                   statuses=domain.DISPUTE_STATUSES, levels=domain.DISPUTE_LEVELS,
                   due_days=_settings()["dispute_due_days"],
                   texts={"too_few_disputes": domain.REPORT_TEXT["too_few_disputes"]})


@bp.route("", methods=["GET"])
@roles_allowed()
@bp.arguments(ListQuery, location="query")
@bp.response(200, DisputeList)
@bp.doc(responses=FILES)
def list_view(query: dict):
    """Disputes, filtered and sorted (newest first by default); one page as JSON, or every match as a csv or
    xlsx file. ``todo`` lists what waits on the signed-in user in its own grids."""
    layer, fmt = _layer(), query["format"]
    properties = layer.properties_for(current_user.role)
    if "in_gap" in query and current_user.role not in COVERAGE_READERS:
        refuse(403, "in_gap", f"the role {current_user.role!r} may not see where coverage has gaps")
    if "todo" in query and current_user.role not in DISPUTE_HANDLERS:
        refuse(403, "todo", f"the role {current_user.role!r} takes no steps on disputes")
    limit, offset = (query["limit"], query["offset"]) if fmt == "json" else (EXPORT_ROWS, 0)
    try:
        # The filters as sent (text), checked by the schema; the category against the configured ones here.
        rows, matched = list_disputes(db_session(), layer, properties, layer_params(),
                                      request.args, _settings()["dispute_categories"], _settings()["timezone"], limit,
                                      offset)
    except FilterError as exc:
        field, _, problem = str(exc).partition(": ")
        refuse(400, field, problem)
    _audit(rows, request.full_path)
    if fmt != "json":
        return _file(list_frame(layer, properties, rows, _settings()["timezone"]), fmt, "disputes")
    return jsonify(disputes=rows, **page(matched, len(rows), limit, offset))


def _file(frame, fmt: str, name: str) -> Response:
    return attachment(table_bytes(frame, fmt, name), FORMATS[fmt], f"{name}.{fmt}")


@bp.route("", methods=["POST"])
@roles_allowed(*DISPUTE_HANDLERS)
@bp.arguments(IntakeBody)
@bp.response(201, Dispute)
def intake(body: dict):
    """Take in a dispute (grid workers in their own grids). Village and grid follow from the place;
    the due date from the grade."""
    protect_browser_session()
    session = db_session()
    try:
        code = workflow.intake(session.connection(), current_user, body, _settings())
        recompute_dirty(session.connection(), _settings())
    except workflow.WorkflowError as exc:
        session.rollback()
        raise _refused(exc) from None
    session.commit()
    response = jsonify(_detail(code))
    response.status_code = 201
    response.headers["Location"] = url_for(".detail", code=code, _external=True)
    return response


@bp.route("/<code>", methods=["GET"])
@roles_allowed()
@bp.response(200, Dispute)
def detail(code: str):
    """One dispute with its history, its version and the statuses it may move to."""
    return jsonify(_detail(code))


def _change(code: str, body: dict, apply):
    protect_browser_session()
    session = db_session()
    try:
        apply(session.connection(), body)
        recompute_dirty(session.connection(), _settings())
    except workflow.WorkflowError as exc:
        session.rollback()
        raise _refused(exc) from None
    session.commit()
    return jsonify(_detail(code))


@bp.route("/<code>/status", methods=["POST"])
@roles_allowed(*DISPUTE_HANDLERS)
@bp.arguments(StatusBody)
@bp.response(200, Dispute)
def status(body: dict, code: str):
    """Move one step forward; 409 naming the current status and the allowed next ones, or a stale version."""
    return _change(code, body, lambda conn, body: workflow.change_status(conn, current_user, code, body))


@bp.route("/<code>/escalate", methods=["POST"])
@roles_allowed(*DISPUTE_SUPERVISORS)
@bp.arguments(EscalateBody)
@bp.response(200, Dispute)
def escalate(body: dict, code: str):
    """Raise the level (township, county)."""
    return _change(code, body, lambda conn, body: workflow.escalate(conn, current_user, code, body))


@bp.route("/<code>/grade", methods=["POST"])
@roles_allowed(*DISPUTE_SUPERVISORS)
@bp.arguments(GradeBody)
@bp.response(200, Dispute)
def grade(body: dict, code: str):
    """Grade an open dispute; the due date follows the grade."""
    return _change(code, body, lambda conn, body: workflow.regrade(conn, current_user, code, body, _settings()))


@bp.route("/<code>/revisit", methods=["POST"])
@roles_allowed(*DISPUTE_HANDLERS)
@bp.arguments(RevisitBody)
@bp.response(200, Dispute)
def revisit(body: dict, code: str):
    """Record the return visit of a closed dispute (once)."""
    return _change(code, body, lambda conn, body: workflow.revisit(conn, current_user, code, body))


@bp.route("/<code>/return", methods=["POST"])
@roles_allowed(*DISPUTE_SUPERVISORS)
@bp.arguments(SendBackBody)
@bp.response(200, Dispute)
def send_back(body: dict, code: str):
    """Send back to handling (退回重办) a dispute reported back, or closed and visited back dissatisfied; the
    remark says why."""
    return _change(code, body, lambda conn, body: workflow.send_back(conn, current_user, code, body))


@bp.route("/<code>/assign", methods=["POST"])
@roles_allowed(*DISPUTE_SUPERVISORS)
@bp.arguments(AssignBody)
@bp.response(200, Dispute)
def assign(body: dict, code: str):
    """Reassign (改派) a routed or handled dispute to another department or person."""
    return _change(code, body, lambda conn, body: workflow.reassign(conn, current_user, code, body))


@bp.route("/<code>/note", methods=["POST"])
@roles_allowed(*DISPUTE_HANDLERS)
@bp.arguments(NoteBody)
@bp.response(200, Dispute)
def note(body: dict, code: str):
    """Write down progress on an open dispute (记录进展); its status stays."""
    return _change(code, body, lambda conn, body: workflow.note(conn, current_user, code, body))


def _date_range(query: dict) -> tuple[dt.date, dt.date]:
    """The period [from, to) asked for; by default the year up to and including today (local time)."""
    today = clock.now().astimezone(ZoneInfo(_settings()["timezone"])).date()
    start = query.get("start") or today - dt.timedelta(days=365)
    end = query.get("end") or today + dt.timedelta(days=1)
    if end <= start:
        refuse(400, "to", f"must be after from (the period is [from, to)): from {start}, to {end}")
    return start, end


@bp.route("/figures")
@roles_allowed()
@bp.arguments(FiguresQuery, location="query")
@bp.response(200, Figures)
@bp.doc(responses=FILES)
def figures(query: dict):
    """Received, closed, resolution rate, open and overdue, by grade and category, per township, village
    or grid for the period [from, to); as JSON, or the rows as a csv or xlsx file."""
    by, fmt = query["by"], query["format"]
    start, end = _date_range(query)
    rows = dispute_figures(db_session(), by, start, end, _settings(), clock.now(), query.get("village") or None)
    if fmt != "json":
        return _file(figures_frame(rows, by, _settings()["dispute_categories"]), fmt, f"dispute-figures-{by}")
    return jsonify(by=by, start=start.isoformat(), end=end.isoformat(), total=totals(rows), rows=rows)


@bp.route("/hotspots")
@roles_allowed()
@bp.arguments(HotspotsQuery, location="query")
@bp.response(200, Hotspots, content_type=GEOJSON)
def hotspot_view(query: dict):
    """Getis-Ord Gi* hotspots of grids by disputes received in [from, to), as GeoJSON grids with
    count, z, p and class (hot_99 … cold_90, none); significant=true keeps the hot and cold ones."""
    start, end = _date_range(query)
    session = db_session()
    stats = hotspots(session, start, end, _settings())
    wanted = [i for i, s in stats.items() if not query.get("significant") or s["class"] != "none"]
    features = [{"type": "Feature", "id": code, "geometry": json.loads(geometry),
                 "properties": {"code": code, "name": name, "village": village, **stats[grid_id]}}
                for grid_id, code, name, village, geometry in session.execute(text(
                    "SELECT g.id, g.code, g.name, v.name, ST_AsGeoJSON(g.geom, 6) FROM grid g "
                    "JOIN admin_area v ON v.id = g.village_id WHERE g.id = ANY(:ids) ORDER BY g.code"),
                    {"ids": wanted})]
    response = jsonify(type="FeatureCollection", start=start.isoformat(), end=end.isoformat(), features=features,
                       disputes=sum(s["count"] for s in stats.values()), min_disputes=_settings()["hotspot_min_disputes"])
    response.mimetype = GEOJSON
    return response
