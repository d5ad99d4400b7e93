"""The map's JSON helpers: the features under a click (identify), a layer's heat points and the names
written on the map (a layer of labels)."""
from __future__ import annotations

import math

from flask import abort, jsonify, request
from flask_login import current_user
from sqlalchemy import text

from gisapp.api import ApiBlueprint
from gisapp.audit import log_views, shown_personal
from gisapp.auth import roles_allowed
from gisapp.features import DEGREES_PER_METRE, property_pairs, spatial_filter
from gisapp.request_db import db_session
from gisapp.schemas.common import WORLD
from gisapp.schemas.map import Heat, HeatQuery, Identified, IdentifyQuery, Labels, LabelsQuery
from gisapp.views.layer_access import layer_params, visible_layer

bp = ApiBlueprint("identify", __name__, url_prefix="/api",
                  description="The map: identify, heat points and the names written on it")
IDENTIFY_PIXELS = 6  # how near a click must be to a point or line, in screen pixels
EARTH_M_PER_PIXEL_Z0 = 156543.03


@bp.route("/identify")
@roles_allowed()
@bp.arguments(IdentifyQuery, location="query")
@bp.response(200, Identified)
def identify(query: dict):
    """The features of the visible layers at a clicked point.

    Points and lines count within a few screen pixels of the click; polygons when they contain it.
    Only the properties the role may see are returned; at most 10 features per layer, each layer once
    however often it is named.
    """
    lon, lat, zoom = query["lon"], query["lat"], query["zoom"]
    tolerance_m = EARTH_M_PER_PIXEL_Z0 * math.cos(math.radians(lat)) / 2 ** zoom * IDENTIFY_PIXELS
    session, found = db_session(), []
    params = dict(layer_params(), lon=lon, lat=lat, tol=tolerance_m)
    point = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
    for layer_id in query["layers"]:
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


@bp.route("/heat/<layer_id>")
@roles_allowed()
@bp.arguments(HeatQuery, location="query")
@bp.response(200, Heat)
def heat(query: dict, layer_id: str):
    """Points of a heat layer counted on a grid fit for the zoom, within the bbox: [[lat, lon, count], ...]."""
    layer = visible_layer(layer_id)
    if not layer.heat:
        abort(404, description=f"{layer_id!r} has no heat map")
    x0, y0, x1, y1 = query.get("bbox") or WORLD
    cell = 360 / 2 ** query["zoom"] / 256 * 6  # about six screen pixels
    rows = db_session().execute(text(
        f"SELECT ST_Y(ST_Centroid(ST_Collect(src.geom))), ST_X(ST_Centroid(ST_Collect(src.geom))), count(*) "
        f"FROM ({layer.sql}) AS src WHERE src.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326) "
        "GROUP BY ST_SnapToGrid(src.geom, :cell)"),
        dict(layer_params(), x0=x0, y0=y0, x1=x1, y1=y1, cell=cell)).all()
    points = [[round(lat, 6), round(lon, 6), n] for lat, lon, n in rows]
    return jsonify(points=points, max=max((p[2] for p in points), default=0))


LABELS_AT_MOST = 2000  # names in one answer: the map writes those that fit, the larger places first


@bp.route("/labels/<layer_id>")
@roles_allowed()
@bp.arguments(LabelsQuery, location="query")
@bp.response(200, Labels)
def labels(query: dict, layer_id: str):
    """The names of a layer of labels (``style.label``) to write in the view at the zoom: of each kind written at
    that zoom (``style.label_zooms``), in the order of the kinds there (the larger places first), longer roads
    before shorter ones."""
    layer = visible_layer(layer_id)
    if not layer.labels:
        abort(404, description=f"{layer_id!r} is not a layer of labels")
    zoom, style = query["zoom"], layer.style
    zooms = style.get("label_zooms") or {kind: [layer.min_zoom, 22] for kind in style.get("colors", {"": ""})}
    kinds = [kind for kind, (low, high) in zooms.items() if low <= zoom <= high]
    if zoom < layer.min_zoom or not kinds:
        return jsonify(labels=[])
    x0, y0, x1, y1 = query.get("bbox") or WORLD
    text_column, kind_column = style["label"], style.get("by")
    kind = f'src."{kind_column}"' if kind_column else "''"
    rows = db_session().execute(text(
        f'SELECT src."{text_column}" AS text, {kind} AS kind, ST_X(src.geom) AS lon, ST_Y(src.geom) AS lat, '
        f"src.angle, src.size_m FROM ({layer.sql}) AS src "
        f"WHERE {spatial_filter(layer, 'ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)')} "
        f"AND {kind} = ANY(:kinds) AND src.\"{text_column}\" IS NOT NULL "
        f"ORDER BY array_position(CAST(:kinds AS text[]), {kind}), src.size_m DESC, src.fid LIMIT {LABELS_AT_MOST}"),
        dict(layer_params(), x0=x0, y0=y0, x1=x1, y1=y1, kinds=kinds)).mappings().all()
    return jsonify(labels=[{"text": r["text"], "kind": r["kind"], "lon": round(r["lon"], 6), "lat": round(r["lat"], 6),
                            "angle": round(float(r["angle"] or 0), 1), "size_m": round(float(r["size_m"] or 0))}
                           for r in rows])
