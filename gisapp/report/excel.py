"""The report as an Excel workbook: one sheet per section, headers from the vocabularies, numbers kept as
numbers (rates as percentages, changes signed), and the map as a picture on a sheet of its own."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Font as CellFont, PatternFill
from openpyxl.utils import get_column_letter

from gisapp import domain
from gisapp.report import mapimage
from gisapp.report.data import Report
from gisapp.report.fonts import Font
from gisapp.report.tables import Change, Rate, Time, all_tables
from gisapp.tables import neutralised

HEAD_FILL = PatternFill("solid", fgColor="E6ECF3")
FORMATS = {"rate": "0.0%", "change": "+0;-0;0", "points": '+0.0%;-0.0%;0.0%'}


def sheet_name(section: str) -> str:
    """A section's sheet: its label, cut to Excel's 31 characters."""
    return domain.REPORT_SECTIONS[section][:31]


def _cell(value):
    """The value written and its number format."""
    if isinstance(value, Rate):
        return value.value, FORMATS["rate"]
    if isinstance(value, Change):
        return value.value, FORMATS["points" if value.points else "change"]
    if isinstance(value, Time):
        return value.text(), None
    if isinstance(value, bool):
        return domain.TARGET_MET[value], None
    return neutralised(value), None


def write_xlsx(report: Report, target, font: Font | Exception) -> None:
    """Write ``report`` to ``target`` (a path or a binary file); the map sheet is drawn in ``font`` (when no CJK
    font was found, ``font`` is the FontMissing error, and the sheet says so instead)."""
    book = Workbook()
    book.remove(book.active)
    for table in all_tables(report):
        sheet = book.create_sheet(sheet_name(table.section))
        sheet.append(table.columns)
        for cell in sheet[1]:
            cell.font = CellFont(bold=True)
            cell.fill = HEAD_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in table.rows:
            values = [_cell(v) for v in row]
            sheet.append([v for v, _ in values])
            for cell, (_, fmt) in zip(sheet[sheet.max_row], values):
                if fmt:
                    cell.number_format = fmt
        for n, label in enumerate(table.columns, start=1):
            longest = max([len(str(label)) * 0.7] + [len(str(_cell(r[n - 1])[0] or "")) for r in table.rows])
            sheet.column_dimensions[get_column_letter(n)].width = min(max(10, longest * 1.3 + 2), 60)
        sheet.freeze_panes = "A2"
        if table.note:
            sheet.cell(row=sheet.max_row + 2, column=1, value=table.note).font = CellFont(italic=True, color="666666")
    sheet = book.create_sheet(sheet_name("map"))
    if isinstance(font, Font):
        sheet["A1"] = domain.REPORT_TEXT["map_note"]
        picture = Image(io.BytesIO(mapimage.png(report.layers, font.family)))
        picture.width, picture.height = 900, 750
        sheet.add_image(picture, "A3")
    else:  # no CJK font: the map's names could not be drawn; say why instead
        sheet["A1"] = str(font)
    book.save(target)
