"""Reading the stored coverage: per-grid figures and flags, for the CLI, the API and exports."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import text

from gisapp import domain
from gisapp.catalogue import COVERAGE_REASONS, SHIFTS

COLUMNS = ["village_code", "village", "grid_code", "grid", "period", "concern_m2", "camera_share", "alarm_share",
           "patrol_share", "covered_share", "gap_m2", "flagged", "reasons", "cameras_reaching", "cameras_online",
           "disputes_in", "disputes_out", "alarms_in", "alarms_out", "road_m_in", "road_m_out"]

SHARES = ("camera_share", "alarm_share", "patrol_share", "covered_share")

REPORT_SQL = """
SELECT v.code AS village_code, v.name AS village, g.code AS grid_code, g.name AS grid, gc.period,
       round(gc.concern_m2::numeric, 1)::float AS concern_m2,
       CASE WHEN gc.concern_m2 > 0 THEN round((gc.camera_m2 / gc.concern_m2)::numeric, 4)::float ELSE 1 END AS camera_share,
       CASE WHEN gc.concern_m2 > 0 THEN round((gc.alarm_m2 / gc.concern_m2)::numeric, 4)::float ELSE 1 END AS alarm_share,
       CASE WHEN gc.concern_m2 > 0 THEN round((gc.patrol_m2 / gc.concern_m2)::numeric, 4)::float ELSE 1 END AS patrol_share,
       round(gc.covered_share::numeric, 4)::float AS covered_share, round(gc.gap_m2::numeric, 1)::float AS gap_m2,
       gc.flagged, array_to_string(gc.reasons, ',') AS reasons, gc.cameras_reaching, gc.cameras_online,
       gc.disputes_in, gc.disputes_out, gc.alarms_in, gc.alarms_out,
       round(gc.road_m_in::numeric, 1)::float AS road_m_in, round(gc.road_m_out::numeric, 1)::float AS road_m_out
FROM grid_coverage gc JOIN grid g ON g.id = gc.grid_id JOIN admin_area v ON v.id = g.village_id
WHERE gc.period = :period AND (CAST(:village AS text) IS NULL OR v.code = :village)
  AND (CAST(:grid AS text) IS NULL OR g.code = :grid)
  AND (CAST(:flagged AS boolean) IS NULL OR gc.flagged = :flagged)
ORDER BY v.code, g.code
"""


def coverage_table(conn, period: str, *, village: str | None = None, grid: str | None = None,
                   flagged: bool | None = None) -> pd.DataFrame:
    """Per-grid coverage figures for ``period`` ('day' or 'night'), optionally one village, grid or flag state."""
    rows = conn.execute(text(REPORT_SQL), {"period": period, "village": village, "grid": grid,
                                           "flagged": flagged}).mappings().all()
    return pd.DataFrame(rows, columns=COLUMNS)


def readable(table: pd.DataFrame, columns=COLUMNS) -> pd.DataFrame:
    """``columns`` of ``table`` (coverage_table's, reasons as a comma list or a list) as a person reads them:
    Chinese headers (domain.REPORT_COLUMNS), the period, flag and reasons by their labels (、-separated),
    shares in percent, areas and lengths rounded to the metre."""
    shown = table[list(columns)].copy()
    for column in shown.columns:
        if column in SHARES:  # per mille rounded half up, as the pages round it (Math.round): 0.3165 is 31.7 %
            shown[column] = np.floor(1000 * shown[column] + 0.5) / 10
        elif column.endswith(("_m2", "_m_in", "_m_out")):
            shown[column] = shown[column].round().astype("Int64")
    if "period" in shown:
        shown["period"] = shown["period"].map(SHIFTS)
    if "flagged" in shown:
        shown["flagged"] = shown["flagged"].map(lambda v: domain.YES_NO[str(bool(v)).lower()])
    if "reasons" in shown:
        shown["reasons"] = shown["reasons"].map(lambda v: "、".join(
            COVERAGE_REASONS.get(r, r) for r in (v.split(",") if isinstance(v, str) else v) if r))
    return shown.rename(columns={c: domain.REPORT_COLUMNS[c] + (" (%)" if c in SHARES else "") for c in shown.columns})
