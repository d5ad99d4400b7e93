"""The patrol panel on the map (人网) in a real headless Chromium (Debian's, driven by Playwright).

A team leader sees the team's routes with their exports and the grids with no night patrol or with
gaps, draws a route by clicking waypoints and sees it evaluated, has routes proposed and saves one;
the route then exists and the stored coverage has changed. A planner reads without planning controls;
a viewer gets no panel. Every wait is for a condition, never for a fixed time; the test that saves
does so in a copy of the demo of its own, served by a server of its own.
"""
import re
from urllib.parse import urlsplit

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from sqlalchemy import text

from conftest import serving
from gisapp.coverage import recompute_dirty
from gisapp.io.load import import_frame
from chromium import FIND_MAP, OUTPUT, XSS, center_map, new_page, open_map

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

# Two waypoints on route R02 (the southern villages' day line): its start, a crossing of 东庄村's
# streets, and where the road to 西庄村 crosses the national road G220 1.2 km east of it, both
# places of the road network.
WAYPOINTS = [(114.476606, 34.596334), (114.489386, 34.597791)]


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


# A wait_for_function: the team's highlighted routes hold a feature f for which {test} is true.
HIGHLIGHTED = f"""() => {{
    let found = false;
    {FIND_MAP}.eachLayer(l => {{
        if (l instanceof L.GeoJSON && l.options.pane === 'gisappHighlight')
            l.eachLayer(x => {{ const f = x.feature; if ({{test}}) found = true; }});
    }});
    return found;
}}"""


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

    # the grids with no night patrol or with gaps; a click (or Enter, from the keyboard) zooms the map to the grid
    grid = page.locator("#pp-grids li").first
    expect(grid).to_contain_text("无夜间巡逻 no night patrol")
    code = grid.get_attribute("data-code")
    shape = demo.client.get(f"/api/collections/grids/items/{code}", headers=leader).json["geometry"]
    xs, ys = zip(*points(shape["coordinates"]))
    arm_move(page)
    grid.focus()
    page.keyboard.press("Enter")
    wait_moved(page)
    assert page.evaluate(f"""([w, s, e, n]) => {{
        const c = {FIND_MAP}.getCenter();
        return c.lng > w && c.lng < e && c.lat > s && c.lat < n;
    }}""", [min(xs), min(ys), max(xs), max(ys)])

    # draw: two waypoints clicked on the map, joined along the roads, evaluated as drawn
    lon_mid, lat_mid = (WAYPOINTS[0][0] + WAYPOINTS[1][0]) / 2, (WAYPOINTS[0][1] + WAYPOINTS[1][1]) / 2
    center_map(page, lat_mid - 0.004, lon_mid, 15)  # the waypoints in the upper half, clear of panel and legend
    page.click("#pp-draw")
    # when a route counts for day and night coverage is said where its time windows are given
    expect(page.locator("#pp-times-note")).to_contain_text("覆盖按白天 10:00、夜间 23:00 计算")
    page.fill("#pp-windows", "20:00-23:30")
    identified = []
    page.on("request", lambda r: identified.append(r.url) if "/api/identify?" in r.url else None)
    click_at(page, *WAYPOINTS[0])
    with page.expect_response(lambda r: r.url.endswith("/api/patrol/evaluate") and r.status == 200) as evaluated:
        click_at(page, *WAYPOINTS[1])
    figures = evaluated.value.json()
    assert figures["length_m"] > 500 and figures["grids"]
    assert identified == [] and page.locator(".leaflet-popup").count() == 0  # waypoints, not questions
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
    page.keyboard.press("Escape")  # drawing off, from the keyboard
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
    # said in Chinese first, the field by the form's own label
    expect(page.locator("#pp-propose-message.dp-error")).to_have_text(re.compile(r"^无法按此输入处理（422）：时长 Budget \(min\): \S"))
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
    # the tooltip is as wide as a few words at least and wraps long text: lines of words, not of characters
    tip = page.locator(".leaflet-tooltip.pp-stop-tooltip").bounding_box()
    assert 150 <= tip["width"] <= 300 and tip["height"] < 160, tip
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "patrol-panel.png"))

    # save the proposal as a night route of the team: the route exists, the coverage follows, the map reloads
    card.locator(".pp-choose").click()
    save = page.locator("#pp-save")
    expect(save.locator("input[name=time_windows]")).to_have_value("20:00-02:00")
    # refused: said in Chinese first, each problem once, its field by the form's label
    save.locator("input[name=name]").fill("推荐夜巡线路")
    save.locator("input[name=code]").fill("XSS1")
    save.locator("input[name=time_windows]").fill("25:00-26:00")
    with page.expect_response(lambda r: r.url.endswith("/api/collections/routes/items") and r.status >= 400):
        page.click("#pp-save-button")
    said = page.locator("#pp-save-message.dp-error")
    expect(said).to_contain_text("时段 Time windows: ")
    assert said.inner_text().startswith(("输入有误", "与已有数据冲突")) and said.inner_text().count("Time windows") == 1
    save.locator("input[name=time_windows]").fill("20:00-02:00")
    save.locator("input[name=code]").fill("PNIGHT1")
    with page.expect_request(lambda r: "/tiles/coverage_day/" in r.url):
        with page.expect_response(lambda r: r.url.endswith("/api/collections/routes/items") and r.status == 201):
            page.click("#pp-save-button")
    expect(page.locator("#pp-save-message.dp-ok")).to_contain_text("PNIGHT1")
    expect(card.locator(".pp-choose")).to_be_disabled()  # a proposal saved is not saved again under another code
    expect(card.locator(".pp-choose")).to_have_text("已保存为 saved as PNIGHT1")
    page.wait_for_function(HIGHLIGHTED.replace("{test}", "f.properties.code === 'PNIGHT1'"))  # the highlight follows
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
    third = (114.491861, 34.597448)  # further east on the same road
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
    page.wait_for_function(HIGHLIGHTED.replace(
        "{test}", "f.properties.code === 'XSS1' && f.geometry.coordinates.length === 3"))  # as edited
    edited = demo.client.get("/api/collections/routes/items/XSS1", headers=leader).json
    assert len(edited["geometry"]["coordinates"]) == 3 and edited["properties"]["name"] == XSS
    assert edited["properties"]["time_windows"] == "08:00-09:00"
    # cleared after an edit, nothing of the edited route is left for the next one to inherit
    with page.expect_response(lambda r: r.url.endswith("/api/patrol/evaluate") and r.status == 200):
        page.locator("#pp-routes li[data-code=XSS1] button", has_text="编辑 Edit").click()
    expect(page.locator("#pp-windows")).to_have_value("08:00-09:00")
    page.click("#pp-clear")
    for field in ("#pp-windows", "#pp-sight", "#pp-save input[name=code]", "#pp-save input[name=time_windows]"):
        expect(page.locator(field)).to_have_value("")
    assert page.eval_on_selector("#pp-mode", "s => s.selectedIndex") == 0 and page.is_checked("#pp-follow")
    assert page.eval_on_selector_all("#pp-weekdays input", "bs => bs.every(b => b.checked)")

    assert page.locator("#pp-panel img").count() == 0
    assert dialogs == [] and errors == []
    hosts = {urlsplit(url).hostname for url in requests if not url.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, f"requests left 127.0.0.1: {hosts}"
    page.close()


@pytest.mark.parametrize("login", ["planner", "gridworker"])
def test_readers_see_routes_and_grids_without_planning(browser, own_live, login):
    # a copy of the demo of its own: a grid worker's map shows the disputes of their grids, with their
    # parties, and every such view is written to audit_log
    base_url, _ = own_live
    page = new_page(browser, viewport={"width": 1400, "height": 900})
    requests, dialogs, errors = watch(page)
    open_map(page, base_url, login)
    page.click("#pp-toggle")
    expect(page.locator("#pp-routes li[data-code=R02] a", has_text="KML")).to_have_attribute(
        "href", "/api/patrol/routes/R02.kml")
    sheet = page.locator("#pp-routes li[data-code=R02] a", has_text="线路单 Route sheet")
    expect(sheet).to_have_attribute("href", "/patrol/routes/R02/sheet")
    assert page.request.get(f"{base_url}/patrol/routes/R02/sheet").ok
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


def overlap(a: dict | None, b: dict | None) -> bool:
    """Whether two bounding boxes (None: not shown) overlap."""
    return bool(a and b) and a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] \
        and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def check_layout(page) -> None:
    """At any screen size, the open panel stays on the screen and covers neither the legend nor the scale
    (they move to its right, or are hidden where nothing fits beside it); closed, the legend is back."""
    legend, scale, panel = page.locator("#legend"), page.locator(".leaflet-control-scale"), page.locator("#pp-panel")
    for width, height in ((1400, 900), (1280, 720), (1024, 768), (800, 600), (412, 860)):
        page.set_viewport_size({"width": width, "height": height})
        box = panel.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (width, box)
        for other in (legend, scale):
            shown = other.bounding_box() if other.is_visible() else None
            assert not overlap(box, shown), (width, height, other, box, shown)
            assert shown is None or shown["x"] + shown["width"] <= width, (width, other, shown)
        assert not overlap(legend.bounding_box() if legend.is_visible() else None,
                           scale.bounding_box() if scale.is_visible() else None), (width, height)
        if width >= 1024:
            expect(legend).to_be_visible()
    page.set_viewport_size({"width": 1400, "height": 900})
    page.click("#pp-toggle")  # closed: the legend is back in its corner
    expect(legend).to_be_visible()
    assert legend.bounding_box()["x"] < 56
    page.click("#pp-toggle")


@pytest.mark.parametrize("login", ["leader", "planner", "gridworker"])
def test_the_open_panel_leaves_the_legend_and_the_scale_beside_it(browser, own_live, login):
    base_url, _ = own_live  # a copy of its own: the grid worker's views of parties are audited
    page = new_page(browser, viewport={"width": 1400, "height": 900})
    _requests, dialogs, errors = watch(page)
    open_map(page, base_url, login)
    page.wait_for_selector(".leaflet-control-scale")
    page.click("#pp-toggle")
    expect(page.locator("#pp-grids li").first).to_be_visible()
    check_layout(page)
    assert dialogs == [] and errors == []
    page.close()


def flagged(demo, period: str) -> set[str]:
    """The grids the panel lists for everyone: those with no night patrol or with a gap."""
    answer = demo.client.get(f"/api/coverage/grids?flagged=true&period={period}", headers=demo.headers("center"))
    return {g["grid_code"] for g in answer.json["grids"] if {"gap", "no_night_patrol"} & set(g["reasons"])}


def test_the_center_sees_the_grids_of_the_team_chosen(browser, own_live):
    """A second team with its base in a township of its own east of the town (one grid, one road, nothing
    covering it): as the center chooses a team, the list of grids is that team's area's (the townships of its
    bases and routes), and for T01 what T01's leader sees."""
    base_url, demo = own_live
    settings = demo.app.config["GISAPP"]
    with demo.connect() as conn:
        county = conn.execute(text("SELECT code FROM admin_area WHERE level = 'county' ORDER BY code LIMIT 1")).scalar()
        east, south, north = conn.execute(text("SELECT ST_XMax(e), ST_YMin(e), ST_YMax(e) FROM "
                                               "(SELECT ST_Extent(geom) AS e FROM admin_area WHERE level = 'township') x")).one()
        square = shapely.box(east + 0.002, (south + north) / 2 - 0.01, east + 0.022, (south + north) / 2 + 0.01)
        township, village, grid = county + "998", county + "998001", county + "99800101"

        def frame(rows, shapes):
            return gpd.GeoDataFrame(rows, geometry=shapes, crs="EPSG:4326")
        import_frame(conn, "areas", frame([
            {"code": township, "name": "邻镇", "level": "township", "parent_code": county},
            {"code": village, "name": "邻村", "level": "village", "parent_code": township}], [square, square]), settings)
        import_frame(conn, "grids", frame([{"code": grid, "name": "邻村第1网格", "village_code": village}], [square]),
                     settings)
        import_frame(conn, "teams", pd.DataFrame([{"code": "T02", "name": "邻镇巡防队"}]), settings)
        import_frame(conn, "bases", frame([{"code": "ZD02", "name": "邻镇驻地", "kind": "team_station",
                                            "team_code": "T02"}], [square.centroid]), settings)
        middle = square.centroid
        import_frame(conn, "roads", frame([{"road_class": "residential"}],
                                          [shapely.LineString([(middle.x - 0.009, middle.y), (middle.x + 0.009, middle.y)])]),
                     settings)
        recompute_dirty(conn, settings)
        t01 = {code for (code,) in conn.execute(text(
            """SELECT g.code FROM grid g JOIN admin_area v ON v.id = g.village_id
               WHERE v.parent_id IN (SELECT t.id FROM admin_area t JOIN patrol_base b ON ST_Intersects(t.geom, b.geom)
                                     JOIN patrol_team m ON m.id = b.team_id
                                     WHERE t.level = 'township' AND m.code = 'T01')"""))}
    night = flagged(demo, "night")
    assert grid in night and night - t01 == {grid}, "the new grid is flagged, and it is not in T01's area"

    def listed(page) -> set[str]:
        expect(page.locator("#pp-grid-count")).not_to_have_text("0")
        count = int(page.locator("#pp-grid-count").inner_text())
        expect(page.locator("#pp-grids li")).to_have_count(count)
        return set(page.eval_on_selector_all("#pp-grids li", "items => items.map(li => li.dataset.code)"))

    page = new_page(browser, viewport={"width": 1400, "height": 900})
    _requests, dialogs, errors = watch(page)
    open_map(page, base_url, "center")
    page.click("#pp-toggle")
    expect(page.locator("#pp-team")).to_have_value("T01")
    assert listed(page) == night & t01
    with page.expect_response(lambda r: "/api/coverage/grids" in r.url):
        page.select_option("#pp-team", "T02")
    expect(page.locator("#pp-grids li")).to_have_count(1)
    assert listed(page) == {grid}
    expect(page.locator("#pp-route-count")).to_have_text("0")
    with page.expect_response(lambda r: "/api/coverage/grids" in r.url):
        page.select_option("#pp-team", "T01")
    expect(page.locator(f"#pp-grids li[data-code='{grid}']")).to_have_count(0)
    assert listed(page) == night & t01
    check_layout(page)  # the center's panel, as the other roles'
    assert dialogs == [] and errors == []
    page.close()

    leader = new_page(browser, viewport={"width": 1400, "height": 900})
    open_map(leader, base_url, "leader")
    leader.click("#pp-toggle")
    assert listed(leader) == night & t01, "T01's leader sees what the center sees for T01"
    leader.close()
