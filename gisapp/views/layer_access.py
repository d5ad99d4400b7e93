"""What the views share about layers: the catalogue, role checks, and SQL parameters."""
from __future__ import annotations

from flask import abort, current_app
from flask_login import current_user

from gisapp.catalogue import Layer
from gisapp.features import sql_params


def catalogue() -> dict[str, Layer]:
    """The application's layer catalogue (loaded at start-up)."""
    return current_app.extensions["catalogue"]


def visible_layer(layer_id: str) -> Layer:
    """The layer ``layer_id``: 404 when unknown, 403 when the signed-in role may not see it."""
    layer = catalogue().get(layer_id)
    if layer is None:
        abort(404, description=f"no collection {layer_id!r}; see /api/collections")
    if not layer.visible_to(current_user.role):
        abort(403, description=f"the role {current_user.role!r} may not see the collection {layer_id!r}")
    return layer


def layer_params() -> dict:
    """Bind parameters for layer SQL: the configuration's, the clock's and the signed-in user's."""
    viewer = current_user if current_user.is_authenticated else None
    return sql_params(current_app.config["GISAPP"], viewer)
