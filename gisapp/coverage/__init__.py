"""Per-grid coverage by the three nets: computing it in PostGIS and keeping it current.

Results live in ``grid_coverage`` (one row per grid and period, day and night). Triggers add the
grids touched by any change of a camera, alarm, route, time window, road or grid to
``coverage_dirty``; ``recompute_dirty`` brings exactly those up to date, and the API and the
importer call it right after their writes. Each grid's area of concern and road pieces, which
depend only on the grid, the roads and two settings, are kept in ``grid_concern`` and
``grid_road_piece`` (migration 0011) and built only where missing or stale (``ensure_concern``).
"""
from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor

from pyproj import CRS
from sqlalchemy import text
from tqdm import tqdm

from gisapp.config import PERIODS  # noqa: F401 - the periods, as the API and the CLI know them from here
from gisapp.coverage.sql import CONCERN_PIECES_SQL, CONCERN_SQL, STALE_CONCERN_SQL, coverage_sql
from gisapp.db import versions
from gisapp.features import DEGREES_PER_METRE

BATCH = 100          # grids per transaction in a full recompute
STATEMENT_GRIDS = 20  # grids per statement: more made PostgreSQL choose worse plans (measured)
CONCERN_GRIDS = 100   # grids per statement building the areas of concern
# The grids holding an alarm point (as the statement's alarm_pts finds them): their flags read the reach by road.
ALARMED_SQL = "SELECT DISTINCT g.id FROM grid g JOIN alarm_point a ON a.geom && g.geom AND ST_Covers(g.geom, a.geom)"
# Widest reach of anything near a grid: corridors (CHECK: at most 500 m), road buffer, alarm reach.
MAX_CORRIDOR_M = 500.0


def projected_srid(conn, settings: dict) -> int:
    """The EPSG code of the CRS measured in: configured, or the UTM zone of the grids' centre."""
    configured = settings["projected_crs"]
    if configured != "auto":
        return CRS.from_user_input(configured).to_epsg()
    centre = conn.execute(text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Extent(geom)::geometry) AS c "
                               "FROM grid) x")).one()
    lon, lat = centre if centre[0] is not None else (114.0, 34.0)
    return (32600 if lat >= 0 else 32700) + int((lon + 180) // 6) + 1


def statement_params(conn, settings: dict) -> dict:
    """The coverage statement's parameters but the grids and the plan (see gisapp.coverage.sql)."""
    cov = settings["coverage"]
    reach = max(MAX_CORRIDOR_M, cov["road_buffer_m"], cov["alarm_patrol_reach_m"])
    return {"srid": projected_srid(conn, settings), "widths": json.dumps(settings["sight_width_m"]),
            "road_buffer": cov["road_buffer_m"], "min_gap": cov["min_gap_m2"], "target": cov["target_share"],
            "alarm_reach": cov["alarm_patrol_reach_m"], "alarm_reach_min": float(settings["patrol"]["alarm_reach_min"]),
            "day": cov["day"], "night": cov["night"],
            "deg": reach * DEGREES_PER_METRE, "road_deg": cov["road_buffer_m"] * DEGREES_PER_METRE,
            "has_roads": bool(conn.execute(text("SELECT EXISTS (SELECT 1 FROM road)")).scalar())}


def build_concern(conn, params: dict, grid_ids: list[int]) -> None:
    """Make the area of concern and road pieces of ``grid_ids`` anew (grid_concern, grid_road_piece)."""
    for start in range(0, len(grid_ids), CONCERN_GRIDS):
        ids = dict(params, ids=grid_ids[start:start + CONCERN_GRIDS])
        conn.execute(text(CONCERN_SQL), ids)
        for statement in CONCERN_PIECES_SQL:
            conn.execute(text(statement), ids)


def ensure_concern(conn, params: dict, grid_ids: list[int]) -> int:
    """Build the area of concern of those of ``grid_ids`` that have none made with ``params``' settings
    (a new grid, one whose roads or geometry changed, another CRS or road buffer); return how many."""
    stale = conn.execute(text(STALE_CONCERN_SQL), {**params, "ids": list(grid_ids)}).scalars().all()
    build_concern(conn, params, list(stale))
    return len(stale)


def compute_grids(conn, settings: dict, grid_ids: list[int], plan: int | None = None,
                  params: dict | None = None) -> None:
    """Compute day and night coverage of ``grid_ids`` over ``conn`` (the caller's transaction).

    Their areas of concern are built first where missing or stale. With ``plan`` (a siting plan's
    id), its planned cameras count as online and the figures go to plan_coverage, beside the real
    ones. ``params``: ``statement_params`` when the caller has them."""
    if not grid_ids:
        return
    params = dict(params or statement_params(conn, settings), plan=plan)
    ensure_concern(conn, params, grid_ids)
    statement = text(coverage_sql(plan is not None))
    for start in range(0, len(grid_ids), STATEMENT_GRIDS):
        conn.execute(statement, dict(params, ids=grid_ids[start:start + STATEMENT_GRIDS]))
    if plan is None:  # the count last: the counter's row is locked until the commit
        conn.execute(text("DELETE FROM coverage_dirty WHERE grid_id = ANY(:ids)"), {"ids": grid_ids})
        versions.bump(conn, "grid_coverage", grid_ids)
    else:
        versions.bump(conn, "plan_coverage")


def build_concerns(engine, settings: dict, grid_ids: list[int] | None = None, *, pool: ThreadPoolExecutor | None = None,
                   params: dict | None = None) -> int:
    """Build the areas of concern of those of ``grid_ids`` (default: every grid) that have none current,
    in batches over ``pool`` (default: one connection per core); return how many were built.

    When any were, the planner's statistics of grid_concern and grid_road_piece are brought up to date
    (ANALYZE): the coverage statement's plan must not be made blind to thousands of new rows."""
    with engine.connect() as conn:
        params = params or statement_params(conn, settings)
        if grid_ids is None:
            grid_ids = conn.execute(text("SELECT id FROM grid ORDER BY id")).scalars().all()
        stale = conn.execute(text(STALE_CONCERN_SQL), {**params, "ids": list(grid_ids)}).scalars().all()
    if not stale:
        return 0

    def build(batch: list[int]) -> None:
        with engine.begin() as conn:
            build_concern(conn, params, batch)

    batches = [list(stale[start:start + BATCH]) for start in range(0, len(stale), BATCH)]
    if pool is None:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as own:
            list(own.map(build, batches))
    else:
        list(pool.map(build, batches))
    with engine.begin() as conn:  # only the tables' owner may; anyone else gets a warning and no statistics
        conn.execute(text("ANALYZE grid_concern, grid_road_piece"))
    return len(stale)


def recompute_dirty(conn, settings: dict) -> int:
    """Recompute the grids marked dirty by the last changes; return how many.

    The patrols' reach by road is brought up to date first (it marks the grids of alarms whose
    reach changed)."""
    from gisapp.patrol import reach  # the patrol package builds on this one
    reach.refresh(conn, settings)
    ids = conn.execute(text("SELECT grid_id FROM coverage_dirty ORDER BY grid_id")).scalars().all()
    compute_grids(conn, settings, list(ids))
    return len(ids)


def recompute(engine, settings: dict, *, only_dirty: bool = False, progress: bool = False,
              workers: int | None = None) -> int:
    """Recompute every grid (or only the dirty ones); return how many.

    Batches of grids are independent transactions, run on ``workers`` connections at once
    (default: one per CPU core), so a whole city uses every core of the database machine. The
    patrols' reach by road is refreshed first when it is not current (it keeps a signature of the
    data and settings it was made from, ``reach.is_current``); in a full recompute, on one of those
    connections while the others compute the grids without an alarm point, whose figures do not read
    it. Likewise the areas of concern missing or stale are built before any coverage
    (``build_concerns``; every grid's, the first time).
    """
    from gisapp.patrol import reach  # the patrol package builds on this one

    def refresh() -> None:
        with engine.begin() as conn:
            reach.refresh(conn, settings)

    if only_dirty:  # the refresh marks the grids of alarms whose reach changed dirty: it comes first
        refresh()
    with engine.connect() as conn:
        table = "coverage_dirty" if only_dirty else "grid"
        column = "grid_id" if only_dirty else "id"
        ids = conn.execute(text(f"SELECT {column} FROM {table} ORDER BY 1")).scalars().all()
        alarmed = set() if only_dirty else set(conn.execute(text(ALARMED_SQL)).scalars())
        params = statement_params(conn, settings)
    ids = sorted(ids, key=lambda grid: grid in alarmed)  # the grids not waiting for the reach first
    batches = [list(ids[start:start + BATCH]) for start in range(0, len(ids), BATCH)]

    with tqdm(total=len(ids), desc="coverage", unit="grid", disable=not progress) as bar, \
            ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        refreshed = None if only_dirty else pool.submit(refresh)  # taken first: a batch never waits for a queued one
        build_concerns(engine, settings, ids, pool=pool, params=params)

        def run(batch: list[int]) -> int:
            if refreshed and alarmed.intersection(batch):
                refreshed.result()
            with engine.begin() as conn:
                compute_grids(conn, settings, batch, params=params)
            return len(batch)

        for done in pool.map(run, batches):
            bar.update(done)
        if refreshed:
            refreshed.result()
    return len(ids)
