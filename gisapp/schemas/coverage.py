"""/api/coverage: which period (shift), which grids, which gaps."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from gisapp.catalogue import COVERAGE_REASONS
from gisapp.coverage import PERIODS
from gisapp.schemas.common import BBox, Paging, Text, flag, one_of
from gisapp.tables import FORMATS


def shift() -> fields.Field:
    """?period=day|night: the time of day coverage is computed for (default day)."""
    return one_of(PERIODS, "the time of day: day or night (times in configuration)", load_default="day")


class GridsQuery(ma.Schema):
    """Which grids' figures."""

    period = shift()
    village = Text(metadata={"description": "only the grids of this village (its code)"})
    flagged = flag("only the flagged grids (true) or the others (false)")
    reason = one_of(tuple(COVERAGE_REASONS), "only the grids flagged for this reason")
    format = one_of(("json", *FORMATS), "json, or the grids as a csv or xlsx file with Chinese headers and labels",
                    load_default="json")


class GapsQuery(Paging):
    """Which gap polygons."""

    period = shift()
    bbox = BBox()


class GridFigures(ma.Schema):
    """Per-grid figures for one period."""

    period = fields.String(required=True)
    numberMatched = fields.Integer(required=True)
    grids = fields.List(fields.Dict(), required=True, metadata={"description": "one row of figures per grid"})


class OneGrid(ma.Schema):
    """One grid's figures for each period, with its gaps (GeoJSON)."""

    grid_code = fields.String(required=True)
    day = fields.Dict()
    night = fields.Dict()

