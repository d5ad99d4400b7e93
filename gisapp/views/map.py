"""/map: the three-net map for the signed-in user's role."""
from __future__ import annotations

import json

from flask import Blueprint, current_app, render_template
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import text

from gisapp import domain
from gisapp.access import COVERAGE_READERS, DISPUTE_HANDLERS, PATROL_PLANNERS, PATROL_READERS, SITING_PLANNERS
from gisapp.auth import roles_allowed
from gisapp.catalogue import COVERAGE_BANDS, COVERAGE_REASONS, SHIFTS
from gisapp.features import MEDIUM_BAND_OF_TARGET, layer_extent
from gisapp.mapping import build_map, hotspot_legend, legend
from gisapp.reach import grids_of
from gisapp.request_db import db_session
from gisapp.schemas.siting import PLACEABLE_KINDS
from gisapp.siting.instance import dori_range
from gisapp.views.layer_access import catalogue, layer_params

bp = Blueprint("map", __name__)

# Each team's area: the townships holding its bases or crossed by its routes; their villages.
TEAM_AREAS_SQL = """
WITH touched AS (
    SELECT b.team_id, t.id AS township FROM patrol_base b
    JOIN admin_area t ON t.level = 'township' AND ST_Intersects(t.geom, b.geom)
    WHERE b.team_id = ANY(CAST(:teams AS int[]))
    UNION
    SELECT r.team_id, t.id FROM patrol_route r
    JOIN admin_area t ON t.level = 'township' AND t.geom && r.geom AND ST_Intersects(t.geom, r.geom)
    WHERE r.team_id = ANY(CAST(:teams AS int[])))
SELECT m.code, array_agg(v.code ORDER BY v.code) AS villages
FROM touched JOIN patrol_team m ON m.id = touched.team_id
JOIN admin_area v ON v.parent_id = touched.township AND v.level = 'village'
GROUP BY m.code
"""


def _patrol_panel(role: str) -> dict | None:
    """The patrol panel's settings for ``role``: readers see the routes and flagged grids, planners
    (center, team leaders) also draw, evaluate, propose and save; None for anyone else."""
    if role not in PATROL_READERS:
        return None
    session, settings = db_session(), current_app.config["GISAPP"]
    own = None
    if role == "team_leader":
        own = session.execute(text("SELECT id, code, name FROM patrol_team WHERE id = :id"),
                              {"id": current_user.team_id}).one()
    teams = [own] if own else (session.execute(text("SELECT id, code, name FROM patrol_team ORDER BY code")).all()
                               if role in PATROL_PLANNERS else [])
    # the list of grids of the team chosen, by its area (every grid when the team has no base or route yet)
    areas = dict(session.execute(text(TEAM_AREAS_SQL), {"teams": [t.id for t in teams]}).all()) if teams else {}
    patrol = settings["patrol"]
    plans = role in PATROL_PLANNERS
    return {"plans": plans, "options": {
        "csrf": generate_csrf(), "plans": plans, "team": own.code if own else None,
        "teams": [{"code": t.code, "name": t.name} for t in teams], "areas": areas,
        "speed_kmh": patrol["speed_kmh"], "weights": patrol["weights"], "dwell_min": patrol["dwell_min"],
        "times": {"day": settings["coverage"]["day"], "night": settings["coverage"]["night"]},
        # as [value, label] pairs: their order is the vocabulary's (a JSON object's keys get sorted)
        "labels": {name: list(vocabulary.items()) for name, vocabulary in (
            ("modes", domain.PATROL_MODES), ("shifts", SHIFTS), ("reasons", COVERAGE_REASONS),
            ("grades", domain.DISPUTE_GRADES), ("kinds", domain.STOP_KINDS), ("weekdays", domain.WEEKDAYS))}}}


VILLAGES_SQL = """
SELECT v.code, v.name, t.name AS township FROM admin_area v LEFT JOIN admin_area t ON t.id = v.parent_id
WHERE v.level = 'village' ORDER BY t.code NULLS LAST, v.code
"""


def _siting_panel(role: str) -> dict | None:
    """The camera siting panel's settings for ``role``: the roles that read coverage see the saved plans and
    their what-if; planners (center, planner) also propose cameras for a village or a drawn area, value
    them as they are moved or turned, and save, compare and delete plans; None for anyone else."""
    if role not in COVERAGE_READERS:
        return None
    settings = current_app.config["GISAPP"]
    siting, plans = settings["siting"], role in SITING_PLANNERS
    villages = [[v.code, v.name, v.township] for v in db_session().execute(text(VILLAGES_SQL))] if plans else []
    coverage = catalogue().get("coverage_day")
    target = settings["coverage"]["target_share"]
    return {"plans": plans, "options": {
        "csrf": generate_csrf(), "plans": plans, "villages": villages, "timezone": settings["timezone"],
        "weights": siting["weights"], "default_purpose": siting["default_purpose"],
        "default_cost": siting["default_cost"], "fov_deg": siting["fov_deg"],
        # the what-if grids in the coverage layers' bands: at or above the target share, from three quarters of it
        "bands": {"high": target, "medium": target * MEDIUM_BAND_OF_TARGET,
                  "colours": (coverage.style.get("colors") if coverage else None)
                  or {"high": "#f6e8c3", "medium": "#dfc27d", "low": "#8c510a"}},
        # or by the change: each band from its lower bound (a share), in domain.WHAT_IF_CHANGES' order
        "change_bands": [["none", -1, "#f0f0f0"], ["up", 0.0005, "#c7e9c0"], ["more", 0.05, "#74c476"],
                         ["most", 0.2, "#238b45"]],
        # each purpose's range by kind (IEC 62676-4 DORI, from the configured lens and resolution)
        "ranges": {purpose: {kind: round(dori_range(kind, purpose, settings), 1) for kind in PLACEABLE_KINDS}
                   for purpose in domain.DORI_PURPOSES},
        # as [value, label] pairs: their order is the vocabulary's (a JSON object's keys get sorted)
        "labels": {name: list(vocabulary.items()) for name, vocabulary in (
            ("kinds", {k: domain.CAMERA_KINDS[k] for k in PLACEABLE_KINDS}), ("purposes", domain.DORI_PURPOSES),
            ("demand", domain.DEMAND_KINDS), ("problems", domain.SITING_PROBLEMS), ("methods", domain.SITING_METHODS),
            ("candidates", domain.SITING_CANDIDATES), ("grades", domain.DISPUTE_GRADES), ("bands", COVERAGE_BANDS),
            ("changes", domain.WHAT_IF_CHANGES), ("mounts", domain.SITE_MOUNTS),
            ("reasons", COVERAGE_REASONS), ("shifts", {k: SHIFTS[k] for k in ("day", "night")}),
            ("statuses", domain.DEVICE_STATUSES), ("shortfalls", domain.SITING_SHORTFALLS))}}}


# The extent of some areas: [west, south, east, north], NULLs when there are none.
EXTENT_SQL = "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e FROM ({rows}) AS x) AS y"
OWN_GRIDS_SQL = """
SELECT g.code, g.name, v.name AS village, ST_AsGeoJSON(g.geom, 6) AS geometry FROM grid g
JOIN admin_area v ON v.id = g.village_id WHERE g.id = ANY(CAST(:grids AS int[])) ORDER BY g.code
"""


def _extent(session, rows_sql: str, params: dict) -> list[float] | None:
    box = session.execute(text(EXTENT_SQL.format(rows=rows_sql)), params).one()
    return None if box[0] is None else [float(v) for v in box]


def _own(role: str) -> dict:
    """The user's own part of the map: a grid worker's grids, a team leader's team (its code, its routes and the
    villages of its area) — each with the area the map opens on (a grid worker's grids, the team's area, else the
    townships: [west, south, east, north])."""
    session, own = db_session(), {"grids": [], "team": None, "villages": [], "routes": None, "area": None}
    if role == "grid_worker" and grids_of(current_user):
        rows = session.execute(text(OWN_GRIDS_SQL), {"grids": grids_of(current_user)}).all()
        own["grids"] = [{"type": "Feature", "properties": {"code": r.code, "name": r.name, "village": r.village},
                         "geometry": json.loads(r.geometry)} for r in rows]
        own["area"] = _extent(session, "SELECT geom FROM grid WHERE id = ANY(CAST(:grids AS int[]))",
                              {"grids": grids_of(current_user)})
    elif role == "team_leader" and current_user.team_id is not None:
        team = session.execute(text("SELECT id, code FROM patrol_team WHERE id = :id"), {"id": current_user.team_id}).one()
        own["team"] = team.code
        own["villages"] = dict(session.execute(text(TEAM_AREAS_SQL), {"teams": [team.id]}).all()).get(team.code, [])
        routes = catalogue().get("routes")
        if routes and routes.visible_to(role):
            features = session.execute(text(
                f"SELECT src.code, src.name, src.shift, ST_AsGeoJSON(src.geom, 6) AS geometry FROM ({routes.sql}) AS src "
                "WHERE src.team_code = :team ORDER BY src.code"), dict(layer_params(), team=team.code)).all()
            own["routes"] = [{"type": "Feature", "properties": {"code": f.code, "name": f.name, "shift": f.shift},
                              "geometry": json.loads(f.geometry)} for f in features]
        if own["villages"]:
            own["area"] = _extent(session, "SELECT geom FROM admin_area WHERE level = 'village' AND code = ANY(:codes)",
                                  {"codes": own["villages"]})
        own["area"] = own["area"] or _extent(
            session, "SELECT geom FROM patrol_route WHERE team_id = :team UNION ALL "
                     "SELECT geom FROM patrol_base WHERE team_id = :team", {"team": team.id})
    own["area"] = own["area"] or _extent(session, "SELECT geom FROM admin_area WHERE level = 'township'", {})
    return own


def _highlight(own: dict) -> dict | None:
    """What static/map.js highlights for the user (gisapp.init): their grids or their team's routes."""
    if not own["grids"] and not own["routes"]:
        return None
    routes = catalogue().get("routes")
    return {"grids": {"type": "FeatureCollection", "features": own["grids"]} if own["grids"] else None,
            "routes": {"type": "FeatureCollection", "features": own["routes"]} if own["routes"] else None,
            "route_colours": routes.style.get("colors", {}) if routes else {},
            "labels": {"own_grids": OWN_LEGEND["own_grids"], "team_routes": OWN_LEGEND["team_routes"]},
            "group": "基础 base"}


OWN_LEGEND = {"own_grids": "我的网格 My grids", "team_routes": "本队线路 My team's routes"}


def _flagged_panel(role: str, own: dict) -> dict | None:
    """The flagged grids panel's settings (static/flagged.js) for the roles that read coverage; None for others."""
    if role not in COVERAGE_READERS:
        return None
    return {"columns": domain.REPORT_COLUMNS, "options": {
        "own_grids": [g["properties"]["code"] for g in own["grids"]], "team": own["team"],
        "team_villages": own["villages"],
        # as [value, label] pairs: their order is the vocabulary's (a JSON object's keys get sorted)
        "labels": {"reasons": list(COVERAGE_REASONS.items()), "periods": [[p, SHIFTS[p]] for p in ("day", "night")]}}}


@bp.route("/map")
@roles_allowed()
def map_page():
    """The map: the layers the role may see, as vector tiles, over the configured base map, opened on the
    user's area (their grids, their team's area, else the township) with their grids or team routes
    highlighted; the legend; the disputes panel (figures, hotspots, disputes in gaps, intake) when the role may
    see disputes, the patrol panel (routes, flagged grids; drawing, evaluating, proposing, saving) for patrol
    roles, and for coverage readers the camera siting panel (plans and their what-if; proposing and saving for
    planners) and the flagged grids panel."""
    layers = [layer for layer in catalogue().values() if layer.visible_to(current_user.role)]
    role = current_user.role
    own = _own(role)
    bounds = own["area"]
    if bounds is None:  # no township: the extent of every boundary
        boundaries = catalogue().get("boundaries")
        bounds = layer_extent(db_session(), boundaries, layer_params()) if boundaries else None
    panel = None
    if "disputes" in {layer.id for layer in layers}:
        can_report, gaps = role in DISPUTE_HANDLERS, role in COVERAGE_READERS
        # a grid worker's own reports come from the grid; anyone else says where the dispute came from
        source = "grid_worker" if role == "grid_worker" else ""
        panel = {"can_report": can_report, "gaps": gaps,
                 "options": {"csrf": generate_csrf(), "gaps": gaps, "source": source}}
    patrol = _patrol_panel(role) if "routes" in {layer.id for layer in layers} else None
    siting = _siting_panel(role)
    flagged = _flagged_panel(role, own)
    settings = current_app.config["GISAPP"]
    parts = build_map(layers, role, settings["basemap"], bounds)
    highlight = _highlight(own)
    page = {"timezone": settings["timezone"], "yes_no": domain.YES_NO, "hotspot_classes": domain.HOTSPOT_CLASSES,
            "highlight": highlight}
    own_entries = [{"id": key, "label": OWN_LEGEND[key]} for key in ("own_grids", "team_routes")
                   if highlight and highlight["grids" if key == "own_grids" else "routes"]]
    return render_template("map.html", map=parts, legend=legend(layers), panel=panel, patrol=patrol, siting=siting,
                           flagged=flagged, page=page, hotspots=hotspot_legend() if panel else None,
                           own_entries=own_entries)
