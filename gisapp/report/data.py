"""What the periodic report shows, gathered from the database (read only: nothing is written).

The period is the week, month or quarter up to and including ``end`` (a day in the configured time
zone): [start, end + 1 day). A month or a quarter goes back one or three calendar months from the
day after ``end`` (so ending on 31 October gives October). The previous period is as many days, just
before. Dispute figures and Gi* hot spots are those of ``gisapp.disputes.figures`` (the API's); the
nets' state and the coverage flags are as they are now (the database keeps no history of them).
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import geopandas as gpd
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp import domain
from gisapp.config import PERIODS as TIMES_OF_DAY
from gisapp.coverage.report import coverage_table
from gisapp.coverage.sql import ACTIVE_AT
from gisapp.disputes.figures import dispute_figures, hotspots, totals

PERIODS = tuple(domain.REPORT_PERIODS)
MONTHS = {"month": 1, "quarter": 3}
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
VILLAGE_CODE = re.compile(r"[0-9]{12}")


class ReportInputError(ValueError):
    """A report request that cannot be made: ``field`` names the option at fault (period, village, end, out)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Request:
    """A checked request: the period's kind, its last day, and the villages (code, name); none: all."""
    period: str
    end: dt.date
    villages: tuple[tuple[str, str], ...] = ()

    @property
    def codes(self) -> list[str]:
        return [code for code, _ in self.villages]


def _months_back(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def period_bounds(period: str, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period [start, stop) of kind ``period`` whose last day is ``end``."""
    stop = end + dt.timedelta(days=1)
    start = stop - dt.timedelta(days=7) if period == "week" else _months_back(stop, MONTHS[period])
    return start, stop


def previous_bounds(start: dt.date, stop: dt.date) -> tuple[dt.date, dt.date]:
    """The period as long as [start, stop), just before it."""
    return start - (stop - start), start


def today(settings: dict, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(settings["timezone"])).date()


def parse_end(raw: str | None, settings: dict, now: dt.datetime) -> dt.date:
    """The last day of the period from ``raw`` (YYYY-MM-DD; empty: today in the configured time zone)."""
    if raw is None or not str(raw).strip():
        return today(settings, now)
    raw = str(raw).strip()
    try:
        if not DATE.fullmatch(raw):
            raise ValueError
        end = dt.date.fromisoformat(raw)
    except ValueError:
        raise ReportInputError("end", f"must be a date as YYYY-MM-DD (such as {today(settings, now)}), "
                                      f"got {raw!r}") from None
    if end > today(settings, now):
        raise ReportInputError("end", f"must not be after today ({today(settings, now)}), got {raw}")
    return end


def check_request(conn, settings: dict, now: dt.datetime, period: str | None, end: str | None,
                  villages: list[str] | tuple[str, ...] = ()) -> Request:
    """A Request from what a person typed, or ReportInputError naming the field at fault."""
    if period not in PERIODS:
        raise ReportInputError("period", f"must be one of {', '.join(PERIODS)}, got {period!r}")
    last = parse_end(end, settings, now)
    wanted = list(dict.fromkeys(v.strip() for v in villages if v and v.strip()))
    codes = [code for code in wanted if VILLAGE_CODE.fullmatch(code)]  # anything else is no village's code
    found = dict(conn.execute(text("SELECT code, name FROM admin_area WHERE level = 'village' AND code = ANY(:codes)"),
                              {"codes": codes}).all()) if codes else {}
    unknown = [code for code in wanted if code not in found]
    if unknown:
        example = conn.execute(text(
            "SELECT code FROM admin_area WHERE level = 'village' ORDER BY code LIMIT 1")).scalar()
        raise ReportInputError("village", f"no village with the code {', '.join(repr(c[:40]) for c in unknown)}"
                               + (f" (a village is its 12-digit code, such as {example})" if example else
                                  " (no villages are loaded)"))
    return Request(period, last, tuple((code, found[code]) for code in wanted))


# -- the figures -------------------------------------------------------------------------------

def _area(column: str) -> str:
    """SQL true when the geometry ``column`` lies in one of the villages :codes (or always, with :all)."""
    return (f"(:all OR EXISTS (SELECT 1 FROM admin_area av WHERE av.level = 'village' AND av.code = ANY(:codes) "
            f"AND av.geom && {column} AND ST_Intersects(av.geom, {column})))")


# The backlog at a period's end (or now, if sooner): every dispute received before it, whenever, still open
# then, and those of them past due; by the disputes' villages, as the figures count them.
BACKLOG_SQL = """
WITH bounds AS (SELECT least(CAST(:now AS timestamptz), CAST(:stop AS date)::timestamp AT TIME ZONE :tz) AS asof)
SELECT count(*) AS open, count(*) FILTER (WHERE d.due_at < b.asof) AS overdue
FROM dispute d CROSS JOIN bounds b LEFT JOIN admin_area v ON v.id = d.village_id
WHERE d.received_at < b.asof AND (d.closed_at IS NULL OR d.closed_at > b.asof) AND (:all OR v.code = ANY(:codes))
"""


def dispute_period(conn, settings: dict, start: dt.date, stop: dt.date, now: dt.datetime,
                   codes: list[str]) -> dict:
    """Dispute figures of [start, stop): per village (``rows``) and all together (``total``), as the API gives them;
    and the ``backlog`` at its end: every dispute still open then and those past due, whenever received."""
    if codes:
        rows = [row for code in codes for row in dispute_figures(conn, "village", start, stop, settings, now, code)]
    else:
        rows = dispute_figures(conn, "village", start, stop, settings, now)
    backlog = conn.execute(text(BACKLOG_SQL), {"now": now, "stop": stop, "tz": settings["timezone"],
                                               "all": not codes, "codes": list(codes)}).mappings().one()
    return {"start": start, "stop": stop, "rows": rows, "total": totals(rows), "backlog": dict(backlog)}


NETS_SQL = f"""
SELECT (SELECT count(*) FROM camera c WHERE {_area('c.geom')}) AS cameras,
       (SELECT count(*) FROM camera c WHERE c.status <> 'planned' AND {_area('c.geom')}) AS cameras_in_service,
       (SELECT count(*) FROM camera c WHERE c.status = 'online' AND {_area('c.geom')}) AS cameras_online,
       (SELECT count(*) FROM camera c WHERE c.status = 'offline' AND {_area('c.geom')}) AS cameras_offline,
       (SELECT count(*) FROM camera c WHERE c.status = 'faulty' AND {_area('c.geom')}) AS cameras_faulty,
       (SELECT count(*) FROM camera c WHERE c.status = 'planned' AND {_area('c.geom')}) AS cameras_planned,
       (SELECT count(*) FROM alarm_point a WHERE a.status <> 'planned' AND {_area('a.geom')}) AS alarms,
       (SELECT count(*) FROM alarm_point a WHERE a.status = 'online' AND {_area('a.geom')}) AS alarms_online,
       r.*
FROM (SELECT count(*) AS routes, count(*) FILTER (WHERE day_on) AS routes_day,
             count(*) FILTER (WHERE night_on) AS routes_night, coalesce(sum(km), 0) AS route_km
      FROM (SELECT {ACTIVE_AT.format(t="CAST(:day AS time)")} AS day_on,
                   {ACTIVE_AT.format(t="CAST(:night AS time)")} AS night_on,
                   ST_Length(CASE WHEN :all THEN r.geom ELSE ST_Intersection(r.geom, (
                       SELECT ST_Union(geom) FROM admin_area WHERE level = 'village' AND code = ANY(:codes))) END
                   ::geography) / 1000 AS km
            FROM patrol_route r WHERE r.active AND {_area('r.geom')}) routes) r
"""

NETS_BY_VILLAGE_SQL = f"""
SELECT v.code AS village_code, v.name AS village, cam.*, al.*, rt.*
FROM admin_area v
CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE c.status <> 'planned') AS cameras_in_service,
                           count(*) FILTER (WHERE c.status = 'online') AS cameras_online
                    FROM camera c WHERE c.geom && v.geom AND ST_Intersects(v.geom, c.geom)) cam
CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE a.status <> 'planned') AS alarms,
                           count(*) FILTER (WHERE a.status = 'online') AS alarms_online
                    FROM alarm_point a WHERE a.geom && v.geom AND ST_Intersects(v.geom, a.geom)) al
CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE {ACTIVE_AT.format(t="CAST(:day AS time)")}) AS routes_day,
                           count(*) FILTER (WHERE {ACTIVE_AT.format(t="CAST(:night AS time)")}) AS routes_night
                    FROM patrol_route r WHERE r.active AND r.geom && v.geom AND ST_Intersects(v.geom, r.geom)) rt
WHERE v.level = 'village' AND (:all OR v.code = ANY(:codes))
ORDER BY v.code
"""


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def nets_state(conn, settings: dict, codes: list[str]) -> dict:
    """The three nets now: cameras (online rate of those in service against the target), alarms, routes."""
    params = {"all": not codes, "codes": codes, "day": settings["coverage"]["day"],
              "night": settings["coverage"]["night"]}
    state = dict(conn.execute(text(NETS_SQL), params).mappings().one())
    state["route_km"] = round(float(state["route_km"]), 2)
    target = settings["report"]["camera_online_target"]
    rate = _rate(state["cameras_online"], state["cameras_in_service"])
    state.update(camera_online_rate=rate, camera_target=target,
                 camera_target_met=None if rate is None else rate >= target,
                 alarm_online_rate=_rate(state["alarms_online"], state["alarms"]))
    villages = []
    for row in conn.execute(text(NETS_BY_VILLAGE_SQL), params).mappings():
        row = dict(row)
        row["camera_online_rate"] = _rate(row["cameras_online"], row["cameras_in_service"])
        row["camera_target_met"] = None if row["camera_online_rate"] is None else row["camera_online_rate"] >= target
        row["alarm_online_rate"] = _rate(row["alarms_online"], row["alarms"])
        villages.append(row)
    state["villages"] = villages
    return state


def coverage_state(conn, codes: list[str]) -> dict:
    """The grids flagged now, by time of day, with when each grid was last computed; and how many are stale."""
    params = {"all": not codes, "codes": codes}
    in_area = "(:all OR v.code = ANY(:codes))"
    computed = {(code, period): at for code, period, at in conn.execute(text(
        "SELECT g.code, gc.period, gc.computed_at FROM grid_coverage gc JOIN grid g ON g.id = gc.grid_id "
        f"JOIN admin_area v ON v.id = g.village_id WHERE {in_area}"), params)}
    flagged = {}
    for period in TIMES_OF_DAY:
        tables = [coverage_table(conn, period, village=code, flagged=True) for code in codes] if codes else \
            [coverage_table(conn, period, flagged=True)]
        table = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
        table["computed_at"] = [computed.get((code, period)) for code in table["grid_code"]]
        flagged[period] = table
    grids, stale, missing = conn.execute(text(
        "SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM coverage_dirty d WHERE d.grid_id = g.id)), "
        "count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM grid_coverage gc WHERE gc.grid_id = g.id)) "
        f"FROM grid g JOIN admin_area v ON v.id = g.village_id WHERE {in_area}"), params).one()
    return {"grids": grids, "stale": stale + missing, "flagged": flagged}


HOTSPOT_ORDER = list(domain.HOTSPOT_CLASSES)


def hotspot_grids(conn, settings: dict, start: dt.date, stop: dt.date, codes: list[str]) -> tuple[list[dict], int]:
    """The grids of the area that are Gi* hot or cold spots of the disputes received in [start, stop)
    (computed over every grid, as the API does), hottest first; and the disputes counted (every grid's)."""
    every = hotspots(conn, start, stop, settings)
    stats = {i: s for i, s in every.items() if s["class"] != "none"}
    rows = conn.execute(text(
        "SELECT g.id, g.code AS grid_code, g.name AS grid, v.code AS village_code, v.name AS village FROM grid g "
        "JOIN admin_area v ON v.id = g.village_id WHERE g.id = ANY(:ids) AND (:all OR v.code = ANY(:codes))"),
        {"ids": list(stats), "all": not codes, "codes": codes}).mappings().all()
    found = [{**{k: r[k] for k in ("village_code", "village", "grid_code", "grid")}, **stats[r["id"]],
              "disputes": stats[r["id"]]["count"]} for r in rows]
    return (sorted(found, key=lambda h: (HOTSPOT_ORDER.index(h["class"]), -abs(h["z"]), h["grid_code"])),
            sum(s["count"] for s in every.values()))


# -- the map's layers --------------------------------------------------------------------------

def _frame(conn, sql: str, params: dict) -> gpd.GeoDataFrame:
    return gpd.read_postgis(text(sql), conn, geom_col="geom", params=params, crs="EPSG:4326")


def map_layers(conn, settings: dict, start: dt.date, stop: dt.date, now: dt.datetime, codes: list[str],
               hot_codes: list[str]) -> dict[str, gpd.GeoDataFrame]:
    """The area's villages, grids, roads, gaps by time of day, the period's disputes (overdue or not) and
    the hot spot grids, in lon/lat."""
    params = {"all": not codes, "codes": codes, "start": start, "stop": stop, "tz": settings["timezone"],
              "now": now, "hot": hot_codes}
    village_where = "v.level = 'village' AND (:all OR v.code = ANY(:codes))"
    layers = {
        "villages": _frame(conn, f"SELECT v.code, v.name, v.geom FROM admin_area v WHERE {village_where} "
                                 "ORDER BY v.code", params),
        "grids": _frame(conn, "SELECT g.code, g.geom FROM grid g JOIN admin_area v ON v.id = g.village_id "
                              f"WHERE {village_where}", params),
        "hot": _frame(conn, "SELECT g.code, g.geom FROM grid g WHERE g.code = ANY(:hot)", params),
        "disputes": _frame(conn, """
            SELECT d.code, d.grade, d.geom,
                   d.due_at < least(CAST(:now AS timestamptz), s.stop) AND
                   (d.closed_at IS NULL OR d.closed_at > least(CAST(:now AS timestamptz), s.stop)) AS overdue
            FROM dispute d CROSS JOIN (SELECT (CAST(:stop AS date)::timestamp AT TIME ZONE :tz) AS stop,
                                              (CAST(:start AS date)::timestamp AT TIME ZONE :tz) AS start) s
            LEFT JOIN admin_area v ON v.id = d.village_id
            WHERE d.received_at >= s.start AND d.received_at < s.stop AND (:all OR v.code = ANY(:codes))
            ORDER BY d.code""", params),
    }
    for period in TIMES_OF_DAY:
        layers[f"gaps_{period}"] = _frame(conn, f"""
            SELECT g.code, gc.gap_geom AS geom FROM grid_coverage gc JOIN grid g ON g.id = gc.grid_id
            JOIN admin_area v ON v.id = g.village_id
            WHERE gc.period = '{period}' AND gc.gap_geom IS NOT NULL AND {village_where}""", params)
    bounds = layers["villages"].total_bounds if len(layers["villages"]) else None
    if bounds is not None:
        x0, y0, x1, y1 = bounds
        layers["roads"] = _frame(conn, "SELECT r.road_class, r.geom FROM road r "
                                       "WHERE r.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)",
                                 {"x0": x0, "y0": y0, "x1": x1, "y1": y1})
    else:
        layers["roads"] = _frame(conn, "SELECT r.road_class, r.geom FROM road r WHERE false", {})
    return layers


# -- the whole report --------------------------------------------------------------------------

@dataclass
class Report:
    """Everything the PDF and the workbook show."""
    request: Request
    area: str
    generated_at: dt.datetime           # in the configured time zone
    timezone: str
    categories: dict[str, str]          # the configured dispute categories (value -> label)
    current: dict = field(default_factory=dict)
    previous: dict = field(default_factory=dict)
    nets: dict = field(default_factory=dict)
    coverage: dict = field(default_factory=dict)
    hotspots: list[dict] = field(default_factory=list)
    hotspot_disputes: tuple[int, int] = (0, 0)   # the period's disputes in all, and the least Gi* is run on
    layers: dict = field(default_factory=dict)

    @property
    def start(self) -> dt.date:
        return self.current["start"]

    @property
    def end(self) -> dt.date:
        """The period's last day (included)."""
        return self.current["stop"] - dt.timedelta(days=1)


STEPS = ("disputes", "previous period", "nets", "coverage", "hot spots", "map")


def _area_name(conn, request: Request) -> str:
    if request.villages:
        return "、".join(name for _, name in request.villages)
    names = conn.execute(text("SELECT name FROM admin_area WHERE level = 'township' ORDER BY code")).scalars().all()
    return "、".join(names) if names else domain.REPORT_TEXT["all_villages"]


def gather(conn, settings: dict, request: Request, now: dt.datetime, step=lambda name: None) -> Report:
    """The report of ``request`` as of ``now``; ``step(name)`` is called as each part is done (a progress bar)."""
    if isinstance(conn, Session):
        conn = conn.connection()
    codes = request.codes
    start, stop = period_bounds(request.period, request.end)
    zone = ZoneInfo(settings["timezone"])
    report = Report(request, _area_name(conn, request), now.astimezone(zone), settings["timezone"],
                    dict(settings["dispute_categories"]))
    report.current = dispute_period(conn, settings, start, stop, now, codes)
    step(STEPS[0])
    report.previous = dispute_period(conn, settings, *previous_bounds(start, stop), now, codes)
    step(STEPS[1])
    report.nets = nets_state(conn, settings, codes)
    step(STEPS[2])
    report.coverage = coverage_state(conn, codes)
    step(STEPS[3])
    report.hotspots, counted = hotspot_grids(conn, settings, start, stop, codes)
    report.hotspot_disputes = (counted, settings["hotspot_min_disputes"])
    step(STEPS[4])
    report.layers = map_layers(conn, settings, start, stop, now, codes,
                               [h["grid_code"] for h in report.hotspots if h["class"].startswith("hot")])
    step(STEPS[5])
    return report
