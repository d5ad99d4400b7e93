"""OGC API – Features: the items query, a feature sent by an editor, and the answers."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from gisapp.schemas.common import BBox, Link, Paging, Text, one_of


class FeatureQuery(ma.Schema):
    """?properties=: which properties to return."""

    properties = Text(metadata={"description": "comma-separated properties to return (default: all the role may see)"})


class ItemsQuery(FeatureQuery, Paging):
    """?bbox=, ?limit=, ?offset=, ?properties=, ?f=; any other parameter filters on a property (?status=offline)."""

    bbox = BBox()
    f = one_of(("json", "geojson"), "the format: GeoJSON only")


class FeatureBody(ma.Schema):
    """A GeoJSON Feature; its properties are checked as the importer checks a row (400 naming the fields)."""

    class Meta:
        unknown = ma.INCLUDE  # GeoJSON allows foreign members

    type = Text(required=True, validate=validate.Equal("Feature", error="must be Feature (one GeoJSON Feature)"))
    id = fields.Raw(metadata={"description": "the feature's code (also properties.code)"})
    geometry = fields.Dict(required=True, metadata={"description": "a GeoJSON geometry in EPSG:4326"})
    properties = fields.Dict(required=True, metadata={"description": "the layer's columns, as on import"})


class Landing(ma.Schema):
    """The landing page."""

    title = fields.String(required=True)
    description = fields.String(required=True)
    links = fields.List(fields.Nested(Link), required=True)


class Conformance(ma.Schema):
    """The conformance classes implemented."""

    conformsTo = fields.List(fields.String(), required=True)


class PropertyInfo(ma.Schema):
    """A property of a collection with its label."""

    name = fields.String(required=True)
    title = fields.String(required=True)


class Collection(ma.Schema):
    """One collection (layer): what it is, its extent, the properties the role may see, its links."""

    id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    itemType = fields.String(required=True)
    crs = fields.List(fields.String(), required=True)
    extent = fields.Dict(required=True)
    properties = fields.List(fields.Nested(PropertyInfo), required=True)
    editable = fields.Boolean(required=True)
    links = fields.List(fields.Nested(Link), required=True)


class Collections(ma.Schema):
    """The collections the signed-in role may see."""

    collections = fields.List(fields.Nested(Collection), required=True)
    links = fields.List(fields.Nested(Link), required=True)


class Feature(ma.Schema):
    """A GeoJSON Feature with the properties the role may see."""

    class Meta:
        unknown = ma.INCLUDE

    type = fields.String(required=True, validate=validate.Equal("Feature"))
    id = fields.Raw(required=True)
    geometry = fields.Dict(required=True, allow_none=True)
    properties = fields.Dict(required=True)
