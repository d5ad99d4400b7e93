"""/map: the three-net map for the signed-in user's role."""
from __future__ import annotations

from flask import Blueprint, Response, current_app
from flask_login import current_user

from gisapp.auth import roles_allowed
from gisapp.features import layer_extent
from gisapp.mapping import build_map
from gisapp.request_db import db_session
from gisapp.views.layer_access import catalogue, layer_params

bp = Blueprint("map", __name__)


@bp.route("/map")
@roles_allowed()
def map_page():
    """The map: the layers the role may see, as vector tiles, over the configured base map."""
    layers = [layer for layer in catalogue().values() if layer.visible_to(current_user.role)]
    boundaries = catalogue().get("boundaries")
    bounds = layer_extent(db_session(), boundaries, layer_params()) if boundaries else None
    page = build_map(layers, current_user.role, f"{current_user.login} ({current_user.role})",
                     current_app.config["GISAPP"]["basemap"], bounds)
    return Response(page, mimetype="text/html")
