"""The layers as an OGC API – Features service under /api (GeoJSON, bbox, limit, links).

Reading needs a signed-in user whose role the layer admits (403 otherwise); properties some roles
may not see are left out of their answers, and filtering on them is refused (403). The editable
layers take POST (create), PUT (replace) and DELETE from their editors.
"""
from __future__ import annotations

from flask import abort, current_app, jsonify, request, url_for
from flask_login import current_user
from marshmallow import INCLUDE
from sqlalchemy import text

from gisapp.api import ApiBlueprint, Refusal, refuse
from gisapp.audit import log_features
from gisapp.auth import csrf, protect_browser_session, roles_allowed
from gisapp.catalogue import Layer
from gisapp.coverage import recompute_dirty
from gisapp.editing import EditError, create_feature, delete_feature, replace_feature
from gisapp.features import get_feature, layer_extent, query_features
from gisapp.openapi import openapi_document
from gisapp.request_db import db_session
from gisapp.schemas.common import GEOJSON, FeatureCollection
from gisapp.schemas.ogc import (Collection, Collections, Conformance, Feature, FeatureBody, FeatureQuery, ItemsQuery,
                                Landing)
from gisapp.views.layer_access import catalogue, layer_params, visible_layer
from gisapp.views.paging import page

bp = ApiBlueprint("ogcapi", __name__, url_prefix="/api", description="OGC API – Features: the layers, and editing")
csrf.exempt(bp)

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
]
ITEMS_PARAMETERS = set(ItemsQuery().fields)  # any other query parameter filters on a property


def _link(href: str, rel: str, type_: str = "application/json", title: str | None = None) -> dict:
    link = {"href": href, "rel": rel, "type": type_}
    if title:
        link["title"] = title
    return link


def _geojson(body: dict, status: int = 200):
    response = jsonify(body)
    response.status_code = status
    response.mimetype = GEOJSON
    return response


@bp.route("", strict_slashes=False)
@roles_allowed()
@bp.response(200, Landing)
def landing():
    """The landing page: what the service is and where its parts are."""
    return jsonify(
        title="三网融合治安防控 Three-net map server",
        description="Cameras (天网), one-button alarms (地网), patrols (人网), grids and disputes as OGC API – Features",
        links=[_link(url_for(".landing", _external=True), "self"),
               _link(url_for(".openapi", _external=True), "service-desc", "application/vnd.oai.openapi+json;version=3.0"),
               _link(url_for(".conformance", _external=True), "conformance"),
               _link(url_for(".collections", _external=True), "data")])


@bp.route("/conformance")
@roles_allowed()
@bp.response(200, Conformance)
def conformance():
    """The conformance classes this service implements."""
    return jsonify(conformsTo=CONFORMANCE)


def _collection(layer: Layer, conn) -> dict:
    items = url_for(".items", layer_id=layer.id, _external=True)
    role = current_user.role
    return {
        "id": layer.id, "title": layer.title, "description": f"{layer.group} · {layer.geometry}",
        "itemType": "feature", "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "extent": {"spatial": {"bbox": [layer_extent(conn, layer, layer_params()) or [73.4, 3.8, 135.1, 53.6]],
                               "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
        "properties": [{"name": p.name, "title": p.label} for p in layer.properties
                       if p.name in layer.properties_for(role)],
        "editable": layer.can_edit(role),
        "links": [_link(url_for(".collection", layer_id=layer.id, _external=True), "self"),
                  _link(items, "items", GEOJSON, layer.title),
                  _link(url_for("tiles.tile", layer_id=layer.id, z=0, x=0, y=0, _external=True)
                        .replace("/0/0/0.pbf", "/{z}/{x}/{y}.pbf"), "tiles", "application/vnd.mapbox-vector-tile")],
    }


@bp.route("/collections")
@roles_allowed()
@bp.response(200, Collections)
def collections():
    """The collections (layers) the signed-in role may see."""
    session = db_session()
    visible = [layer for layer in catalogue().values() if layer.visible_to(current_user.role)]
    return jsonify(collections=[_collection(layer, session) for layer in visible],
                   links=[_link(url_for(".collections", _external=True), "self")])


@bp.route("/collections/<layer_id>")
@roles_allowed()
@bp.response(200, Collection)
def collection(layer_id: str):
    """One collection's description, extent and links."""
    return jsonify(_collection(visible_layer(layer_id), db_session()))


def _chosen_properties(layer: Layer, raw: str | None) -> list[str]:
    allowed = layer.properties_for(current_user.role)
    if raw is None:
        return allowed
    wanted = [p.strip() for p in raw.split(",") if p.strip()]
    for name in wanted:
        _check_property(layer, name, "properties")
    return wanted


def _check_property(layer: Layer, name: str, parameter: str) -> None:
    if name in layer.restricted and current_user.role not in layer.restricted[name]:
        refuse(403, parameter, f"the role {current_user.role!r} may not see {name!r}")
    if name not in {p.name for p in layer.properties}:
        known = ", ".join(layer.properties_for(current_user.role))
        refuse(400, parameter, f"unknown property {name!r}; properties: {known}")


@bp.route("/collections/<layer_id>/items", methods=["GET"])
@roles_allowed()
@bp.arguments(ItemsQuery, location="query", unknown=INCLUDE)  # the other parameters filter
@bp.response(200, FeatureCollection, content_type=GEOJSON)
def items(query: dict, layer_id: str):
    """Features of a collection, one page; ?<property>=value keeps the features whose property has that value."""
    layer = visible_layer(layer_id)
    filters = {k: v for k, v in query.items() if k not in ITEMS_PARAMETERS}
    for name in filters:
        _check_property(layer, name, name)
    limit, offset = query["limit"], query["offset"]
    features, matched = query_features(db_session(), layer, _chosen_properties(layer, query.get("properties")),
                                       layer_params(), bbox=query.get("bbox"), filters=filters, limit=limit,
                                       offset=offset)
    log_features(db_session(), current_user, layer, features, request.full_path)
    body = page(matched, len(features), limit, offset, GEOJSON)
    body["links"].insert(1, _link(url_for(".collection", layer_id=layer.id, _external=True), "collection"))
    return _geojson({"type": "FeatureCollection", "features": features, **body})


@bp.route("/collections/<layer_id>/items/<fid>", methods=["GET"])
@roles_allowed()
@bp.arguments(FeatureQuery, location="query")
@bp.response(200, Feature, content_type=GEOJSON)
def item(query: dict, layer_id: str, fid: str):
    """One feature by id."""
    layer = visible_layer(layer_id)
    feature = get_feature(db_session(), layer, _chosen_properties(layer, query.get("properties")), layer_params(),
                          fid)
    if feature is None:
        abort(404, description=f"no feature {fid!r} in {layer_id!r}")
    log_features(db_session(), current_user, layer, [feature], request.full_path)
    feature["links"] = [_link(url_for(".item", layer_id=layer_id, fid=fid, _external=True), "self", GEOJSON),
                        _link(url_for(".collection", layer_id=layer_id, _external=True), "collection")]
    return _geojson(feature)


# -- editing -------------------------------------------------------------------------------------
def _editable(layer_id: str) -> Layer:
    layer = visible_layer(layer_id)
    if layer.editable is None:
        abort(405, description=f"the collection {layer_id!r} cannot be edited")
    if not layer.can_edit(current_user.role):
        abort(403, description=f"the role {current_user.role!r} may not edit {layer_id!r}; "
                               f"editors: {', '.join(sorted(layer.editors))}")
    protect_browser_session()
    return layer


def _team_scope(conn, layer: Layer, feature: dict | None, fid: str | None) -> None:
    """A team leader edits only the routes of their own team."""
    if layer.editable != "routes" or current_user.role != "team_leader":
        return
    own = conn.execute(text("SELECT code FROM patrol_team WHERE id = :id"), {"id": current_user.team_id}).scalar()
    if fid is not None:
        team = conn.execute(text("SELECT t.code FROM patrol_route r JOIN patrol_team t ON t.id = r.team_id "
                                 "WHERE r.code = :code"), {"code": fid}).scalar()
        if team not in (None, own):
            abort(403, description=f"route {fid!r} belongs to team {team!r}; you lead {own!r}")
    if feature is not None and (feature.get("properties") or {}).get("team_code") != own:
        refuse(403, "team_code", f"a team leader may only plan routes of their own team ({own!r})")


def _in_transaction(action):
    """Run ``action(connection)``, bring the coverage of the grids it touched up to date, and
    commit; or roll back everything if any of it fails."""
    session = db_session()
    try:
        result = action(session.connection())
        recompute_dirty(session.connection(), current_app.config["GISAPP"])
        session.commit()
        return result
    except Exception:
        session.rollback()
        raise


def _refused(exc: EditError) -> Refusal:
    return Refusal(exc.status, [(p.field, p.problem) for p in exc.problems])


@bp.route("/collections/<layer_id>/items", methods=["POST"])
@roles_allowed()
@bp.arguments(FeatureBody, content_type=GEOJSON)
@bp.response(201, Feature, content_type=GEOJSON)
def create_item(body: dict, layer_id: str):
    """Create a feature from a GeoJSON Feature (editors of the layer); 201 with its Location."""
    layer = _editable(layer_id)
    session = db_session()
    _team_scope(session, layer, body, None)
    try:
        code = _in_transaction(lambda conn: create_feature(conn, layer.editable, body, current_app.config["GISAPP"]))
    except EditError as exc:
        raise _refused(exc) from None
    location = url_for(".item", layer_id=layer_id, fid=code, _external=True)
    feature = get_feature(session, layer, layer.properties_for(current_user.role), layer_params(), code)
    response = _geojson(feature or {"id": code}, 201)
    response.headers["Location"] = location
    return response


@bp.route("/collections/<layer_id>/items/<fid>", methods=["PUT"])
@roles_allowed()
@bp.arguments(FeatureBody, content_type=GEOJSON)
@bp.response(200, Feature, content_type=GEOJSON)
def replace_item(body: dict, layer_id: str, fid: str):
    """Replace a feature with the GeoJSON Feature sent (editors of the layer)."""
    layer = _editable(layer_id)
    session = db_session()
    _team_scope(session, layer, body, fid)
    try:
        found = _in_transaction(
            lambda conn: replace_feature(conn, layer.editable, fid, body, current_app.config["GISAPP"]))
    except EditError as exc:
        raise _refused(exc) from None
    if not found:
        abort(404, description=f"no feature {fid!r} in {layer_id!r}")
    return _geojson(get_feature(session, layer, layer.properties_for(current_user.role), layer_params(), fid))


@bp.route("/collections/<layer_id>/items/<fid>", methods=["DELETE"])
@roles_allowed()
@bp.response(204)
def delete_item(layer_id: str, fid: str):
    """Delete a feature (editors of the layer); 204."""
    layer = _editable(layer_id)
    _team_scope(db_session(), layer, None, fid)
    found = _in_transaction(lambda conn: delete_feature(conn, layer.editable, fid))
    if not found:
        abort(404, description=f"no feature {fid!r} in {layer_id!r}")
    return "", 204


@bp.route("/openapi.json")
@bp.doc(security=[], responses={200: {"description": "the OpenAPI 3.0 document",
                                        "content": {"application/json": {"schema": {"type": "object"}}}}})
def openapi():
    """The OpenAPI 3.0 document of this API (public: it holds no data)."""
    return jsonify(openapi_document(current_app.extensions["openapi"].spec.to_dict(), catalogue()))
