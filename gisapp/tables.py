"""Writing a table as CSV (UTF-8 with BOM, so Excel reads the Chinese) or as an Excel workbook.

Every text a spreadsheet could take for a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return: the OWASP CSV-injection rule) is written with a leading apostrophe, so it stays text;
``gisapp import`` takes the apostrophe off again (``unneutralised``).
"""
from __future__ import annotations

import io

import pandas as pd

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value):
    """``value`` as text a spreadsheet will not run: a leading apostrophe before a formula's first character."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def unneutralised(value):
    """The text ``neutralised`` made, given back (an apostrophe before a formula's first character taken off)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell ``neutralised`` (numbers and dates stay as they are)."""
    text = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c].dtype)]
    return frame.assign(**{c: frame[c].map(neutralised) for c in text}) if text else frame


def write_table(frame: pd.DataFrame, target, fmt: str, sheet: str) -> None:
    """Write ``frame`` to ``target`` (a path or a binary file) as ``fmt`` ("csv" or "xlsx"), formulas neutralised."""
    frame = safe_frame(frame)
    if fmt == "xlsx":
        frame.to_excel(target, index=False, sheet_name=sheet[:31])
    else:
        frame.to_csv(target, index=False, encoding="utf-8-sig")


def table_bytes(frame: pd.DataFrame, fmt: str, sheet: str) -> bytes:
    """``frame`` as the bytes of a CSV or Excel file."""
    buffer = io.BytesIO()
    write_table(frame, buffer, fmt, sheet)
    return buffer.getvalue()
