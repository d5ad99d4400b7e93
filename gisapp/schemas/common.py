"""Fields and schemas every part of the API shares: text, flags, bbox, paging, and the error body."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from gisapp.features import DEFAULT_LIMIT, MAX_LIMIT, QueryError, parse_bbox

# The largest OFFSET PostgreSQL takes is a bigint; we stop well before.
MAX_OFFSET = 2 ** 31 - 1
GEOJSON = "application/geo+json"
WORLD = (-180.0, -90.0, 180.0, 90.0)  # the bbox of everything, where a bbox is optional
# Text, in a query or a body; one with a NUL character (PostgreSQL cannot store it) is refused
# before any schema sees it (gisapp.api).
Text = fields.String


class BBox(fields.String):
    """``minlon,minlat,maxlon,maxlat`` in EPSG:4326 as one comma-separated string; loads as a 4-tuple."""

    def __init__(self, **kwargs):
        metadata = {"description": "minlon,minlat,maxlon,maxlat (EPSG:4326, comma-separated)",
                    "example": "114.4,34.5,114.7,34.8", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_bbox(super()._deserialize(value, attr, data, **kwargs))
        except QueryError as exc:
            raise ma.ValidationError(str(exc).removeprefix("bbox: ")) from None


def flag(description: str) -> fields.Boolean:
    """A true/false query parameter."""
    return fields.Boolean(truthy={"true"}, falsy={"false"}, metadata={"description": description})


def one_of(values, description: str, **kwargs) -> Text:
    """A text field taking one of ``values`` (a vocabulary's keys)."""
    return Text(validate=validate.OneOf(list(values), error="must be one of {choices}"),
                metadata={"description": description}, **kwargs)


def whole(description: str, low: int, high: int | None = None, **kwargs) -> fields.Integer:
    """A whole number from ``low`` to ``high``."""
    bound = f"from {low} to {high}" if high is not None else f"{low} or more"
    return fields.Integer(strict=kwargs.pop("strict", False), validate=validate.Range(low, high, error=f"must be {bound}"),
                          metadata={"description": description}, **kwargs)


class Paging(ma.Schema):
    """?limit= and ?offset=: one page of a list (every list of the API pages the same way)."""

    limit = whole(f"page size, at most {MAX_LIMIT}", 1, MAX_LIMIT, load_default=DEFAULT_LIMIT)
    offset = whole("items to skip", 0, MAX_OFFSET, load_default=0)


class Link(ma.Schema):
    """A link of an answer (OGC API style)."""

    href = fields.String(required=True)
    rel = fields.String(required=True)
    type = fields.String(required=True)
    title = fields.String()


class Page(ma.Schema):
    """What every paged answer carries: counts and self/next/prev links (``views.paging``)."""

    numberMatched = fields.Integer(required=True, metadata={"description": "items matching in all"})
    numberReturned = fields.Integer(required=True, metadata={"description": "items in this answer"})
    links = fields.List(fields.Nested(Link), required=True)


class FeatureCollection(Page):
    """A GeoJSON FeatureCollection, one page of it."""

    type = fields.String(required=True, validate=validate.Equal("FeatureCollection"))
    features = fields.List(fields.Dict(), required=True, metadata={"description": "GeoJSON Features"})


class Problem(ma.Schema):
    """One refused field and what is wrong with it."""

    field = fields.String(required=True)
    problem = fields.String(required=True)


class ErrorSchema(ma.Schema):
    """Every error answer of the JSON API (4xx and 5xx). A refused change of state may add what it
    conflicts with (``current_status`` and ``allowed``, ``current_level``, ``current_version``)."""

    class Meta:
        unknown = ma.INCLUDE

    error = fields.String(required=True, metadata={"description": "the HTTP status's name"})
    status = fields.Integer(required=True, metadata={"description": "the HTTP status code"})
    message = fields.String(required=True, metadata={"description": "what went wrong: 'field: problem; …'"})
    field = fields.String(required=True, allow_none=True, metadata={"description": "the first field at fault, if any"})
    problems = fields.List(fields.Nested(Problem), required=True, metadata={"description": "every field at fault"})
