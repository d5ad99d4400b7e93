"""Map page benchmark: what the map's first view fetches, how soon it is drawn, and a click's popup while tiles load.

    .venv/bin/python bench/mappage.py                    # loads the city into a fresh database (about 3 min), then runs
    .venv/bin/python bench/mappage.py --url URL          # a database already holding the city and its coverage
    git worktree add /tmp/mappage-old <commit>
    .venv/bin/python bench/mappage.py --url URL --before /tmp/mappage-old   # that checkout's page too, run by run

1. The server is ``gisapp serve`` (gunicorn, its configured workers and threads) on a free port with
   DATABASE_URL set to the city's database; with ``--before DIR`` a second one serves the code of the
   checkout DIR (its ``gisapp`` package first on PYTHONPATH, so its templates and static files too), and
   the runs alternate between the two.
2. Each run is a new browser context (an empty cache) in Debian's headless Chromium, signed in as
   ``--login`` through the sign-in form, opening /map at ``--viewport``:
   (a) the first view: every request from the page's navigation until the map has come to rest (no layer
       loading, every tile of the view's zoom); the tile requests by zoom and by layer (a layer that is off
       should fetch nothing), the time from the load event to the last tile of the settled view drawn
       (GridLayer's ``tileload``: fetched, drawn on its canvas, one frame later), and the assets (scripts,
       styles, fonts, images) with their bytes;
   (b) the click: the same page again, clicked at the map's centre as soon as the load event has fired
       while tiles are still loading; the time from the click to its popup, and the /api/identify
       request's own times (queued in the browser, waiting on the server).
   Medians over ``--runs`` runs.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from chromium import FIND_MAP, SETTLED, launch, new_page, open_map  # noqa: E402
from serving import city_url, gisapp_server  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

# Before any page script: remember, for every tile layer, when each tile was asked for and drawn, and the map's
# zooms and clicks and popups (Leaflet sets window.L once it has loaded; the hooks are added right then).
HOOKS = """(() => {
  const log = window.__bench = {tiles: {}, zooms: [], clicks: [], popups: []};
  performance.setResourceTimingBufferSize(100000);  // not the 250 entries of the default
  let leaflet;
  Object.defineProperty(window, "L", {configurable: true, get: () => leaflet, set(L) {
    leaflet = L;
    L.GridLayer.addInitHook(function () {
      const key = (e) => `${this.options.gisappLayer || "base"}/${e.coords.z}/${e.coords.x}/${e.coords.y}`;
      this.on("tileloadstart", (e) => { log.tiles[key(e)] = {asked: performance.now()}; });
      this.on("tileload tileerror", (e) => { (log.tiles[key(e)] || {}).drawn = performance.now(); });
    });
    L.Map.addInitHook(function () {
      this.on("zoomend", () => log.zooms.push(this.getZoom()));
      this.on("click", () => log.clicks.push(performance.now()));
      this.on("popupopen", () => log.popups.push(performance.now()));
    });
  }});
})();"""

# The tiles of the settled view, as "layer/z/x/y", and the page's load event (ms since navigation).
FIRST_VIEW = f"""() => {{
    const map = {FIND_MAP}, keys = [];
    map.eachLayer(l => {{
        if (!l._tiles) return;
        Object.values(l._tiles).forEach(t => {{
            if (t.current) keys.push(`${{l.options.gisappLayer || "base"}}/${{t.coords.z}}/${{t.coords.x}}/${{t.coords.y}}`);
        }});
    }});
    const tiles = performance.getEntriesByType("resource").filter(e => e.name.includes("/tiles/"))
        .map(e => ({{layer: new URL(e.name).pathname.split("/")[2], wait: e.responseStart - e.requestStart,
                    queued: e.requestStart - e.startTime, bytes: e.encodedBodySize}}));
    return {{keys, tiles, zoom: map.getZoom(), load: performance.getEntriesByType("navigation")[0].loadEventStart,
             log: window.__bench}};
}}"""

LOADING = f"""() => {{
    const map = window.L && {FIND_MAP};
    if (!map) return false;
    let loading = 0;
    map.eachLayer(l => {{ if (l._tiles) Object.values(l._tiles).forEach(t => {{ if (!t.loaded) loading++; }}); }});
    return loading;
}}"""

IDENTIFY_TIMING = """() => performance.getEntriesByType("resource").filter(e => e.name.includes("/api/identify?"))
    .map(e => ({start: e.startTime, sent: e.requestStart, first: e.responseStart, end: e.responseEnd}))"""

ASSET_TYPES = {"script", "stylesheet", "font", "image"}


@contextlib.contextmanager
def server(url: str, tree: Path, label: str):
    """``gisapp serve`` on a free port against ``url``, serving the code of the checkout ``tree``; yields its URL."""
    with gisapp_server(url, env={"PYTHONPATH": str(tree)}, cwd=tree, name=f"bench-mappage-{label}") as port:
        yield f"http://127.0.0.1:{port}"


def describe(tree: Path) -> str:
    """The checkout's commit, and whether it has changes not committed."""
    head = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], check=False, capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=no"],
                           check=False, capture_output=True, text=True).stdout.strip()
    return f"{tree} at {head.stdout.strip()}" + (" with uncommitted changes" if dirty else "")


def tile_path(url: str) -> tuple[str, int] | None:
    """(layer, z) of a tile's URL, else None."""
    parts = urlsplit(url).path.split("/")
    return (parts[2], int(parts[3])) if len(parts) == 6 and parts[1] == "tiles" else None


def first_view(browser, base: str, args) -> dict:
    """One opening of the map, left to come to rest: its requests, tiles and assets."""
    width, height = args.viewport
    page = new_page(browser, viewport={"width": width, "height": height})
    page.add_init_script(HOOKS)
    requests: list = []

    def seen(request):  # from the navigation to /map on
        if request.is_navigation_request() and request.url.endswith("/map"):
            requests.clear()
        requests.append(request)
    page.on("request", seen)
    open_map(page, base, args.login)
    page.wait_for_function(SETTLED, timeout=300_000)
    state = page.evaluate(FIRST_VIEW)
    tiles = [(tile_path(r.url), r) for r in requests if tile_path(r.url)]
    log = state["log"]
    drawn = [log["tiles"][k].get("drawn") for k in state["keys"]]
    assets = {}
    for r in requests:
        if r.resource_type in ASSET_TYPES and urlsplit(r.url).hostname == "127.0.0.1" and r.response():
            assets[urlsplit(r.url).path] = len(r.response().body())
    page.close()
    return {"requests": len(requests), "tiles": len(tiles), "zoom": state["zoom"], "zooms": log["zooms"],
            "by_zoom": Counter(z for (_, z), _ in tiles), "by_layer": Counter(layer for (layer, _), _ in tiles),
            "view_tiles": len(state["keys"]), "undrawn": sum(d is None for d in drawn),
            "drawn_after_load_s": (max(d for d in drawn if d is not None) - state["load"]) / 1000 if drawn else 0.0,
            "assets": assets, "timings": state["tiles"]}


def click(browser, base: str, args) -> dict:
    """The map opened again and clicked at its centre as soon as it loaded, while tiles still load: the time
    to the popup and the identify request's times (ms)."""
    width, height = args.viewport
    page = new_page(browser, viewport={"width": width, "height": height})
    page.add_init_script(HOOKS)
    open_map(page, base, args.login)   # returns at the load event
    pending = page.evaluate(LOADING)
    box = page.locator(".folium-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => window.__bench.popups.length > 0", timeout=120_000)
    log = page.evaluate("() => window.__bench")
    page.wait_for_function(f"() => ({IDENTIFY_TIMING})().every(e => e.end > 0)")
    identify = page.evaluate(IDENTIFY_TIMING)[0]
    page.close()
    return {"pending": pending, "popup_ms": log["popups"][0] - log["clicks"][0],
            "queued_ms": identify["sent"] - identify["start"], "server_ms": identify["first"] - identify["sent"],
            "identify_ms": identify["end"] - identify["start"]}


def report(label: str, views: list[dict], clicks: list[dict]) -> None:
    def med(values):
        return statistics.median(values)

    last = views[-1]
    print(f"\n== {label} ==")
    print(f"  settled at zoom {last['zoom']}; zooms passed through: {last['zooms'] or '-'}")
    for i, (v, c) in enumerate(zip(views, clicks), 1):
        print(f"  run {i}: {v['tiles']} tile requests ({', '.join(f'z{z}: {n}' for z, n in sorted(v['by_zoom'].items()))})"
              f", {v['view_tiles']} tiles in the settled view ({v['undrawn']} never drawn), the last drawn "
              f"{v['drawn_after_load_s']:.2f} s after the load event; {v['requests']} requests in all | click with "
              f"{c['pending']} tiles pending: popup {c['popup_ms']:.0f} ms (identify queued {c['queued_ms']:.0f} ms, "
              f"server {c['server_ms']:.0f} ms, in all {c['identify_ms']:.0f} ms)")
    print(f"  median: {med([v['tiles'] for v in views]):.0f} tile requests for the first view, its last tile drawn "
          f"{med([v['drawn_after_load_s'] for v in views]):.2f} s after the load event, a click's popup "
          f"{med([c['popup_ms'] for c in clicks]):.0f} ms (identify {med([c['identify_ms'] for c in clicks]):.0f} ms)")
    print("  tile requests by layer, with the median tile's size, time queued in the browser and time waiting on "
          "the server (last run):")
    for layer, n in sorted(last["by_layer"].items()):
        mine = [t for t in last["timings"] if t["layer"] == layer]
        print(f"    {layer:16} {n:4}  {med([t['bytes'] for t in mine]) / 1024:7.1f} KiB  queued "
              f"{med([t['queued'] for t in mine]):6.0f} ms  server {med([t['wait'] for t in mine]):5.0f} ms")
    total = sum(last["assets"].values())
    print(f"  assets: {len(last['assets'])}, {total / 1024:.0f} KiB")
    for path, size in sorted(last["assets"].items(), key=lambda a: -a[1]):
        print(f"    {size / 1024:8.1f} KiB  {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a database already holding the city and its coverage")
    parser.add_argument("--before", type=Path, help="a checkout of the page before (git worktree add DIR COMMIT)")
    parser.add_argument("--after", type=Path, default=ROOT, help="the checkout measured [this one]")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement [3]")
    parser.add_argument("--login", default="center", help="the demo account to sign in as [center]")
    parser.add_argument("--viewport", type=lambda s: tuple(int(v) for v in s.split("x")), default=(1400, 900),
                        help="the browser window, WIDTHxHEIGHT [1400x900]")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        url = city_url(stack, args.url, "gisapp_bench_mappage")
        trees = {"before": args.before, "after": args.after} if args.before else {"after": args.after}
        trees = {label: tree.resolve() for label, tree in trees.items()}
        bases = {label: stack.enter_context(server(url, tree, label)) for label, tree in trees.items()}
        p = stack.enter_context(sync_playwright())
        browser = launch(p)
        stack.callback(browser.close)
        print(f"{os.cpu_count()} cores; load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}; "
              f"{args.login} at {args.viewport[0]}x{args.viewport[1]}")
        views: dict[str, list] = {label: [] for label in trees}
        clicks: dict[str, list] = {label: [] for label in trees}
        for _ in range(args.runs):
            for label, base in bases.items():
                views[label].append(first_view(browser, base, args))
                clicks[label].append(click(browser, base, args))
        for label, tree in trees.items():
            report(f"{label}: {describe(tree)}", views[label], clicks[label])
        print(f"load average after: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
