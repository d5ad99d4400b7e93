"""Helpers of the tests that drive Debian's Chromium through Playwright: pages, signing in, moving
the map and waiting for it to settle. Every wait is for a condition, never for a fixed time."""
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
# How long a condition may take to come true on a loaded machine (it is waited for, not slept on).
TIMEOUT_MS = 60_000
expect.set_options(timeout=TIMEOUT_MS)

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
XSS = "<img src=x onerror=alert(1)>"
OUTPUT = Path(__file__).parent / "output"


def launch(p):
    """Debian's Chromium, headless, as the tests start it (fails the test if it is not installed)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    return p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, timeout=TIMEOUT_MS)


def new_page(browser, **options):
    page = browser.new_page(**options)
    page.set_default_timeout(TIMEOUT_MS)
    return page


def sign_in(page, base_url: str, login: str, path: str) -> None:
    """Sign in as the demo account ``login`` through the login form, then open ``path``."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", f"{login}-demo")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/login"))
    page.goto(f"{base_url}{path}")


def open_map(page, base_url: str, login: str) -> None:
    """Sign in as the demo account ``login``, then open the map."""
    sign_in(page, base_url, login, "/map")


FIND_MAP = "Object.values(window).find(v => v instanceof L.Map)"


def center_map(page, lat: float, lon: float, zoom: int) -> None:
    """Centre the map on lat/lon at ``zoom`` and wait until it is there and its tiles have loaded."""
    page.evaluate(f"""([lat, lon, zoom]) => {{ {FIND_MAP}.setView([lat, lon], zoom, {{animate: false}}); }}""",
                  [lat, lon, zoom])
    page.wait_for_function(f"""([lat, lon, zoom]) => {{
        const map = {FIND_MAP}, c = map.getCenter();
        if (map.getZoom() !== zoom || Math.abs(c.lat - lat) > 1e-6 || Math.abs(c.lng - lon) > 1e-6) return false;
        let loading = false;
        map.eachLayer(l => {{ if (l.isLoading && l.isLoading()) loading = true; }});
        return !loading;
    }}""", arg=[lat, lon, zoom])


# The map has come to rest: no layer is loading, and every tile shown is of the current zoom and faded in (the
# tiles of the zoom before are gone), so that a screenshot shows what a person sees.
SETTLED = f"""() => {{
    const map = {FIND_MAP};
    let busy = !!map._animatingZoom;
    map.eachLayer(l => {{
        if (l.isLoading && l.isLoading()) busy = true;
        if (l._tiles) Object.values(l._tiles).forEach(t => {{ if (!t.current || !t.active) busy = true; }});
    }});
    return !busy;
}}"""


def settle(page) -> None:
    page.wait_for_function(SETTLED)


def click_map_centre(page) -> None:
    box = page.locator(".folium-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
