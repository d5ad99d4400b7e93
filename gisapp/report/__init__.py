"""The periodic report (the weekly, monthly and quarterly risk analysis): disputes against the previous
period, the three nets' state, flagged grids, hot spots and a map, as an Excel workbook or a PDF.

``gisapp report`` (gisapp/cli/report.py) and the /report page (gisapp/views/report_pages.py) both call
``check_request`` with what a person typed (ReportInputError names the field at fault), then ``make``.
The figures are those of ``gisapp.disputes.figures`` (the API's); see ``gisapp.report.data``.
"""
from __future__ import annotations

from gisapp import domain
from gisapp.report.data import PERIODS, Report, ReportInputError, Request, check_request, gather
from gisapp.report.fonts import FontMissing, cjk_font

FORMATS = tuple(domain.REPORT_FORMATS)
MEDIA_TYPES = {"pdf": "application/pdf",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def check_format(fmt: str | None, field: str = "format") -> str:
    """The output format (pdf or xlsx), or ReportInputError naming ``field``."""
    if fmt not in FORMATS:
        raise ReportInputError(field, f"must be one of {', '.join('.' + f for f in FORMATS)}, got {fmt!r}")
    return fmt


def font_for(fmt: str, settings: dict):
    """The CJK font the output needs: FontMissing is raised for a PDF; a workbook gets the error instead
    (its map sheet says so) and is still written."""
    try:
        return cjk_font(settings["report"]["font"])
    except FontMissing as exc:
        if fmt == "pdf":
            raise
        return exc


def write(report: Report, target, fmt: str, font) -> None:
    """Write ``report`` to ``target`` (a path or a binary file) as ``fmt``."""
    if fmt == "pdf":
        from gisapp.report.pdf import write_pdf
        write_pdf(report, target, font)
    else:
        from gisapp.report.excel import write_xlsx
        write_xlsx(report, target, font)


def file_name(request: Request, fmt: str) -> str:
    """The file's name: report-<period>-<last day>[-<villages>].<fmt>."""
    villages = "-" + "-".join(request.codes) if request.codes else ""
    return f"report-{request.period}-{request.end.isoformat()}{villages[:120]}.{fmt}"


__all__ = ["FORMATS", "MEDIA_TYPES", "PERIODS", "FontMissing", "Report", "ReportInputError", "Request", "check_format",
           "check_request", "cjk_font", "file_name", "font_for", "gather", "write"]
