"""The map page in a real headless Chromium (Debian's, driven by Playwright).

Every wait is for a condition (a response, a selector, a value, the map's state), never for a
fixed time. The tests that write (a camera named like an attack, a dispute taken in) do so in a
copy of the demo of their own, served by a server of their own.
"""
import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from chromium import FIND_MAP, OUTPUT, XSS, center_map, click_map_centre, expect, new_page, open_map, settle
from conftest import serving
from gisapp import domain


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


def test_the_layer_switch_closes_to_its_button_and_opens_again(browser, live_demo):
    page = new_page(browser, viewport={"width": 1024, "height": 768})
    open_map(page, live_demo, "viewer")
    control = page.locator(".leaflet-control-layers")
    expect(control).to_have_class(re.compile(r"leaflet-control-layers-expanded"))
    opened = control.bounding_box()
    page.click(".gisapp-layers-hide")
    expect(control).not_to_have_class(re.compile(r"leaflet-control-layers-expanded"))
    closed = control.bounding_box()
    assert closed["width"] < 60 and closed["width"] * closed["height"] < opened["width"] * opened["height"] / 10
    assert page.get_attribute(".leaflet-control-layers-toggle", "title") == "图层 Layers"
    page.click(".leaflet-control-layers-toggle")
    expect(control).to_have_class(re.compile(r"leaflet-control-layers-expanded"))
    expect(control.locator("label", has_text="摄像机 Cameras").first).to_be_visible()
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
    # until the vocabulary has filled the form's lists, the form cannot be sent (by the browser least of all:
    # its own submission would put the parties in the URL)
    held = []
    page.route("**/api/disputes/vocabulary", lambda route: held.append(route))
    with page.expect_request("**/api/disputes/vocabulary"):
        page.click("#dp-toggle")
    submit = page.locator("#dp-intake button[type=submit]")
    expect(submit).to_be_disabled()
    held[0].continue_()
    page.unroute("**/api/disputes/vocabulary")
    expect(submit).to_be_enabled()

    # figures with their charts, and the open disputes lying in coverage gaps
    page.wait_for_selector("#dp-totals .dp-figure")
    assert "化解率 resolution" in page.inner_text("#dp-totals")
    # every bar of the charts named (none skipped for want of room), in Chinese
    for chart in ("dp-grade-chart", "dp-category-chart"):
        page.wait_for_function(f"() => Chart.getChart(document.getElementById('{chart}'))")
        names, shown = page.evaluate(f"""() => {{ const c = Chart.getChart(document.getElementById('{chart}'));
            return [c.data.labels, c.scales.y.ticks.length]; }}""")
        assert names and shown == len(names) and all(re.fullmatch(r"[\u4e00-\u9fff]+", n) for n in names), (chart, names)
    expect(page.locator("#dp-rows tr").first).to_be_attached()
    page.wait_for_function("document.querySelectorAll('#dp-gap-list li').length > 0")
    with page.expect_response(lambda r: "/api/disputes/hotspots?" in r.url and r.status == 200):
        page.check("#dp-hotspots")

    # a submission without a place is refused, naming what is missing
    page.fill("#dp-intake textarea[name=summary]", XSS)
    with page.expect_response(lambda r: r.url.endswith("/api/disputes") and r.status == 400):
        page.click("#dp-intake button[type=submit]")
    page.wait_for_selector("#dp-intake-message.dp-error")
    assert page.inner_text("#dp-intake-message").startswith("输入有误（400）：") and "location" in page.inner_text("#dp-intake-message")

    # pick the place on the map (the form's fields fill in when the click arrives), fill the form, submit
    center_map(page, lat, lon, 16)
    page.click("#dp-pick")
    expect(page.locator("#dp-pick")).to_have_class(re.compile(r"\bactive\b"))
    click_map_centre(page)
    lon_field = page.locator("#dp-intake input[name=lon]")
    expect(lon_field).to_have_value(re.compile(r"^-?\d+\.\d+$"))
    expect(page.locator("#dp-pick")).not_to_have_class(re.compile(r"\bactive\b"))
    assert abs(float(lon_field.input_value()) - lon) < 1e-4
    assert page.locator(".leaflet-popup").count() == 0
    assert abs(float(page.input_value("#dp-intake input[name=lat]")) - lat) < 1e-4
    page.select_option("#dp-intake select[name=grade]", "complex")
    assert page.input_value("#dp-intake select[name=source]") == "grid_worker"  # a grid worker's own report
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
    assert not any("/api/identify?" in url for url in requests), "the click that picks the place asks no popup"
    hosts = {urlsplit(url).hostname for url in requests if not url.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, f"requests left 127.0.0.1: {hosts}"
    page.close()


# -- a readable map ---------------------------------------------------------------------------------------------

LONG_ID = "41029901001321099999"  # a GB/T 28181 device ID: 20 digits


@pytest.fixture
def readable(own_live):
    """In this test's copy of the demo, west of everything: a faulty bullet camera with a 20-digit ID, and a
    closed dispute visited back, received, due and closed at known moments (UTC)."""
    base_url, demo = own_live
    with demo.connect() as conn:
        x, y = conn.execute(text("SELECT min(ST_X(geom)) - 0.01, avg(ST_Y(geom)) FROM camera")).one()
        conn.execute(text("INSERT INTO camera (code, name, kind, fov_deg, range_m, azimuth, status, night_vision, geom) "
                          "VALUES (:code, '村口枪机', 'bullet', 60, 60, 90, 'faulty', false, "
                          "ST_SetSRID(ST_MakePoint(:x, :y), 4326))"), {"code": LONG_ID, "x": x, "y": y})
        code = conn.execute(text("SELECT code FROM dispute WHERE status = 'closed' ORDER BY code LIMIT 1")).scalar()
        conn.execute(text(
            "UPDATE dispute SET geom = ST_SetSRID(ST_MakePoint(:x, :y), 4326), received_at = '2026-11-20 06:30+00', "
            "due_at = '2026-11-27 06:30+00', closed_at = '2026-11-25 06:30+00', revisited_at = '2026-11-26 02:05+00', "
            "satisfaction = 4 WHERE code = :code"), {"x": x, "y": y - 0.004, "code": code})
        dispute = conn.execute(text("SELECT code, grade, status, level, category, source FROM dispute WHERE code = :c"),
                               {"c": code}).mappings().one()
    return base_url, demo, (x, y), (x, y - 0.004), dict(dispute)


def popup_at(page, lat: float, lon: float):
    center_map(page, lat, lon, 19)
    with page.expect_response(lambda r: "/api/identify?" in r.url and r.status == 200):
        click_map_centre(page)
    return page.wait_for_selector(".leaflet-popup-content")


def cells(popup) -> dict[str, str]:
    """The first section's rows of a popup: {label: value}."""
    section = popup.query_selector(".gisapp-popup")
    return {row.query_selector("th").inner_text(): row.query_selector("td").inner_text()
            for row in section.query_selector_all("tr")}


def test_popups_show_chinese_labels_and_local_times(browser, readable):
    base_url, _demo, camera, place, dispute = readable
    page = new_page(browser, viewport={"width": 1400, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_map(page, base_url, "center")
    page.wait_for_selector(".leaflet-control-layers")

    # the dispute: every coded value by its label, Chinese first; times in Asia/Shanghai as people write them
    popup = popup_at(page, place[1], place[0])
    rows = cells(popup)
    assert rows["等级 Grade"] == domain.DISPUTE_GRADES[dispute["grade"]]
    assert rows["状态 Status"] == "结单 closed" and rows["层级 Level"] == domain.DISPUTE_LEVELS[dispute["level"]]
    assert rows["类别 Category"] == domain.DISPUTE_CATEGORIES[dispute["category"]]
    assert rows["来源 Source"] == domain.DISPUTE_SOURCES[dispute["source"]]
    assert rows["超期 Overdue"] == "否 no" and rows["回访满意度 Satisfaction"] == "满意 satisfied"
    shanghai = ZoneInfo("Asia/Shanghai")
    received = dt.datetime(2026, 11, 20, 6, 30, tzinfo=dt.UTC).astimezone(shanghai)
    assert rows["受理时间 Received"] == received.strftime("%Y-%m-%d %H:%M") == "2026-11-20 14:30"
    assert rows["办结时限 Due"] == "2026-11-27 14:30" and rows["结单时间 Closed"] == "2026-11-25 14:30"
    text_ = popup.inner_text()
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text_), "no ISO times"
    raw = {"true", "false"} | {code for vocabulary in (domain.DISPUTE_GRADES, domain.DISPUTE_STATUSES, domain.DISPUTE_LEVELS,
                                                        domain.DISPUTE_SOURCES, domain.DISPUTE_CATEGORIES,
                                                        domain.AREA_LEVELS) for code in vocabulary}
    values = [td.inner_text() for td in popup.query_selector_all("td")]
    assert not raw & set(values), "no value is shown as its code"
    link = popup.query_selector(".gisapp-popup-page a")  # to the dispute's own page, where its loop is run
    assert link.get_attribute("href") == f"/disputes#{rows['编号 Code']}" and "详情" in link.inner_text()
    page.screenshot(path=str(OUTPUT / "popup-dispute.png"))
    page.click(".leaflet-popup-close-button")
    expect(page.locator(".leaflet-popup")).to_have_count(0)  # gone, not fading out: the next popup is the camera's

    # the camera: its kind and status by their labels, yes/no in Chinese, its 20-digit ID whole on one line
    popup = popup_at(page, camera[1], camera[0])
    rows = cells(popup)
    assert rows["设备编码 Device ID"] == LONG_ID
    assert popup.query_selector(".gisapp-popup-page") is None  # a camera has no page of its own
    assert rows["类型 Kind"] == "枪机 fixed bullet" and rows["状态 Status"] == "故障 faulty" and rows["夜视 Night vision"] == "否 no"
    fits = page.evaluate(f"""() => {{
        const td = [...document.querySelectorAll('.leaflet-popup-content td')].find(c => c.textContent === '{LONG_ID}');
        const box = td.getBoundingClientRect(), content = document.querySelector('.leaflet-popup-content-wrapper')
            .getBoundingClientRect(), line = parseFloat(getComputedStyle(td).lineHeight) || 20;
        return td.scrollWidth <= td.clientWidth && box.right <= content.right && box.height < 1.6 * line;
    }}""")
    assert fits, "the 20-digit ID is shown whole, on one line"
    page.screenshot(path=str(OUTPUT / "popup-camera.png"))
    assert errors == []
    page.close()


def legend_shown(page) -> set[str]:
    return set(page.eval_on_selector_all("#legend [data-legend]", "es => es.filter(e => !e.hidden).map(e => e.dataset.legend)"))


def on_map(page) -> set[str]:
    """The legend ids of the layers on the map and drawn at its zoom."""
    return set(page.evaluate(f"""() => {{
        const map = {FIND_MAP}, ids = [];
        map.eachLayer(l => {{
            const o = l.options || {{}}, id = o.gisappLegend || o.gisappLayer;
            if (id && map.getZoom() >= (o.minZoom || 0)) ids.push(id);
        }});
        return ids;
    }}"""))


def boxes_apart(page, a: str, b: str) -> bool:
    return page.evaluate("""([a, b]) => {
        const x = document.querySelector(a).getBoundingClientRect(), y = document.querySelector(b).getBoundingClientRect();
        return x.right <= y.left || y.right <= x.left || x.bottom <= y.top || y.bottom <= x.top;
    }""", [a, b])


def test_the_legend_lists_only_visible_layers(browser, own_live):
    base_url, _ = own_live  # a copy of its own: the center's map lists parties of disputes, which is audited
    page = new_page(browser, viewport={"width": 1400, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_map(page, base_url, "center")
    page.wait_for_selector(".leaflet-control-scale")
    settle(page)
    control = page.locator(".leaflet-control-layers")

    def check():
        page.wait_for_function("() => new Promise(r => requestAnimationFrame(() => r(true)))")
        assert legend_shown(page) == on_map(page) & set(page.eval_on_selector_all(
            "#legend [data-legend]", "es => es.map(e => e.dataset.legend)"))

    shown = legend_shown(page)
    assert {"cameras", "alarms", "disputes", "coverage_day", "labels"} <= shown
    assert not {"alarm_areas", "sites", "coverage_night", "gaps_day", "disputes_heat", "patrol_reach_day"} & shown
    assert "报警响应范围" not in page.inner_text("#legend") and "热力图" not in page.inner_text("#legend")
    check()

    # a layer switched on appears, one switched off goes
    control.locator("label", has_text="报警响应范围 Alarm response areas").locator("input").check()
    expect(page.locator("#legend [data-legend=alarm_areas]")).to_be_visible()
    control.locator("label", has_text="摄像机 Cameras").first.locator("input").uncheck()
    expect(page.locator("#legend [data-legend=cameras]")).to_be_hidden()
    control.locator("label", has_text="热力图 heat map").locator("input").check()
    expect(page.locator("#legend [data-legend=disputes_heat]")).to_be_visible()
    check()
    # the coverage group's radio buttons: night, then none
    control.locator("label", has_text="夜间覆盖 Night coverage").locator("input").check()
    expect(page.locator("#legend [data-legend=coverage_night]")).to_be_visible()
    expect(page.locator("#legend [data-legend=coverage_day]")).to_be_hidden()
    control.locator("label", has_text="关闭 Off").locator("input").check()
    expect(page.locator("#legend [data-legend=coverage_night]")).to_be_hidden()
    check()
    # zoomed out below a layer's zoom, its entry goes too
    page.evaluate(f"() => {FIND_MAP}.setZoom(10, {{animate: false}})")
    expect(page.locator("#legend [data-legend=alarm_areas]")).to_be_hidden()
    check()
    page.evaluate(f"() => {FIND_MAP}.setZoom(14, {{animate: false}})")
    expect(page.locator("#legend [data-legend=alarm_areas]")).to_be_visible()
    # the hot spots the disputes panel draws get their entry, by class in Chinese, with the colours drawn;
    # the box ticked while the panel is still loading (its vocabulary held back here) still draws them
    held = []
    page.route("**/api/disputes/vocabulary", lambda route: held.append(route))
    with page.expect_request("**/api/disputes/vocabulary"):
        page.click("#dp-toggle")
    with page.expect_response(lambda r: "/api/disputes/hotspots?" in r.url and r.status == 200) as hot:
        page.check("#dp-hotspots")
    assert len(held) == 1, "the vocabulary was held back until the box was ticked"
    held[0].continue_()
    page.unroute("**/api/disputes/vocabulary")
    classes = {f["properties"]["class"] for f in hot.value.json()["features"]}
    assert classes, "the demo has hot spots"
    expect(page.locator("#legend [data-legend=hotspots]")).to_be_visible()
    expect(page.locator("#legend-hotspots li")).to_have_count(len(classes))
    assert all(re.match(r"[\u4e00-\u9fff]", t) for t in page.eval_on_selector_all(
        "#legend-hotspots li", "es => es.map(e => e.textContent)"))
    page.uncheck("#dp-hotspots")
    expect(page.locator("#legend [data-legend=hotspots]")).to_be_hidden()
    # an answer that comes after the box was unticked again is not drawn
    late = []
    page.route("**/api/disputes/hotspots?*", lambda route: late.append(route))
    with page.expect_request(lambda r: "/api/disputes/hotspots?" in r.url):
        page.check("#dp-hotspots")
    page.uncheck("#dp-hotspots")
    with page.expect_response(lambda r: "/api/disputes/hotspots?" in r.url) as answered:
        late[0].continue_()
    answered.value.finished()
    page.unroute("**/api/disputes/hotspots?*")
    page.wait_for_function("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))")
    expect(page.locator("#legend [data-legend=hotspots]")).to_be_hidden()
    page.click("#dp-toggle")

    # the legend, above the metric scale, covers neither it nor the layer switch, and stays on the screen
    for width, height in ((1400, 900), (1024, 768), (800, 600)):
        page.set_viewport_size({"width": width, "height": height})
        scale = page.inner_text(".leaflet-control-scale")
        assert re.fullmatch(r"\d+ k?m", scale.strip()) and "ft" not in scale
        assert boxes_apart(page, "#legend", ".leaflet-control-scale"), (width, height)
        assert boxes_apart(page, "#legend", ".leaflet-control-layers"), (width, height)
        box = page.locator("#legend").bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= height and box["x"] + box["width"] <= width
    page.set_viewport_size({"width": 1400, "height": 900})
    # it closes to its title and opens again
    page.click("#legend-toggle")
    expect(page.locator("#legend-body")).to_be_hidden()
    page.click("#legend-toggle")
    expect(page.locator("#legend-body")).to_be_visible()
    assert errors == []
    page.close()


@pytest.mark.parametrize("size", [(1400, 900), (1024, 768)])
def test_the_map_opens_on_the_users_area(browser, own_live, size):
    """The center on the township, a grid worker on their grids (highlighted), a team leader on the team's area
    with its routes highlighted — at a zoom where the nets' points are drawn. A copy of the demo of its own: the
    grid worker's map shows the parties of its grids' disputes, and such views are audited."""
    base_url, demo = own_live
    with demo.connect() as conn:
        extent = {
            "center": conn.execute(text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT "
                                        "ST_Extent(geom) AS e FROM admin_area WHERE level = 'township') x")).one(),
            "gridworker": conn.execute(text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(g.geom) AS e FROM grid g "
                "JOIN user_grid ug ON ug.grid_id = g.id JOIN app_user u ON u.id = ug.user_id "
                "WHERE u.login = 'gridworker') x")).one()}
        extent["leader"] = extent["center"]  # the demo team patrols the whole township
        routes = conn.execute(text("SELECT count(*) FROM patrol_route r JOIN patrol_team t ON t.id = r.team_id "
                                   "WHERE t.code = 'T01'")).scalar()
    width, height = size
    for login in ("center", "gridworker", "leader"):
        page = new_page(browser, viewport={"width": width, "height": height})
        errors = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        open_map(page, base_url, login)
        page.wait_for_selector(".leaflet-control-scale")
        settle(page)
        west, south, east, north = extent[login]
        view = page.evaluate(f"""() => {{ const m = {FIND_MAP}, b = m.getBounds();
            return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth(), m.getZoom()]; }}""")
        assert view[0] <= west and view[1] <= south and view[2] >= east and view[3] >= north, (login, view)
        assert view[4] >= 11, "the cameras, alarms and disputes are drawn"
        # fitted: the area fills a good part of the view
        assert (east - west) / (view[2] - view[0]) > 0.3 or (north - south) / (view[3] - view[1]) > 0.3, (login, view)
        drawn = page.evaluate(f"""() => {{ let n = 0;
            {FIND_MAP}.eachLayer(l => {{ if (l instanceof L.Path && l.options.pane === 'gisappHighlight') n++; }});
            return n; }}""")
        if login == "gridworker":
            assert drawn >= 2 * 2  # two grids, each outlined over a white casing
            expect(page.locator(".leaflet-control-layers label", has_text="我的网格 My grids")).to_have_count(1)
            expect(page.locator("#legend [data-legend=own_grids]")).to_be_visible()
        elif login == "leader":
            assert drawn >= 2 * routes and routes
            expect(page.locator(".leaflet-control-layers label", has_text="本队线路 My team's routes")).to_have_count(1)
            expect(page.locator("#legend [data-legend=team_routes]")).to_be_visible()
        else:
            assert drawn == 0
        # names on the offline base: the villages at this zoom
        expect(page.locator(".gisapp-label-village").first).to_be_attached()
        assert boxes_apart(page, "#legend", ".leaflet-control-scale")
        page.screenshot(path=str(OUTPUT / f"map-{login}-{width}.png"))
        assert errors == []
        page.close()


def test_road_and_grid_names_close_in(browser, live_demo):
    page = new_page(browser, viewport={"width": 1400, "height": 900})
    open_map(page, live_demo, "viewer")
    page.wait_for_selector(".leaflet-control-scale")
    with page.expect_response(lambda r: "/api/labels/labels?" in r.url and "zoom=16" in r.url):
        center_map(page, 34.5935, 114.4815, 16)
    expect(page.locator(".gisapp-label-grid").first).to_be_attached()
    expect(page.locator(".gisapp-label-road").first).to_be_attached()
    rotated = page.eval_on_selector_all(".gisapp-label-road .gisapp-label-text", "es => es.map(e => e.style.transform)")
    assert all("rotate(" in t for t in rotated)
    # no two names over each other
    boxes = page.eval_on_selector_all(":not(.gisapp-label-road) > .gisapp-label-text",
                                      "es => es.map(e => { const b = e.getBoundingClientRect(); "
                                      "return [b.left, b.top, b.right, b.bottom]; })")
    assert all(not (a[0] < b[2] - 2 and b[0] < a[2] - 2 and a[1] < b[3] - 2 and b[1] < a[3] - 2)
               for i, a in enumerate(boxes) for b in boxes[i + 1:]) or len(boxes) < 2
    page.screenshot(path=str(OUTPUT / "map-names-16.png"))
    page.close()


# -- what the first view fetches ---------------------------------------------------------------------------------

# The map's zoom, its catalogue layers' minimum zooms, and the tiles its layers show as the server's tile URLs (a
# 512 px tile is the server's tile of the zoom before).
SHOWN_TILES = f"""() => {{
    const map = {FIND_MAP}, shown = [], layers = {{}};
    map.eachLayer(l => {{
        if (!l.options.gisappLayer || !l._tiles) return;
        layers[l.options.gisappLayer] = l.options.minZoom;
        const before = l.getTileSize().x === 512 ? 1 : 0;
        Object.values(l._tiles).forEach(t => shown.push(
            `/tiles/${{l.options.gisappLayer}}/${{t.coords.z - before}}/${{t.coords.x}}/${{t.coords.y}}.pbf`));
    }});
    return {{zoom: map.getZoom(), shown, layers}};
}}"""


def tiles_asked(requests: list[str]) -> list[str]:
    return [urlsplit(url).path for url in requests if urlsplit(url).path.startswith("/tiles/")]


def check_tiles(asked: list[str], view: dict) -> None:
    """Each tile asked for once, of a layer on the map, at the view's zoom (or the zoom before for a 512 px tile),
    never below the layer's minimum zoom, and every one of them shown."""
    assert len(asked) == len(set(asked)), "no tile asked for twice"
    for path in asked:
        _, _, layer, z, _, _ = path.split("/")
        assert layer in view["layers"], f"{path}: the layer is off"
        assert int(z) in (view["zoom"], view["zoom"] - 1) and int(z) >= view["layers"][layer], (path, view["zoom"])
    assert set(asked) == set(view["shown"]), "the tiles asked for are the tiles shown"


@pytest.mark.parametrize("login", ["center", "gridworker", "viewer"])
def test_the_first_view_fetches_only_the_tiles_it_shows(browser, own_live, login):
    """The view is set before the layers are added: no tile of another zoom, none of a layer that is off, each tile
    once; zoomed out, a layer below its minimum zoom fetches nothing. A copy of the demo of its own (the center's and
    the grid worker's maps show parties of disputes, which is audited)."""
    base_url, _ = own_live
    page = new_page(browser, viewport={"width": 1400, "height": 900})
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    open_map(page, base_url, login)
    settle(page)
    view = page.evaluate(SHOWN_TILES)
    check_tiles(tiles_asked(requests), view)
    on = set(view["layers"])
    assert {"cameras", "alarms", "disputes", "boundaries"} <= on and not {"alarm_areas", "sites", "gaps_day"} & on
    assert page.evaluate(f"() => {FIND_MAP}.getZoom()") == view["zoom"], "the view stays where it opened"

    requests.clear()
    page.evaluate(f"() => {FIND_MAP}.setZoom(10, {{animate: false}})")
    settle(page)
    view = page.evaluate(SHOWN_TILES)
    asked = tiles_asked(requests)
    assert asked and not [p for p in asked if view["layers"][p.split("/")[2]] > 10]
    assert set(asked) <= set(view["shown"])
    page.close()


# Leaflet's own icons, which its stylesheet loads only for a default marker or a closed layer switch (no page
# draws either), and licences are vendored without being requested.
NOT_REQUESTED = re.compile(r"^leaflet/images/|LICENSE")


def test_no_page_loads_an_asset_it_does_not_use(browser, own_live):
    """The pages (the map of each role, the dispute list, the report form, a route sheet, the sign-in and home
    pages) load only vendored assets that exist, and between them every one that is vendored: nothing vendored is
    left unused, and folium's defaults (Bootstrap, jQuery, Font Awesome, awesome-markers) are not loaded."""
    base_url, demo = own_live
    with demo.connect() as conn:
        route = conn.execute(text("SELECT code FROM patrol_route ORDER BY code LIMIT 1")).scalar()
    vendor = Path(__file__).resolve().parent.parent / "static" / "vendor"
    vendored = {str(p.relative_to(vendor)) for p in vendor.rglob("*") if p.is_file()}
    loaded: dict[str, int] = {}

    def answered(response):
        path = urlsplit(response.url).path
        if path.startswith("/static/"):
            loaded[path.removeprefix("/static/vendor/")] = response.status

    for login in ("center", "leader", "planner", "gridworker", "viewer"):
        page = new_page(browser, viewport={"width": 1400, "height": 900})
        page.on("response", answered)
        open_map(page, base_url, login)
        page.wait_for_load_state("networkidle")
        if login == "center":
            for path in ("/", "/disputes", "/report", f"/patrol/routes/{route}/sheet"):
                assert page.goto(base_url + path).status == 200, path
                page.wait_for_load_state("networkidle")
        page.close()
    page = new_page(browser)
    page.on("response", answered)
    page.goto(base_url + "/login")
    page.wait_for_load_state("networkidle")
    page.close()
    assert {path: status for path, status in loaded.items() if status not in (200, 304)} == {}
    assert {path for path in loaded if not path.startswith("/static/")} == \
        {path for path in vendored if not NOT_REQUESTED.search(path)}
    assert not [path for path in loaded if re.search(r"bootstrap|jquery|fontawesome|awesome-markers", path)]
