"""Patrol proposal benchmark: our optimiser against an exact MIP and a greedy baseline, then a city's scale.

    .venv/bin/pip install -e '.[bench]'      # PuLP and highspy (HiGHS); PuLP also ships CBC
    .venv/bin/python bench/routes.py         # quality on 24 small instances, then a demo city of 300 villages
    .venv/bin/python bench/routes.py --mip both --skip-scale     # CBC as a second opinion
    .venv/bin/python bench/routes.py --skip-quality --scale city # the whole city (slow to load)

1. Quality. Seeded team-orienteering instances of at most 30 stops on small random road-like
   graphs (a jittered 7 x 7 lattice with a quarter of its streets missing and a few diagonals;
   travel minutes are shortest paths): edge stops (the two directions of one street: one group, at
   most one of them ridden, the ride's minutes as service), dwell stops at hot spots (12 minutes)
   and alarm stops (no dwell), as ``propose`` makes them; 16, 24 and 30 stops, 1 and 2 routes,
   closed tours and open ones, budgets of 45 and 90 minutes. Each is solved by
   (a) ``orienteering.solve`` called exactly as ``propose`` calls it, with the configured search
       time and with 0.5 s;
   (b) an exact MIP of the same problem through PuLP, with HiGHS (default) or CBC: two-index arcs,
       time carried as a single-commodity flow (which also rules out subtours), warm-started from
       the greedy routes, with a time limit; "not proven" when the solver stopped before proving,
       and then HiGHS's bound says how far the optimum can be;
   (c) a greedy baseline: route after route, the stop of best value per minute next, while the
       way to the end still fits.
   Every route of every method is checked (budget, one visit per group), and each method's value
   is given as a share of the optimum.
2. Scale. A fresh database on the embedded cluster (or DATABASE_URL's server) with the demo city
   of ``--scale`` villages and its coverage (gaps are worth collecting), the network's figures and
   the time of ``network.build``, then ``propose`` for the township team whose base is nearest the
   middle of the city (motorcycle, 120 minutes, closed, the configured weights), once cold and
   ``--repeats`` times after, with 1 and 2 routes, and where the time went. The database is dropped
   at the end.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, shortest_path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gisapp.config import load_settings  # noqa: E402
from gisapp.patrol import orienteering  # noqa: E402
from gisapp.patrol.orienteering import Stop  # noqa: E402

EPS = 1e-6  # minutes: slack when checking a route against its budget


# ---------------------------------------------------------------------------------------------
# Instances


@dataclass
class Instance:
    name: str
    travel: np.ndarray          # minutes between places (shortest paths), as propose builds it
    stops: list[Stop]
    values: dict[int, float]    # by group
    start: int
    end: int
    budget: float
    routes: int
    kinds: str                  # e.g. "8 edges, 4 hot spots, 2 alarms"


def road_graph(rng: np.random.Generator, side: int = 7, minutes_per_step: float = 3.0):
    """A small road-like graph: a jittered ``side`` x ``side`` lattice, a quarter of its streets
    missing (it stays connected), a few diagonals, minutes by length and a slow-down per street.
    Returns the vertices' coordinates, the edges (a, b, minutes) and all-pairs shortest minutes."""
    xy = np.array([(c, r) for r in range(side) for c in range(side)], float) + rng.uniform(-0.3, 0.3, (side * side, 2))
    lattice = [(r * side + c, r * side + c + 1) for r in range(side) for c in range(side - 1)]
    lattice += [(r * side + c, (r + 1) * side + c) for r in range(side - 1) for c in range(side)]
    diagonals = [(r * side + c, (r + 1) * side + c + 1) for r in range(side - 1) for c in range(side - 1)]
    order = rng.permutation(len(lattice))
    kept = list(lattice)
    for i in order[: len(lattice) // 4]:           # drop a quarter of the streets, keeping it connected
        trial = [e for e in kept if e != lattice[i]]
        if _connected(trial, side * side):
            kept = trial
    kept += [diagonals[i] for i in rng.choice(len(diagonals), size=len(diagonals) // 8, replace=False)]
    edges = [(a, b, float(np.linalg.norm(xy[a] - xy[b]) * minutes_per_step * rng.uniform(1.0, 1.4))) for a, b in kept]
    n = side * side
    graph = csr_matrix(([m for _, _, m in edges], ([a for a, _, _ in edges], [b for _, b, _ in edges])), shape=(n, n))
    return xy, edges, shortest_path(graph, directed=False)


def _connected(edges, n) -> bool:
    graph = csr_matrix((np.ones(len(edges)), ([a for a, _ in edges], [b for _, b in edges])), shape=(n, n))
    return connected_components(graph, directed=False)[0] == 1


def make_instance(seed: int, n_stops: int, routes: int, closed: bool, budget: float) -> Instance:
    """An instance of ``n_stops`` stops (about 2/3 of them the two directions of streets)."""
    rng = np.random.default_rng(seed)
    _, edges, dist = road_graph(rng)
    n_vertices = dist.shape[0]
    n_edge_groups = round(n_stops * 2 / 3 / 2)
    n_vertex = n_stops - 2 * n_edge_groups
    n_hot = (n_vertex + 1) // 2
    n_alarm = n_vertex - n_hot
    start = int(rng.integers(n_vertices))
    end = start if closed else int(np.argsort(dist[start])[int(n_vertices * rng.uniform(0.5, 0.8))])

    groups: list[list[tuple[int, int, float]]] = []
    values: list[float] = []
    for i in rng.choice(len(edges), size=n_edge_groups, replace=False):
        a, b, minutes = edges[i]
        if rng.uniform() < 0.6:   # disputes within sight of the street, by grade
            value = float(sum(rng.choice([1.0, 2.0, 3.0], p=[0.6, 0.3, 0.1]) for _ in range(rng.integers(1, 4))))
        else:                     # road in a coverage gap: 2 per km (a minute ~ 0.42 km at 25 km/h)
            value = round(2.0 * minutes * 25 / 60 * rng.uniform(0.3, 1.0), 3)
        groups.append([(a, b, minutes), (b, a, minutes)])
        values.append(value)
    for v in rng.choice(n_vertices, size=n_hot, replace=False):
        groups.append([(int(v), int(v), 12.0)])
        values.append(2.0)
    for v in rng.choice(n_vertices, size=n_alarm, replace=False):
        groups.append([(int(v), int(v), 0.0)])
        values.append(1.0)

    # As propose does: the places are the start, the end and the stops' ends, sorted; a matrix among them.
    places = sorted({start, end} | {p for g in groups for a, b, _ in g for p in (a, b)})
    index = {v: i for i, v in enumerate(places)}
    travel = dist[np.ix_(places, places)]
    stops = [Stop(index[a], index[b], s, g) for g, members in enumerate(groups) for a, b, s in members]
    kinds = f"{n_edge_groups} streets, {n_hot} hot spots, {n_alarm} alarms"
    name = f"s{seed}-n{len(stops)}-k{routes}-{'closed' if closed else 'open'}-b{budget:g}"
    return Instance(name, travel, stops, dict(enumerate(values)), index[start], index[end], budget, routes, kinds)


def instances(seed: int) -> list[Instance]:
    found = []
    for n_stops in (16, 24, 30):
        for routes in (1, 2):
            for closed in (True, False):
                for budget in (45.0, 90.0):
                    seed += 1
                    found.append(make_instance(seed, n_stops, routes, closed, budget))
    return found


# ---------------------------------------------------------------------------------------------
# Checking and valuing routes


def arc_minutes(inst: Instance, frm: int | None, to: int | None) -> float:
    """Minutes from leaving ``frm`` (None: the start) to leaving ``to`` (None: reaching the end)."""
    at = inst.start if frm is None else inst.stops[frm].leave
    if to is None:
        return inst.travel[at, inst.end]
    return inst.travel[at, inst.stops[to].arrive] + inst.stops[to].service


def route_minutes(inst: Instance, route: list[int]) -> float:
    if not route:
        return 0.0
    legs = [None] + route + [None]
    return sum(arc_minutes(inst, a, b) for a, b in zip(legs[:-1], legs[1:]) if not (a is None and b is None))


def check(inst: Instance, routes: list[list[int]], who: str) -> tuple[float, list[str]]:
    """The routes' value, and what is wrong with them (empty when they are a valid answer)."""
    problems = []
    if len(routes) != inst.routes:
        problems.append(f"{who}: {len(routes)} routes, {inst.routes} asked")
    seen: set[int] = set()
    for r, route in enumerate(routes):
        minutes = route_minutes(inst, route)
        if minutes > inst.budget + EPS:
            problems.append(f"{who}: route {r} takes {minutes:.3f} min > budget {inst.budget:g}")
        for i in route:
            g = inst.stops[i].group
            if g in seen:
                problems.append(f"{who}: group {g} visited twice (stop {i})")
            seen.add(g)
    return sum(inst.values[g] for g in seen), problems


# ---------------------------------------------------------------------------------------------
# The three methods


def ours(inst: Instance, seconds: float) -> tuple[list[list[int]], float]:
    """``orienteering.solve`` with exactly the arguments ``propose`` gives it."""
    started = time.perf_counter()
    chosen = orienteering.solve(inst.travel, inst.stops, inst.values, inst.start, inst.end,
                                inst.budget, inst.routes, seconds)
    return chosen, time.perf_counter() - started


def greedy(inst: Instance) -> tuple[list[list[int]], float]:
    """Route after route: the stop of best value per minute next, while the way to the end still fits."""
    started = time.perf_counter()
    taken: set[int] = set()
    routes = []
    for _ in range(inst.routes):
        route, at, used = [], None, 0.0
        while True:
            best, best_key = None, None
            for i, stop in enumerate(inst.stops):
                if stop.group in taken:
                    continue
                step = arc_minutes(inst, at, i)
                back = inst.travel[stop.leave, inst.end]
                if not (math.isfinite(step) and math.isfinite(back)) or used + step + back > inst.budget + EPS:
                    continue
                key = (inst.values[stop.group] / step if step > 0 else math.inf, -step)
                if best_key is None or key > best_key:
                    best, best_key = i, key
            if best is None:
                break
            route.append(best)
            taken.add(inst.stops[best].group)
            used += arc_minutes(inst, at, best)
            at = best
        routes.append(route)
    return routes, time.perf_counter() - started


def exact(inst: Instance, seconds: float, warm: list[list[int]] | None, threads: int | None,
          solver_name: str = "highs"):
    """The optimum by a MIP (PuLP with HiGHS, or CBC). Returns (routes, value, proven, seconds, bound);
    the bound (HiGHS only) is the most any solution can be worth, when the time limit stopped it.

    Nodes: the start s, the stops, the end e (a copy of s for a closed tour). Binary x[i,j] for the
    arcs that can be on some route within the budget (a stop's two directions never follow each
    other); y[i] = 1 when stop i is visited: one arc in, one out, at most one stop per group, at
    most ``routes`` arcs leave s. Time is a single-commodity flow: f[i,j] is the minutes since the
    start when the route leaves stop i along (i,j), so out-flow = in-flow + the minutes of the arc
    taken in (travel + service), which rules out subtours (every cycle takes time; the only zero
    arcs join alarms at the start or at a hot spot's vertex, and a cycle needs a positive arc), and
    earliest(i)·x ≤ f[i,j] ≤ (budget − minutes(i,j) − way from j to the end)·x, which both bounds the
    route's minutes and tightens the LP. 2-cycles are cut explicitly. Maximise the value collected.
    """
    import pulp

    n, s, e = len(inst.stops), -1, -2
    node_stop = {s: None, e: None}

    def minutes(i, j):
        return arc_minutes(inst, node_stop.get(i, i), node_stop.get(j, j))

    earliest = {i: minutes(s, i) for i in range(n)}
    tail = {i: inst.travel[inst.stops[i].leave, inst.end] for i in range(n)}
    usable = [i for i in range(n) if earliest[i] + tail[i] <= inst.budget + EPS]
    earliest[s], tail[e] = 0.0, 0.0
    arcs = {}
    for i in [s] + usable:
        for j in usable + [e]:
            if i == j or (i == s and j == e):
                continue
            if i >= 0 and j >= 0 and inst.stops[i].group == inst.stops[j].group:
                continue
            m = minutes(i, j)
            if math.isfinite(m) and earliest[i] + m + tail[j] <= inst.budget + EPS:
                arcs[i, j] = m

    prob = pulp.LpProblem("team_orienteering", pulp.LpMaximize)
    x = {a: pulp.LpVariable(f"x_{a[0]}_{a[1]}".replace("-", "m"), cat="Binary") for a in arcs}
    y = {i: pulp.LpVariable(f"y_{i}", cat="Binary") for i in usable}
    f = {a: pulp.LpVariable(f"f_{a[0]}_{a[1]}".replace("-", "m"), lowBound=0) for a in arcs if a[0] != s}
    out_of = {i: [a for a in arcs if a[0] == i] for i in [s] + usable}
    into = {j: [a for a in arcs if a[1] == j] for j in usable + [e]}
    prob += pulp.lpSum(inst.values[inst.stops[i].group] * y[i] for i in usable)
    for i in usable:
        prob += pulp.lpSum(x[a] for a in out_of[i]) == y[i], f"out_{i}"
        prob += pulp.lpSum(x[a] for a in into[i]) == y[i], f"in_{i}"
        prob += (pulp.lpSum(f[a] for a in out_of[i]) - pulp.lpSum(f[a] for a in into[i] if a[0] != s)
                 == pulp.lpSum(arcs[a] * x[a] for a in into[i])), f"time_{i}"
    groups: dict[int, list[int]] = {}
    for i in usable:
        groups.setdefault(inst.stops[i].group, []).append(i)
    for g, members in groups.items():
        if len(members) > 1:
            prob += pulp.lpSum(y[i] for i in members) <= 1, f"group_{g}"
    prob += pulp.lpSum(x[a] for a in out_of[s]) <= inst.routes, "routes"
    prob += pulp.lpSum(x[a] for a in into[e]) == pulp.lpSum(x[a] for a in out_of[s]), "ends"
    for (i, j), m in arcs.items():
        if i != s:
            prob += f[i, j] >= earliest[i] * x[i, j], f"early_{i}_{j}".replace("-", "m")
            prob += f[i, j] <= (inst.budget - m - tail[j]) * x[i, j], f"late_{i}_{j}".replace("-", "m")
        if i >= 0 and j >= 0 and i < j and (j, i) in arcs:
            prob += x[i, j] + x[j, i] <= y[i], f"two_{i}_{j}"

    if warm:
        for v in list(x.values()) + list(y.values()) + list(f.values()):
            v.setInitialValue(0)
        for route in warm:
            legs = [s] + route + [e] if route else []
            clock = 0.0
            for a, b in zip(legs[:-1], legs[1:]):
                if a >= 0:
                    f[a, b].setInitialValue(clock)
                x[a, b].setInitialValue(1)
                clock += arcs[a, b]
            for i in route:
                y[i].setInitialValue(1)

    bound = None
    if solver_name == "cbc":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)   # PULP_CBC_CMD: PuLP 4 will want COIN_CMD
            solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=seconds, warmStart=bool(warm), threads=threads, gapRel=0)
    else:
        solver = _highs(pulp)(msg=False, timeLimit=seconds, threads=threads, gapRel=0, warm=bool(warm))
    started = time.perf_counter()
    prob.solve(solver)
    took = time.perf_counter() - started
    proven = prob.sol_status == pulp.LpSolutionOptimal
    bound = getattr(solver, "bound", None)
    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return [[] for _ in range(inst.routes)], 0.0, False, took, bound
    nxt = {a[0]: a[1] for a, v in x.items() if v.value() > 0.5 and a[0] != s}
    routes = []
    for a, v in x.items():
        if a[0] == s and v.value() > 0.5:
            route, at = [], a[1]
            while at != e:
                route.append(at)
                at = nxt[at]
            routes.append(route)
    routes += [[] for _ in range(inst.routes - len(routes))]
    return routes, pulp.value(prob.objective) or 0.0, proven, took, bound


def _highs(pulp):
    """PuLP's HiGHS (through highspy), given the warm start PuLP does not pass on, and keeping the
    dual bound (the most any solution could be worth) for runs stopped by the time limit."""
    import highspy

    class HiGHS(pulp.HiGHS):
        def __init__(self, *args, warm: bool = False, **kwargs):
            super().__init__(*args, **kwargs)
            self.warm, self.bound = warm, None

        def callSolver(self, lp):
            if self.warm:
                start = highspy.HighsSolution()
                start.col_value = [float(v.varValue or 0.0) for v in lp.variables()]
                start.value_valid = True
                lp.solverModel.setSolution(start)
            lp.solverModel.run()
            self.bound = -lp.solverModel.getInfo().mip_dual_bound   # PuLP gives HiGHS the negated objective

    return HiGHS


# ---------------------------------------------------------------------------------------------
# The scale part


@contextmanager
def city_database(scale: str, prefix: str = "gisapp_bench_routes"):
    """A fresh database on the embedded cluster (or DATABASE_URL's server) holding the demo city of
    ``scale`` villages (or "city"), its coverage computed (which also computes the patrols' reach by
    road) and its network built once more (timed), then the reach again (the rebuild empties it);
    dropped on the way out, whatever happens.

    Yields a namespace: engine, settings (pointing at that database), villages, and the seconds
    ``loaded``, ``covered``, ``built`` and ``reached``, with the network's ``status``."""
    from sqlalchemy import create_engine, text
    from timing import scratch_database

    from gisapp.coverage import recompute
    from gisapp.demo import load_demo
    from gisapp.patrol import network, reach

    with scratch_database(prefix) as url:
        engine = create_engine(url)
        try:
            settings = load_settings({"database_url": url})
            started = time.perf_counter()
            load_demo(engine, settings, scale=scale, progress=False)
            loaded = time.perf_counter() - started
            started = time.perf_counter()
            recompute(engine, settings)
            covered = time.perf_counter() - started
            with engine.begin() as conn:
                started = time.perf_counter()
                status = network.build(conn, settings)
                built = time.perf_counter() - started
                villages = conn.execute(text("SELECT count(*) FROM admin_area WHERE level = 'village'")).scalar()
            with engine.begin() as conn:   # the rebuild emptied the patrols' reach: bring it back, as the next write would
                started = time.perf_counter()
                reach.refresh(conn, settings)
                reached = time.perf_counter() - started
            yield SimpleNamespace(engine=engine, settings=settings, villages=villages, loaded=loaded, covered=covered,
                                  built=built, status=status, reached=reached)
        finally:
            engine.dispose()


def scale_run(scale: str, repeats: int) -> None:
    from sqlalchemy import text
    from timing import time_statements
    from sqlalchemy.exc import DBAPIError

    from gisapp.patrol import propose, routing

    with city_database(scale) as city:
        engine, settings, status = city.engine, city.settings, city.status
        print(f"\n== Scale: the demo city, scale={scale!r} ({city.villages} villages) ==")
        print("load average (1, 5, 15 min) at the start: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
        print(f"loaded in {city.loaded:.1f} s (network built with it); coverage (for the gaps) in {city.covered:.1f} s")
        print(f"network: {status.edges:,} edges, {status.vertices:,} vertices, {status.length_km:,.0f} km, "
              f"{status.components} component(s), largest {status.largest_share:.1%}, "
              f"{status.dangling_ends:,} dangling ends; network.build {city.built:.2f} s")

        with engine.connect() as conn:   # the team whose base is nearest the middle of the city
            code, lon, lat = conn.execute(text(
                "SELECT b.code, ST_X(b.geom), ST_Y(b.geom) FROM patrol_base b, "
                "(SELECT ST_Centroid(ST_Collect(geom)) AS c FROM patrol_base) m ORDER BY b.geom <-> m.c LIMIT 1")).one()

        with engine.connect() as conn:
            invalid = conn.execute(text("SELECT count(*) FILTER (WHERE NOT ST_IsValid(gap_geom)), count(gap_geom) "
                                        "FROM grid_coverage")).one()
        print(f"grid_coverage: {invalid[0]} of {invalid[1]} gap geometries are not valid (ST_IsValid)")

        # Where the time goes: wrap the steps propose calls (timing only; the calls are unchanged).
        spent: dict[str, float] = {}
        sizes: dict[str, int] = {}

        def timed(label, fn):
            def wrapper(*args, **kwargs):
                t0 = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                finally:
                    spent[label] = spent.get(label, 0.0) + time.perf_counter() - t0
            return wrapper

        def solve_sized(travel, stops, values, *args, **kwargs):
            sizes.update(places=len(travel), stops=len(stops), groups=len(values))
            return original["solve"](travel, stops, values, *args, **kwargs)

        original = {"_candidates": propose._candidates, "hot_grid_ids": propose.hot_grid_ids, "solve": propose.solve,
                    "cost_matrix": routing.cost_matrix, "path_through": routing.path_through}
        steps = ("candidates (SQL)", "of which hot spots (Gi*)", "pgr_dijkstraCostMatrix", "orienteering.solve",
                 "paths (pgr_dijkstraVia)")
        propose._candidates = timed(steps[0], propose._candidates)
        propose.hot_grid_ids = timed(steps[1], propose.hot_grid_ids)
        routing.cost_matrix = timed(steps[2], routing.cost_matrix)
        propose.solve = timed(steps[3], solve_sized)
        routing.path_through = timed(steps[4], routing.path_through)
        weights = {"disputes": dict(settings["patrol"]["weights"]["disputes"]),
                   **{k: settings["patrol"]["weights"][k] for k in ("gaps", "hotspots", "alarms")}}
        print(f"request: motorcycle from {code}'s base ({lon:.5f}, {lat:.5f}), 120 min, closed, weights {weights}")

        captured: dict[str, tuple] = {}

        def _gap_statement(statement, parameters):
            if "grid_coverage" in statement and "road_edge" in statement:
                captured["gaps"] = (statement, parameters)

        statements = time_statements(engine, 70, _gap_statement)  # the SQL statements' own times

        def one(routes: int) -> tuple[float, dict]:
            spent.clear()
            statements.clear()
            with engine.begin() as conn:
                started = time.perf_counter()
                result = propose.propose(conn, settings, propose.Request(
                    "motorcycle", start=(lon, lat), budget_min=120, weights=weights, routes=routes))
                took = time.perf_counter() - started
                conn.rollback()
            return took, result

        try:
            cold = None
            try:
                cold = one(1)
            except DBAPIError as err:   # a defect: say so, repair this throwaway database's gaps, go on
                print("** DEFECT: propose failed: " + str(err.orig).splitlines()[0])
                with engine.begin() as conn:
                    fixed = conn.execute(text(
                        "UPDATE grid_coverage SET gap_geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(gap_geom), 3)) "
                        "WHERE NOT ST_IsValid(gap_geom)")).rowcount
                print(f"   repaired {fixed} gap geometries with ST_MakeValid in this throwaway database to go on")
            if cold is None:
                cold = one(1)
            print(f"propose, 1 route, first call (hot spots computed, then kept): {cold[0]:.2f} s; by step: "
                  + ", ".join(f"{label} {spent.get(label, 0.0):.2f} s" for label in steps))
            for routes in (1, 2):
                times, splits = [], []
                for _ in range(repeats):
                    took, result = one(routes)
                    times.append(took)
                    splits.append(dict(spent))
                props = [f["properties"] for f in result["features"]]
                over = [p["duration_min"] for p in props if p["duration_min"] > 120 + 0.05]
                print(f"propose, {routes} route(s): median {statistics.median(times):.2f} s of {repeats} "
                      f"(min {min(times):.2f}, max {max(times):.2f}); {sizes['groups']} groups, "
                      f"{sizes['stops']} stops, "
                      f"{sizes['places']} places; chose {sum(len(p['stops']) for p in props)} stops worth "
                      f"{sum(p['value'] for p in props):.1f}, durations "
                      + ", ".join(f"{p['duration_min']:.1f}" for p in props) + " min, lengths "
                      + ", ".join(f"{p['length_m'] / 1000:.1f}" for p in props) + " km"
                      + (f"  ** OVER BUDGET: {over}" if over else ""))
                if len(props) == 2:
                    a, b = ({tuple(round(c, 6) for c in xy) for xy in f["geometry"]["coordinates"]}
                            for f in result["features"])
                    print(f"   the two routes share {len(a & b) / max(1, len(b)):.0%} of their vertices")
                print("   median by step: " + ", ".join(
                    f"{label} {statistics.median(s.get(label, 0.0) for s in splits):.2f} s" for label in steps))
                print("   slowest statements of the last call: " + "; ".join(
                    f"{took:.2f} s {sql!r}" for sql, took in sorted(statements.items(), key=lambda kv: -kv[1])[:3]))
            if "gaps" in captured:
                gaps_statement(engine, *captured["gaps"])
            print("load average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
        finally:
            propose._candidates, propose.hot_grid_ids, propose.solve = (
                original["_candidates"], original["hot_grid_ids"], original["solve"])
            routing.cost_matrix, routing.path_through = original["cost_matrix"], original["path_through"]


def gaps_statement(engine, statement: str, parameters: dict, repeats: int = 3) -> None:
    """The gap candidates' statement alone, as propose ran it last, then with the stored gaps made
    valid once (and the statement's own ST_MakeValid left out, when it has one)."""
    from sqlalchemy import text

    def timed(sql: str) -> float:
        times = []
        for _ in range(repeats):
            with engine.connect() as conn:
                started = time.perf_counter()
                conn.exec_driver_sql(sql, parameters).all()
                times.append(time.perf_counter() - started)
        return statistics.median(times)

    as_is = timed(statement)
    with engine.begin() as conn:
        started = time.perf_counter()
        fixed = conn.execute(text("UPDATE grid_coverage SET gap_geom = ST_Multi(ST_CollectionExtract("
                                  "ST_MakeValid(gap_geom), 3)) WHERE NOT ST_IsValid(gap_geom)")).rowcount
        repair = time.perf_counter() - started
    after = timed(statement)
    plain = statement.replace("ST_MakeValid(gap_geom)", "gap_geom")
    line = (f"gap candidates' statement alone (median of {repeats}): {as_is:.2f} s as propose runs it; "
            f"stored gaps made valid once ({fixed} rows, {repair:.2f} s), then {after:.2f} s")
    if plain != statement:
        line += f", and {timed(plain):.2f} s without the statement's ST_MakeValid"
    print(line)


# ---------------------------------------------------------------------------------------------


def share(value: float, best: float) -> float:
    return 1.0 if best <= 0 else value / best


def quality(args, searches: list[float]) -> None:
    import pulp

    solvers = ["highs", "cbc"] if args.mip == "both" else [args.mip]
    if "highs" in solvers:   # HiGHS prints its banner on stdout when the first model is made: not in our table
        import highspy
        sys.stdout.flush()
        saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        try:
            highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(devnull)
            os.close(saved)
    print(f"PuLP {pulp.__version__}, exact peer: {' and '.join(solvers)} (limit {args.mip_seconds:g} s, "
          f"{'warm-started from greedy' if not args.no_warm_start else 'cold'}); "
          f"OR-Tools {__import__('ortools').__version__}")
    print("\n== Quality: value as a share of the optimum, on seeded instances ==")
    print(f"{'instance':28} {'groups':>6} {'optimum':>9} {'MIP s':>6} "
          + " ".join(f"{'ours ' + format(b, 'g') + 's':>9}" for b in searches) + f" {'greedy':>7}"
          + (f" {'CBC':>9} {'CBC s':>6}" if len(solvers) > 1 else ""))
    rows, defects = [], []
    for inst in instances(args.seed)[: args.limit]:
        greedy_routes, greedy_s = greedy(inst)
        greedy_value, problems = check(inst, greedy_routes, "greedy")
        defects += [f"{inst.name}: {p}" for p in problems]
        peers = []
        for name in solvers:
            mip_routes, mip_obj, proven, mip_s, bound = exact(
                inst, args.mip_seconds, None if args.no_warm_start else greedy_routes, args.mip_threads, name)
            mip_value, problems = check(inst, mip_routes, name)
            defects += [f"{inst.name}: {p}" for p in problems]
            if abs(mip_value - mip_obj) > 1e-4:
                defects.append(f"{inst.name}: {name} objective {mip_obj:g} but its routes are worth {mip_value:g}")
            peers.append({"value": mip_value, "proven": proven, "s": mip_s, "bound": bound, "name": name})
        ours_values, ours_times = [], []
        for b in searches:
            routes, took = ours(inst, b)
            value, problems = check(inst, routes, f"ours {b:g}s")
            defects += [f"{inst.name}: {p}" for p in problems]
            if value + 1e-9 < greedy_value:
                defects.append(f"{inst.name}: ours {b:g}s collects {value:g} < greedy {greedy_value:g}")
            ours_values.append(value)
            ours_times.append(took)
        best = max([p["value"] for p in peers] + [greedy_value] + ours_values)
        for p in peers:
            if p["proven"] and best > p["value"] + 1e-6:
                defects.append(f"{inst.name}: {p['name']} claims {p['value']:g} optimal, but {best:g} was found")
        main_peer = peers[0]
        proven = main_peer["proven"] and best <= main_peer["value"] + 1e-6
        ceiling = best if proven or main_peer["bound"] is None else max(best, main_peer["bound"])
        row = {"inst": inst, "best": best, "proven": proven, "mip_s": main_peer["s"], "ceiling": ceiling,
               "ours": [share(v, best) for v in ours_values], "ours_s": ours_times,
               "ours_floor": [share(v, ceiling) for v in ours_values],
               "greedy": share(greedy_value, best), "greedy_s": greedy_s, "groups": len(inst.values),
               "peers": peers}
        rows.append(row)
        extra = ""
        if len(peers) > 1:
            cbc = peers[1]
            extra = f" {cbc['value']:8.2f}{' ' if cbc['proven'] else '*'}{cbc['s']:6.1f}"
        print(f"{inst.name:28} {row['groups']:6d} {best:8.2f}{' ' if proven else '*'}{main_peer['s']:6.1f} "
              + " ".join(f"{v:9.1%}" for v in row["ours"]) + f" {row['greedy']:7.1%}" + extra
              + ("" if proven else f"   (bound {ceiling:.2f})"), flush=True)

    proven_rows = [r for r in rows if r["proven"]]
    print(f"\nProven optimal: {len(proven_rows)} of {len(rows)}; * = not proven within {args.mip_seconds:g} s, "
          "the share is of the best value found by any method (and at least value / the MIP's bound).")
    print(f"{'share of the optimum':26} {'median':>7} {'min':>7} {'≥ 95 %':>8} {'100 %':>8}")
    for label, get in ([(f"ours {b:g} s", lambda r, k=k: r["ours"][k]) for k, b in enumerate(searches)]
                       + [("greedy", lambda r: r["greedy"])]):
        vals = [get(r) for r in rows]
        print(f"{label:26} {statistics.median(vals):7.1%} {min(vals):7.1%} "
              f"{sum(v >= 0.95 - 1e-9 for v in vals):5d}/{len(vals):<2d} "
              f"{sum(v >= 1 - 1e-9 for v in vals):5d}/{len(vals):<2d}")
    for k, b in enumerate(searches):
        floor = [r["ours_floor"][k] for r in rows]
        print(f"ours {b:g} s against the MIP's bound where unproven: median {statistics.median(floor):.1%}, "
              f"min {min(floor):.1%}")
    ratio = [r["ours"][0] / r["greedy"] for r in rows if r["greedy"] > 0]
    print(f"ours {searches[0]:g} s / greedy, value: median {statistics.median(ratio):.3f}, min {min(ratio):.3f}, "
          f"max {max(ratio):.3f}")
    print(f"{'time per instance':26} {'median':>7} {'max':>7}")
    for label, get in ([(f"MIP ({solvers[0]})", lambda r: r["mip_s"])]
                       + ([("MIP (cbc)", lambda r: r["peers"][1]["s"])] if len(solvers) > 1 else [])
                       + [(f"ours {b:g} s", lambda r, k=k: r["ours_s"][k]) for k, b in enumerate(searches)]
                       + [("greedy", lambda r: r["greedy_s"])]):
        vals = [get(r) for r in rows]
        print(f"{label:26} {statistics.median(vals):6.3f}s {max(vals):6.3f}s")
    print("load average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    print("defects: " + ("none" if not defects else f"{len(defects)}"))
    for d in defects:
        print("  " + d)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026, help="the instances' seed (default: 2026)")
    parser.add_argument("--mip", choices=["highs", "cbc", "both"], default="highs",
                        help="the exact peer's solver through PuLP (both: CBC as a second opinion; default: highs)")
    parser.add_argument("--mip-seconds", type=float, default=60.0,
                        help="the MIP's time limit per instance (default: 60)")
    parser.add_argument("--mip-threads", type=int, default=None, help="the MIP solver's threads (default: its own)")
    parser.add_argument("--no-warm-start", action="store_true", help="do not give the MIP the greedy routes")
    parser.add_argument("--scale", default="300", help='villages of the demo city for part 3, or "city" (default: 300)')
    parser.add_argument("--repeats", type=int, default=5, help="proposals timed at scale (default: 5)")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--limit", type=int, default=None, help="only the first N instances")
    args = parser.parse_args()
    configured = float(load_settings()["patrol"]["solver_seconds"])
    searches = sorted({configured, 0.5}, reverse=True)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; OR-Tools search "
          f"{', '.join(f'{b:g} s' for b in searches)} (configured: {configured:g} s)")
    if not args.skip_quality:
        quality(args, searches)
    if not args.skip_scale:
        scale_run(args.scale, args.repeats)


if __name__ == "__main__":
    main()
