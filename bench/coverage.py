"""Coverage benchmark: our PostGIS computation against two geopandas versions, same data, one run.

    .venv/bin/python bench/coverage.py                 # the whole city (赤峰's counts); a long run
    .venv/bin/python bench/coverage.py --villages 100  # a smaller city
    .venv/bin/python bench/coverage.py --peers fair,stored    # without the slow one-union peer

It loads a deterministic city into a fresh database on the embedded cluster (or DATABASE_URL's
server), vacuums and analyses it (statistics and hint bits, as autovacuum would soon after), then
times (1) our first full recompute of every grid (day and night), which also builds every grid's
area of concern and road pieces (grid_concern), then those alone again (deleted first), (2) a full
recompute again, with them stored and the patrols' reach by road current, neither made again (as after
an edit of cameras, or of a setting such as the target share), (3) our incremental recompute after
moving one camera, (4) the covered area of each grid's area of concern
by day done with geopandas/shapely (reading excluded), in three ways:

- fair: as a geopandas expert would, grid by grid through the spatial index: the road zones cut by
  each grid (overlay) and dissolved by grid, then the cameras' views, alarms' reach and patrol
  corridors near each area of concern (STRtree) clipped to it and dissolved by grid;
- stored: the same, reading each grid's area of concern as ours stores it (grid_concern) instead of
  computing it: like for like with (2);
- one union: every sector, disc and corridor of the city unioned into one geometry, overlaid with
  the grids. No analyst would do this at city size; it grows faster than linearly and flatters ours.

It prints the times, the ratios per period (ours computes day and night, the peers day only; against
(1) and against (2)) and
peak memory: the Python process's peak RSS, and for ours the peak RSS of the PostgreSQL backends
that did the work. It also checks that each peer and ours agree on the covered areas.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import resource
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
from sqlalchemy import create_engine, text
from timing import scratch_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gisapp.config import load_settings  # noqa: E402
from gisapp.coverage import build_concerns, projected_srid, recompute, recompute_dirty  # noqa: E402
from gisapp.db.server import libpq_dsn  # noqa: E402
from gisapp.demo import load_demo  # noqa: E402
from gisapp.demo.city import CITY  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def backend_peak_mb(conn) -> float:
    """Largest peak RSS (VmHWM) among the server processes serving this database (needs /proc access)."""
    pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars()
    peaks = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        peaks += [int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM")]
    return max(peaks, default=float("nan"))


def read_inputs(url: str, settings: dict, srid: int, concern: bool = False) -> dict:
    """The grids, the online cameras and alarms, the routes patrolling by day and the roads, in ``srid``;
    with ``concern``, also each grid's stored area of concern (grid_concern, made in ``srid``; not empty)."""
    cov = settings["coverage"]
    with create_engine(url).connect() as conn:
        stored = {"concern": gpd.read_postgis(text(
            "SELECT grid_id AS id, geom FROM grid_concern WHERE srid = :srid AND NOT ST_IsEmpty(geom)"), conn,
            params={"srid": srid}, crs=srid)} if concern else {}
        inputs = {
            "grids": gpd.read_postgis("SELECT id, geom FROM grid", conn),
            "cams": gpd.read_postgis("SELECT geom, view_geom, azimuth, fov_deg, range_m FROM camera "
                                     "WHERE status = 'online'", conn),
            "alarms": gpd.read_postgis("SELECT geom, reach_geom, ST_Transform(premises, 4326) AS premises_geom, "
                                       "response_radius_m FROM alarm_point WHERE status = 'online'", conn, geom_col="geom"),
            "routes": gpd.read_postgis(text(
                "SELECT r.geom, coalesce(r.sight_width_m, (CAST(:w AS jsonb) ->> r.mode)::float) AS width "
                "FROM patrol_route r WHERE r.active AND EXISTS (SELECT 1 FROM patrol_window w WHERE w.route_id = r.id "
                "AND CASE WHEN w.starts < w.ends THEN CAST(:t AS time) >= w.starts AND CAST(:t AS time) < w.ends "
                "ELSE CAST(:t AS time) >= w.starts OR CAST(:t AS time) < w.ends END)"), conn,
                params={"w": pd.Series(settings["sight_width_m"]).to_json(), "t": cov["day"]}),
            "roads": gpd.read_postgis("SELECT geom FROM road", conn)}
    inputs = {name: frame.to_crs(srid) for name, frame in inputs.items()} | stored
    wkb = {"view_geom": inputs["cams"]["view_geom"], "reach_geom": inputs["alarms"]["reach_geom"],
           "premises_geom": inputs["alarms"]["premises_geom"]}
    for name, column in wkb.items():  # extra geometry columns arrive as hex WKB in lon/lat
        inputs[name] = gpd.GeoSeries.from_wkb(column.map(lambda v: bytes.fromhex(v) if isinstance(v, str) else None),
                                              crs=4326).to_crs(srid)
    return inputs


def fair_peer(inputs: dict, settings: dict, srid: int) -> pd.Series:
    """Covered m² of each grid's area of concern by day, the way a geopandas expert would write it.

    Per grid through the spatial index: the buffered roads overlaid with the grids and dissolved by
    grid (the area of concern); the cameras' views and the alarms' reach as stored (the polygons ours
    reads) and the patrol corridors, each clipped to the areas of concern it meets (STRtree), then
    dissolved by grid."""
    grids = inputs["grids"]
    zones = gpd.GeoDataFrame(geometry=inputs["roads"].buffer(settings["coverage"]["road_buffer_m"], 4), crs=srid)
    concern = gpd.overlay(grids, zones, how="intersection", keep_geom_type=True).dissolve("id").geometry
    return covered_by_day(concern, inputs, srid)


def stored_concern_peer(inputs: dict, settings: dict, srid: int) -> pd.Series:
    """The fair peer reading each grid's area of concern as ours stores it (grid_concern, read before the
    clock starts) instead of computing it: like for like with our recompute once the areas are stored."""
    return covered_by_day(inputs["concern"].set_index("id").geometry, inputs, srid)


def covered_by_day(concern: gpd.GeoSeries, inputs: dict, srid: int) -> pd.Series:
    """The fair peers' covered m² of each area of concern (``concern``, by grid id) by day: the stored
    views and alarm reach and the day's corridors near it (STRtree), clipped to it and dissolved by grid."""
    routes = inputs["routes"]
    pieces = gpd.GeoSeries(np.concatenate([inputs["view_geom"].to_numpy(), inputs["reach_geom"].to_numpy(),
                                           shapely.buffer(routes.geometry.to_numpy(), routes["width"].to_numpy(),
                                                          quad_segs=8)]), crs=srid)
    near, piece = pieces.sindex.query(concern, predicate="intersects")
    clipped = shapely.intersection(pieces.to_numpy()[piece], concern.to_numpy()[near])
    covered = gpd.GeoDataFrame({"id": concern.index.to_numpy()[near]}, geometry=clipped, crs=srid).dissolve("id")
    return covered.area


def union_peer(inputs: dict, settings: dict, srid: int) -> pd.Series:
    """Covered m² of each grid's area of concern by day, with one union of everything (flatters ours).

    Sectors built from each camera's azimuth, field of view and range (16 segments an arc, grid
    north), discs for domes and alarms without premises, corridors; one union of them all and one of
    the road zones; overlays with the grids."""
    cov = settings["coverage"]
    cams, alarms, routes, grids = inputs["cams"], inputs["alarms"], inputs["routes"], inputs["grids"]
    premises = inputs["premises_geom"]
    dome = cams["fov_deg"].to_numpy() >= 360
    x, y = cams.geometry.x.to_numpy(), cams.geometry.y.to_numpy()
    n = 16
    theta = np.radians(cams["azimuth"].fillna(0).to_numpy()[:, None] - cams["fov_deg"].to_numpy()[:, None] / 2
                       + cams["fov_deg"].to_numpy()[:, None] * np.arange(n + 1)[None, :] / n)
    r = cams["range_m"].to_numpy()[:, None]
    ring = np.concatenate([np.stack([x, y], 1)[:, None, :], np.stack([x[:, None] + r * np.sin(theta),
                                                                      y[:, None] + r * np.cos(theta)], 2),
                           np.stack([x, y], 1)[:, None, :]], axis=1)
    sectors = shapely.polygons(ring)
    sectors[dome] = shapely.buffer(cams.geometry.to_numpy()[dome], cams["range_m"].to_numpy()[dome])
    reach = np.where(premises.isna().to_numpy(), shapely.buffer(alarms.geometry.to_numpy(),
                                                                 alarms["response_radius_m"].to_numpy()),
                     premises.to_numpy())
    corridors = shapely.buffer(routes.geometry.to_numpy(), routes["width"].to_numpy())
    covered = gpd.GeoDataFrame(geometry=[shapely.union_all(np.concatenate([sectors, reach, corridors]))], crs=srid)
    road_zone = gpd.GeoDataFrame(geometry=[shapely.union_all(inputs["roads"].buffer(cov["road_buffer_m"], 4).to_numpy())],
                                 crs=srid)
    concern = gpd.overlay(grids, road_zone, how="intersection")
    inside = gpd.overlay(concern, covered, how="intersection")
    return inside.assign(area=inside.area).groupby("id")["area"].sum()


# key -> (label, function, whether it reads the stored areas of concern)
PEERS = {"fair": ("geopandas, per grid (fair), computes the concern", fair_peer, False),
         "stored": ("geopandas, per grid, reads our stored concern", stored_concern_peer, True),
         "union": ("geopandas, one union (flatters ours)", union_peer, False)}


def run_peer(peer: str, url: str, settings: dict, srid: int, timeout: float) -> tuple[pd.Series | None, float, float]:
    """Run the peer ``peer`` (a key of PEERS) on the inputs it reads in a child process for at most ``timeout`` seconds.

    Returns (areas or None when it did not finish, seconds of analysis (reading excluded), the
    child's peak RSS in MB).
    """
    context = multiprocessing.get_context("fork")
    results = context.Queue()

    def child() -> None:
        inputs = read_inputs(url, settings, srid, concern=PEERS[peer][2])
        started = time.perf_counter()
        areas = PEERS[peer][1](inputs, settings, srid)
        results.put((areas, time.perf_counter() - started, peak_rss_mb()))

    process = context.Process(target=child)
    started = time.perf_counter()
    process.start()
    try:
        return results.get(timeout=timeout)
    except queue.Empty:
        rss = float("nan")
        try:
            rss = int(next(line.split()[1] for line in Path(f"/proc/{process.pid}/status").read_text().splitlines()
                           if line.startswith("VmHWM"))) / 1024
        except (OSError, StopIteration):
            pass
        process.kill()
        return None, time.perf_counter() - started, rss
    finally:
        process.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=CITY["villages"], help="villages (default: the whole city)")
    parser.add_argument("--peers", default="all", type=lambda v: list(PEERS) if v in ("all", "both") else v.split(","),
                        help=f"which geopandas peers run, comma-separated, of {', '.join(PEERS)} (default: all)")
    parser.add_argument("--peer-timeout", type=float, default=1800,
                        help="seconds each geopandas peer may run before it is stopped (default: 1800)")
    args = parser.parse_args()
    with scratch_database("gisapp_bench") as url:
        engine = create_engine(url)
        try:
            measure(engine, url, args)
        finally:
            engine.dispose()


def measure(engine, url: str, args: argparse.Namespace) -> None:
    """Load the city into ``url``'s database over ``engine``, time ours and the peers, print the figures."""
    settings = load_settings({"database_url": url})
    started = time.perf_counter()
    load_demo(engine, settings, scale=str(args.villages), progress=True)
    print(f"loaded a city of {args.villages} villages in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    with psycopg.connect(libpq_dsn(url), autocommit=True) as conn:  # as autovacuum would soon after a load
        conn.execute("VACUUM ANALYZE")
    print(f"vacuumed and analysed in {time.perf_counter() - started:.1f} s (not timed)", flush=True)
    with engine.connect() as conn:
        grids = conn.execute(text("SELECT count(*) FROM grid")).scalar()
        srid = projected_srid(conn, settings)

    started = time.perf_counter()  # the first recompute builds every grid's area of concern as well
    recompute(engine, settings, progress=True)
    first = time.perf_counter() - started
    with engine.begin() as conn:  # the areas of concern alone, built again from nothing
        conn.execute(text("DELETE FROM grid_concern"))
    started = time.perf_counter()
    build_concerns(engine, settings)
    concern = time.perf_counter() - started
    started = time.perf_counter()  # again: the areas of concern are stored (as after an edit of cameras or patrols)
    recompute(engine, settings, progress=True)
    full = time.perf_counter() - started
    with engine.connect() as conn:
        ours_backend = backend_peak_mb(conn)

    timings = []
    for k in range(5):
        with engine.begin() as conn:
            started = time.perf_counter()
            conn.execute(text("UPDATE camera SET geom = ST_Translate(geom, 0.0003, 0) WHERE id = "
                              "(SELECT min(id) + :k FROM camera)"), {"k": k})
            touched = recompute_dirty(conn, settings)
            timings.append(time.perf_counter() - started)
    incremental = float(np.median(timings))
    with engine.connect() as conn:  # current after the moves, as the peers read the data
        ours_day = pd.Series(dict(conn.execute(text(
            "SELECT grid_id, covered_m2 FROM grid_coverage WHERE period = 'day'")).all()))

    ours_rss = peak_rss_mb()
    engine.dispose()  # the forked peers open their own connections
    results = {key: run_peer(key, url, settings, srid, args.peer_timeout) for key in args.peers}

    print(f"\ncity: {args.villages} villages, {grids} grids; projected CRS EPSG:{srid}; {os.cpu_count()} cores")
    print(f"{'what':48} {'seconds':>9} {'peak RSS MB':>12}")
    print(f"{'ours: first full recompute, builds the concern':48} {first:9.2f}")
    print(f"{'ours: the areas of concern alone (every grid)':48} {concern:9.2f}")
    print(f"{'ours: full recompute, concern stored (d + n)':48} {full:9.2f} {ours_backend:9.0f} (server) / "
          f"{ours_rss:.0f} (python)")
    print(f"{'ours: one camera moved, grids recomputed':48} {incremental:9.3f} (median of 5, {touched} grid(s) each)")
    for key, (areas, seconds, rss) in results.items():
        label = f"{PEERS[key][0]}: day only"
        if areas is None:
            print(f"{label:48} > {seconds:7.0f} {rss:9.0f} (python; stopped)")
            continue
        print(f"{label:48} {seconds:9.2f} {rss:9.0f} (python)")
    for key, (areas, seconds, _) in results.items():
        bound = "> " if areas is None else ""
        for what, ours in (("first, builds the concern", first), ("concern stored", full)):
            print(f"ratio {key} peer (day) / ours ({what}; day + night): {bound}{seconds / ours:.2f}x; "
                  f"per period: {bound}{2 * seconds / ours:.2f}x"
                  + (" (the peer did not finish)" if areas is None else ""))
        if areas is not None:
            aligned = pd.concat([ours_day, areas], axis=1, keys=["ours", "peer"]).fillna(0)
            difference = abs(aligned["ours"].sum() - aligned["peer"].sum()) / max(aligned["peer"].sum(), 1)
            worst = (aligned["ours"] - aligned["peer"]).abs().max()
            print(f"  covered area by day, ours vs the {key} peer: {difference * 100:.4f} % apart in total, "
                  f"at most {worst:.3f} m² in a grid" + (" (its own sectors: 16 segments an arc, grid north)"
                                                       if key == "union" else ""))


if __name__ == "__main__":
    main()
