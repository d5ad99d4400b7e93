"""/api/siting: proposals of new cameras for an area, and plans of planned cameras."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from gisapp import domain
from gisapp.schemas.common import Text, one_of, whole
from gisapp.schemas.patrol import DisputeWeights
from gisapp.siting.propose import METHODS, PROBLEMS

PLACEABLE_KINDS = ("bullet", "dome")   # what siting places (a panoramic camera is a dome for planning)


class Area(ma.Schema):
    """Where to place cameras: villages, grids, or a polygon drawn on the map (exactly one of them)."""

    villages = fields.List(Text(), validate=validate.Length(1, 500), metadata={"description": "village codes"})
    grids = fields.List(Text(), validate=validate.Length(1, 5000), metadata={"description": "grid codes"})
    polygon = fields.Dict(metadata={"description": "a GeoJSON Polygon or MultiPolygon in lon/lat (EPSG:4326)"})

    @ma.validates_schema
    def _exactly_one(self, data, **kwargs):
        if len(data) != 1:
            raise ma.ValidationError("give exactly one of villages, grids or polygon", "villages")


class SitingWeights(ma.Schema):
    """What is worth watching (each may be 0; missing: the configured weight)."""

    disputes = fields.Nested(DisputeWeights)
    gaps = fields.Float(validate=validate.Range(0, 1000), metadata={"description": "per road sample in a gap"})
    hotspots = fields.Float(validate=validate.Range(0, 1000), metadata={"description": "per Gi* hot spot grid"})
    alarms = fields.Float(validate=validate.Range(0, 1000), metadata={"description": "per alarm no camera watches"})
    key_places = fields.Float(validate=validate.Range(0, 1000), metadata={"description": "per key place"})


class SitingBody(ma.Schema):
    """What to propose: where, how many (or for how much), which cameras for what purpose, how."""

    area = fields.Nested(Area, required=True)
    count = whole("at most so many new cameras", 1, 5000)
    cost = fields.Float(validate=validate.Range(min=0, min_inclusive=False, error="must be more than 0"),
                        metadata={"description": "at most so much in all (yuan)"})
    kinds = fields.List(one_of(PLACEABLE_KINDS, "a kind of camera"), validate=validate.Length(1, 2),
                        load_default=list(PLACEABLE_KINDS))
    purpose = one_of(domain.DORI_PURPOSES, "what the cameras are for (IEC 62676-4 DORI): sets their range")
    range_m = fields.Float(validate=validate.Range(1, 3000), metadata={"description": "the range in metres"})
    weights = fields.Nested(SitingWeights, load_default=dict)
    problem = one_of(PROBLEMS, "mclp: the most demand within the budget; lscp: the fewest cameras covering "
                     "every must-cover key place", load_default="mclp")
    method = one_of(METHODS, "fast (lazy greedy and swaps) or exact (a MIP, time-limited)", load_default="fast")
    candidates = one_of(("layer", "generated"), "the candidate sites layer, or sites made along the roads",
                        load_default="layer")

    @ma.validates_schema
    def _consistent(self, data, **kwargs):
        if data.get("problem", "mclp") == "mclp" and "count" not in data and "cost" not in data:
            raise ma.ValidationError("give a number of cameras (count) or a total cost", "count")
        if "purpose" in data and "range_m" in data:
            raise ma.ValidationError("give a purpose or a range, not both", "range_m")


class PlanCameraProperties(ma.Schema):
    """A planned camera as a proposal gives it."""

    class Meta:
        unknown = ma.INCLUDE

    kind = one_of(domain.CAMERA_KINDS, "its kind", required=True)
    azimuth = fields.Float(validate=validate.Range(0, 360), allow_none=True)
    fov_deg = fields.Float(validate=validate.Range(1, 360), required=True)
    range_m = fields.Float(validate=validate.Range(0.1, 3000), required=True)
    cost = fields.Float(validate=validate.Range(0), allow_none=True)
    site = Text(allow_none=True)

    @ma.validates_schema
    def _faces(self, data, **kwargs):
        if data["kind"] == "bullet" and data.get("azimuth") is None:
            raise ma.ValidationError("is required for a fixed bullet camera", "azimuth")


class PointGeometry(ma.Schema):
    """A GeoJSON Point in lon/lat (EPSG:4326)."""

    type = Text(required=True, validate=validate.Equal("Point", error="must be Point"))
    coordinates = fields.List(fields.Float(), required=True, validate=validate.Length(2, 3))


class PlanCamera(ma.Schema):
    """A GeoJSON Feature: where and what."""

    class Meta:
        unknown = ma.EXCLUDE

    type = Text(load_default="Feature")
    geometry = fields.Nested(PointGeometry, required=True)
    properties = fields.Nested(PlanCameraProperties, required=True)


class PlanBody(ma.Schema):
    """A plan to save: its code and name, and the cameras (a proposal's features, perhaps moved or turned)."""

    code = Text(required=True, validate=validate.Regexp(r"^[0-9A-Za-z_.-]{1,24}$",
                                                         error="must be 1–24 letters, digits, '_', '.' or '-'"))
    name = Text(required=True, validate=validate.Length(1, 200))
    note = Text(validate=validate.Length(max=2000))
    features = fields.List(fields.Nested(PlanCamera), required=True, validate=validate.Length(1, 5000))
    request = fields.Dict(metadata={"description": "the proposal's request, kept with the plan"})


class CompareQuery(ma.Schema):
    """Plans to compare side by side."""

    plans = Text(required=True, metadata={"description": "plan codes, comma-separated"})


class CameraProposal(ma.Schema):
    """Proposed cameras: a GeoJSON FeatureCollection with totals and the marginal value curve."""

    class Meta:
        unknown = ma.INCLUDE

    type = fields.String(required=True)
    features = fields.List(fields.Dict(), required=True)
    totals = fields.Dict(required=True)
    marginal = fields.List(fields.Float(), required=True)
    shortfall = fields.Dict(allow_none=True, metadata={
        "description": "null, or why fewer cameras than asked for: {reason: all_covered | budget | nothing_more, "
                       "cheapest: the cheapest option's cost left when the budget is short}"})


class PlanSummary(ma.Schema):
    """A plan in a list."""

    class Meta:
        unknown = ma.INCLUDE

    code = fields.String(required=True)
    name = fields.String(required=True)
    note = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    created_by = fields.String(allow_none=True)
    request = fields.Dict(allow_none=True)
    camera_count = fields.Integer(required=True)
    still_planned = fields.Integer(required=True)
    cost = fields.Float(required=True)


class PlanList(ma.Schema):
    """Every plan."""

    plans = fields.List(fields.Nested(PlanSummary), required=True)


class Plan(PlanSummary):
    """A plan: its cameras, and per grid it reaches (per period) and per village what it changes."""

    cameras = fields.List(fields.Dict(), required=True)
    grids = fields.List(fields.Dict(), required=True)
    villages = fields.List(fields.Dict(), required=True)


class Comparison(ma.Schema):
    """Plans side by side."""

    plans = fields.List(fields.Dict(), required=True)
