"""/api/disputes: list filters, periods of figures and hotspots, and the bodies of intake and the closed loop.

Categories are configurable (``dispute_categories``), so the workflow checks them, not the schema.
"""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from gisapp import domain
from gisapp.coverage import PERIODS
from gisapp.disputes.figures import GROUPINGS
from gisapp.disputes.records import DEFAULT_SORT, MAX_SORT_KEYS, SORT_KEYS, TODO
from gisapp.disputes.workflow import MAX_REMARK
from gisapp.schemas.common import Page, Paging, Text, flag, one_of, whole
from gisapp.tables import FORMATS


def _file_format(description: str) -> Text:
    return one_of(("json", *FORMATS), description, load_default="json")


class ListQuery(Paging):
    """The filters of the list; ``format`` csv or xlsx gives every match (up to 100,000) as a file."""

    status = one_of(domain.DISPUTE_STATUSES, "the status")
    grade = one_of(domain.DISPUTE_GRADES, "the grade")
    level = one_of(domain.DISPUTE_LEVELS, "the escalation level")
    source = one_of(domain.DISPUTE_SOURCES, "where it came from")
    category = Text(metadata={"description": "the category (configured: /api/disputes/vocabulary)"})
    village = Text(metadata={"description": "the village's code"})
    grid = Text(metadata={"description": "the grid's code"})
    open = flag("open (not closed) or closed")
    overdue = flag("open past the due date, or not")
    in_gap = one_of(PERIODS, "open disputes inside that period's coverage gaps (not for the viewer role)")
    received_from = fields.Date(metadata={"description": "received on or after this day (YYYY-MM-DD, local time)"})
    received_to = fields.Date(metadata={"description": "received before this day (YYYY-MM-DD, local time)"})
    todo = one_of(TODO, "what waits on you, in your own grids: " + "; ".join(f"{k}: {v}" for k, v in TODO.items())
                  + " (center and grid workers)")
    sort = Text(validate=validate.Regexp(
        rf"^-?({'|'.join(SORT_KEYS)})(,-?({'|'.join(SORT_KEYS)})){{0,{MAX_SORT_KEYS - 1}}}$",
        error=f"must be 1 to {MAX_SORT_KEYS} of {', '.join(SORT_KEYS)}, comma-separated, each with a leading - "
              "for descending"),
        metadata={"description": f"the order: 1 to {MAX_SORT_KEYS} of {', '.join(SORT_KEYS)}, comma-separated, "
                                 f"a leading - for descending (default {DEFAULT_SORT}); grades sort by severity, "
                                 "statuses along the loop, levels upwards"})
    format = _file_format("json, or every match as a csv or xlsx file")


class DateRange(ma.Schema):
    """?from= and ?to= (YYYY-MM-DD, to exclusive, to after from); by default the year up to and including today."""

    start = fields.Date(data_key="from", metadata={"description": "first day (YYYY-MM-DD)"})
    end = fields.Date(data_key="to", metadata={"description": "day after the last (YYYY-MM-DD)"})


class FiguresQuery(DateRange):
    """Figures per township, village or grid for a period."""

    by = one_of(GROUPINGS, "group by township, village or grid", load_default="village")
    village = Text(metadata={"description": "only this village (its code)"})
    format = _file_format("json, or the rows as a csv or xlsx file")


class HotspotsQuery(DateRange):
    """Gi* hotspots for a period."""

    significant = flag("only the hot and cold grids")


def _remark() -> Text:
    return Text(allow_none=True, metadata={"description": f"a remark, at most {MAX_REMARK} characters"})


class IntakeBody(ma.Schema):
    """A new dispute: the place as lon/lat, or a grid or village code when the exact place is unknown."""

    lon = fields.Float(allow_none=True, metadata={"description": "longitude (EPSG:4326)"})
    lat = fields.Float(allow_none=True, metadata={"description": "latitude (EPSG:4326)"})
    grid = Text(allow_none=True, metadata={"description": "a grid's code (the place is approximate)"})
    village = Text(allow_none=True, metadata={"description": "a village's code (the place is approximate)"})
    category = Text(required=True, metadata={"description": "a category (configured: /api/disputes/vocabulary)"})
    summary = Text(required=True, metadata={"description": "what it is about"})
    parties = Text(allow_none=True, metadata={"description": "the parties (personal data)"})
    parties_phone = Text(allow_none=True, metadata={"description": "their phone (personal data)"})
    grade = one_of(domain.DISPUTE_GRADES, "the grade; the due date follows it", required=True)
    source = one_of(domain.DISPUTE_SOURCES, "where it came from", allow_none=True)
    remark = _remark()


class _Change(ma.Schema):
    """Every change sends the version it read (a stale one is 409) and may carry a remark."""

    version = whole("the version last read", 1, strict=True, required=True)
    remark = _remark()


class StatusBody(_Change):
    """One step forward (routing needs an assignee)."""

    status = one_of(domain.DISPUTE_STATUSES, "the next status (required)")
    assignee = Text(allow_none=True, metadata={"description": "who handles it (required to route)"})


class EscalateBody(_Change):
    """A higher level."""

    level = one_of(domain.DISPUTE_LEVELS, "the new level", required=True)


class GradeBody(_Change):
    """A new grade of an open dispute."""

    grade = one_of(domain.DISPUTE_GRADES, "the new grade", required=True)


class RevisitBody(_Change):
    """The return visit after closure."""

    satisfaction = whole("satisfaction, 1 to 5", 1, 5, strict=True, required=True)


class SendBackBody(_Change):
    """Back to handling, saying why (a remark is required)."""


class AssignBody(_Change):
    """Another department or person to handle it."""

    assignee = Text(required=True, metadata={"description": "who handles it now"})


class NoteBody(_Change):
    """Progress written down (a remark is required); the status stays."""


class Dispute(ma.Schema):
    """A dispute with the properties the role may see; one dispute also has its history, its next statuses
    and ``actions``, what the signed-in user may do to it now (status: the next statuses, escalate: the
    levels, grade: the grades, revisit: whether it may record the return visit, return: send it back to
    handling, assign: reassign it, note: add a note of progress)."""

    class Meta:
        unknown = ma.INCLUDE

    code = fields.String(required=True)
    status = fields.String(required=True)
    version = fields.Integer(required=True)


class DisputeList(Page):
    """One page of disputes, newest first."""

    disputes = fields.List(fields.Nested(Dispute), required=True)


class _Period(ma.Schema):
    """The period [start, end) an answer is for."""

    start = fields.Date(required=True)
    end = fields.Date(required=True)


class Figures(_Period):
    """Figures per group for [start, end), and their total."""

    by = fields.String(required=True)
    total = fields.Dict(required=True)
    rows = fields.List(fields.Dict(), required=True)


class Hotspots(_Period):
    """Grids as GeoJSON with count, z, p and class."""

    type = fields.String(required=True)
    features = fields.List(fields.Dict(), required=True)
    disputes = fields.Integer(required=True, metadata={"description": "the disputes received in the period, in all"})
    min_disputes = fields.Integer(required=True, metadata={
        "description": "the least number of disputes Gi* is run on (hotspot_min_disputes); with fewer, none is significant"})


class Vocabulary(ma.Schema):
    """The values a dispute's fields take, with their labels."""

    categories = fields.Dict(required=True)
    grades = fields.Dict(required=True)
    grade_colours = fields.Dict(required=True)
    sources = fields.Dict(required=True)
    statuses = fields.Dict(required=True)
    levels = fields.Dict(required=True)
    due_days = fields.Dict(required=True)
    texts = fields.Dict(required=True, metadata={"description": "sentences the pages say, with {placeholders}"})
