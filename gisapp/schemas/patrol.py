"""/api/patrol: the road network, and proposals of routes for a team."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from gisapp import domain
from gisapp.coverage import PERIODS
from gisapp.schemas.common import Text, one_of, whole


def _lon_lat(point: list[float]) -> None:
    """A [lon, lat] pair on the earth."""
    if len(point) == 2 and not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90):
        raise ma.ValidationError("must be [lon, lat] with lon from -180 to 180 and lat from -90 to 90")


class Place(ma.Schema):
    """A place: a point (lon, lat in EPSG:4326) or the code of a patrol base."""

    lon = fields.Float(validate=validate.Range(-180, 180), metadata={"description": "longitude"})
    lat = fields.Float(validate=validate.Range(-90, 90), metadata={"description": "latitude"})
    base = Text(metadata={"description": "a patrol base's code (instead of lon/lat)"})

    @ma.validates_schema
    def _one_place(self, data, **kwargs):
        if ("base" in data) == ("lon" in data or "lat" in data) or (("lon" in data) != ("lat" in data)):
            raise ma.ValidationError("give lon and lat, or a base code", "base")


class DisputeWeights(ma.Schema):
    """Worth of an open dispute by grade."""

    ordinary = fields.Float(validate=validate.Range(0, 1000))
    complex = fields.Float(validate=validate.Range(0, 1000))
    difficult = fields.Float(validate=validate.Range(0, 1000))


class Weights(ma.Schema):
    """What is worth collecting (each may be 0; missing: the configured weight)."""

    disputes = fields.Nested(DisputeWeights)
    gaps = fields.Float(validate=validate.Range(0, 1000), metadata={"description": "per km of gap road in sight"})
    hotspots = fields.Float(validate=validate.Range(0, 1000), metadata={"description": "per Gi* hot spot stopped at"})
    alarms = fields.Float(validate=validate.Range(0, 1000), metadata={"description": "per alarm brought in reach"})


class ProposeBody(ma.Schema):
    """What to plan: for which team, how, from and to where, in how long, in which shift."""

    team = Text(required=True, metadata={"description": "the patrol team's code (a team leader: their own)"})
    mode = one_of(domain.PATROL_MODES, "how the team moves", required=True)
    start = fields.Nested(Place, metadata={"description": "where the routes start (default: the team's base)"})
    end = fields.Nested(Place, metadata={"description": "where they end (default: back at the start)"})
    budget_min = fields.Float(required=True, validate=validate.Range(1, 24 * 60),
                              metadata={"description": "the time each route may take, in minutes"})
    period = one_of(PERIODS, "the shift: which coverage gaps count", load_default="day")
    routes = whole("how many routes at once (members or vehicles)", 1, 10, load_default=1)
    dwell_min = fields.Float(validate=validate.Range(0, 120),
                             metadata={"description": "minutes stopped at a hot spot (default: configured)"})
    sight_width_m = fields.Float(validate=validate.Range(1, 500),
                                 metadata={"description": "metres seen each side (default: the mode's)"})
    weights = fields.Nested(Weights)


class LineString(ma.Schema):
    """A GeoJSON LineString in lon/lat (EPSG:4326)."""

    type = Text(required=True, validate=validate.Equal("LineString", error="must be LineString"))
    coordinates = fields.List(fields.List(fields.Float(), validate=validate.Length(2, 3)), required=True,
                              validate=validate.Length(min=2, error="needs at least two points"))


class EvaluateBody(ma.Schema):
    """A route to evaluate: a line drawn (with its team, mode, sight width and time windows), or an
    existing route's code (with changes, or none: the route against itself switched off)."""

    route = Text(metadata={"description": "an existing route's code"})
    geometry = fields.Nested(LineString, metadata={"description": "the line (new, or replacing the route's)"})
    team = Text(metadata={"description": "the team's code (required for a new route)"})
    mode = one_of(domain.PATROL_MODES, "how it is walked or ridden (required for a new route)")
    sight_width_m = fields.Float(validate=validate.Range(0.1, 500), allow_none=True)
    time_windows = Text(allow_none=True, metadata={"description": "HH:MM-HH:MM, comma-separated; empty: all day"})
    weekdays = Text(metadata={"description": "1 (Monday) to 7, comma-separated"})
    name = Text(metadata={"description": "a name (default: 试走 trial)"})
    dwell_min = fields.Float(validate=validate.Range(0, 600), load_default=0.0,
                             metadata={"description": "minutes stopped on the way, added to the duration"})

    @ma.validates_schema
    def _route_or_line(self, data, **kwargs):
        if "route" not in data and "geometry" not in data:
            raise ma.ValidationError("give a route's code or a geometry", "geometry")
        if "route" not in data:
            missing = [k for k in ("team", "mode") if k not in data]
            if missing:
                raise ma.ValidationError(f"a new route needs {' and '.join(missing)}", missing[0])


class Evaluation(ma.Schema):
    """What the route changes: length, duration, per grid and period the covered share before and
    after, the gap closed, the flags cleared and remaining; what it passes."""

    length_m = fields.Float(required=True)
    duration_min = fields.Float(required=True)
    mode = fields.String(required=True)
    grids = fields.List(fields.Dict(), required=True)
    disputes = fields.List(fields.Dict(), required=True)
    alarms = fields.List(fields.String(), required=True, metadata={
        "description": "the alarms the route brings within patrol reach by road (those already in reach are not "
                       "counted; without pgRouting, the alarms it passes)"})
    hotspots = fields.List(fields.String(), required=True)
    periods = fields.List(fields.String(), required=True)


class PathBody(ma.Schema):
    """Waypoints to join along the roads, in order."""

    mode = one_of(domain.PATROL_MODES, "how it is walked or ridden", required=True)
    points = fields.List(fields.List(fields.Float(), validate=[validate.Length(2, 2), _lon_lat]), required=True,
                         validate=validate.Length(2, 200, error="needs 2 to 200 points"),
                         metadata={"description": "[[lon, lat], …] in EPSG:4326"})


class Path(ma.Schema):
    """The way along the roads: a GeoJSON Feature (LineString) with length_m and minutes."""

    type = fields.String(required=True)
    geometry = fields.Dict(required=True)
    properties = fields.Dict(required=True)


class ReachQuery(ma.Schema):
    """Which shift."""

    period = one_of(PERIODS, "the shift: day or night (times in configuration)", load_default="day")


class AlarmReach(ma.Schema):
    """Each online alarm: minutes by road from the shift's patrols and from the nearest base."""

    period = fields.String(required=True)
    limit_min = fields.Float(required=True, metadata={"description": "the configured minutes (in reach within)"})
    alarms = fields.List(fields.Dict(), required=True,
                         metadata={"description": "{code, enterprise, lon, lat, patrol_min, base_min, in_reach}"})


class Stop(ma.Schema):
    """A stop of a proposed route."""

    arrive_min = fields.Float(required=True)
    dwell_min = fields.Float(required=True)
    lon = fields.Float(required=True, metadata={"description": "where: the middle of the edge ridden, or the stop"})
    lat = fields.Float(required=True)
    value = fields.Float(required=True)
    collects = fields.List(fields.Dict(), required=True, metadata={
        "description": "[{kind, ref, name}]: ref the code (grid codes for gaps and hot spots), name an alarm's enterprise"})


class Proposal(ma.Schema):
    """Proposed routes: a FeatureCollection of LineStrings with length_m, duration_min, value and stops."""

    type = fields.String(required=True)
    features = fields.List(fields.Dict(), required=True)


class NetworkStatus(ma.Schema):
    """The road network's figures."""

    built = fields.Boolean(required=True)
    stale = fields.Boolean(required=True)
    edges = fields.Integer(required=True)
    vertices = fields.Integer(required=True)
    length_km = fields.Float(required=True)
    components = fields.Integer(allow_none=True)
    largest_share = fields.Float(allow_none=True)
    dangling_ends = fields.Integer(required=True)
    tolerance_m = fields.Float(allow_none=True)
    routing = fields.Boolean(required=True, metadata={"description": "pgRouting is installed: planning is on"})
