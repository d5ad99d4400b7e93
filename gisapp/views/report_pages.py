"""The periodic report's page: a form (period, last day, villages, format) and the file it downloads.

Who: the roles that may read coverage (``COVERAGE_READERS``: center, team leaders, planners, grid
workers), since the report shows where the nets leave gaps; not the viewer. The report holds no personal
data (counts, grids and places only), and every figure in it is one those roles can already read through
the API (/api/disputes/figures, /api/disputes/hotspots, /api/coverage).
"""
from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import text

from gisapp import clock, domain
from gisapp.access import COVERAGE_READERS
from gisapp.auth import roles_allowed
from gisapp.report import (MEDIA_TYPES, FontMissing, ReportInputError, check_format, check_request, file_name,
                           font_for, gather, write)
from gisapp.report.data import today
from gisapp.request_db import db_session
from gisapp.views.files import attachment

bp = Blueprint("report_pages", __name__, url_prefix="/report")
# The form's fields, as the error names them (the label a person reads, then the field's name).
FIELDS = {"period": "form_period", "end": "form_end", "village": "form_villages", "format": "form_format"}


@bp.app_context_processor
def _report_link() -> dict:
    """For the home page: whether the user may make the report, and the link's label."""
    may = bool(getattr(current_user, "is_authenticated", False)) and current_user.role in COVERAGE_READERS
    return {"may_report": may, "report_label": domain.REPORT_TEXT["page_title"]}


def _form(error: str | None = None, status: int = 200):
    settings = current_app.config["GISAPP"]
    villages = db_session().execute(text(
        "SELECT code, name FROM admin_area WHERE level = 'village' ORDER BY code")).all()
    chosen = {"period": request.args.get("period", "week"), "end": request.args.get("end", ""),
              "villages": request.args.getlist("village"), "format": request.args.get("format", "pdf")}
    return render_template("report.html", villages=villages, chosen=chosen, error=error,
                           today=today(settings, clock.now()).isoformat(), periods=domain.REPORT_PERIODS,
                           formats=domain.REPORT_FORMATS, text=domain.REPORT_TEXT), status


@bp.route("")
@roles_allowed(*COVERAGE_READERS)
def form():
    """The form: period, last day, villages and format."""
    return _form()


@bp.route("/download")
@roles_allowed(*COVERAGE_READERS)
def download():
    """The report asked for by the form, as a PDF or an Excel file; a refusal shows the form again (400)
    with the field at fault named."""
    settings = current_app.config["GISAPP"]
    now = clock.now()
    session = db_session()
    try:
        fmt = check_format(request.args.get("format", "pdf"))
        report_request = check_request(session, settings, now, request.args.get("period"), request.args.get("end"),
                                       request.args.getlist("village"))
    except ReportInputError as exc:
        label = domain.REPORT_TEXT[FIELDS[exc.field]]
        return _form(f"{label} ({exc.field}): {exc}", 400)
    try:
        font = font_for(fmt, settings)
    except FontMissing as exc:
        abort(503, description=str(exc))
    report = gather(session, settings, report_request, now)
    buffer = io.BytesIO()
    write(report, buffer, fmt, font)
    name = file_name(report_request, fmt)
    return attachment(buffer.getvalue(), MEDIA_TYPES[fmt], name)
