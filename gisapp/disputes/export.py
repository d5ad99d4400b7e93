"""The disputes' list and figures as a person reads them in a CSV or Excel file.

Headers are Chinese first: the disputes layer's property labels (``layers/disputes.toml``) and the figures'
vocabulary (``domain.DISPUTE_FIGURES``); values by their labels (grades, statuses, the configured categories,
yes/no …); times in the configured time zone as ``YYYY-MM-DD HH:MM``; rates in percent. The JSON answers keep
codes and ISO times for programs; these files are for people.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd

from gisapp import domain
from gisapp.catalogue import Layer

TIMES = ("received_at", "due_at", "closed_at")
# What the list adds to the layer's properties (its version is for editing, not for people).
PLACE = {"lon": "经度 Lon", "lat": "纬度 Lat", "location_approx": "位置为估计 Location approximate"}
GROUPS = {"township": "乡镇 township", "village": "村/社区 village", "grid": "网格 grid"}


def local_text(value, zone: str) -> str | None:
    """An ISO time (as the API writes it) in ``zone`` as YYYY-MM-DD HH:MM; None stays None."""
    if not value:
        return None
    return dt.datetime.fromisoformat(value).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def list_frame(layer: Layer, properties: list[str], rows: list[dict], zone: str) -> pd.DataFrame:
    """The listed disputes (``rows`` as ``records.list_disputes`` gives them, ``properties`` those the role may
    see), one column per property in the layer's order and then the place, labelled; headers even when empty."""
    shown = [p for p in layer.properties if p.name in properties]
    frame = pd.DataFrame(rows, columns=[p.name for p in shown] + list(PLACE))
    for p in shown:
        if p.name in TIMES:
            frame[p.name] = frame[p.name].map(lambda v: local_text(v, zone))
        elif p.values:
            frame[p.name] = frame[p.name].map(lambda v, p=p: None if v is None else p.value_label(v))
    frame["location_approx"] = frame["location_approx"].map(
        lambda v: None if v is None else domain.YES_NO["true" if v else "false"])
    return frame.rename(columns={**{p.name: p.label for p in shown}, **PLACE})


def figures_frame(rows: list[dict], by: str, categories: dict[str, str]) -> pd.DataFrame:
    """The figures per township, village or grid (``dispute_figures``' rows): code and name, the counts, the
    resolution rate in percent, then one column per grade and per category (those of the rows), labelled."""
    used = sorted({c for r in rows for c in r["by_category"]})
    columns = {"code": "编码 code", "name": GROUPS[by],
               **{k: domain.DISPUTE_FIGURES[k] for k in ("received", "closed", "open", "overdue")},
               "resolution_rate": domain.DISPUTE_FIGURES["resolution_rate"] + " (%)",
               **{f"grade_{g}": f"等级 grade: {label}" for g, label in domain.DISPUTE_GRADES.items()},
               **{f"category_{c}": f"类别 category: {categories.get(c, c)}" for c in used}}
    flat = [{"code": r["code"], "name": r["name"], **{k: r[k] for k in ("received", "closed", "open", "overdue")},
             "resolution_rate": None if r["resolution_rate"] is None else round(100 * r["resolution_rate"], 1),
             **{f"grade_{g}": r["by_grade"][g] for g in domain.DISPUTE_GRADES},
             **{f"category_{c}": r["by_category"].get(c, 0) for c in used}} for r in rows]
    return pd.DataFrame(flat, columns=list(columns)).rename(columns=columns)
