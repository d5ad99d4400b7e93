"""Patrol reach and route evaluation at city scale, each beside an expert-written peer.

    .venv/bin/python bench/reach.py                     # the whole demo city (loads in about 2 min)
    .venv/bin/python bench/reach.py --scale 100 --repeats 3

A fresh database on the embedded cluster (or DATABASE_URL's server) with the demo city and its
coverage (``routes.city_database``, as bench/routes.py's scale part); dropped at the end.

1. Reach refresh. ``gisapp.patrol.reach.refresh(conn, settings, force=True)``: the minutes by road
   from the patrols of each period (and from the bases) to every vertex, then each alarm's. Once
   cold, then ``--repeats`` times (each in its own transaction, rolled back), with the time of its
   statements by kind. The peer computes the same minutes the way one would outside the database:
   the starts as the refresh found them (its ``reach_start`` table, from the same statement, timed
   apart), the edges read from PostGIS by ``routing.edges_sql`` for each mode, one
   ``scipy.sparse.csgraph.dijkstra(directed=False, indices=starts, min_only=True, limit=...)`` per
   period and mode (a route's end between two vertices is a node of its own, joined to the edge's
   two ends at the part of the edge's minutes between), the least over the modes; and, for a fair
   comparison with a refresh that stores its minutes, the same written by COPY. Both must agree on
   every vertex within 1e-6 minutes.
2. Evaluation. ``gisapp.patrol.evaluate.evaluate`` of a closed motorcycle loop of 15-30 km on the
   roads around the base nearest the middle of the city (``routing.path_through`` through three
   vertices about a radius away), ridden at night, as the API calls it (with the Gi* hot spots);
   cold, then the median of ``--repeats``, with where the time goes (timers wrapped around the
   calls evaluate makes; nothing of gisapp is changed) and its slowest statements. The peer is
   evaluate's floor: ``gisapp.coverage.compute_grids`` on the same grids, twice (before and after).
   Then the statements over 50 ms of one more evaluation are run under ``EXPLAIN (ANALYZE,
   BUFFERS)`` first, each in a savepoint rolled back, so the plan is of exactly the state the
   statement ran in (``--no-explain``: not).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from routes import city_database  # bench/routes.py: the same city as its scale part

TOLERANCE = 1e-6        # minutes: the most the two computations may differ on a vertex
TARGET_S = 0.5          # issue 10: evaluate a township-sized route on the city in under 500 ms


def dead_rows(engine) -> str:
    """Dead rows in the reach tables (every refresh rewrites them; rolled-back ones leave theirs too)."""
    time.sleep(1.0)     # the statistics reach pg_stat a moment after the transactions end
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT relname, n_live_tup, n_dead_tup FROM pg_stat_user_tables "
                                    "WHERE relname IN ('reach_vertex', 'reach_alarm') ORDER BY relname").all()
    return ", ".join(f"{name} {live:,} live / {dead:,} dead rows" for name, live, dead in rows)


def loadavg() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def median(values) -> float:
    return statistics.median(values) if values else 0.0


class Statements:
    """Every SQL statement run through ``engine`` while recording: its text, parameters and seconds."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.recording: list | None = None
        self.explain: set[str] = set()       # statements to run under EXPLAIN ANALYZE first (explain_in_savepoint)
        self.plans: list[tuple[str, dict, str]] = []

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):
            if not executemany and key(statement) in self.explain:
                self.plans.append((statement, parameters, explain_in_savepoint(cursor.connection, statement, parameters)))
            conn.info.setdefault("bench_started", []).append(time.perf_counter())

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):
            took = time.perf_counter() - conn.info["bench_started"].pop()
            if self.recording is not None:
                self.recording.append((statement, parameters, took))

    def start(self) -> list:
        self.recording = []
        return self.recording

    def stop(self) -> list:
        found, self.recording = self.recording, None
        return found


def key(statement: str) -> str:
    return " ".join(statement.split())


def short(statement: str, width: int = 90) -> str:
    text = key(statement)
    return text if len(text) <= width else text[: width - 1] + "…"


def explain_in_savepoint(dbapi_conn, statement: str, parameters) -> str:
    """``statement`` run under EXPLAIN (ANALYZE, BUFFERS) in a savepoint that is rolled back, so it
    changes nothing and the statement itself runs next on the same state."""
    cur = dbapi_conn.cursor()
    try:
        cur.execute("SAVEPOINT bench_explain")
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        plan = "\n".join(row[0] for row in cur.fetchall())
    finally:
        cur.execute("ROLLBACK TO SAVEPOINT bench_explain")
        cur.close()
    return plan


ACTUAL = re.compile(r"actual time=[0-9.]+\.\.([0-9.]+) rows=[0-9]+ loops=([0-9]+)")


def summarise(plan: str, share: float = 0.15) -> list[str]:
    """A plan's first line, the nodes whose time (last row's time × loops) is at least ``share`` of
    the execution, and the planning and execution times."""
    lines = plan.splitlines()
    total = next((float(line.split()[-2]) for line in lines if line.startswith("Execution Time")), 0.0)
    kept = [lines[0]]
    for line in lines[1:]:
        found = ACTUAL.search(line)
        if found and float(found.group(1)) * int(found.group(2)) >= share * total:
            kept.append(line if len(line) <= 200 else line[:199] + "…")
    return kept + [line for line in lines if line.startswith(("Planning Time", "Execution Time", "Trigger"))]


def timed(spent: dict, label, fn):
    """``fn`` with its seconds added to ``spent[label]`` (``label()`` when it is callable, at the call)."""
    def wrapper(*args, **kwargs):
        name = label() if callable(label) else label
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - started
    return wrapper


# ---------------------------------------------------------------------------------------------
# 1. The reach refresh and its scipy peer


def kind_of(statement: str) -> str:
    text = key(statement)
    if "CREATE TEMP TABLE reach_start" in text:
        return "starts (CREATE TEMP TABLE reach_start)"
    if "pgr_drivingDistance" in text:
        return "driving distances (INSERT … pgr_drivingDistance)"
    if text.startswith("DELETE FROM reach_vertex"):
        return "DELETE FROM reach_vertex"
    if text.startswith("WITH old AS"):
        return "alarms (reach_alarm, dirty grids)"
    return "the rest (checks, signature, state)"


def read_edges(conn, mode: str, settings: dict) -> dict[str, np.ndarray]:
    """The edges pgRouting reads for ``mode`` (``routing.edges_sql``), as arrays."""
    from gisapp.patrol import routing

    rows = conn.exec_driver_sql(routing.edges_sql(mode, settings)).all()
    ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
    order = np.argsort(ids)
    return {"id": ids[order],
            "source": np.fromiter((r[1] for r in rows), np.int64, len(rows))[order],
            "target": np.fromiter((r[2] for r in rows), np.int64, len(rows))[order],
            "cost": np.fromiter((r[3] for r in rows), np.float64, len(rows))[order]}


def graph_minutes(edges: dict[str, np.ndarray], vertices: np.ndarray, points: list[tuple[int, float]],
                  limit: float) -> np.ndarray:
    """Minutes from the nearest start to every vertex id (inf beyond ``limit``): the starts are
    ``vertices`` and ``points`` (edge id, fraction), each point a node of its own joined to its
    edge's two ends at the part of the edge's minutes between them."""
    n = int(max(edges["source"].max(), edges["target"].max(), vertices.max(initial=0))) + 1
    a, b, w = [edges["source"]], [edges["target"]], [edges["cost"]]
    if points:
        at = np.searchsorted(edges["id"], np.array([p[0] for p in points], np.int64))
        fraction = np.array([p[1] for p in points])
        nodes = np.arange(n, n + len(points))
        cost = edges["cost"][at]
        a += [nodes, nodes]
        b += [edges["source"][at], edges["target"][at]]
        w += [cost * fraction, cost * (1 - fraction)]
    a, b, w = np.concatenate(a), np.concatenate(b), np.concatenate(w)
    keep = a != b                                       # a loop never shortens a way
    lo, hi, w = np.minimum(a, b)[keep], np.maximum(a, b)[keep], w[keep]
    order = np.lexsort((w, hi, lo))                     # parallel edges: the cheapest (csr would add them up)
    lo, hi, w = lo[order], hi[order], w[order]
    first = np.ones(len(lo), bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    size = n + len(points)
    graph = csr_matrix((w[first], (lo[first], hi[first])), shape=(size, size))   # explicit zeros stay edges
    starts = np.unique(np.concatenate([vertices, np.arange(n, size)]))
    return dijkstra(graph, directed=False, indices=starts, min_only=True, limit=limit)[:n]


def peer(conn, settings: dict, limit: float) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """The minutes of each period (day, night, base) to every vertex id, from ``reach_start``."""
    spent = {}
    started = time.perf_counter()
    starts = conn.exec_driver_sql("SELECT period, mode, vertex, edge_id, fraction FROM reach_start").all()
    spent["read starts"] = time.perf_counter() - started
    started = time.perf_counter()
    edges = {mode: read_edges(conn, mode, settings) for mode in sorted({row[1] for row in starts})}
    spent["read edges"] = time.perf_counter() - started
    started = time.perf_counter()
    groups: dict[tuple[str, str], tuple[list, list]] = defaultdict(lambda: ([], []))
    for period, mode, vertex, edge, fraction in starts:
        if vertex is not None:
            groups[period, mode][0].append(vertex)
        else:
            groups[period, mode][1].append((edge, fraction))
    best: dict[str, np.ndarray] = {}
    for (period, mode), (vertices, points) in sorted(groups.items()):
        found = graph_minutes(edges[mode], np.array(vertices, np.int64), points, limit)
        if period in best:
            size = max(len(best[period]), len(found))
            best[period] = np.fmin(np.pad(best[period], (0, size - len(best[period])), constant_values=np.inf),
                                   np.pad(found, (0, size - len(found)), constant_values=np.inf))
        else:
            best[period] = found
    spent["graphs + dijkstra"] = time.perf_counter() - started
    return best, spent


def write_back(conn, found: dict[str, np.ndarray]) -> float:
    """The peer's minutes stored as the refresh stores them (one row per vertex and period), by COPY."""
    started = time.perf_counter()
    conn.exec_driver_sql("CREATE TEMP TABLE peer_reach (vertex_id bigint, source text, minutes float8, "
                         "PRIMARY KEY (vertex_id, source)) ON COMMIT DROP")
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy("COPY peer_reach (vertex_id, source, minutes) FROM STDIN") as copy:
        for period, minutes in found.items():
            for vertex in np.flatnonzero(np.isfinite(minutes)):
                copy.write_row((int(vertex), period, float(minutes[vertex])))
    return time.perf_counter() - started


def compare(ours: list, found: dict[str, np.ndarray]) -> dict:
    """How the refresh's ``reach_vertex`` rows agree with the peer's finite minutes."""
    theirs = {(period, int(v)): float(m[v]) for period, m in found.items() for v in np.flatnonzero(np.isfinite(m))}
    mine = {(source, int(vertex)): float(minutes) for vertex, source, minutes in ours}
    both = mine.keys() & theirs.keys()
    diffs = np.array([abs(mine[k] - theirs[k]) for k in both]) if both else np.zeros(0)
    return {"compared": len(both), "agree": int((diffs <= TOLERANCE).sum()), "max_diff": float(diffs.max(initial=0)),
            "only_ours": sorted(mine.keys() - theirs.keys())[:5], "n_only_ours": len(mine.keys() - theirs.keys()),
            "only_peer": sorted(theirs.keys() - mine.keys())[:5], "n_only_peer": len(theirs.keys() - mine.keys()),
            "by_period": {p: sum(1 for k in both if k[0] == p) for p in sorted({k[0] for k in both})}}


DD_ALONE = "SELECT count(*) FROM pgr_drivingDistance(%(edges)s, 0, %(limit)s, directed := false) WHERE node <> 0"


def reach_part(city, statements: Statements, repeats: int) -> None:
    from gisapp.patrol import reach

    engine, settings = city.engine, city.settings
    limit = reach.limit_min(settings)
    with engine.connect() as conn:
        figures = conn.exec_driver_sql(
            "SELECT (SELECT count(*) FROM patrol_route WHERE active), (SELECT count(*) FROM patrol_window), "
            "(SELECT count(*) FROM patrol_base), (SELECT count(*) FROM alarm_point), "
            "(SELECT string_agg(mode || ' ' || n, ', ' ORDER BY mode) FROM "
            "(SELECT mode, count(*) AS n FROM patrol_route WHERE active GROUP BY mode) m)").one()
    print(f"\n== 1. Reach refresh: reach.refresh(conn, settings, force=True), limit {limit:g} min ==")
    print(f"{figures[0]:,} active routes ({figures[4]}), {figures[1]:,} time windows, {figures[2]:,} bases, "
          f"{figures[3]:,} alarm points")

    times, kinds, last = [], [], None
    for run in range(repeats + 1):
        with engine.begin() as conn:
            recorded = statements.start()
            started = time.perf_counter()
            reach.refresh(conn, settings, force=True)
            times.append(time.perf_counter() - started)
            statements.stop()
            by_kind: dict[str, float] = defaultdict(float)
            for statement, _, took in recorded:
                by_kind[kind_of(statement)] += took
            kinds.append(by_kind)
            if run == repeats:      # the last: read what it found, for the comparison
                last = {"recorded": recorded,
                        "ours": conn.exec_driver_sql("SELECT vertex_id, source, minutes FROM reach_vertex").all(),
                        "starts": conn.exec_driver_sql("SELECT period, mode, count(vertex), count(edge_id) "
                                                       "FROM reach_start GROUP BY 1, 2 ORDER BY 1, 2").all(),
                        "dd": [(p["source"], took) for s, p, took in recorded if "pgr_drivingDistance" in s]}
                alone = []       # the same driving distances, read and counted instead of written
                for statement, params, _ in recorded:
                    if "pgr_drivingDistance" in statement:
                        started = time.perf_counter()
                        conn.exec_driver_sql(DD_ALONE, params).scalar()
                        alone.append(time.perf_counter() - started)
                last["alone"] = alone
            conn.rollback()
    ours_s = median(times[1:])
    print(f"ours: cold {times[0]:.3f} s; median {ours_s:.3f} s of {repeats} (min {min(times[1:]):.3f}, "
          f"max {max(times[1:]):.3f})")
    for kind in sorted(kinds[-1], key=lambda k: -kinds[-1][k]):
        print(f"   {kind:52} median {median([k.get(kind, 0.0) for k in kinds[1:]]):.3f} s")
    print("   starts (period, mode: vertices, route ends on edges): "
          + "; ".join(f"{p} {m}: {v:,} + {e:,}" for p, m, v, e in last["starts"]))
    print("   driving distances of the last run: " + ", ".join(f"{s} {t:.3f} s" for s, t in last["dd"])
          + f"; {sum(t for _, t in last['dd']):.3f} s in all, of which pgr_drivingDistance alone (the same "
          f"statements' SELECT, counted, not written) {sum(last['alone']):.3f} s")

    # The peer: the same starts (the same statement, timed apart), the edges from PostGIS, scipy.
    create = next((s, p) for s, p, _ in last["recorded"] if "CREATE TEMP TABLE reach_start" in s)
    runs = []
    for _ in range(repeats + 1):
        with engine.begin() as conn:
            started = time.perf_counter()
            conn.exec_driver_sql(*create)
            starts_s = time.perf_counter() - started
            started = time.perf_counter()
            found, spent = peer(conn, settings, limit)
            peer_s = time.perf_counter() - started
            store_s = write_back(conn, found)
            runs.append({"starts": starts_s, "peer": peer_s, "store": store_s, **spent})
            conn.rollback()
    warm = runs[1:]
    peer_s, starts_s, store_s = (median([r[k] for r in warm]) for k in ("peer", "starts", "store"))
    whole = median([r["starts"] + r["peer"] + r["store"] for r in warm])
    print(f"peer (scipy {__import__('scipy').__version__} dijkstra): cold {runs[0]['peer']:.3f} s; median "
          f"{peer_s:.3f} s of {repeats} (" + ", ".join(f"{k} {median([r[k] for r in warm]):.3f} s"
                                                  for k in ("read starts", "read edges", "graphs + dijkstra")) + ")")
    print(f"   + the same starts statement {starts_s:.3f} s, + storing the minutes by COPY {store_s:.3f} s "
          f"= {whole:.3f} s, like for like with the refresh")
    dd_ours = median([k.get("driving distances (INSERT … pgr_drivingDistance)", 0.0) for k in kinds[1:]])
    print(f"ratios: refresh / peer (starts + read + dijkstra + COPY) {ours_s / whole:.1f}×; "
          f"driving distances / (read edges + dijkstra) {dd_ours / (median([r['read edges'] + r['graphs + dijkstra'] for r in warm])):.1f}×")
    agreed = compare(last["ours"], found)
    print(f"agreement: {agreed['compared']:,} (vertex, period) minutes compared "
          f"({', '.join(f'{p} {n:,}' for p, n in agreed['by_period'].items())}), {agreed['agree']:,} within "
          f"{TOLERANCE:g} min, largest difference {agreed['max_diff']:.2e} min; only in ours {agreed['n_only_ours']} "
          f"{agreed['only_ours']}, only in the peer's {agreed['n_only_peer']} {agreed['only_peer']}")
    if agreed["agree"] != agreed["compared"] or agreed["n_only_ours"] or agreed["n_only_peer"]:
        print("** DEFECT: the refresh and the peer disagree")
    print(f"after these {repeats + 1} refreshes (rolled back): {dead_rows(engine)}")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE) reach_vertex, reach_alarm")
    vacuumed = []
    for _ in range(3):
        with engine.begin() as conn:
            started = time.perf_counter()
            reach.refresh(conn, settings, force=True)
            vacuumed.append(time.perf_counter() - started)
            conn.rollback()
    print(f"after VACUUM (ANALYZE) of the reach tables: refresh {vacuumed[0]:.3f} s, then {vacuumed[1]:.3f} s, "
          f"{vacuumed[2]:.3f} s")


# ---------------------------------------------------------------------------------------------
# 2. Evaluation of a township-sized route


def township_loop(conn, settings: dict) -> tuple[dict, str, str, float, int]:
    """A closed motorcycle loop of 15-30 km on the roads from the base (with a team) nearest the
    middle of the city through three vertices about a radius away. Returns the GeoJSON geometry,
    the team's and the base's codes, the length, and how many online alarms of the city are beyond
    the night patrols' reach (those a route could bring within it)."""
    from sqlalchemy import text

    from gisapp.patrol import routing

    code, team, lon, lat = conn.execute(text(
        "SELECT b.code, t.code, ST_X(b.geom), ST_Y(b.geom) FROM patrol_base b JOIN patrol_team t ON t.id = b.team_id, "
        "(SELECT ST_Centroid(ST_Collect(geom)) AS c FROM patrol_base) m ORDER BY b.geom <-> m.c LIMIT 1")).one()
    beyond = conn.execute(text(
        "SELECT count(*) FROM alarm_point a LEFT JOIN reach_alarm ra ON ra.alarm_id = a.id AND ra.period = 'night' "
        "WHERE a.status = 'online' AND coalesce(ra.patrol_min > :within, true)"),
        {"within": float(settings["patrol"]["alarm_reach_min"])}).scalar()
    home, _ = routing.nearest_vertex(conn, lon, lat, "motorcycle", settings, 1000)
    radius = 2500.0
    for _ in range(8):
        via = [home]
        for angle in (90, 210, 330):
            x = lon + radius * math.cos(math.radians(angle)) / (111_320 * math.cos(math.radians(lat)))
            y = lat + radius * math.sin(math.radians(angle)) / 110_574
            via.append(routing.nearest_vertex(conn, x, y, "motorcycle", settings, 5000)[0])
        path = routing.path_through(conn, "motorcycle", settings, via + [home])
        if 15_000 <= path["length_m"] <= 30_000:
            return json.loads(path["geometry"]), team, code, path["length_m"], beyond
        radius *= 22_000 / path["length_m"]
    raise SystemExit(f"no loop of 15-30 km found around {code} (last {path['length_m']:.0f} m)")


def evaluate_part(city, statements: Statements, repeats: int, explain: bool, plans_file: str) -> None:
    from gisapp.coverage import compute_grids
    from gisapp.patrol import evaluate as ev
    from gisapp.patrol import propose, reach

    engine, settings = city.engine, city.settings
    with engine.begin() as conn:
        geometry, team, base, length, beyond = township_loop(conn, settings)
        started = time.perf_counter()
        hot = propose.hot_grid_ids(conn, settings)
        hot_s = time.perf_counter() - started
        started = time.perf_counter()
        propose.hot_grid_ids(conn, settings)
        hot_again = time.perf_counter() - started
    feature = {"type": "Feature", "geometry": geometry,
               "properties": {"name": "试走 bench", "team_code": team, "mode": "motorcycle",
                              "time_windows": "20:00-02:00"}}
    print(f"\n== 2. Evaluate: a closed motorcycle loop of {length / 1000:.1f} km ({len(geometry['coordinates'])} "
          f"points) from {base}'s base, team {team}, 20:00-02:00 ==")
    print(f"online alarms of the city beyond the night patrols' reach ({settings['patrol']['alarm_reach_min']:g} min): {beyond}")
    print(f"Gi* hot spots for the view: {len(hot)} grids, {hot_s:.2f} s the first time, {hot_again * 1000:.1f} ms "
          "after (kept; the API computes them before evaluate, outside these times)")

    spent: dict = {}
    phase = {"now": "before"}     # "after" once the hypothetical route is written
    originals = {"reach.in_reach": reach.in_reach, "ev.compute_grids": ev.compute_grids, "ev._reached": ev._reached,
                 "ev.create_feature": ev.create_feature, "ev._figures": ev._figures, "reach.refresh": reach.refresh,
                 "reach.add_route": reach.add_route}
    grid_ids: dict[str, list[int]] = {}

    def compute_grids_seen(conn, settings, ids):
        grid_ids[phase["now"]] = list(ids)
        return originals["ev.compute_grids"](conn, settings, ids)

    def create_feature_then_after(*args, **kwargs):
        try:
            return originals["ev.create_feature"](*args, **kwargs)
        finally:
            phase["now"] = "after"

    reach.in_reach = timed(spent, lambda: f"reach.in_reach {phase['now']}", reach.in_reach)
    reach.refresh = timed(spent, lambda: f"reach.refresh {phase['now']}", reach.refresh)
    reach.add_route = timed(spent, lambda: f"reach.add_route {phase['now']}", reach.add_route)
    ev.compute_grids = timed(spent, lambda: f"compute_grids {phase['now']}", compute_grids_seen)
    ev._reached = timed(spent, "grids reached (GRIDS_SQL)", ev._reached)
    ev.create_feature = timed(spent, "create_feature (the route written)", create_feature_then_after)
    ev._figures = timed(spent, "figures read (FIGURES_SQL)", ev._figures)
    steps = ("reach.refresh before", "reach.in_reach before", "compute_grids before",
             "create_feature (the route written)", "reach.refresh after", "reach.add_route after",
             "reach.in_reach after",
             "compute_grids after", "passes (PASSES_SQL)", "grids reached (GRIDS_SQL)", "figures read (FIGURES_SQL)")

    def one() -> tuple[float, dict, list, dict]:
        spent.clear()
        grid_ids.clear()
        phase["now"] = "before"
        with engine.begin() as conn:
            recorded = statements.start()
            started = time.perf_counter()
            result = ev.evaluate(conn, settings, feature, hot_grids=hot, dwell_min=0.0)
            took = time.perf_counter() - started
            statements.stop()
            conn.rollback()
        split = dict(spent)
        split["passes (PASSES_SQL)"] = sum(t for s, _, t in recorded if "AS length_m, (SELECT" in key(s))
        return took, split, recorded, result

    try:
        cold, cold_split, _, result = one()
        runs = [one() for _ in range(repeats)]
        times = [r[0] for r in runs]
        ours = median(times)
        grids = {(g["grid"], g["period"]) for g in result["grids"]}
        print(f"answer: {len(grids) // 2} grids ({len(grid_ids.get('before', []))} reached, "
              f"{len(grid_ids.get('after', []))} compared after), {len(result['disputes'])} disputes passed, "
              f"{len(result['alarms'])} alarms brought within reach, {len(result['hotspots'])} hot spots; "
              f"{result['length_m'] / 1000:.1f} km, {result['duration_min']:.0f} min")
        print(f"ours: cold {cold:.3f} s; median {ours:.3f} s of {repeats} (min {min(times):.3f}, max {max(times):.3f})"
              f"  -> target < {TARGET_S:g} s {'MET' if ours < TARGET_S else 'NOT MET'}")
        print(f"   {'step':40} {'cold':>7} {'median':>7}")
        for step in steps:
            print(f"   {step:40} {cold_split.get(step, 0.0):7.3f} {median([r[1].get(step, 0.0) for r in runs]):7.3f}")
        last = runs[-1][2]
        total_sql = sum(t for _, _, t in last)
        print(f"   statements of the last call: {len(last)}, {total_sql:.3f} s in all; the slowest:")
        for statement, params, took in sorted(last, key=lambda r: -r[2])[:8]:
            extra = f" [{params.get('source')}]" if isinstance(params, dict) and "source" in params else ""
            print(f"     {took:7.3f} s  {short(statement)}{extra}")

        # The floor: the coverage statement alone on the same grids, before and after.
        ids = grid_ids.get("after") or grid_ids.get("before")
        floors = []
        for _ in range(repeats + 1):
            with engine.begin() as conn:
                started = time.perf_counter()
                compute_grids(conn, settings, ids)
                compute_grids(conn, settings, ids)
                floors.append(time.perf_counter() - started)
                conn.rollback()
        floor = median(floors[1:])
        print(f"after these {repeats + 1} evaluations (rolled back): {dead_rows(engine)}")
        print(f"peer (compute_grids on the same {len(ids)} grids, twice): cold {floors[0]:.3f} s; median {floor:.3f} s "
              f"of {repeats}; evaluate / floor {ours / floor:.1f}×")


        if explain:
            slow = {key(s) for s, _, t in last if t >= 0.05}
            statements.explain = slow
            statements.plans.clear()
            phase["now"] = "before"
            with engine.begin() as conn:
                ev.evaluate(conn, settings, feature, hot_grids=hot, dwell_min=0.0)
                conn.rollback()
            statements.explain = set()
            print(f"\nEXPLAIN (ANALYZE, BUFFERS) of the {len(statements.plans)} statements over 50 ms, in the state they "
                  f"ran in (the nodes taking ≥ 15 % of a statement; whole plans in {plans_file}):")
            with open(plans_file, "w") as out:
                for statement, params, plan in statements.plans:
                    extra = f" [{params.get('source')}]" if isinstance(params, dict) and "source" in params else ""
                    print(f"--- {short(statement, 120)}{extra}")
                    print("\n".join("    " + line for line in summarise(plan)))
                    out.write(f"--- {key(statement)}\n{extra}\n{plan}\n\n")
    finally:
        reach.in_reach, ev.compute_grids, ev._reached = (originals["reach.in_reach"], originals["ev.compute_grids"],
                                                         originals["ev._reached"])
        ev.create_feature, ev._figures, reach.refresh = (originals["ev.create_feature"], originals["ev._figures"],
                                                         originals["reach.refresh"])
        reach.add_route = originals["reach.add_route"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="city", help='villages of the demo city, or "city" (default: city)')
    parser.add_argument("--repeats", type=int, default=5, help="timed runs after the cold one (default: 5)")
    parser.add_argument("--no-explain", dest="explain", action="store_false",
                        help="do not EXPLAIN ANALYZE evaluate's slow statements")
    parser.add_argument("--plans", default="/tmp/bench_reach_plans.txt", help="where the whole plans are written")
    parser.add_argument("--skip-reach", action="store_true")
    parser.add_argument("--skip-evaluate", action="store_true")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load average {loadavg()}")
    started = time.perf_counter()
    with city_database(args.scale, "gisapp_bench_reach") as city:
        s = city.status
        print(f"demo city scale={args.scale!r}: {city.villages:,} villages, loaded in {city.loaded:.0f} s, coverage "
              f"(and reach) in {city.covered:.0f} s, the reach again after the network's rebuild in {city.reached:.1f} s; network {s.edges:,} edges, {s.vertices:,} vertices, "
              f"{s.length_km:,.0f} km; load average {loadavg()}")
        statements = Statements(city.engine)
        if not args.skip_reach:
            reach_part(city, statements, args.repeats)
        if not args.skip_evaluate:
            evaluate_part(city, statements, args.repeats, args.explain, args.plans)
    print(f"\nload average (1, 5, 15 min) at the end: {loadavg()}; {time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
