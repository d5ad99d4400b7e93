"""Mapbox vector tiles of the catalogue's layers.

A tile is one SQL statement (ST_AsMVT over ST_AsMVTGeom over ST_TileEnvelope) over the layer's
SQL, with only the properties the role may see. Its ETag changes whenever the data does.
"""
from __future__ import annotations

import hashlib

from flask import Response, abort, request
from flask_login import current_user
from sqlalchemy import text

from gisapp import clock
from gisapp.api import ApiBlueprint
from gisapp.auth import roles_allowed
from gisapp.catalogue import Layer
from gisapp.features import data_version, spatial_filter
from gisapp.request_db import db_session
from gisapp.views.layer_access import layer_params, visible_layer

bp = ApiBlueprint("tiles", __name__, description="Mapbox vector tiles of the layers")
MVT = "application/vnd.mapbox-vector-tile"
EXTENT, BUFFER = 4096, 64
WORLD_M = 40075016.686


def tile_sql(layer: Layer, properties: list[str]) -> str:
    """The one statement that makes a tile of ``layer`` (parameters z, x, y, tolerance)."""
    columns = ", ".join(f'src."{p}"' for p in ["fid", *properties])
    geom = "ST_Transform(src.geom, 3857)"
    if layer.geometry != "point":
        geom = f"ST_SimplifyPreserveTopology({geom}, :tolerance)"
    return f"""
        WITH bounds AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env,
                               ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => {BUFFER / EXTENT}), 4326) AS env4326),
        mvt AS (SELECT ST_AsMVTGeom({geom}, bounds.env, {EXTENT}, {BUFFER}, true) AS geom, {columns}
                FROM ({layer.sql}) AS src, bounds WHERE {spatial_filter(layer, 'bounds.env4326')})
        SELECT ST_AsMVT(mvt.*, :name, {EXTENT}, 'geom') FROM mvt WHERE mvt.geom IS NOT NULL"""


@bp.route("/tiles/<layer_id>/<int:z>/<int:x>/<int:y>.pbf")
@roles_allowed()
@bp.doc(responses={200: {"description": "the tile", "content": {MVT: {"schema": {"type": "string", "format": "binary"}}}},
                   304: {"description": "not modified (ETag)"}})
def tile(layer_id: str, z: int, x: int, y: int):
    """The vector tile z/x/y of a layer (empty below the layer's minimum zoom)."""
    layer = visible_layer(layer_id)
    if z > 22 or x >= 2 ** z or y >= 2 ** z:
        abort(404, description=f"no tile {z}/{x}/{y}: x and y must be below 2^z, z at most 22")
    session = db_session()
    role = current_user.role
    # Layers whose SQL reads the clock (overdue disputes) change with time as well as with the data.
    minute = clock.now().strftime("%Y%m%d%H%M") if ":now" in layer.sql else ""
    tag = hashlib.sha1(f"{layer.id}|{z}/{x}/{y}|{role}|{data_version(session)}|{minute}".encode()).hexdigest()
    if tag in request.if_none_match:
        return Response(status=304, headers={"ETag": f'"{tag}"', "Cache-Control": "private, no-cache"})
    body = b""
    if z >= layer.min_zoom:
        params = dict(layer_params(), z=z, x=x, y=y, name=layer.id, tolerance=WORLD_M / 2 ** z / EXTENT / 2)
        body = bytes(session.execute(text(tile_sql(layer, layer.tile_properties_for(role))), params).scalar() or b"")
    response = Response(body, mimetype=MVT)
    response.set_etag(tag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
