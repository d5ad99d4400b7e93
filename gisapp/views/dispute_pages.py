"""The disputes page (/disputes): the center's daily work on the closed loop, and each role's to-do list.

The page is a shell: everything it shows and does goes through the API (/api/disputes and its steps,
/api/coverage, /api/patrol/alarm-reach, /api/collections), which decides what each role may see and do;
the page offers only what the API says the user may do (``actions`` of a dispute). This view gives the
page what it needs to start: the labels (Chinese first), the places for the filters, the user's grids
or team area, the time zone, the base map and the CSRF token for the steps.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import text

from gisapp import clock, domain
from gisapp.access import COVERAGE_READERS, DISPUTE_HANDLERS
from gisapp.auth import roles_allowed
from gisapp.catalogue import COVERAGE_REASONS, SHIFTS
from gisapp.mapping import BASEMAPS
from gisapp.patrol.reach import REACH_FACTOR
from gisapp.request_db import db_session
from gisapp.views.layer_access import catalogue, visible_layer
from gisapp.views.map import TEAM_AREAS_SQL

bp = Blueprint("dispute_pages", __name__, url_prefix="/disputes")
PAGE_TITLE = "矛盾纠纷台账与待办 Disputes and tasks"
# The reasons that say a grid needs patrol (the team leader's to-do list).
PATROL_REASONS = ("no_patrol", "no_night_patrol", "alarm_beyond_patrol_reach")

VILLAGES_SQL = "SELECT code, name FROM admin_area WHERE level = 'village' ORDER BY code"
GRIDS_SQL = """
SELECT g.code, g.name FROM grid g JOIN admin_area v ON v.id = g.village_id WHERE v.code = :village ORDER BY g.code
"""
# The online alarms of some villages (a team's area), with their village.
AREA_ALARMS_SQL = """
SELECT a.code, v.code AS village_code, v.name AS village FROM alarm_point a
JOIN admin_area v ON v.level = 'village' AND v.geom && a.geom AND ST_Covers(v.geom, a.geom)
WHERE CAST(:villages AS text[]) IS NULL OR v.code = ANY(CAST(:villages AS text[]))
"""


def _may_see_disputes() -> bool:
    layer = catalogue().get("disputes")
    return bool(getattr(current_user, "is_authenticated", False)) and layer is not None \
        and layer.visible_to(current_user.role)


@bp.app_context_processor
def _disputes_link() -> dict:
    """For the home page: whether the user may open the disputes page, and the link's label."""
    return {"may_see_disputes": _may_see_disputes(), "disputes_label": PAGE_TITLE}


def _pairs(vocabulary: dict) -> list:
    """[value, label] pairs: their order is the vocabulary's (a JSON object's keys get sorted)."""
    return [[str(k), v] for k, v in vocabulary.items()]


def _basemap(settings: dict) -> dict | None:
    """The configured base map's tiles for the page's small maps (None: drawn on a plain background)."""
    basemap = settings["basemap"]
    kind = basemap.get("type", "none")
    if kind == "local":
        return {"url": basemap["url"], "attribution": basemap.get("attribution", "local tiles"),
                "max_zoom": basemap.get("max_zoom", 18)}
    if kind in BASEMAPS:
        url, attribution = BASEMAPS[kind]
        return {"url": url + (basemap["key"] if kind == "tianditu" else ""), "attribution": attribution,
                "subdomains": "01234567", "max_zoom": 18}
    return None


def _team_area(session) -> dict | None:
    """A team leader's team, the villages of its area (None: every village, when the team has no base or
    route yet) and the alarms in them, by code."""
    team = session.execute(text("SELECT id, code, name FROM patrol_team WHERE id = :id"),
                           {"id": current_user.team_id}).first()
    if team is None:
        return None
    areas = dict(session.execute(text(TEAM_AREAS_SQL), {"teams": [team.id]}).all())
    villages = areas.get(team.code)
    alarms = {a.code: [a.village_code, a.village]
              for a in session.execute(text(AREA_ALARMS_SQL), {"villages": villages})}
    return {"code": team.code, "name": team.name, "villages": villages, "alarms": alarms}


@bp.route("")
@roles_allowed()
def page():
    """The list of disputes with the API's filters, sortable and paged; a dispute's facts, place, history
    and the steps the user may take; the to-do list of grid workers and the center (the disputes waiting on
    them) and of team leaders (the alarms and grids of the team's area that need patrol)."""
    visible_layer("disputes")  # 403 for a role that may not see disputes
    settings, session, role = current_app.config["GISAPP"], db_session(), current_user.role
    my_grids = []
    if role == "grid_worker":
        mine = text("SELECT code, name FROM grid WHERE id = ANY(:ids) ORDER BY code")
        my_grids = [list(g) for g in session.execute(mine, {"ids": sorted(current_user.grid_ids)})]
    team = _team_area(session) if role == "team_leader" else None
    options = {
        "csrf": generate_csrf(), "role": role, "timezone": settings["timezone"],
        "now": clock.now().isoformat(), "my_grids": my_grids, "team": team, "basemap": _basemap(settings),
        "may": {"handle": role in DISPUTE_HANDLERS, "gaps": role in COVERAGE_READERS, "patrol": team is not None},
        "villages": [list(v) for v in session.execute(text(VILLAGES_SQL))],
        "patrol_reasons": list(PATROL_REASONS), "reach_factor": REACH_FACTOR, "grade_colours": domain.GRADE_COLOURS,
        "labels": {name: _pairs(vocabulary) for name, vocabulary in (
            ("statuses", domain.DISPUTE_STATUSES), ("grades", domain.DISPUTE_GRADES),
            ("levels", domain.DISPUTE_LEVELS), ("sources", domain.DISPUTE_SOURCES),
            ("categories", settings["dispute_categories"]), ("actions", domain.DISPUTE_ACTIONS),
            ("steps", domain.DISPUTE_STEPS), ("waiting", domain.DISPUTE_WAITING),
            ("satisfaction", domain.SATISFACTION), ("reasons", COVERAGE_REASONS),
            ("shifts", {k: SHIFTS[k] for k in ("day", "night")}))},
    }
    return render_template("disputes.html", options=options, title=PAGE_TITLE)


@bp.route("/villages/<code>/grids")
@roles_allowed()
def village_grids(code: str):
    """The grids of one village as [code, name] pairs, for the list's grid filter (grids are public: the
    grids layer shows them to every role)."""
    visible_layer("grids")
    return jsonify(grids=[list(g) for g in db_session().execute(text(GRIDS_SQL), {"village": code})])
