"""The map page in a real headless Chromium (Debian's, driven by Playwright)."""
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
XSS = "<img src=x onerror=alert(1)>"
OUTPUT = Path(__file__).parent / "output"


@pytest.fixture(scope="module")
def xss_camera(demo_url):
    """A camera whose name is an attack, west of every other camera; removed afterwards."""
    engine = create_engine(demo_url)
    with engine.begin() as conn:
        lon, lat = conn.execute(text("SELECT min(ST_X(geom)) - 0.005, avg(ST_Y(geom)) FROM camera")).one()
        conn.execute(text("INSERT INTO camera (code, name, kind, fov_deg, range_m, status, geom) VALUES "
                          "('XSS1', :name, 'dome', 360, 80, 'online', ST_SetSRID(ST_MakePoint(:x, :y), 4326))"),
                     {"name": XSS, "x": lon, "y": lat})
    yield lon, lat
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM camera WHERE code = 'XSS1'"))
    engine.dispose()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


def open_map(page, base_url: str, login: str) -> None:
    """Sign in as the demo account ``login`` through the login form, then open the map."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", f"{login}-demo")
    page.click("button[type=submit]")
    page.goto(f"{base_url}/map")


def test_map_page(browser, live_demo, xss_camera):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    requests, dialogs, errors = [], [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))

    open_map(page, live_demo, "center")
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
    lon, lat = xss_camera
    page.evaluate("""([lat, lon]) => {
        const map = Object.values(window).find(v => v instanceof L.Map);
        map.setView([lat, lon], 19, {animate: false});
    }""", [lat, lon])
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    box = page.locator(".folium-map").bounding_box()
    with page.expect_response(lambda r: "/api/identify?" in r.url and r.status == 200):
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = page.wait_for_selector(".leaflet-popup-content")
    assert XSS in popup.inner_text()
    assert "摄像机 Cameras" in popup.inner_text()  # the camera and every other feature under the click
    assert popup.query_selector("img") is None
    page.wait_for_timeout(300)
    assert dialogs == [] and errors == []

    OUTPUT.mkdir(exist_ok=True)
    page.evaluate("""() => new Promise(done => {
        const map = Object.values(window).find(v => v instanceof L.Map);
        const layers = [];
        map.eachLayer(l => { if (l._url && l._url.includes('/tiles/')) layers.push(l); });
        let waiting = layers.length;
        layers.forEach(l => l.once('load', () => { if (--waiting === 0) done(); }));
        map.setZoom(13, {animate: false});
        setTimeout(done, 15000);
    })""")
    page.screenshot(path=str(OUTPUT / "map.png"))

    hosts = {urlsplit(url).hostname for url in requests if not url.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, f"requests left 127.0.0.1: {hosts}"
    page.close()


def test_viewer_sees_no_patrol_layers(browser, live_demo):
    page = browser.new_page()
    open_map(page, live_demo, "viewer")
    control = page.wait_for_selector(".leaflet-control-layers").inner_text()
    assert "摄像机 Cameras" in control and "巡逻线路 Patrol routes" not in control
    page.close()


@pytest.fixture
def own_grid_point(demo_url):
    """A point inside the demo grid worker's first grid; the disputes taken in there are removed afterwards."""
    engine = create_engine(demo_url)
    with engine.connect() as conn:
        lon, lat = conn.execute(text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(g.geom) AS p FROM grid g "
            "JOIN user_grid ug ON ug.grid_id = g.id JOIN app_user u ON u.id = ug.user_id "
            "WHERE u.login = 'gridworker' ORDER BY g.code LIMIT 1) x")).one()
        before = conn.execute(text("SELECT coalesce(max(id), 0) FROM dispute")).scalar()
    yield lon, lat
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM dispute WHERE id > :id"), {"id": before})
    engine.dispose()


def test_disputes_panel_and_intake_on_the_map(browser, live_demo, own_grid_point):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    requests, dialogs, errors = [], [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_map(page, live_demo, "gridworker")
    page.wait_for_load_state("networkidle")
    page.click("#dp-toggle")

    # figures with their charts, and the open disputes lying in coverage gaps
    page.wait_for_selector("#dp-totals .dp-figure")
    assert "化解率 resolution" in page.inner_text("#dp-totals")
    assert page.locator("#dp-rows tr").count() > 0
    page.wait_for_function("document.querySelectorAll('#dp-gap-list li').length > 0")
    with page.expect_response(lambda r: "/api/disputes/hotspots?" in r.url and r.status == 200):
        page.check("#dp-hotspots")

    # a submission without a place is refused, naming what is missing
    page.fill("#dp-intake textarea[name=summary]", XSS)
    with page.expect_response(lambda r: r.url.endswith("/api/disputes") and r.status == 400):
        page.click("#dp-intake button[type=submit]")
    page.wait_for_selector("#dp-intake-message.dp-error")
    assert "location" in page.inner_text("#dp-intake-message")

    # pick the place on the map, fill the form, submit
    lon, lat = own_grid_point
    page.evaluate("""([lat, lon]) => {
        const map = Object.values(window).find(v => v instanceof L.Map);
        map.setView([lat, lon], 16, {animate: false});
    }""", [lat, lon])
    page.click("#dp-pick")
    box = page.locator(".folium-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert abs(float(page.input_value("#dp-intake input[name=lon]")) - lon) < 1e-4
    page.select_option("#dp-intake select[name=grade]", "complex")
    page.fill("#dp-intake input[name=parties]", "王五")
    with page.expect_response(lambda r: r.url.endswith("/api/disputes") and r.status == 201):
        page.click("#dp-intake button[type=submit]")
    page.wait_for_selector("#dp-intake-message.dp-ok")
    assert "已受理 received: D" in page.inner_text("#dp-intake-message")
    assert page.query_selector("#dp-panel img") is None
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "disputes-panel.png"))
    assert dialogs == [] and errors == []
    assert any("/static/vendor/chartjs/" in url for url in requests)
    hosts = {urlsplit(url).hostname for url in requests if not url.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, f"requests left 127.0.0.1: {hosts}"
    page.close()
