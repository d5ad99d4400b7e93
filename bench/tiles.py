"""Tiles benchmark: our HTTP tiles against their bare statements, the server under 16 clients, and Gi*.

    .venv/bin/python bench/tiles.py              # loads the city into a fresh database (about 3 min), then runs
    .venv/bin/python bench/tiles.py --url URL    # a database already holding the city and its coverage

Needs ``wrk`` for the concurrency part (Debian: ``apt-get install wrk``).

1. The server is ``gisapp serve`` as it runs by default (gunicorn, its configured workers and threads),
   on a free port, with DATABASE_URL set to the city's database; signed in as ``center`` (a token).
2. Latency: distinct tiles at z12, z14 and z16 (``--tiles`` per zoom, each holding cameras) of
   ``cameras`` and of the polygon layers ``coverage_day`` and ``gaps_day``, each fetched once over HTTP
   (one keep-alive connection, ``http.client``) and run as its bare statement (the view's own SQL and
   parameters, ``gisapp.views.tiles.tile_sql``, through one psycopg connection), the two taking turns
   going first; medians of each side (the first ``--warm`` tiles not counted) and their ratio; then the
   same tile fetched again (the server's tile cache, when it has one) and revalidated (``If-None-Match``
   with its ETag). Both sides' tiles are checked to be of the same size within 1 %: the features' order
   may differ with the plan (a prepared statement's generic plan on one side, a custom plan on the
   other), and with it the sizes of the tags' value indices.
3. Concurrency: ``wrk`` with 16 connections for ``--seconds``, cycling through every tile above and,
   one in four requests, the cameras' items in the bbox of a z14 tile (limit 100): requests/s, p50,
   p95, p99, and the answers that were not 2xx/3xx. With ``--uncached``, the same once more on a
   server that keeps no tiles (``serve.tile_cache_mb = 0``).
4. The stack's floor: gunicorn with the same worker class, workers and threads serving a constant
   tile-sized body from a bare WSGI function (no Flask, no database), fetched the same way: what any
   tile costs over HTTP here before our code runs.
5. After one edit: every z14 tile of ``cameras`` and ``coverage_day`` is fetched, one camera's name is
   changed (and its grids' coverage recomputed), and each tile is revalidated with its ETag: how many
   are still 304 (ETags per region) against all of them 200 (ETags per layer).
6. Gi* hot spots of the disputes of the last year (the API's default period): ``figures.hotspots``
   in this process, the first call and the median of 5 after; then ``GET /api/disputes/hotspots
   ?significant=true`` over HTTP, every call (each gunicorn worker computes its first one).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))  # after PYTHONPATH: the bench can time another tree of gisapp
sys.path.insert(0, str(ROOT / "bench"))
from gisapp import clock  # noqa: E402
from gisapp.catalogue import load_catalogue  # noqa: E402
from gisapp.config import load_settings  # noqa: E402
from gisapp.db.server import libpq_dsn  # noqa: E402
from gisapp.disputes.figures import hotspots  # noqa: E402
from gisapp.features import sql_params  # noqa: E402
from gisapp.views.tiles import EXTENT, WORLD_M, tile_sql  # noqa: E402
from serving import city_url, gisapp_server  # noqa: E402

LAYERS = ("cameras", "coverage_day", "gaps_day")
ZOOMS = (12, 14, 16)
ROLE = "center"
DEMO_LOGIN, DEMO_PASSWORD = "center", "center-demo"

WRK_SCRIPT = """
local paths = {%s}
local headers = {["Authorization"] = "Bearer %s"}
local i = 0
function init(args) i = math.random(#paths) end
function request()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i], headers)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p95_us": %%d, ' ..
    '"p99_us": %%d, "bad_status": %%d, "socket_errors": %%d}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The slippy-map tile (x, y) holding lon/lat at zoom z."""
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def tile_bbox(z: int, x: int, y: int) -> str:
    """The tile's bbox as minlon,minlat,maxlon,maxlat."""
    n = 2 ** z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))
    return f"{x / n * 360 - 180:.6f},{lat(y + 1):.6f},{(x + 1) / n * 360 - 180:.6f},{lat(y):.6f}"


def pick_tiles(engine, count: int) -> dict[int, list[tuple[int, int]]]:
    """``count`` distinct tiles per zoom, each holding cameras, spread over the city (deterministic)."""
    with engine.connect() as conn:
        points = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM camera ORDER BY code")).all()
    picked = {}
    for z in ZOOMS:
        seen: dict[tuple[int, int], None] = {}
        for lon, lat in points[::max(1, len(points) // (count * 4))]:
            seen.setdefault(tile_of(lon, lat, z))
        picked[z] = list(seen)[:count]
    return picked


@contextlib.contextmanager
def server(url: str, options: list[str], serve: dict | None = None):
    """``gisapp serve`` on a free port against ``url`` with ``options`` (and ``serve`` settings); yields
    (host, port)."""
    with gisapp_server(url, options, env={"GISAPP_SERVE": json.dumps(serve)} if serve else None,
                       name="bench-tiles") as port:
        yield "127.0.0.1", port


def sign_in(host: str, port: int) -> str:
    conn = http.client.HTTPConnection(host, port)
    conn.request("POST", "/api/auth/token", json.dumps({"login": DEMO_LOGIN, "password": DEMO_PASSWORD}),
                 {"Content-Type": "application/json"})
    answer = conn.getresponse()
    if answer.status != 200:
        raise SystemExit(f"signing in as {DEMO_LOGIN} failed: {answer.status} {answer.read()[:200]!r}")
    return json.loads(answer.read())["token"]


def bare_statements(settings: dict) -> dict[str, tuple[str, dict]]:
    """Each layer's tile statement as psycopg runs it, and its parameters, as the view builds them."""
    catalogue = load_catalogue(ROOT / "layers", settings["dispute_categories"])
    viewer = SimpleNamespace(role=ROLE, grid_ids=frozenset())
    dialect = pg_psycopg.dialect()
    statements = {}
    for layer_id in LAYERS:
        layer = catalogue[layer_id]
        compiled = text(tile_sql(layer, layer.tile_properties_for(ROLE))).compile(dialect=dialect)
        statements[layer_id] = compiled.string, dict(sql_params(settings, viewer), name=layer.id)
    return statements


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def run_bare(db, sql: str, params: dict, z: int, x: int, y: int) -> tuple[float, bytes]:
    """The tile's bare statement: seconds and the tile."""
    started = time.perf_counter()
    row = db.execute(sql, dict(params, z=z, x=x, y=y, now=clock.now(),
                               tolerance=WORLD_M / 2 ** z / EXTENT / 2)).fetchone()
    return time.perf_counter() - started, bytes(row[0] or b"")


def latency(host: str, port: int, token: str, url: str, settings: dict, tiles: dict, warm: int) -> None:
    """Each tile over HTTP and as its bare statement (the two take turns going first), then over HTTP
    again and revalidated; medians by layer and zoom, the first ``warm`` tiles of each not counted."""
    statements = bare_statements(settings)
    http_conn = http.client.HTTPConnection(host, port)
    auth = {"Authorization": f"Bearer {token}"}

    def fetch(path: str, headers: dict) -> tuple[float, int, bytes, str]:
        started = time.perf_counter()
        http_conn.request("GET", path, headers=headers)
        answer = http_conn.getresponse()
        body = answer.read()
        return time.perf_counter() - started, answer.status, body, answer.getheader("ETag", "")

    print(f"\nLatency: {len(tiles[ZOOMS[0]])} distinct tiles a zoom, the first {warm} not counted; milliseconds, "
          "medians.\nHTTP: the tile's first fetch; again: fetched once more; 304: revalidated with its ETag")
    print(f"{'layer':<14}{'z':>3}{'HTTP':>9}{'bare':>9}{'ratio':>8}{'again':>9}{'304':>9}{'bytes':>9}")
    with psycopg.connect(libpq_dsn(url)) as db:
        for layer_id in LAYERS:
            sql, params = statements[layer_id]
            for z in ZOOMS:
                times: dict[str, list[float]] = {"ours": [], "bare": [], "again": [], "304": []}
                sizes = []
                for i, (x, y) in enumerate(tiles[z]):
                    path = f"/tiles/{layer_id}/{z}/{x}/{y}.pbf"
                    if i % 2:
                        bare_took, bare_body = run_bare(db, sql, params, z, x, y)
                        took, status, body, etag = fetch(path, auth)
                    else:
                        took, status, body, etag = fetch(path, auth)
                        bare_took, bare_body = run_bare(db, sql, params, z, x, y)
                    again, status_again, _, _ = fetch(path, auth)
                    revalidated, status_304, _, _ = fetch(path, {**auth, "If-None-Match": etag})
                    if (status, status_again, status_304) != (200, 200, 304):
                        raise SystemExit(f"{path}: {status}, again {status_again}, revalidated {status_304}")
                    if abs(len(body) - len(bare_body)) > len(body) / 100:
                        raise SystemExit(f"{path}: the HTTP tile has {len(body)} bytes, the bare one {len(bare_body)}")
                    if i >= warm:
                        for name, value in (("ours", took), ("bare", bare_took), ("again", again),
                                            ("304", revalidated)):
                            times[name].append(value)
                        sizes.append(len(body))
                ours, bare = median_ms(times["ours"]), median_ms(times["bare"])
                print(f"{layer_id:<14}{z:>3}{ours:>9.2f}{bare:>9.2f}{ours / bare:>7.2f}×{median_ms(times['again']):>9.2f}"
                      f"{median_ms(times['304']):>9.2f}{statistics.median(sizes):>9.0f}")


def concurrency(host: str, port: int, token: str, tiles: dict, seconds: int, clients: int) -> None:
    """wrk with ``clients`` connections over the tiles and, one in four, the cameras' items."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed for the concurrency part: apt-get install wrk (or --skip-concurrency)")
    paths = [f"/tiles/{layer}/{z}/{x}/{y}.pbf" for layer in LAYERS for z in ZOOMS for x, y in tiles[z]]
    items = [f"/api/collections/cameras/items?bbox={tile_bbox(14, x, y)}&limit=100" for x, y in tiles[14][:20]]
    paths += items * max(1, len(paths) // (3 * len(items)))
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT % (", ".join(json.dumps(p) for p in paths), token))
        script.flush()
        run = subprocess.run(["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds}s", "--timeout", "10s",
                              "-s", script.name, f"http://{host}:{port}"], capture_output=True, text=True, check=True)
    result = json.loads(next(line for line in run.stdout.splitlines() if line.startswith("RESULT "))[7:])
    print(f"\nConcurrency: {clients} clients for {seconds} s over {len(paths)} paths "
          f"({len(items)} of them items, repeated to a quarter)")
    print(f"  {result['requests'] / (result['duration_us'] / 1e6):.1f} requests/s; p50 {result['p50_us'] / 1000:.1f} ms, "
          f"p95 {result['p95_us'] / 1000:.1f} ms, p99 {result['p99_us'] / 1000:.1f} ms; "
          f"{result['bad_status']} answers not 2xx/3xx, {result['socket_errors']} socket errors")


FLOOR_APP = """
BODY = b"x" * 2000
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/vnd.mapbox-vector-tile"), ("Content-Length", "2000")])
    return [BODY]
"""


def stack_floor(options: list[str], requests: int = 3000) -> None:
    """gunicorn (gisapp serve's worker class, workers and threads) serving a constant from a bare WSGI
    function: the p50 of a request over one keep-alive connection, as the latency part fetches tiles."""
    from gisapp.cli.serve import gunicorn_arguments

    serve = dict(load_settings({})["serve"])
    for name, value in zip(options[::2], options[1::2]):
        serve[name.removeprefix("--")] = int(value)
    with tempfile.TemporaryDirectory() as folder, socket.socket() as probe:
        Path(folder, "floor_app.py").write_text(FLOOR_APP)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        arguments = gunicorn_arguments("127.0.0.1", port, serve)
        arguments = arguments[:arguments.index("--access-logfile")] + ["--chdir", folder, "floor_app:app"]
        process = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), *arguments], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port)
            for _ in range(240):
                with contextlib.suppress(OSError):
                    conn.request("GET", "/")
                    conn.getresponse().read()
                    break
                conn.close()
                time.sleep(0.25)
            took = []
            for _ in range(requests):
                started = time.perf_counter()
                conn.request("GET", "/tiles/cameras/14/1/1.pbf")
                conn.getresponse().read()
                took.append(time.perf_counter() - started)
        finally:
            process.terminate()
            process.wait(30)
    print(f"\nThe stack's floor: gunicorn ({' '.join(arguments[2:8])}) serving a 2,000-byte constant from a bare "
          f"WSGI function: p50 {median_ms(took[requests // 10:]):.2f} ms over {requests} requests")


def after_one_edit(host: str, port: int, token: str, url: str, tiles: dict) -> None:
    """Every z14 tile of cameras and coverage_day fetched; one camera edited (its grids' coverage
    recomputed); each tile revalidated: how many are still 304."""
    from gisapp.coverage import recompute

    conn = http.client.HTTPConnection(host, port)
    auth = {"Authorization": f"Bearer {token}"}

    def get(path: str, etag: str = "") -> tuple[int, str]:
        conn.request("GET", path, headers={**auth, **({"If-None-Match": etag} if etag else {})})
        answer = conn.getresponse()
        answer.read()
        return answer.status, answer.getheader("ETag", "")
    paths = [f"/tiles/{layer}/14/{x}/{y}.pbf" for layer in ("cameras", "coverage_day") for x, y in tiles[14]]
    etags = {path: get(path)[1] for path in paths}
    engine = create_engine(url)
    with engine.begin() as db:
        code = db.execute(text("UPDATE camera SET name = name || '·' WHERE id = (SELECT min(id) FROM camera) "
                               "RETURNING code")).scalar()
    recompute(engine, load_settings({"database_url": url}), only_dirty=True)
    engine.dispose()
    deadline = time.monotonic() + 30  # the server's processes see another's write within a second
    while all(get(path, etag)[0] == 304 for path, etag in etags.items()) and time.monotonic() < deadline:
        time.sleep(0.2)
    statuses = {path: get(path, etag)[0] for path, etag in etags.items()}
    print(f"\nAfter one edit (camera {code} renamed, its grids' coverage recomputed), z14 tiles revalidated:")
    for layer in ("cameras", "coverage_day"):
        mine = [status for path, status in statuses.items() if f"/{layer}/" in path]
        print(f"  {layer}: {mine.count(304)} of {len(mine)} still 304 (the others 200: "
              f"{sorted(set(mine) - {304}) or 'none'})")


def hot_spots(host: str, port: int, token: str, engine, settings: dict) -> None:
    """Gi* in this process (first call, then the median of 5), then over HTTP."""
    today = clock.now().date()
    start, end = today - dt.timedelta(days=365), today + dt.timedelta(days=1)
    times = []
    for _ in range(6):
        with engine.connect() as conn:
            started = time.perf_counter()
            found = hotspots(conn, start, end, settings)
            times.append(time.perf_counter() - started)
    hot = sum(1 for h in found.values() if h["class"].startswith("hot"))
    print(f"\nGi* hot spots ({len(found)} grids, {hot} hot), figures.hotspots in this process: "
          f"first {times[0]:.2f} s, then median {statistics.median(times[1:]):.3f} s")
    conn = http.client.HTTPConnection(host, port, timeout=120)
    took = []
    for _ in range(7):
        started = time.perf_counter()
        conn.request("GET", "/api/disputes/hotspots?significant=true", headers={"Authorization": f"Bearer {token}"})
        answer = conn.getresponse()
        answer.read()
        took.append(time.perf_counter() - started)
        if answer.status != 200:
            raise SystemExit(f"hotspots: {answer.status}")
    print("  GET /api/disputes/hotspots?significant=true, 7 calls: " + ", ".join(f"{t:.2f}" for t in took)
          + f" s (median {statistics.median(took):.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a database already holding the city and its coverage")
    parser.add_argument("--tiles", type=int, default=60, help="distinct tiles per zoom [60]")
    parser.add_argument("--warm", type=int, default=5, help="tiles of each layer and zoom not counted [5]")
    parser.add_argument("--seconds", type=int, default=20, help="length of the concurrency run [20]")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients [16]")
    parser.add_argument("--workers", help="gisapp serve --workers (default: its own)")
    parser.add_argument("--threads", help="gisapp serve --threads (default: its own)")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-concurrency", action="store_true")
    parser.add_argument("--skip-hotspots", action="store_true")
    parser.add_argument("--skip-floor", action="store_true")
    parser.add_argument("--edit", action="store_true",
                        help="edit one camera and count the z14 tiles still valid (writes to the database)")
    parser.add_argument("--uncached", action="store_true",
                        help="run the concurrency part once more on a server keeping no tiles (tile_cache_mb = 0)")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        url = city_url(stack, args.url, "gisapp_bench_tiles")
        settings = load_settings({"database_url": url})
        engine = create_engine(url)
        stack.callback(engine.dispose)
        tiles = pick_tiles(engine, args.tiles)
        options = [arg for name in ("workers", "threads") if getattr(args, name)
                   for arg in (f"--{name}", getattr(args, name))]
        host, port = stack.enter_context(server(url, options))
        token = sign_in(host, port)
        print(f"{os.cpu_count()} cores; load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
        if not args.skip_latency:
            latency(host, port, token, url, settings, tiles, args.warm)
        if not args.skip_concurrency:
            concurrency(host, port, token, tiles, args.seconds, args.clients)
        if not args.skip_floor:
            stack_floor(options)
        if not args.skip_hotspots:
            hot_spots(host, port, token, engine, settings)
        if args.edit:
            after_one_edit(host, port, token, url, tiles)
        if args.uncached:
            with server(url, options, {"tile_cache_mb": 0}) as (host, port):
                print("\nThe same on a server keeping no tiles (serve.tile_cache_mb = 0):", end="")
                concurrency(host, port, sign_in(host, port), tiles, args.seconds, args.clients)
        print(f"load average after: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
