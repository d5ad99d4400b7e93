"""The OpenAPI 3.0 document of the JSON API, generated from the layer catalogue."""
from __future__ import annotations

from gisapp.catalogue import Layer
from gisapp.features import DEFAULT_LIMIT, MAX_LIMIT

ERROR = {"$ref": "#/components/responses/Error"}


def _param(name: str, description: str, schema: dict, where: str = "query", required: bool = False) -> dict:
    return {"name": name, "in": where, "required": required, "description": description, "schema": schema}


def _items_paths(layer: Layer) -> dict:
    base = f"/api/collections/{layer.id}"
    filters = [_param(p.name, f"only features whose {p.name} equals this ({p.label})", {"type": "string"})
               for p in layer.properties]
    get_items = {
        "summary": f"{layer.title}: features", "tags": [layer.group], "operationId": f"get_{layer.id}_items",
        "parameters": [
            _param("bbox", "minlon,minlat,maxlon,maxlat (EPSG:4326)", {"type": "array", "items": {"type": "number"},
                                                                        "minItems": 4, "maxItems": 4}),
            _param("limit", f"page size (default {DEFAULT_LIMIT})",
                   {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
            _param("offset", "features to skip", {"type": "integer", "minimum": 0, "default": 0}),
            _param("properties", "comma-separated properties to return", {"type": "string"}),
            *filters],
        "responses": {"200": {"description": "GeoJSON FeatureCollection with numberMatched, numberReturned, links",
                              "content": {"application/geo+json": {"schema": {"type": "object"}}}},
                      "400": ERROR, "401": ERROR, "403": ERROR}}
    fid = _param("featureId", "the feature's id (its code)", {"type": "string"}, "path", True)
    paths = {
        base: {"get": {"summary": f"{layer.title}: description", "tags": [layer.group],
                       "operationId": f"describe_{layer.id}", "responses": {"200": {"description": "collection"},
                                                                            "403": ERROR, "404": ERROR}}},
        f"{base}/items": {"get": get_items},
        f"{base}/items/{{featureId}}": {"get": {
            "summary": f"{layer.title}: one feature", "tags": [layer.group], "operationId": f"get_{layer.id}_item",
            "parameters": [fid], "responses": {"200": {"description": "GeoJSON Feature"}, "404": ERROR}}},
    }
    if layer.editable:
        body = {"required": True, "content": {"application/geo+json": {"schema": {"type": "object"}}}}
        editors = f" (roles: {', '.join(sorted(layer.editors))})"
        paths[f"{base}/items"]["post"] = {
            "summary": f"{layer.title}: create a feature{editors}", "tags": [layer.group],
            "operationId": f"create_{layer.id}_item", "requestBody": body,
            "responses": {"201": {"description": "created; Location names it"}, "400": ERROR, "403": ERROR, "409": ERROR}}
        paths[f"{base}/items/{{featureId}}"]["put"] = {
            "summary": f"{layer.title}: replace a feature{editors}", "tags": [layer.group],
            "operationId": f"replace_{layer.id}_item", "parameters": [fid], "requestBody": body,
            "responses": {"200": {"description": "replaced"}, "400": ERROR, "403": ERROR, "404": ERROR}}
        paths[f"{base}/items/{{featureId}}"]["delete"] = {
            "summary": f"{layer.title}: delete a feature{editors}", "tags": [layer.group],
            "operationId": f"delete_{layer.id}_item", "parameters": [fid],
            "responses": {"204": {"description": "deleted"}, "403": ERROR, "404": ERROR}}
    return paths


# The disputes API (gisapp/views/disputes_api.py): path -> {method: (summary, error statuses)}.
DISPUTE_PATHS = {
    "/api/disputes": {"get": ("disputes, filtered; JSON, CSV or Excel", ("400", "403")),
                      "post": ("take in a dispute", ("400", "403"))},
    "/api/disputes/{code}": {"get": ("one dispute with its history", ("404",))},
    "/api/disputes/{code}/status": {"post": ("move one step forward", ("400", "403", "404", "409"))},
    "/api/disputes/{code}/escalate": {"post": ("raise the level", ("400", "403", "404", "409"))},
    "/api/disputes/{code}/grade": {"post": ("grade an open dispute", ("400", "403", "404", "409"))},
    "/api/disputes/{code}/revisit": {"post": ("record the return visit", ("400", "403", "404", "409"))},
    "/api/disputes/figures": {"get": ("figures per township, village or grid", ("400",))},
    "/api/disputes/hotspots": {"get": ("Gi* hotspots of grids", ("400",))},
    "/api/disputes/vocabulary": {"get": ("categories, grades, sources, statuses, levels", ())},
}


def _dispute_paths() -> dict:
    paths = {}
    for path, methods in DISPUTE_PATHS.items():
        paths[path] = {}
        for method, (summary, errors) in methods.items():
            operation = {"summary": summary, "operationId": f"disputes_{method}_{path.split('/')[-1].strip('{}')}",
                         "responses": {"200" if method == "get" or "{code}" in path else "201": {"description": "ok"},
                                       **{code: ERROR for code in errors}}}
            if "{code}" in path:
                operation["parameters"] = [_param("code", "dispute code", {"type": "string"}, "path", True)]
            if method == "post":
                operation["requestBody"] = {"required": True, "content": {"application/json": {
                    "schema": {"type": "object"}}}}
            paths[path][method] = operation
    return paths


def openapi_document(catalogue: dict[str, Layer]) -> dict:
    """The whole API: landing, conformance, collections, each layer's items, tiles, tokens."""
    paths = {
        "/api": {"get": {"summary": "landing page", "operationId": "landing", "responses": {"200": {"description": "links"}}}},
        "/api/conformance": {"get": {"summary": "conformance classes", "operationId": "conformance",
                                     "responses": {"200": {"description": "conformsTo"}}}},
        "/api/collections": {"get": {"summary": "the collections the caller may see", "operationId": "collections",
                                     "responses": {"200": {"description": "collections"}}}},
        "/api/auth/token": {"post": {"summary": "exchange login and password for a bearer token",
                                     "operationId": "token", "security": [],
                                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                                         "type": "object", "required": ["login", "password"],
                                         "properties": {"login": {"type": "string"}, "password": {"type": "string"}}}}}},
                                     "responses": {"200": {"description": "token"}, "400": ERROR, "401": ERROR}}},
        "/tiles/{layer}/{z}/{x}/{y}.pbf": {"get": {
            "summary": "Mapbox vector tile of a layer", "operationId": "tile",
            "parameters": [_param(n, n, {"type": "integer" if n != "layer" else "string"}, "path", True)
                           for n in ("layer", "z", "x", "y")],
            "responses": {"200": {"description": "tile", "content": {"application/vnd.mapbox-vector-tile": {}}},
                          "304": {"description": "not modified (ETag)"}, "403": ERROR, "404": ERROR}}},
    }
    for layer in catalogue.values():
        paths.update(_items_paths(layer))
    paths.update(_dispute_paths())
    return {
        "openapi": "3.0.3",
        "info": {"title": "三网融合治安防控 Three-net map server API", "version": "1.0.0",
                 "description": "OGC API – Features for cameras (天网), alarms (地网), patrols (人网), grids and "
                                "disputes; vector tiles. Sign in with a bearer token from /api/auth/token."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "security": [{"bearer": []}, {"session": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "session"}},
            "responses": {"Error": {"description": "error", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                                                 "status": {"type": "integer"}}}}}}}},
    }
