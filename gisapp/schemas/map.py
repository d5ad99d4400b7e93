"""The map's helpers: what is under a click (identify), heat points and the names written on the map."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from gisapp.schemas.common import BBox, Text, whole


MAX_LAYERS = 64  # more than the catalogue holds: a longer list is a mistake or an attack


class LayerList(Text):
    """Comma-separated layer ids; loads as a list without repeats, in the order first given."""

    def __init__(self, **kwargs):
        super().__init__(metadata={"description": f"comma-separated ids of the visible layers (at most {MAX_LAYERS})",
                                   "example": "cameras,disputes"}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        ids = list(dict.fromkeys(w for w in super()._deserialize(value, attr, data, **kwargs).split(",") if w))
        if len(ids) > MAX_LAYERS:
            raise ma.ValidationError(f"at most {MAX_LAYERS} different layers")
        return ids


class IdentifyQuery(ma.Schema):
    """The clicked point, the map's zoom and the visible layers."""

    lon = fields.Float(required=True, validate=validate.Range(-180, 180, error="must be from -180 to 180"),
                       metadata={"description": "longitude of the click (EPSG:4326)"})
    lat = fields.Float(required=True, validate=validate.Range(-90, 90, error="must be from -90 to 90"),
                       metadata={"description": "latitude of the click (EPSG:4326)"})
    zoom = whole("the map's zoom", 0, 24, load_default=15)
    layers = LayerList(load_default=[])


class Identified(ma.Schema):
    """Per layer, the properties of the features found (at most 10 a layer)."""

    layers = fields.List(fields.Dict(), required=True)


class HeatQuery(ma.Schema):
    """The map's view and zoom."""

    bbox = BBox()
    zoom = whole("the map's zoom: the grid the points are counted on follows it", 0, 22, load_default=12)


class Heat(ma.Schema):
    """[[lat, lon, count], ...] and the largest count."""

    points = fields.List(fields.List(fields.Float()), required=True)
    max = fields.Integer(required=True)


class LabelsQuery(ma.Schema):
    """The map's view and zoom: the names to write there."""

    bbox = BBox()
    zoom = whole("the map's zoom: each kind of name is written at the zooms of its layer's style.label_zooms",
                 0, 22, load_default=14)


class Labels(ma.Schema):
    """The names to write in the view, the larger places first: text, kind, lon, lat, angle (degrees clockwise from
    north, of a road there) and size_m (how long the feature is, metres)."""

    labels = fields.List(fields.Dict(), required=True)
