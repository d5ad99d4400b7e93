"""The report as labelled tables, one per section: what both the workbook and the PDF show.

Headers and values a person reads come from the vocabularies (``gisapp.domain``, the configured dispute
categories, the coverage reasons of ``gisapp.catalogue``). Cells keep their numbers; rates, changes and
times are wrapped so that each writer shows them its own way (Excel number formats, PDF text).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from gisapp import domain
from gisapp.catalogue import COVERAGE_REASONS
from gisapp.config import PERIODS as TIMES_OF_DAY
from gisapp.report.data import Report, previous_bounds

T, C, F = domain.REPORT_TEXT, domain.REPORT_COLUMNS, domain.DISPUTE_FIGURES


@dataclass(frozen=True)
class Rate:
    """A share from 0 to 1 (None: nothing to divide)."""
    value: float | None


@dataclass(frozen=True)
class Change:
    """This period's figure minus the previous one's; ``points`` for a change of rates (percentage points)."""
    value: float | None
    previous: float | None = None
    points: bool = False


@dataclass(frozen=True)
class Time:
    """A moment shown in the configured time zone as YYYY-MM-DD HH:MM."""
    value: dt.datetime | None
    zone: str

    def text(self) -> str:
        return self.value.astimezone(ZoneInfo(self.zone)).strftime("%Y-%m-%d %H:%M") if self.value else ""


@dataclass
class Table:
    section: str                                  # a key of domain.REPORT_SECTIONS
    columns: list[str]                            # the headers (labels)
    rows: list[list] = field(default_factory=list)
    widths: list[float] | None = None             # relative column widths in the PDF
    title: str | None = None                      # a sub-title when a section has several tables
    note: str | None = None                       # said under the table

    @property
    def label(self) -> str:
        return domain.REPORT_SECTIONS[self.section]


def days(start: dt.date, stop: dt.date) -> str:
    """[start, stop) as the days a person reads: first – last (both included)."""
    return f"{start.isoformat()} – {(stop - dt.timedelta(days=1)).isoformat()}"


def _change(now, before, points: bool = False) -> Change:
    if now is None or before is None:
        return Change(None, before, points)
    return Change(round(now - before, 4), before, points)


def _compare(label: str, now, before, rate: bool = False) -> list:
    if rate:
        return [label, Rate(now), Rate(before), _change(now, before, points=True)]
    return [label, now, before, _change(now, before)]


def summary(report: Report) -> Table:
    start, stop = report.current["start"], report.current["stop"]
    cov = report.coverage
    rows = [[T["area"], report.area],
            [T["form_period"], domain.REPORT_PERIODS[report.request.period]],
            [T["this_period"], days(start, stop)],
            [T["previous_period"], days(*previous_bounds(start, stop))],
            [T["generated"], Time(report.generated_at, report.timezone)],
            [T["grids"], cov["grids"]],
            [T["flagged_day"], len(cov["flagged"]["day"])],
            [T["flagged_night"], len(cov["flagged"]["night"])],
            [domain.REPORT_SECTIONS["hotspots"], sum(h["class"].startswith("hot") for h in report.hotspots)]]
    if cov["stale"]:
        rows.append([T["stale"], cov["stale"]])
    return Table("summary", [C["item"], C["value"]], rows, [0.45, 0.55])


def disputes(report: Report) -> Table:
    now, before = report.current["total"], report.previous["total"]
    rows = [_compare(label, now[key], before[key], rate=key == "resolution_rate") for key, label in F.items()]
    rows += [_compare(T[f"backlog_{key}"], report.current["backlog"][key], report.previous["backlog"][key])
             for key in ("open", "overdue")]
    return Table("disputes", [C["item"], C["current"], C["previous"], C["change"]], rows, [0.34, 0.2, 0.22, 0.24])


def categories(report: Report) -> Table:
    now, before = report.current["total"]["by_category"], report.previous["total"]["by_category"]
    keys = list(report.categories) + sorted((set(now) | set(before)) - set(report.categories))
    rows = [_compare(report.categories.get(k, k), now.get(k, 0), before.get(k, 0)) for k in keys]
    return Table("categories", [C["category"], C["current"], C["previous"], C["change"]], rows,
                 [0.34, 0.2, 0.22, 0.24])


def grades(report: Report) -> Table:
    now, before = report.current["total"]["by_grade"], report.previous["total"]["by_grade"]
    rows = [_compare(label, now[g], before[g]) for g, label in domain.DISPUTE_GRADES.items()]
    return Table("grades", [C["grade"], C["current"], C["previous"], C["change"]], rows,
                 [0.34, 0.2, 0.22, 0.24])


def villages(report: Report) -> Table:
    names = [(v["village_code"], v["village"]) for v in report.nets["villages"]]
    now = {r["code"]: r for r in report.current["rows"]}
    before = {r["code"]: r for r in report.previous["rows"]}
    codes = [code for code, _ in names] + sorted({c for c in (*now, *before) if c not in dict(names)},
                                                 key=lambda c: (c is None, c or ""))
    labels = dict(names)
    rows = []
    for code in codes:
        r, b = now.get(code, {}), before.get(code, {})
        name = labels.get(code) or r.get("name") or b.get("name") or "—"
        received, earlier = r.get("received", 0), b.get("received", 0)
        rows.append([code or "—", name, received, r.get("closed", 0), Rate(r.get("resolution_rate")),
                     r.get("open", 0), r.get("overdue", 0), earlier, _change(received, earlier)])
    columns = [C["village_code"], C["village"], *F.values(), f"{C['previous']} · {F['received']}",
               f"{C['change']} · {F['received']}"]
    return Table("villages", columns, rows, [0.16, 0.12, 0.08, 0.08, 0.1, 0.08, 0.08, 0.13, 0.17])


def nets(report: Report) -> Table:
    n, N = report.nets, domain.NET_FIGURES
    met = n["camera_target_met"]
    rows = [[N["cameras_in_service"], n["cameras_in_service"]], [N["cameras_online"], n["cameras_online"]],
            [N["camera_online_rate"], Rate(n["camera_online_rate"])], [N["camera_target"], Rate(n["camera_target"])],
            [N["camera_target_met"], "—" if met is None else domain.TARGET_MET[met]],
            [N["cameras_offline"], n["cameras_offline"]], [N["cameras_faulty"], n["cameras_faulty"]],
            [N["cameras_planned"], n["cameras_planned"]],
            [N["alarms"], n["alarms"]], [N["alarms_online"], n["alarms_online"]],
            [N["alarm_online_rate"], Rate(n["alarm_online_rate"])],
            [N["routes"], n["routes"]], [N["routes_day"], n["routes_day"]], [N["routes_night"], n["routes_night"]],
            [N["route_km"], n["route_km"]]]
    return Table("nets", [C["item"], C["value"]], rows, [0.6, 0.4], note=T["nets_now"])


def nets_villages(report: Report) -> Table:
    N = domain.NET_FIGURES
    columns = [C["village_code"], C["village"], N["cameras_in_service"], N["cameras_online"], N["camera_online_rate"],
               N["camera_target_met"], N["alarms"], N["alarms_online"], N["routes_day"], N["routes_night"]]
    rows = [[v["village_code"], v["village"], v["cameras_in_service"], v["cameras_online"],
             Rate(v["camera_online_rate"]),
             "—" if v["camera_target_met"] is None else domain.TARGET_MET[v["camera_target_met"]],
             v["alarms"], v["alarms_online"], v["routes_day"], v["routes_night"]] for v in report.nets["villages"]]
    return Table("nets_villages", columns, rows, [0.15, 0.1, 0.09, 0.09, 0.1, 0.1, 0.09, 0.09, 0.1, 0.1],
                 note=T["nets_now"])


def reasons(value: str) -> str:
    return "、".join(COVERAGE_REASONS.get(r, r) for r in value.split(",") if r) if value else ""


def flagged(report: Report) -> Table:
    columns = [C["period"], C["village"], C["grid_code"], C["grid"], C["covered_share"], C["camera_share"],
               C["alarm_share"], C["patrol_share"], C["gap_m2"], C["reasons"], C["computed_at"]]
    rows = []
    for period in TIMES_OF_DAY:
        for r in report.coverage["flagged"][period].to_dict("records"):
            rows.append([T[period], r["village"], r["grid_code"], r["grid"], Rate(r["covered_share"]),
                         Rate(r["camera_share"]), Rate(r["alarm_share"]), Rate(r["patrol_share"]),
                         round(float(r["gap_m2"])), reasons(r["reasons"]), Time(r["computed_at"], report.timezone)])
    note = T["flags_now"] + (f"; {T['stale']}: {report.coverage['stale']}" if report.coverage["stale"] else "")
    return Table("flagged", columns, rows, [0.05, 0.07, 0.12, 0.1, 0.065, 0.055, 0.055, 0.055, 0.07, 0.225, 0.135],
                 note=note)


def hotspot_table(report: Report) -> Table:
    columns = [C["village"], C["grid_code"], C["grid"], C["disputes"], C["z"], C["p"], C["class"]]
    rows = [[h["village"], h["grid_code"], h["grid"], h["disputes"], h["z"], h["p"],
             domain.HOTSPOT_CLASSES.get(h["class"], h["class"])] for h in report.hotspots]
    counted, least = report.hotspot_disputes
    note = T["hotspot_note"] + ("; " + T["too_few_disputes"].format(n=counted, least=least) if counted < least else "")
    return Table("hotspots", columns, rows, [0.12, 0.2, 0.12, 0.1, 0.1, 0.12, 0.24], note=note)


def all_tables(report: Report) -> list[Table]:
    """Every section's table, in the report's order."""
    return [summary(report), disputes(report), categories(report), grades(report), villages(report),
            nets(report), nets_villages(report), flagged(report), hotspot_table(report)]
