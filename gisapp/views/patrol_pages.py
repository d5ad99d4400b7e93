"""Pages of patrol planning: the printable route sheet."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from gisapp.access import PATROL_READERS
from gisapp.auth import roles_allowed
from gisapp.patrol import export
from gisapp.request_db import db_session

bp = Blueprint("patrol_pages", __name__, url_prefix="/patrol")


@bp.route("/routes/<code>/sheet")
@roles_allowed(*PATROL_READERS)
def route_sheet(code: str):
    """A route on one printable page: its figures, its drawing, and the places on the way in order."""
    settings = current_app.config["GISAPP"]
    found = export.route_with_waypoints(db_session(), settings, code)
    if found is None:
        abort(404, description=f"no patrol route {code!r}")
    return render_template("route_sheet.html", **export.sheet(*found, settings))
