"""The patrol panel on the map (人网) in a real headless Chromium (Debian's, driven by Playwright).

A team leader sees the team's routes with their exports and the grids with no night patrol or with
gaps, draws a route by clicking waypoints and sees it evaluated, has routes proposed and saves one;
the route then exists and the stored coverage has changed. A planner reads without planning controls;
a viewer gets no panel. Every wait is for a condition, never for a fixed time; the test that saves
does so in a copy of the demo of its own, served by a server of its own.
"""
import re
from urllib.parse import urlsplit

import pytest

from conftest import serving
from test_map_browser import FIND_MAP, OUTPUT, XSS, browser, center_map, new_page, open_map  # noqa: F401 (fixture)

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

# Two waypoints on the demo town's southern east-west road: the start of route R02 and the crossing
# 900 m east of it, both places of the road network.
WAYPOINTS = [(114.467466, 34.600878), (114.477339, 34.601083)]


@pytest.fixture
def own_live(own_demo):
    """This test's copy of the demo, served over HTTP: (base URL, the copy)."""
    with serving(own_demo.app) as base_url:
        yield base_url, own_demo


def watch(page) -> tuple[list, list, list]:
    requests, dialogs, errors = [], [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    return requests, dialogs, errors


def click_at(page, lon: float, lat: float) -> None:
    """Click the map where lon/lat is, after checking that nothing (panel, legend) lies over it there."""
    x, y = page.evaluate(f"""([lat, lon]) => {{
        const map = {FIND_MAP}, p = map.latLngToContainerPoint([lat, lon]),
              r = map.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y];
    }}""", [lat, lon])
    assert page.evaluate(f"([x, y]) => {FIND_MAP}.getContainer().contains(document.elementFromPoint(x, y))",
                         [x, y]), f"something covers the map at {lon}, {lat}"
    page.mouse.click(x, y)


def arm_move(page) -> None:
    """Make ``wait_moved`` wait for the map's next move to end (call before what moves it)."""
    page.evaluate(f"() => {{ window.ppMoved = new Promise(done => {FIND_MAP}.once('moveend', done)); }}")


def wait_moved(page) -> None:
    """Wait until the move armed by ``arm_move`` has ended and every layer has loaded its tiles."""
    page.evaluate("() => window.ppMoved.then(() => true)")
    page.wait_for_function(f"""() => {{
        let loading = false;
        {FIND_MAP}.eachLayer(l => {{ if (l.isLoading && l.isLoading()) loading = true; }});
        return !loading;
    }}""")


def points(coordinates) -> list:
    """The [lon, lat] pairs of GeoJSON coordinates nested at any depth."""
    if isinstance(coordinates[0], (int, float)):
        return [coordinates]
    return [p for c in coordinates for p in points(c)]


def coverage(demo, period: str) -> dict:
    answer = demo.client.get(f"/api/coverage/grids?period={period}", headers=demo.headers("team_leader"))
    assert answer.status_code == 200, answer.json
    return {g["grid_code"]: g for g in answer.json["grids"]}


def test_a_leader_draws_evaluates_proposes_and_saves(browser, own_live):
    base_url, demo = own_live
    leader = demo.headers("team_leader")
    attack = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [list(p) for p in WAYPOINTS]},
              "properties": {"code": "XSS1", "name": XSS, "team_code": "T01", "mode": "foot",
                             "time_windows": "08:00-09:00"}}
    assert demo.client.post("/api/collections/routes/items", json=attack, headers=leader).status_code == 201
    night_before, day_before = coverage(demo, "night"), coverage(demo, "day")

    page = new_page(browser, viewport={"width": 1400, "height": 900})
    requests, dialogs, errors = watch(page)
    open_map(page, base_url, "leader")
    page.wait_for_load_state("networkidle")
    page.click("#pp-toggle")

    # the team's routes with their figures and exports; a name is shown as text, never run
    route = page.locator("#pp-routes li[data-code=R02]")
    expect(route.locator(".pp-figures")).to_contain_text("km")
    expect(route.locator("a", has_text="GPX")).to_have_attribute("href", "/api/patrol/routes/R02.gpx")
    expect(route.locator("a", has_text="KML")).to_have_attribute("href", "/api/patrol/routes/R02.kml")
    assert page.request.get(f"{base_url}/api/patrol/routes/R02.gpx").ok
    expect(page.locator("#pp-routes li[data-code=XSS1] .pp-name")).to_contain_text(XSS)
    assert page.locator("#pp-panel img").count() == 0

    # the grids with no night patrol or with gaps; a click zooms the map to the grid
    grid = page.locator("#pp-grids li").first
    expect(grid).to_contain_text("无夜间巡逻 no night patrol")
    code = grid.get_attribute("data-code")
    shape = demo.client.get(f"/api/collections/grids/items/{code}", headers=leader).json["geometry"]
    xs, ys = zip(*points(shape["coordinates"]))
    arm_move(page)
    grid.click()
    wait_moved(page)
    assert page.evaluate(f"""([w, s, e, n]) => {{
        const c = {FIND_MAP}.getCenter();
        return c.lng > w && c.lng < e && c.lat > s && c.lat < n;
    }}""", [min(xs), min(ys), max(xs), max(ys)])

    # draw: two waypoints clicked on the map, joined along the roads, evaluated as drawn
    lon_mid, lat_mid = (WAYPOINTS[0][0] + WAYPOINTS[1][0]) / 2, (WAYPOINTS[0][1] + WAYPOINTS[1][1]) / 2
    center_map(page, lat_mid - 0.004, lon_mid, 15)  # the waypoints in the upper half, clear of panel and legend
    page.click("#pp-draw")
    page.fill("#pp-windows", "20:00-23:30")
    click_at(page, *WAYPOINTS[0])
    with page.expect_response(lambda r: r.url.endswith("/api/patrol/evaluate") and r.status == 200) as evaluated:
        click_at(page, *WAYPOINTS[1])
    figures = evaluated.value.json()
    assert figures["length_m"] > 500 and figures["grids"]
    expect(page.locator("#pp-eval .pp-eval-figures")).to_contain_text("长度 length")
    expect(page.locator("#pp-eval .pp-eval-figures")).to_contain_text(f"{figures['length_m'] / 1000:.2f} km")
    rows = page.locator("#pp-eval .pp-eval-grids tbody tr")
    expect(rows).to_have_count(len({g["grid"] for g in figures["grids"]}))
    expect(rows.first).to_contain_text("→")
    expect(page.locator("#pp-eval .pp-cleared")).to_have_count(sum(1 for g in figures["grids"] if g["flags_cleared"]))
    expect(page.locator("#pp-save-button")).to_be_enabled()
    page.click("#pp-undo")
    expect(page.locator("#pp-save-button")).to_be_disabled()
    page.click("#pp-clear")
    page.click("#pp-draw")  # drawing off
    expect(page.locator("#pp-draw")).not_to_have_class(re.compile(r"\bactive\b"))

    # propose: an impossible budget says why; then routes with their numbered stops and figures
    form = page.locator("#pp-propose")
    form.locator("select[name=mode]").select_option("motorcycle")
    form.locator("select[name=period]").select_option("night")
    # a minute reaches no dispute, alarm or hot spot from the base (a short gap edge beside it could be)
    gaps = form.locator("input[name=weight_gaps]").input_value()
    form.locator("input[name=weight_gaps]").fill("0")
    form.locator("input[name=budget_min]").fill("1")
    with page.expect_response(lambda r: r.url.endswith("/api/patrol/propose") and r.status == 422):
        page.click("#pp-propose-button")
    expect(page.locator("#pp-propose-message.dp-error")).to_contain_text("budget_min")
    form.locator("input[name=weight_gaps]").fill(gaps)
    form.locator("input[name=budget_min]").fill("45")
    arm_move(page)
    with page.expect_response(lambda r: r.url.endswith("/api/patrol/propose") and r.status == 200) as proposed:
        page.click("#pp-propose-button")
    wait_moved(page)  # the map shows the proposal
    (feature,) = proposed.value.json()["features"]
    stops = feature["properties"]["stops"]
    assert stops and feature["properties"]["duration_min"] <= 45
    card = page.locator(".pp-proposal").first
    expect(card.locator(".pp-figures")).to_contain_text(f"长度 length {feature['properties']['length_m'] / 1000:.2f} km")
    expect(card.locator(".pp-stops li")).to_have_count(len(stops))
    expect(page.locator(".leaflet-marker-pane .pp-stop")).to_have_count(len(stops))
    expect(page.locator(".leaflet-marker-pane .pp-stop").first).to_have_text("1")
    kinds = {"dispute": "矛盾纠纷 dispute", "alarm": "一键报警 alarm", "gap": "覆盖缺口 gap", "hotspot": "热点 hot spot"}
    first = stops[0]
    expect(card.locator(".pp-stops li").first).to_contain_text(kinds[first["collects"][0]["kind"]])
    expect(card.locator(".pp-stops li").first).to_contain_text(f"到达 arrives {first['arrive_min']:g}")
    with page.expect_response(lambda r: r.url.endswith("/api/patrol/evaluate") and r.status == 200):
        card.locator("button", has_text="评估 Evaluate").click()
    expect(page.locator("#pp-eval-title")).to_contain_text("推荐线路 proposed route 1")
    page.locator("#pp-proposals").scroll_into_view_if_needed()
    page.locator(".leaflet-marker-pane .pp-stop").first.dispatch_event("mouseover")  # it may lie under the panel
    expect(page.locator(".leaflet-tooltip .pp-stop-tip")).to_contain_text("第1站 stop 1")
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "patrol-panel.png"))

    # save the proposal as a night route of the team: the route exists, the coverage follows, the map reloads
    card.locator(".pp-choose").click()
    save = page.locator("#pp-save")
    expect(save.locator("input[name=time_windows]")).to_have_value("20:00-02:00")
    save.locator("input[name=code]").fill("PNIGHT1")
    save.locator("input[name=name]").fill("推荐夜巡线路")
    with page.expect_request(lambda r: "/tiles/coverage_day/" in r.url):
        with page.expect_response(lambda r: r.url.endswith("/api/collections/routes/items") and r.status == 201):
            page.click("#pp-save-button")
    expect(page.locator("#pp-save-message.dp-ok")).to_contain_text("PNIGHT1")
    expect(page.locator("#pp-routes li[data-code=PNIGHT1]")).to_contain_text("推荐夜巡线路")

    saved = demo.client.get("/api/collections/routes/items/PNIGHT1", headers=leader)
    assert saved.status_code == 200, saved.json
    props = saved.json["properties"]
    assert (props["team_code"], props["mode"], props["time_windows"], props["weekdays"]) == \
        ("T01", "motorcycle", "20:00-02:00", "1,2,3,4,5,6,7")
    flat = [c for p in points(feature["geometry"]["coordinates"]) for c in p]
    assert [c for p in points(saved.json["geometry"]["coordinates"]) for c in p] == pytest.approx(flat, abs=1e-6)
    night_after = coverage(demo, "night")
    assert any(night_after[g]["patrol_share"] > night_before[g]["patrol_share"] for g in night_before), \
        "the new night route adds night patrol cover"
    day_after = coverage(demo, "day")
    assert all(day_after[g]["covered_share"] == day_before[g]["covered_share"] for g in day_before), \
        "a night route covers nothing by day"

    # edit a route of the team: one waypoint more, evaluated against the route as saved, then replaced
    with page.expect_response(lambda r: r.url.endswith("/api/patrol/evaluate") and r.status == 200):
        page.locator("#pp-routes li[data-code=XSS1] button", has_text="编辑 Edit").click()
    expect(page.locator("#pp-save input[name=code]")).to_have_value("XSS1")
    third = (114.485, 34.601234)  # further east on the same road
    center_map(page, lat_mid - 0.004, (WAYPOINTS[0][0] + third[0]) / 2, 15)
    with page.expect_response(lambda r: r.url.endswith("/api/patrol/evaluate") and r.status == 200) as changed:
        click_at(page, *third)
    assert changed.value.request.post_data_json["route"] == "XSS1"
    expect(page.locator("#pp-eval-title")).to_contain_text("XSS1")
    expect(page.locator("#pp-save-what")).to_contain_text("3 个途经点 waypoints")
    with page.expect_response(lambda r: r.url.endswith("/api/collections/routes/items/XSS1") and
                              r.request.method == "PUT" and r.status == 200):
        page.click("#pp-save-button")
    expect(page.locator("#pp-save-message.dp-ok")).to_contain_text("XSS1")
    edited = demo.client.get("/api/collections/routes/items/XSS1", headers=leader).json
    assert len(edited["geometry"]["coordinates"]) == 3 and edited["properties"]["name"] == XSS
    assert edited["properties"]["time_windows"] == "08:00-09:00"

    assert page.locator("#pp-panel img").count() == 0
    assert dialogs == [] and errors == []
    hosts = {urlsplit(url).hostname for url in requests if not url.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, f"requests left 127.0.0.1: {hosts}"
    page.close()


@pytest.mark.parametrize("login", ["planner", "gridworker"])
def test_readers_see_routes_and_grids_without_planning(browser, live_demo, login):
    page = new_page(browser, viewport={"width": 1400, "height": 900})
    requests, dialogs, errors = watch(page)
    open_map(page, live_demo, login)
    page.click("#pp-toggle")
    expect(page.locator("#pp-routes li[data-code=R02] a", has_text="KML")).to_have_attribute(
        "href", "/api/patrol/routes/R02.kml")
    sheet = page.locator("#pp-routes li[data-code=R02] a", has_text="线路单 Route sheet")
    expect(sheet).to_have_attribute("href", "/patrol/routes/R02/sheet")
    assert page.request.get(f"{live_demo}/patrol/routes/R02/sheet").ok
    expect(page.locator("#pp-grids li").first).to_be_visible()
    for planning in ("#pp-team", "#pp-draw", "#pp-propose", "#pp-save", "#pp-eval"):
        assert page.locator(planning).count() == 0, planning
    assert page.locator("#pp-routes button").count() == 0  # no evaluate or edit
    page.wait_for_load_state("networkidle")
    assert not any("/api/patrol/evaluate" in url or "/api/patrol/propose" in url for url in requests)
    assert dialogs == [] and errors == []
    page.close()


def test_a_viewer_gets_no_patrol_panel(browser, live_demo):
    page = new_page(browser)
    requests, dialogs, errors = watch(page)
    open_map(page, live_demo, "viewer")
    page.wait_for_selector(".leaflet-control-layers")
    page.wait_for_load_state("networkidle")
    assert page.locator("#pp-panel").count() == 0
    assert not any("/static/patrol.js" in url or "/api/patrol/" in url for url in requests)
    assert errors == []
    page.close()
