"""/api/patrol: the road network's state and proposed routes for a patrol team (人网)."""
from __future__ import annotations

import json

from flask import Response, current_app, jsonify
from flask_login import current_user
from sqlalchemy import text

from gisapp.access import PATROL_PLANNERS, PATROL_READERS
from gisapp.api import ApiBlueprint, Refusal, refuse
from gisapp.auth import csrf, protect_browser_session, roles_allowed
from gisapp.editing import EditError
from gisapp.entities import ENTITIES
from gisapp.patrol import export, network, routing
from gisapp.patrol.reach import alarm_reach
from gisapp.patrol.evaluate import evaluate
from gisapp.patrol.propose import Request, hot_grid_ids, propose
from gisapp.patrol.routing import RoutingError
from gisapp.request_db import db_session
from gisapp.schemas.common import GEOJSON
from gisapp.schemas.patrol import (AlarmReach, EvaluateBody, Evaluation, NetworkStatus, Path, PathBody, Proposal,
                                   ProposeBody, ReachQuery)
from gisapp.views.files import attachment

bp = ApiBlueprint("patrol_api", __name__, url_prefix="/api/patrol",
                  description="Patrol planning (人网): the road network and proposed routes")
csrf.exempt(bp)  # a bearer token needs none; a browser session's is checked by protect_browser_session

BASE_SQL = """SELECT ST_X(b.geom), ST_Y(b.geom) FROM patrol_base b
              WHERE {where} ORDER BY (b.kind = 'team_station') DESC, b.code LIMIT 1"""


def _routed(work):
    """``work(conn, settings)`` in the request's session; a RoutingError is a 422 naming its field. A network
    rebuilt on the way is kept (committed); the work itself saves nothing."""
    session, settings = db_session(), current_app.config["GISAPP"]
    try:
        result = work(session.connection(), settings)
    except RoutingError as exc:
        session.rollback()
        refuse(422, exc.field, str(exc))
    session.commit()
    return result


def _team_id(code: str) -> int:
    """The id of the team ``code``, which the user may plan for (a team leader: their own)."""
    team_id = db_session().execute(text("SELECT id FROM patrol_team WHERE code = :c"), {"c": code}).scalar()
    if team_id is None:
        refuse(404, "team", f"no patrol team {code!r}")
    if current_user.role == "team_leader" and team_id != current_user.team_id:
        refuse(403, "team", "a team leader plans for their own team only")
    return team_id


def _place(given: dict | None, field: str) -> tuple[float, float] | None:
    """(lon, lat) of a place given as a point or a base code; None when not given."""
    if given is None:
        return None
    if "base" not in given:
        return given["lon"], given["lat"]
    found = db_session().execute(text(BASE_SQL.format(where="b.code = :code")), {"code": given["base"]}).first()
    if found is None:
        refuse(404, field, f"no patrol base {given['base']!r}")
    return tuple(found)


@bp.route("/network")
@roles_allowed(*PATROL_READERS)
@bp.response(200, NetworkStatus)
def network_status():
    """Edges, vertices, connected components, dangling ends; whether it is stale and routing is on."""
    return jsonify(network.status(db_session().connection()).as_dict())


@bp.route("/alarm-reach")
@roles_allowed(*PATROL_READERS)
@bp.arguments(ReachQuery, location="query")
@bp.response(200, AlarmReach)
def alarm_reach_view(query: dict):
    """Each online alarm (地网) with the minutes by road from the nearest patrol active in the shift and
    from the nearest base, and whether the patrols reach it within the configured minutes."""
    alarms = _routed(lambda conn, settings: alarm_reach(conn, settings, query["period"]))
    return jsonify(period=query["period"], limit_min=current_app.config["GISAPP"]["patrol"]["alarm_reach_min"],
                   alarms=alarms)


@bp.route("/path", methods=["POST"])
@roles_allowed(*PATROL_PLANNERS)
@bp.arguments(PathBody)
@bp.response(200, Path)
def path_view(body: dict):
    """The way along the roads through waypoints in order, for drawing a route leg by leg: each waypoint is
    snapped to its projection on the nearest road the mode may use, and the way starts, passes and ends
    exactly there (not at the nearest crossing); with its length and minutes at the mode's speed, parts of
    roads counted for their part."""
    protect_browser_session()

    def way_through(conn, settings):
        network.ready(conn, settings)
        places = routing.snap_points(conn, body["points"], body["mode"], settings, settings["patrol"]["max_start_m"])
        return routing.path_through(conn, body["mode"], settings, places)
    way = _routed(way_through)
    return jsonify(type="Feature", geometry=json.loads(way["geometry"]),
                   properties={"mode": body["mode"], "length_m": round(way["length_m"], 1),
                               "minutes": round(way["minutes"], 1)})


@bp.route("/propose", methods=["POST"])
@roles_allowed(*PATROL_PLANNERS)
@bp.arguments(ProposeBody)
@bp.response(200, Proposal, content_type=GEOJSON)
def propose_view(body: dict):
    """Routes for a team within a time budget that collect the most: open disputes by grade, gap road,
    hot spots, alarms. Starts at the team's base unless told; nothing is saved."""
    protect_browser_session()
    team_id = _team_id(body["team"])
    start = _place(body.get("start"), "start")
    if start is None:
        start = db_session().execute(text(BASE_SQL.format(where="b.team_id = :team")), {"team": team_id}).first()
        if start is None:
            refuse(422, "start", f"team {body['team']!r} has no base: give a start")
    request = Request(mode=body["mode"], start=tuple(start), end=_place(body.get("end"), "end"),
                      budget_min=body["budget_min"], period=body["period"], routes=body["routes"],
                      dwell_min=body.get("dwell_min"), weights=body.get("weights", {}),
                      sight_width_m=body.get("sight_width_m"))
    response = jsonify(_routed(lambda conn, settings: propose(conn, settings, request)))
    response.mimetype = GEOJSON
    return response


def _route_team(code: str) -> str | None:
    return db_session().execute(text("SELECT t.code FROM patrol_route r JOIN patrol_team t ON t.id = r.team_id "
                                     "WHERE r.code = :c"), {"c": code}).scalar()


def _stored_route(code: str) -> dict:
    """A saved route's properties as its entity exports them (time windows, weekdays … as text), no geometry."""
    row = db_session().execute(text(f"SELECT * FROM ({ENTITIES['routes'].export_sql}) r WHERE r.code = :c"),
                               {"c": code}).mappings().one()
    return {k: v for k, v in row.items() if k not in ("code", "geom")}


@bp.route("/evaluate", methods=["POST"])
@roles_allowed(*PATROL_PLANNERS)
@bp.arguments(EvaluateBody)
@bp.response(200, Evaluation)
def evaluate_view(body: dict):
    """What a route would change, computed by the coverage engine on the route as if saved; nothing is
    saved. Per grid it reaches and per period: covered share before and after, gap closed, flags cleared
    and remaining; the open disputes it passes within sight, the alarms it brings within reach, the hot spots."""
    protect_browser_session()
    existing = body.get("route")
    team = body.get("team") or (existing and _route_team(existing))
    if existing and team is None:
        refuse(404, "route", f"no patrol route {existing!r}")
    _team_id(team)
    properties = {k: body[k] for k in ("mode", "sight_width_m", "time_windows", "weekdays", "name") if k in body}
    if "geometry" in body:  # the route as saved (or a new one's name), with what the body changes
        stored = _stored_route(existing) if existing else {"name": "试走 trial"}
        properties = {**stored, "team_code": team, **properties}
    feature = {"type": "Feature", "geometry": body.get("geometry"), "properties": properties}
    session, settings = db_session(), current_app.config["GISAPP"]
    try:
        found = evaluate(session.connection(), settings, feature, existing=existing,
                         hot_grids=hot_grid_ids(session.connection(), settings), dwell_min=body["dwell_min"])
    except EditError as exc:
        session.rollback()
        raise Refusal(exc.status, [(p.field, p.problem) for p in exc.problems]) from None
    session.rollback()  # nothing of the what-if is kept
    return jsonify(found)


def _export(code: str, fmt: str) -> Response:
    found = export.route_with_waypoints(db_session(), current_app.config["GISAPP"], code)
    if found is None:
        refuse(404, "code", f"no patrol route {code!r}")
    body = export.to_gpx(*found) if fmt == "gpx" else export.to_kml(*found)
    return attachment(body, EXPORTS[fmt], f"{code}.{fmt}")


EXPORTS = {"gpx": "application/gpx+xml", "kml": "application/vnd.google-earth.kml+xml"}
FILE = {200: {"description": "the route as a file",
              "content": {media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in EXPORTS.values()}}}


@bp.route("/routes/<code>.gpx")
@roles_allowed(*PATROL_READERS)
@bp.doc(responses=FILE)
def route_gpx(code: str):
    """A saved route as GPX for patrol members' phones: the track, the base, and as waypoints the open
    disputes it passes within sight and the alarms it brings within reach (no personal data)."""
    return _export(code, "gpx")


@bp.route("/routes/<code>.kml")
@roles_allowed(*PATROL_READERS)
@bp.doc(responses=FILE)
def route_kml(code: str):
    """The same as KML (Google Earth, 奥维 and most map apps)."""
    return _export(code, "kml")
