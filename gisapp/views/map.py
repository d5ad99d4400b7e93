"""/map: the three-net map for the signed-in user's role."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from gisapp.access import COVERAGE_READERS, DISPUTE_HANDLERS
from gisapp.auth import roles_allowed
from gisapp.features import layer_extent
from gisapp.mapping import build_map, legend
from gisapp.request_db import db_session
from gisapp.views.layer_access import catalogue, layer_params

bp = Blueprint("map", __name__)


@bp.route("/map")
@roles_allowed()
def map_page():
    """The map: the layers the role may see, as vector tiles, over the configured base map, and the
    disputes panel (figures, hotspots, disputes in gaps, intake) when the role may see disputes."""
    layers = [layer for layer in catalogue().values() if layer.visible_to(current_user.role)]
    boundaries = catalogue().get("boundaries")
    bounds = layer_extent(db_session(), boundaries, layer_params()) if boundaries else None
    role = current_user.role
    panel = None
    if "disputes" in {layer.id for layer in layers}:
        can_report, gaps = role in DISPUTE_HANDLERS, role in COVERAGE_READERS
        panel = {"can_report": can_report, "gaps": gaps, "options": {"csrf": generate_csrf(), "gaps": gaps}}
    parts = build_map(layers, role, current_app.config["GISAPP"]["basemap"], bounds)
    return render_template("map.html", map=parts, legend=legend(layers), panel=panel,
                           user_label=f"{current_user.login} ({role})")
