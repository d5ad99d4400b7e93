"""Proposing new cameras for an area: the instance from PostGIS, the optimiser, the answer as GeoJSON.

Maximal covering (``mclp``): the most demand weight covered within the budget (a count of cameras
and/or a total cost), by the fast method (lazy greedy, then swaps) or the exact one (a MIP with
HiGHS, time-limited, reporting its gap). Set covering (``lscp``): the fewest cameras covering every
key place that must be covered, and the list of those no candidate reaches. Existing online cameras
are kept: what they cover counts as covered before, and is worth nothing more.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import text

from gisapp import clock, domain
from gisapp.disputes.figures import hot_grid_ids
from gisapp.siting import instance as build
from gisapp.siting.solve import Budget, Instance, cover_all, exact, greedy, improve, marginal, value

PROBLEMS = ("mclp", "lscp")
METHODS = ("fast", "exact")


class SitingError(ValueError):
    """A proposal cannot be made as asked; ``field`` names what is at fault, the message why."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass
class Request:
    """A siting proposal's parameters (validated at the edge)."""
    area_wkt: str                              # the area, lon/lat
    count: int | None = None                   # at most so many cameras
    cost: float | None = None                  # at most so much in all
    kinds: tuple[str, ...] = ("bullet", "dome")
    purpose: str | None = None                 # DORI purpose (None: range_m, else the configured purpose)
    range_m: float | None = None
    weights: dict = field(default_factory=dict)  # merged over the configured weights
    problem: str = "mclp"
    method: str = "fast"
    generated: bool = False                    # candidate sites made along the roads instead of the layer's


def weights_of(settings: dict, given: dict) -> dict:
    """The configured demand weights with ``given`` over them (disputes by grade)."""
    configured = settings["siting"]["weights"]
    return {"disputes": {**configured["disputes"], **given.get("disputes", {})},
            **{k: float(given.get(k, configured[k])) for k in ("gaps", "hotspots", "alarms", "key_places")}}


def ranges(settings: dict, request: Request) -> dict[str, float]:
    """Each kind's range in metres: as given, or from the purpose (IEC 62676-4 DORI)."""
    if request.range_m is not None:
        return {kind: float(request.range_m) for kind in request.kinds}
    purpose = request.purpose or settings["siting"]["default_purpose"]
    return {kind: round(build.dori_range(kind, purpose, settings), 1) for kind in request.kinds}


def _by_kind(weights: np.ndarray, kinds: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    return {kind: round(float(weights[mask & (kinds == kind)].sum()), 3) for kind in domain.DEMAND_KINDS}


def _in_order(inst, chosen: list[int]) -> list[int]:
    """``chosen`` ordered as the greedy would take them: each next the one adding most (the marginal curve falls)."""
    sub = inst.cover[chosen].tocsr()             # one sparse product a round: linear in the pairs, not in p²
    uncovered, left, order = inst.weight.astype(float).copy(), np.ones(len(chosen), dtype=bool), []
    for _ in chosen:
        gains = np.where(left, sub @ uncovered, -np.inf)
        best = int(np.argmax(gains))
        left[best] = False
        order.append(chosen[best])
        uncovered[sub.indices[sub.indptr[best]:sub.indptr[best + 1]]] = 0.0
    return order


OPTIONS_SQL = """
SELECT j, site, kind, azimuth, fov, range_m, cost, ST_X(geom) AS lon, ST_Y(geom) AS lat, ST_AsGeoJSON(view, 7) AS view
FROM siting_option WHERE j = ANY(:js)
"""


def build_demand(conn, settings: dict, area_wkt: str, given_weights: dict) -> dict:
    """Build the temporary demand table of the area (WKT, lon/lat) with the configured weights, those given
    over them; disputes count from ``siting.recent_days`` ago (local midnight). Returns the weights used."""
    zone = ZoneInfo(settings["timezone"])
    today = clock.now().astimezone(zone).date()
    since = dt.datetime.combine(today - dt.timedelta(days=settings["siting"]["recent_days"]), dt.time(), zone)
    weights = weights_of(settings, given_weights)
    hot = hot_grid_ids(conn, settings) if weights["hotspots"] > 0 else []
    build.build_demand(conn, settings, area_wkt, weights, hot, since)
    return weights


def _shortfall(inst: Instance, budget: Budget, chosen: list[int], must: np.ndarray | None) -> dict | None:
    """Why the proposal has fewer cameras than the count asked for (or none), as {reason, cheapest}: every key
    place already covered (LSCP), the budget spent down to less than the cheapest option left, or nothing left
    that adds coverage (domain.SITING_SHORTFALLS); None when nothing is short."""
    if must is not None:
        return {"reason": "all_covered", "cheapest": None} if must.size == 0 else None
    if budget.count is not None and len(chosen) >= budget.count:
        return None
    spent = float(inst.cost[chosen].sum()) if chosen else 0.0
    free = inst.cost[~np.isin(inst.site, inst.site[chosen])] if chosen else inst.cost  # one camera a site
    cheapest = float(free.min()) if free.size else None
    if budget.cost is not None and cheapest is not None and spent + cheapest > budget.cost + 1e-9:
        return {"reason": "budget", "cheapest": round(cheapest, 2)}
    return {"reason": "nothing_more", "cheapest": None}


def propose(conn, settings: dict, request: Request) -> dict:
    """Proposed cameras for ``request`` over ``conn`` (temporary tables only: nothing is kept).

    Returns a GeoJSON FeatureCollection of the cameras (point: the site; properties: site, kind,
    azimuth, fov_deg, range_m, cost, value added in order, view as GeoJSON) with ``totals`` (demand
    weight by kind: all, covered before, covered after), the ``marginal`` curve, the method's
    ``proven``/``gap``, for LSCP the must-cover places no candidate reaches, and ``shortfall`` (null, or
    why fewer cameras than asked for: ``_shortfall``). SitingError when the area has no candidates or no
    demand worth watching.
    """
    siting = settings["siting"]
    weights = build_demand(conn, settings, request.area_wkt, request.weights)
    kind_ranges = ranges(settings, request)
    build.build_options(conn, settings, request.area_wkt, kind_ranges, request.generated)
    inst, facts = build.read_instance(conn)
    if inst.options == 0:
        raise SitingError("no candidate site in the area takes the kinds asked for"
                          + ("" if request.generated else " (add sites, or generate them along the roads)"), "area")
    budget = Budget(request.count, request.cost)
    answer = {"proven": None, "gap": None, "unreachable": []}
    if request.problem == "lscp":
        must = np.flatnonzero(facts["must"] & ~facts["locked"])
        found, unreachable = cover_all(inst, must, float(siting["exact_seconds"]))
        chosen = found.chosen
        answer.update(proven=found.proven, gap=found.gap,
                      unreachable=[facts["ref"][i] for i in unreachable])
    else:
        if not (inst.weight > 0).any():
            raise SitingError("nothing in the area is worth watching with these weights", "weights")
        chosen = improve(inst, greedy(inst, budget), budget)
        if request.method == "exact":
            found = exact(inst, budget, float(siting["exact_seconds"]), start=chosen)
            if found.chosen and value(inst, found.chosen) >= value(inst, chosen) - 1e-9:
                chosen = found.chosen
            answer.update(proven=found.proven, gap=found.gap)
    order = _in_order(inst, chosen)
    gains = marginal(inst, order)
    rows = {row.j: row for row in conn.execute(text(OPTIONS_SQL), {"js": order})}
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [rows[j].lon, rows[j].lat]},
                 "properties": {"rank": n + 1, "site": rows[j].site, "kind": rows[j].kind,
                                "azimuth": rows[j].azimuth, "fov_deg": rows[j].fov, "range_m": rows[j].range_m,
                                "cost": rows[j].cost, "value": round(gain, 3), "view": json.loads(rows[j].view)}}
                for n, (j, gain) in enumerate(zip(order, gains))]
    answer["shortfall"] = _shortfall(inst, budget, chosen, must if request.problem == "lscp" else None)
    covered_after = facts["locked"].copy()
    if order:
        covered_after |= np.asarray(inst.cover[order].sum(axis=0)).ravel() > 0
    everything = np.ones(len(inst.weight), dtype=bool)
    answer.update({
        "type": "FeatureCollection", "features": features, "problem": request.problem, "method": request.method,
        "ranges_m": kind_ranges, "weights": weights,
        "totals": {"demand": _by_kind(inst.weight, facts["kind"], everything),
                   "before": _by_kind(inst.weight, facts["kind"], facts["locked"]),
                   "after": _by_kind(inst.weight, facts["kind"], covered_after),
                   "cameras": len(order), "cost": round(float(inst.cost[order].sum()), 2) if order else 0.0,
                   "candidates": int(inst.options)},
        "marginal": [round(g, 3) for g in gains]})
    return answer
