"""Mapbox vector tiles of the catalogue's layers, and aggregated heat points.

A tile is one SQL statement (ST_AsMVT over ST_AsMVTGeom over ST_TileEnvelope) over the layer's
SQL, with only the properties the role may see. Its ETag changes whenever the data does.
"""
from __future__ import annotations

import hashlib
import math

from flask import Blueprint, Response, abort, jsonify, request
from flask_login import current_user
from sqlalchemy import text

from gisapp import clock
from gisapp.audit import log_views, shown_personal
from gisapp.auth import roles_allowed
from gisapp.catalogue import Layer
from gisapp.features import (DEGREES_PER_METRE, QueryError, data_version, parse_bbox, parse_int, property_pairs,
                             spatial_filter)
from gisapp.request_db import db_session
from gisapp.views.layer_access import layer_params, visible_layer

bp = Blueprint("tiles", __name__)
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


@bp.route("/api/heat/<layer_id>")
@roles_allowed()
def heat(layer_id: str):
    """Points of a heat layer counted on a grid fit for ?zoom= within ?bbox=: [[lat, lon, count], ...]."""
    layer = visible_layer(layer_id)
    if not layer.heat:
        abort(404, description=f"{layer_id!r} has no heat map")
    try:
        bbox = parse_bbox(request.args.get("bbox")) or (-180, -90, 180, 90)
        zoom = parse_int(request.args.get("zoom"), "zoom", 12, 0, 22)
    except QueryError as exc:
        abort(400, description=str(exc))
    cell = 360 / 2 ** zoom / 256 * 6  # about six screen pixels
    rows = db_session().execute(text(
        f"SELECT ST_Y(ST_Centroid(ST_Collect(src.geom))), ST_X(ST_Centroid(ST_Collect(src.geom))), count(*) "
        f"FROM ({layer.sql}) AS src WHERE src.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326) "
        "GROUP BY ST_SnapToGrid(src.geom, :cell)"),
        dict(layer_params(), x0=bbox[0], y0=bbox[1], x1=bbox[2], y1=bbox[3], cell=cell)).all()
    points = [[round(lat, 6), round(lon, 6), n] for lat, lon, n in rows]
    return jsonify(points=points, max=max((p[2] for p in points), default=0))


IDENTIFY_PIXELS = 6  # how near a click must be to a point or line, in screen pixels
EARTH_M_PER_PIXEL_Z0 = 156543.03


@bp.route("/api/identify")
@roles_allowed()
def identify():
    """The features of the visible layers at a clicked point: ?lon=&lat=&zoom=&layers=a,b,c.

    Points and lines count within a few screen pixels of the click; polygons when they contain it.
    Only the properties the role may see are returned; at most 10 features per layer.
    """
    try:
        lon, lat = float(request.args["lon"]), float(request.args["lat"])
    except (KeyError, ValueError):
        abort(400, description="lon, lat: give the clicked point as numbers")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        abort(400, description="lon, lat: out of range")
    try:
        zoom = parse_int(request.args.get("zoom"), "zoom", 15, 0, 24)
    except QueryError as exc:
        abort(400, description=str(exc))
    wanted = [w for w in request.args.get("layers", "").split(",") if w]
    tolerance_m = EARTH_M_PER_PIXEL_Z0 * math.cos(math.radians(lat)) / 2 ** zoom * IDENTIFY_PIXELS
    session, found = db_session(), []
    params = dict(layer_params(), lon=lon, lat=lat, tol=tolerance_m)
    point = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
    for layer_id in wanted:
        layer = visible_layer(layer_id)
        if zoom < layer.min_zoom:
            continue
        names = layer.properties_for(current_user.role)
        rows = session.execute(text(
            f"SELECT src.fid::text, json_build_object({property_pairs(names)}) FROM ({layer.sql}) AS src "
            f"WHERE {spatial_filter(layer, f'ST_Expand({point}, :tol * {DEGREES_PER_METRE})')} "
            f"AND ST_DWithin(src.geom::geography, {point}::geography, :tol) ORDER BY src.fid LIMIT 10"),
            params).all()
        if rows:
            log_views(session, current_user, layer.id,
                      [fid for fid, properties in rows if shown_personal(layer, properties)], request.full_path)
            found.append({"id": layer.id, "features": [properties for _, properties in rows]})
    return jsonify(layers=found)
