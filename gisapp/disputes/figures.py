"""Dispute figures per township, village or grid for a period, and Getis-Ord Gi* hotspots of grids.

A period is [start, end) in whole days of the configured time zone. Of the disputes received in it:
``received`` counts them; ``closed`` those closed by the end of the period (or now, if sooner);
``resolution_rate`` (化解率) is closed / received; ``overdue`` those still open then and past due;
``open`` those not closed then. Counts by grade and by category are of the received ones.
"""
from __future__ import annotations

import datetime as dt
import warnings
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp import clock, domain

GROUPINGS = {"township": ("t.code", "t.name"), "village": ("v.code", "v.name"), "grid": ("g.code", "g.name")}
# Gi* z-scores at the usual confidence levels (two-sided): 99 %, 95 %, 90 %.
CONFIDENCE = ((2.576, 99), (1.960, 95), (1.645, 90))

PERIOD_SQL = """
    SELECT d.*, {key} AS key, {name} AS name, least(CAST(:now AS timestamptz), {end}) AS asof
    FROM dispute d LEFT JOIN admin_area v ON v.id = d.village_id LEFT JOIN admin_area t ON t.id = v.parent_id
    LEFT JOIN grid g ON g.id = d.grid_id
    WHERE d.received_at >= {start} AND d.received_at < {end} AND (CAST(:village AS text) IS NULL OR v.code = :village)
"""
BOUNDS = {"start": "(CAST(:start AS date)::timestamp AT TIME ZONE :tz)",
          "end": "(CAST(:end AS date)::timestamp AT TIME ZONE :tz)"}


def _period(by: str) -> str:
    key, name = GROUPINGS[by]
    return PERIOD_SQL.format(key=key, name=name, **BOUNDS)


def dispute_figures(conn, by: str, start: dt.date, end: dt.date, settings: dict, now: dt.datetime,
                    village: str | None = None) -> list[dict]:
    """One dict per township, village or grid (``by``) with disputes received in [start, end)."""
    params = {"start": start, "end": end, "tz": settings["timezone"], "now": now, "village": village}
    grades = ", ".join(f"count(*) FILTER (WHERE grade = '{g}') AS {g}" for g in domain.DISPUTE_GRADES)
    rows = conn.execute(text(f"""
        WITH p AS ({_period(by)})
        SELECT key, name, count(*) AS received,
               count(*) FILTER (WHERE closed_at <= asof) AS closed,
               count(*) FILTER (WHERE closed_at IS NULL OR closed_at > asof) AS open,
               count(*) FILTER (WHERE due_at < asof AND (closed_at IS NULL OR closed_at > asof)) AS overdue,
               {grades}
        FROM p GROUP BY key, name ORDER BY key NULLS LAST"""), params).mappings().all()
    categories = conn.execute(text(f"WITH p AS ({_period(by)}) SELECT key, category, count(*) FROM p "
                                   "GROUP BY key, category"), params).all()
    by_category: dict = {}
    for key, category, count in categories:
        by_category.setdefault(key, {})[category] = count
    return [{"code": r["key"], "name": r["name"], "received": r["received"], "closed": r["closed"],
             "resolution_rate": round(r["closed"] / r["received"], 4) if r["received"] else None,
             "open": r["open"], "overdue": r["overdue"],
             "by_grade": {g: r[g] for g in domain.DISPUTE_GRADES},
             "by_category": dict(sorted(by_category.get(r["key"], {}).items()))} for r in rows]


def totals(rows: list[dict]) -> dict:
    """The figures of all ``rows`` together."""
    total = {k: sum(r[k] for r in rows) for k in ("received", "closed", "open", "overdue")}
    total["resolution_rate"] = round(total["closed"] / total["received"], 4) if total["received"] else None
    total["by_grade"] = {g: sum(r["by_grade"][g] for r in rows) for g in domain.DISPUTE_GRADES}
    categories: dict = {}
    for row in rows:
        for category, count in row["by_category"].items():
            categories[category] = categories.get(category, 0) + count
    total["by_category"] = dict(sorted(categories.items()))
    return total


def _class(z: float) -> str:
    for threshold, level in CONFIDENCE:
        if abs(z) >= threshold:
            return f"{'hot' if z > 0 else 'cold'}_{level}"
    return "none"


def hotspots(conn, start: dt.date, end: dt.date, settings: dict) -> dict[int, dict]:
    """Getis-Ord Gi* of the disputes received in [start, end) per grid; {grid id: {count, z, p, class}}.

    Neighbours are grids that touch (queen contiguity), found by PostGIS with the GiST index and kept
    while the grids stay the same (``_grid_weights``); the statistic is esda's ``G_Local`` with star=True
    on binary weights, p-values from the normal approximation (two-sided). With fewer disputes in all than
    ``hotspot_min_disputes`` (none at all included) every grid is "none": too few to tell a cluster from chance.
    """
    from esda.getisord import G_Local

    params = {"start": start, "end": end, "tz": settings["timezone"]}
    counts = conn.execute(text(
        "SELECT g.id, count(d.id) FROM grid g LEFT JOIN dispute d ON d.grid_id = g.id "
        f"AND d.received_at >= {BOUNDS['start']} AND d.received_at < {BOUNDS['end']} GROUP BY g.id ORDER BY g.id"),
        params).all()
    ids = [i for i, _ in counts]
    y = np.array([n for _, n in counts], dtype=float)
    if not ids:
        return {}
    if y.sum() == 0 or y.sum() < settings["hotspot_min_disputes"]:
        return {i: {"count": int(n), "z": 0.0, "p": 1.0, "class": "none"} for i, n in zip(ids, y)}
    weights = _grid_weights(conn, ids)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # separate clusters of grids are expected
        gi = G_Local(y, weights, transform="B", star=True, permutations=0)
    z = np.nan_to_num(np.asarray(gi.Zs, dtype=float))
    p = np.clip(2 * np.asarray(gi.p_norm, dtype=float), 0, 1)
    return {i: {"count": int(n), "z": round(float(zi), 4), "p": round(float(pi), 6), "class": _class(zi)}
            for i, n, zi, pi in zip(ids, y, z, np.nan_to_num(p, nan=1.0))}


# The last grid weights built, by database, grid version and the grids' ids: (key, weights).
_WEIGHTS: list[tuple] = []
GRID_VERSION_SQL = "SELECT version || '@' || changed_at FROM data_version WHERE table_name = 'grid'"


def _grid_weights(conn, ids: list[int]):
    """Binary queen-contiguity weights of the grids ``ids`` (in that order), each grid its own neighbour
    too (Gi*); built by PostGIS once per version of the grids (a city's adjacency takes about a second)."""
    from libpysal.weights import W, fill_diagonal

    url = conn.get_bind().url if isinstance(conn, Session) else conn.engine.url
    key = (str(url), conn.execute(text(GRID_VERSION_SQL)).scalar(), ids)
    if _WEIGHTS and _WEIGHTS[0][0] == key:
        return _WEIGHTS[0][1]
    neighbours = {i: [] for i in ids}
    for a, b in conn.execute(text("SELECT a.id, b.id FROM grid a JOIN grid b ON a.geom && b.geom AND a.id <> b.id "
                                  "AND ST_Intersects(a.geom, b.geom)")):
        neighbours[a].append(b)
    weights = fill_diagonal(W(neighbours, id_order=ids, silence_warnings=True), 1)
    weights.transform = "B"
    _WEIGHTS[:] = [(key, weights)]
    return weights


# The last hot spots found, by what they were computed from (day, days, versions of disputes and grids).
_HOT: dict[tuple, list[int]] = {}
VERSIONS_SQL = ("SELECT coalesce(string_agg(table_name || ':' || version, ',' ORDER BY table_name), '') "
                "FROM data_version WHERE table_name IN ('dispute', 'grid')")


def hot_grid_ids(conn, settings: dict, days: int | None = None) -> list[int]:
    """The ids of the grids that are Gi* hot spots of the disputes received in the last ``days``
    (default: ``patrol.hotspot_days``), today in the configured time zone.

    Kept while the day and the disputes and grids stay the same: Gi* over a city's grids takes seconds.
    """
    today = clock.now().astimezone(ZoneInfo(settings["timezone"])).date()
    days = settings["patrol"]["hotspot_days"] if days is None else days
    key = (today, days, conn.execute(text(VERSIONS_SQL)).scalar(), str(conn.engine.url))
    if key not in _HOT:
        found = hotspots(conn, today - dt.timedelta(days=days), today + dt.timedelta(days=1), settings)
        _HOT.clear()
        _HOT[key] = [grid for grid, h in found.items() if h["class"].startswith("hot")]
    return list(_HOT[key])
