"""/map: the three-net map for the signed-in user's role."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import text

from gisapp import domain
from gisapp.access import COVERAGE_READERS, DISPUTE_HANDLERS, PATROL_PLANNERS, PATROL_READERS
from gisapp.auth import roles_allowed
from gisapp.catalogue import COVERAGE_REASONS, SHIFTS
from gisapp.features import layer_extent
from gisapp.mapping import build_map, legend
from gisapp.request_db import db_session
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


@bp.route("/map")
@roles_allowed()
def map_page():
    """The map: the layers the role may see, as vector tiles, over the configured base map, the
    disputes panel (figures, hotspots, disputes in gaps, intake) when the role may see disputes, and
    the patrol panel (routes, flagged grids; drawing, evaluating, proposing, saving) for patrol roles."""
    layers = [layer for layer in catalogue().values() if layer.visible_to(current_user.role)]
    boundaries = catalogue().get("boundaries")
    bounds = layer_extent(db_session(), boundaries, layer_params()) if boundaries else None
    role = current_user.role
    panel = None
    if "disputes" in {layer.id for layer in layers}:
        can_report, gaps = role in DISPUTE_HANDLERS, role in COVERAGE_READERS
        panel = {"can_report": can_report, "gaps": gaps, "options": {"csrf": generate_csrf(), "gaps": gaps}}
    patrol = _patrol_panel(role) if "routes" in {layer.id for layer in layers} else None
    parts = build_map(layers, role, current_app.config["GISAPP"]["basemap"], bounds)
    return render_template("map.html", map=parts, legend=legend(layers), panel=panel, patrol=patrol,
                           user_label=f"{current_user.login} ({role})")
