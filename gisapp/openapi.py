"""The OpenAPI 3.0 document: generated from the routes and their schemas (``gisapp.api``), with
each collection of the layer catalogue also given its own paths, as OGC API – Features does.

A collection's paths are the generic ``/api/collections/{layer_id}…`` operations made concrete:
its title and group, its properties as filters, and editing only where the layer is editable, the
feature's properties described by the layer's entity (``gisapp.entities``), which checks them.
"""
from __future__ import annotations

import copy

from gisapp.catalogue import Layer
from gisapp.entities import ENTITIES, Entity

COLLECTION = "/api/collections/{layer_id}"
EDITING = ("post", "put", "delete")
# The JSON type of a field of each kind (gisapp.entities.entity); any other kind is text.
KINDS = {"int": {"type": "integer"}, "float": {"type": "number"}, "bool": {"type": "boolean"},
         "date": {"type": "string", "format": "date"}, "datetime": {"type": "string", "format": "date-time"}}


def _field_schema(field) -> dict:
    schema = dict(KINDS.get(field.kind, {"type": "string"}))
    if field.values and not field.values_setting:
        schema["enum"] = list(field.values)
    if field.max_len:
        schema["maxLength"] = field.max_len
    schema.update({k: v for k, v in (("minimum", field.minimum), ("maximum", field.maximum)) if v is not None})
    if field.help:
        schema["description"] = field.help
    if not field.required:
        schema["nullable"] = True
    return schema


def feature_body(entity: Entity) -> dict:
    """A GeoJSON Feature of ``entity``: its fields as the properties (checked as on import)."""
    properties = {"type": "object", "properties": {f.name: _field_schema(f) for f in entity.fields},
                  "required": [f.name for f in entity.fields if f.required]}
    return {"type": "object", "required": ["type", "geometry", "properties"],
            "properties": {"type": {"type": "string", "enum": ["Feature"]},
                           "geometry": {"type": "object", "description": f"a GeoJSON {entity.geometry} in EPSG:4326"},
                           "properties": properties}}


def _concrete(path_item: dict, layer: Layer) -> dict:
    """A generic collection path item made concrete for ``layer``."""
    concrete = {}
    for key, value in path_item.items():
        if key == "parameters":
            concrete[key] = [p for p in value if p.get("name") != "layer_id"]
        elif key not in EDITING or layer.editable:
            operation = copy.deepcopy(value)
            operation.update(summary=f"{layer.title}: {operation.get('summary', '')}", tags=[layer.group])
            if key in EDITING:
                operation["x-roles"] = sorted(layer.editors)
            if "requestBody" in operation:
                for content in operation["requestBody"]["content"].values():
                    content["schema"] = feature_body(ENTITIES[layer.editable])
            concrete[key] = operation
    if not concrete.get("parameters", True):
        del concrete["parameters"]
    return concrete


def _filters(layer: Layer) -> list[dict]:
    """``?<property>=value`` for each property of the layer."""
    return [{"name": p.name, "in": "query", "required": False, "schema": {"type": "string"},
             "description": f"only features whose {p.name} ({p.label}) equals this"
                            + (f"; roles: {', '.join(sorted(layer.restricted[p.name]))}" if p.name in layer.restricted
                               else "")}
            for p in layer.properties]


def openapi_document(generated: dict, catalogue: dict[str, Layer]) -> dict:
    """The generated document with the concrete paths of every collection in ``catalogue``, and
    ``{layer_id}`` in any path taking one of the catalogue's layers."""
    document = copy.deepcopy(generated)
    paths = document["paths"]
    for item in paths.values():
        for parameter in item.get("parameters", []):
            if parameter["name"] == "layer_id":
                parameter["schema"] = {"type": "string", "enum": sorted(catalogue)}
    for layer in catalogue.values():
        for path in [p for p in list(paths) if p.startswith(COLLECTION)]:
            concrete = _concrete(paths[path], layer)
            if path == f"{COLLECTION}/items":
                concrete["get"].setdefault("parameters", []).extend(_filters(layer))
            paths[path.replace("{layer_id}", layer.id)] = concrete
    return document
