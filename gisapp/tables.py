"""Writing a table as CSV (UTF-8 with BOM, so Excel reads the Chinese) or as an Excel workbook."""
from __future__ import annotations

import io

import pandas as pd

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def write_table(frame: pd.DataFrame, target, fmt: str, sheet: str) -> None:
    """Write ``frame`` to ``target`` (a path or a binary file) as ``fmt`` ("csv" or "xlsx")."""
    if fmt == "xlsx":
        frame.to_excel(target, index=False, sheet_name=sheet[:31])
    else:
        frame.to_csv(target, index=False, encoding="utf-8-sig")


def table_bytes(frame: pd.DataFrame, fmt: str, sheet: str) -> bytes:
    """``frame`` as the bytes of a CSV or Excel file."""
    buffer = io.BytesIO()
    write_table(frame, buffer, fmt, sheet)
    return buffer.getvalue()
