"""The map page in a real headless Chromium (Debian's, driven by Playwright).

Every wait is for a condition (a response, a selector, a value, the map's state), never for a
fixed time. The tests that write (a camera named like an attack, a dispute taken in) do so in a
copy of the demo of their own, served by a server of their own.
"""
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from conftest import serving

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


@pytest.fixture
def own_live(own_demo):
    """This test's copy of the demo, served over HTTP: (base URL, the copy)."""
    with serving(own_demo.app) as base_url:
        yield base_url, own_demo


@pytest.fixture
def xss_camera(own_live):
    """A camera whose name is an attack, west of every other camera, in this test's copy of the demo."""
    base_url, demo = own_live
    with demo.connect() as conn:
        lon, lat = conn.execute(text("SELECT min(ST_X(geom)) - 0.005, avg(ST_Y(geom)) FROM camera")).one()
        conn.execute(text("INSERT INTO camera (code, name, kind, fov_deg, range_m, status, geom) VALUES "
                          "('XSS1', :name, 'dome', 360, 80, 'online', ST_SetSRID(ST_MakePoint(:x, :y), 4326))"),
                     {"name": XSS, "x": lon, "y": lat})
    return base_url, lon, lat


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, timeout=TIMEOUT_MS)
        yield instance
        instance.close()


def new_page(browser, **options):
    page = browser.new_page(**options)
    page.set_default_timeout(TIMEOUT_MS)
    return page


def open_map(page, base_url: str, login: str) -> None:
    """Sign in as the demo account ``login`` through the login form, then open the map."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", f"{login}-demo")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/login"))
    page.goto(f"{base_url}/map")


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


def click_map_centre(page) -> None:
    box = page.locator(".folium-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_map_page(browser, xss_camera):
    base_url, lon, lat = xss_camera
    page = new_page(browser, viewport={"width": 1400, "height": 900})
    requests, dialogs, errors = [], [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))

    open_map(page, base_url, "center")
    page.wait_for_selector(".leaflet-control-layers")
    page.wait_for_load_state("networkidle")

    control = page.inner_text(".leaflet-control-layers")
    for group in ("天网 Sky net", "地网 Ground net", "人网 People net", "矛盾纠纷 Disputes"):
        assert group in control
    for layer in ("摄像机 Cameras", "一键报警 One-button alarms", "巡逻线路 Patrol routes", "矛盾纠纷 Disputes"):
        assert layer in control
    assert "图例 Legend" in page.inner_text("#legend")
    assert any("/tiles/cameras/" in url for url in requests)

    # toggling a layer on makes the browser fetch its tiles
    assert not any("/tiles/alarm_areas/" in url for url in requests)
    label = page.locator(".leaflet-control-layers label", has_text="报警响应范围 Alarm response areas")
    with page.expect_request(lambda r: "/tiles/alarm_areas/" in r.url):
        label.locator("input").check()

    # the heat map asks the server for aggregated points, not for every dispute
    heat = page.locator(".leaflet-control-layers label", has_text="热力图 heat map")
    with page.expect_response(lambda r: "/api/heat/disputes?bbox=" in r.url and r.status == 200):
        heat.locator("input").check()

    # a camera named like an attack shows as text and runs nothing
    center_map(page, lat, lon, 19)
    with page.expect_response(lambda r: "/api/identify?" in r.url and r.status == 200):
        click_map_centre(page)
    popup = page.wait_for_selector(".leaflet-popup-content")
    assert XSS in popup.inner_text()
    assert "摄像机 Cameras" in popup.inner_text()  # the camera and every other feature under the click
    # The name was inserted as text: no element was made of it, so nothing can ever run.
    assert popup.query_selector("img") is None
    assert page.evaluate("document.querySelectorAll('img[onerror], img[src=\"x\"]').length") == 0
    assert not any(urlsplit(url).path.endswith("/x") for url in requests)
    assert dialogs == [] and errors == []

    OUTPUT.mkdir(exist_ok=True)
    page.evaluate(f"() => {FIND_MAP}.setZoom(13, {{animate: false}})")
    page.wait_for_function(f"""() => {{
        const map = {FIND_MAP};
        let loading = false;
        map.eachLayer(l => {{ if (l.isLoading && l.isLoading()) loading = true; }});
        return map.getZoom() === 13 && !loading;
    }}""")
    page.screenshot(path=str(OUTPUT / "map.png"))

    hosts = {urlsplit(url).hostname for url in requests if not url.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, f"requests left 127.0.0.1: {hosts}"
    page.close()


def test_viewer_sees_no_patrol_layers(browser, live_demo):
    page = new_page(browser)
    open_map(page, live_demo, "viewer")
    control = page.wait_for_selector(".leaflet-control-layers").inner_text()
    assert "摄像机 Cameras" in control and "巡逻线路 Patrol routes" not in control
    page.close()


@pytest.fixture
def own_grid_point(own_live):
    """A point inside the demo grid worker's first grid, in this test's copy of the demo."""
    base_url, demo = own_live
    with demo.connect() as conn:
        lon, lat = conn.execute(text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(g.geom) AS p FROM grid g "
            "JOIN user_grid ug ON ug.grid_id = g.id JOIN app_user u ON u.id = ug.user_id "
            "WHERE u.login = 'gridworker' ORDER BY g.code LIMIT 1) x")).one()
    return base_url, demo, lon, lat


def test_disputes_panel_and_intake_on_the_map(browser, own_grid_point):
    base_url, demo, lon, lat = own_grid_point
    page = new_page(browser, viewport={"width": 1400, "height": 900})
    requests, dialogs, errors = [], [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_map(page, base_url, "gridworker")
    page.wait_for_load_state("networkidle")
    page.click("#dp-toggle")

    # figures with their charts, and the open disputes lying in coverage gaps
    page.wait_for_selector("#dp-totals .dp-figure")
    assert "化解率 resolution" in page.inner_text("#dp-totals")
    expect(page.locator("#dp-rows tr").first).to_be_attached()
    page.wait_for_function("document.querySelectorAll('#dp-gap-list li').length > 0")
    with page.expect_response(lambda r: "/api/disputes/hotspots?" in r.url and r.status == 200):
        page.check("#dp-hotspots")

    # a submission without a place is refused, naming what is missing
    page.fill("#dp-intake textarea[name=summary]", XSS)
    with page.expect_response(lambda r: r.url.endswith("/api/disputes") and r.status == 400):
        page.click("#dp-intake button[type=submit]")
    page.wait_for_selector("#dp-intake-message.dp-error")
    assert "location" in page.inner_text("#dp-intake-message")

    # pick the place on the map (the form's fields fill in when the click arrives), fill the form, submit
    center_map(page, lat, lon, 16)
    page.click("#dp-pick")
    expect(page.locator("#dp-pick")).to_have_class(re.compile(r"\bactive\b"))
    click_map_centre(page)
    lon_field = page.locator("#dp-intake input[name=lon]")
    expect(lon_field).to_have_value(re.compile(r"^-?\d+\.\d+$"))
    expect(page.locator("#dp-pick")).not_to_have_class(re.compile(r"\bactive\b"))
    assert abs(float(lon_field.input_value()) - lon) < 1e-4
    assert abs(float(page.input_value("#dp-intake input[name=lat]")) - lat) < 1e-4
    page.select_option("#dp-intake select[name=grade]", "complex")
    page.fill("#dp-intake input[name=parties]", "王五")
    with page.expect_response(lambda r: r.url.endswith("/api/disputes") and r.status == 201) as created:
        page.click("#dp-intake button[type=submit]")
    code = created.value.json()["code"]
    page.wait_for_selector("#dp-intake-message.dp-ok")
    assert f"已受理 received: {code}" in page.inner_text("#dp-intake-message")
    with demo.connect() as conn:
        stored = conn.execute(text("SELECT d.grade, d.parties, d.summary, g.code FROM dispute d "
                                   "JOIN grid g ON g.id = d.grid_id WHERE d.code = :c"), {"c": code}).one()
        own_grid = conn.execute(text(
            "SELECT g.code FROM grid g JOIN user_grid ug ON ug.grid_id = g.id JOIN app_user u ON u.id = ug.user_id "
            "WHERE u.login = 'gridworker' ORDER BY g.code LIMIT 1")).scalar()
    assert stored == ("complex", "王五", XSS, own_grid)
    assert page.query_selector("#dp-panel img") is None
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "disputes-panel.png"))
    assert dialogs == [] and errors == []
    assert any("/static/vendor/chartjs/" in url for url in requests)
    hosts = {urlsplit(url).hostname for url in requests if not url.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, f"requests left 127.0.0.1: {hosts}"
    page.close()
