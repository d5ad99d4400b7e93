"""The camera siting panel on the map (天网) in a real headless Chromium (Debian's, driven by Playwright).

A planner chooses a village, has cameras proposed (drawn with their sectors, the totals before and after and
the marginal value curve), turns a bullet and drags a camera and sees their values change, saves the result as
a plan and sees its what-if on the map (the grids it reaches, coloured), compares and exports it, and turns a
saved camera (the what-if follows). An area can be drawn on the map instead. A team leader sees the plans
read-only; a viewer gets no panel. The demo town may hold no candidate sites: the tests add their own, through
the editing API, in a copy of the demo of their own served by a server of their own. Every wait is for a
condition, never for a fixed time.
"""
import email.utils
import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from conftest import serving
from gisapp.catalogue import load_catalogue
from chromium import FIND_MAP, OUTPUT, XSS, center_map, new_page, open_map
from test_patrol_panel import click_at, overlap, watch

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

# The demo village with the most disputes open, and points along its roads for candidate sites.
VILLAGE_SQL = """
SELECT v.code, v.name FROM admin_area v JOIN dispute d ON ST_Covers(v.geom, d.geom)
WHERE v.level = 'village' AND d.status <> 'closed' GROUP BY v.id ORDER BY count(*) DESC, v.code LIMIT 1
"""
ALONG_ROADS_SQL = """
WITH pieces AS (
    SELECT (ST_Dump(ST_Intersection(r.geom, v.geom))).geom AS g FROM road r JOIN admin_area v ON v.code = :village
    WHERE ST_Intersects(r.geom, v.geom))
SELECT ST_X(p), ST_Y(p) FROM (
    SELECT ST_LineInterpolatePoint(g, f) AS p, row_number() OVER (ORDER BY ST_Length(g::geography) DESC) AS n
    FROM pieces CROSS JOIN (VALUES (0.2), (0.5), (0.8)) fs(f)
    WHERE ST_GeometryType(g) = 'ST_LineString' AND ST_Length(g::geography) > 150) x
ORDER BY n LIMIT :many
"""


@pytest.fixture
def siting_live(own_demo):
    """This test's copy of the demo with candidate sites along the roads of its busiest village (one of them
    named like an attack), served over HTTP: (base URL, the copy, the village's code and name)."""
    with own_demo.connect() as conn:
        code, name = conn.execute(text(VILLAGE_SQL)).one()
        points = conn.execute(text(ALONG_ROADS_SQL), {"village": code, "many": 10}).all()
    assert len(points) >= 6, "the village has roads to put sites on"
    planner = own_demo.headers("planner")
    for n, (lon, lat) in enumerate(points):
        site = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"code": f"ZS{n:02d}", "name": XSS if n == 0 else f"立杆{n}",
                               "mounts": "bullet" if n % 3 == 0 else "any", "cost": 6000 + 500 * n}}
        answer = own_demo.client.post("/api/collections/sites/items", json=site, headers=planner)
        assert answer.status_code == 201, answer.json
    with serving(own_demo.app) as base_url:
        yield base_url, own_demo, code, name


def chart_data(page) -> list[list[float]]:
    return page.evaluate("() => Chart.getChart(document.getElementById('sp-marginal-chart'))"
                         ".data.datasets.map(d => d.data)")


def check_layout(page, panel: str = "#sp-panel") -> None:
    """The open panel stays on the screen and covers neither the legend, the scale nor the layer control."""
    width = page.viewport_size["width"]
    box = page.locator(panel).bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    for other in ("#legend", ".leaflet-control-scale", ".leaflet-control-layers"):
        shown = page.locator(other).bounding_box() if page.locator(other).is_visible() else None
        assert not overlap(box, shown), (width, other, box, shown)
        assert shown is None or shown["x"] + shown["width"] <= width, (width, other, shown)


def what_if(page) -> dict[str, str]:
    """The what-if grids drawn on the map (on its canvas): {grid code: fill colour}."""
    return page.evaluate(f"""() => {{
        const found = {{}};
        {FIND_MAP}.eachLayer(l => {{
            if (l.feature && l.options.pane === 'sitingGrids') found[l.feature.id] = l.options.fillColor;
        }});
        return found;
    }}""")


def band_colour(share: float) -> str:
    """The coverage layers' colour for a covered share (target 0.8; medium from three quarters of it)."""
    colours = load_catalogue()["coverage_day"].style["colors"]
    return colours["high"] if share >= 0.8 else colours["medium"] if share >= 0.6 else colours["low"]


def change_colour(change: float) -> str:
    return "#238b45" if change > 0.2 else "#74c476" if change > 0.05 else "#c7e9c0" if change > 0.0005 else "#f0f0f0"


def screenshot(page, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / name))


def test_a_planner_proposes_turns_saves_and_sees_the_what_if(browser, siting_live):
    base_url, demo, village, village_name = siting_live
    page = new_page(browser, viewport={"width": 1400, "height": 900})
    requests, dialogs, errors = watch(page)
    open_map(page, base_url, "planner")
    page.wait_for_load_state("networkidle")
    page.click("#sp-toggle")
    expect(page.locator("#sp-propose")).to_be_visible()

    # the area: a village from the list, outlined, with the candidate sites in it
    with page.expect_response(lambda r: "/api/collections/sites/items" in r.url and r.status == 200):
        page.select_option("#sp-village", village)
    expect(page.locator("#sp-draw-message")).to_contain_text("区域内候选点位")
    form = page.locator("#sp-propose")
    form.locator("input[name=count]").fill("4")
    expect(form.locator("select[name=purpose] option[value=detect]")).to_contain_text("探测 detect")
    assert form.locator("select[name=purpose]").input_value() == "detect"
    expect(form.locator("#sp-kinds")).to_contain_text("枪机 fixed bullet")
    form.locator("#sp-kinds input[value=dome]").uncheck()  # bullets only: each faces somewhere, and can be turned

    # propose: the cameras with their sectors, the totals by kind of demand, the marginal curve
    with page.expect_response(lambda r: r.url.endswith("/api/siting/propose") and r.status == 200) as proposed:
        page.click("#sp-propose-button")
    answer = proposed.value.json()
    body = proposed.value.request.post_data_json
    assert body["area"] == {"villages": [village]} and body["count"] == 4 and body["purpose"] == "detect"
    assert body["kinds"] == ["bullet"]
    features = answer["features"]
    assert 1 <= len(features) <= 4
    expect(page.locator("#sp-cameras li")).to_have_count(len(features))
    expect(page.locator(".leaflet-marker-pane .sp-camera")).to_have_count(len(features))
    expect(page.locator("#sp-save input[name=name]")).to_have_value(f"{village_name} {len(features)} 台 cameras")
    expect(page.locator("#sp-propose-message.dp-ok")).to_contain_text(f"推荐 {len(features)} 台摄像机")
    assert chart_data(page) == [answer["marginal"]]
    dispute = page.locator("#sp-totals tr[data-kind=dispute] td")
    expect(dispute.nth(0)).to_have_text("矛盾纠纷 dispute")
    expect(dispute.nth(3)).to_have_text(f"{round(answer['totals']['after']['dispute'], 2):g}")
    for kind, label in (("gap", "覆盖盲区 coverage gap"), ("key_place", "重点部位 key place")):
        expect(page.locator(f"#sp-totals tr[data-kind={kind}] td").first).to_have_text(label)
    first = features[0]["properties"]
    expect(page.locator("#sp-cameras li").first).to_contain_text(f"价值 value {round(first['value'], 2):g}")
    screenshot(page, "siting-proposal.png")

    # turn a bullet (its azimuth): valued again, its value shown against the proposal's
    assert {f["properties"]["kind"] for f in features} == {"bullet"}
    turned = 0
    azimuth = (features[turned]["properties"]["azimuth"] + 180) % 360
    item = page.locator(f"#sp-cameras li[data-index='{turned}']")
    with page.expect_response(lambda r: r.url.endswith("/api/siting/value") and r.status == 200) as valued:
        item.locator("input[name=azimuth]").fill(str(int(azimuth)))
        item.locator("input[name=azimuth]").press("Tab")
    sent = valued.value.request.post_data_json
    assert sent["features"][turned]["properties"]["azimuth"] == azimuth
    assert sent["area"] == body["area"] and sent["weights"] == body["weights"]
    values = [f["value"] for f in valued.value.json()["features"]]
    expect(item.locator(".sp-value strong")).to_have_text(f"价值 value {round(values[turned], 2):g}")
    expect(page.locator("#sp-value-message.dp-ok")).to_contain_text("已重新计算 valued again")
    assert chart_data(page) == [valued.value.json()["marginal"], answer["marginal"]]
    if values[turned] != features[turned]["properties"]["value"]:
        expect(item.locator(".sp-value")).to_contain_text(f"推荐时 proposed {round(first['value'], 2):g}")

    # drag a camera: it leaves its site, the value follows
    moved = len(features) - 1
    marker = page.locator(".leaflet-marker-pane .sp-camera").nth(moved)
    box = marker.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    assert page.evaluate("([x, y]) => !!document.elementFromPoint(x, y).closest('.sp-camera')", [x, y]), \
        "nothing lies over the camera"
    with page.expect_response(lambda r: r.url.endswith("/api/siting/value") and r.status == 200) as valued:
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 30, y + 10, steps=5)
        page.mouse.move(x + 60, y + 20, steps=5)
        page.mouse.up()
    sent = valued.value.request.post_data_json["features"][moved]
    assert sent["geometry"]["coordinates"] != features[moved]["geometry"]["coordinates"]
    assert sent["properties"]["site"] is None
    assert [u for u in requests if u.endswith("/api/siting/value")] == [valued.value.url] * 2, "once per change"
    expect(page.locator(f"#sp-cameras li[data-index='{moved}']")).to_contain_text("已移动 moved")
    final = valued.value.json()

    # save as a plan named like an attack: stored as planned; its what-if drawn, grid by grid
    save = page.locator("#sp-save")
    expect(page.locator("#sp-save-what")).to_contain_text("含调整 as changed")
    save.locator("input[name=code]").fill("SP1")
    save.locator("input[name=name]").fill(XSS)
    with page.expect_response(lambda r: r.url.endswith("/api/siting/plans/SP1/grids") and r.status == 200) as shown, \
            page.expect_response(lambda r: r.url.endswith("/api/siting/plans") and r.status == 201):
        page.click("#sp-save-button")
    grids = shown.value.json()["features"]
    assert grids, "the plan reaches some grid"
    expect(page.locator("#sp-save-message.dp-ok")).to_contain_text("SP1")
    expect(page.locator("#sp-plan")).to_be_visible()
    assert page.evaluate(f"""() => [document.scrollingElement.scrollTop, {FIND_MAP}.getContainer().scrollTop]""") \
        == [0, 0], "the panel scrolls to the plan, the page and the map stay where they are"
    expect(page.locator("#sp-plan-title")).to_contain_text(XSS)
    assert what_if(page) == {g["id"]: band_colour(g["properties"]["covered_share_after_night"]) for g in grids}
    expect(page.locator("#sp-plan-grids tr")).to_have_count(len(grids))
    closed = sum(g["properties"]["gap_m2_before_night"] - g["properties"]["gap_m2_after_night"] for g in grids)
    expect(page.locator("#sp-plan-figures")).to_contain_text(f"{round(closed):,} m²夜间盲区减少 gap closed")
    expect(page.locator(".leaflet-marker-pane .sp-plan-camera")).to_have_count(len(features))
    # what each saved camera adds, valued as the proposal was (its area and weights), the cameras as they stand
    expect(page.locator("#sp-plan-cameras li .sp-plan-adds")).to_have_count(len(features))
    in_all = str(round(sum(final["marginal"]), 2))
    in_all = in_all.rstrip("0").rstrip(".") if "." in in_all else in_all
    expect(page.locator("#sp-plan-value")).to_have_text(f"按推荐时的需求计，共增加 adds in all {in_all}（按权重计分 weighted score）")
    expect(page.locator("#sp-plan-chart")).to_be_visible()  # the plan's marginal curve, a bar a camera
    assert page.evaluate("() => Chart.getChart(document.getElementById('sp-plan-chart')).data.datasets[0].data") \
        == pytest.approx(final["marginal"])
    expect(page.locator(".leaflet-marker-pane .sp-camera:not(.sp-plan-camera)")).to_have_count(0)
    night = grids[0]["properties"]
    expect(page.locator("#sp-plan-grids tr").first).to_contain_text(
        f"{round(night['covered_share_after_night'] * 100, 1):g}%")
    item = page.locator("#sp-plans li[data-code=SP1]")
    expect(item.locator(".pp-name")).to_have_text(f"{XSS} (SP1)")
    expect(item).to_contain_text(f"{len(features)} 台摄像机 cameras")
    expect(item.locator("a", has_text="Excel")).to_have_attribute("href", "/api/siting/plans/SP1.xlsx")
    expect(item.locator("a", has_text="GeoJSON")).to_have_attribute("href", "/api/siting/plans/SP1.geojson")
    assert page.request.get(f"{base_url}/api/siting/plans/SP1.xlsx").ok

    planner = demo.headers("planner")
    saved = demo.client.get("/api/siting/plans/SP1", headers=planner).json
    assert [c["status"] for c in saved["cameras"]] == ["planned"] * len(features)
    assert saved["request"]["area"] == {"villages": [village]}
    stored = {c["code"]: c for c in saved["cameras"]}
    assert stored[f"SP1-{moved + 1:03d}"]["lon"] == pytest.approx(sent["geometry"]["coordinates"][0], abs=1e-6)
    assert stored[f"SP1-{turned + 1:03d}"]["azimuth"] == pytest.approx(azimuth)
    assert sum(final["marginal"]) == pytest.approx(sum(f["value"] for f in final["features"]))

    # coloured by the change instead, the legend follows; by day
    page.select_option("#sp-plan-colour", "change")
    expect(page.locator("#sp-plan-legend")).to_contain_text("不变 no change")
    page.select_option("#sp-plan-period", "day")
    changes = {g["id"]: g["properties"]["covered_share_after_day"] - g["properties"]["covered_share_before_day"]
               for g in grids}
    assert what_if(page) == {code: change_colour(change) for code, change in changes.items()}
    screenshot(page, "siting-plan-1400.png")
    check_layout(page)

    # compare side by side
    item.locator("input[type=checkbox]").check()
    with page.expect_response(lambda r: "/api/siting/compare?plans=SP1" in r.url and r.status == 200):
        page.click("#sp-compare-button")
    expect(page.locator("#sp-comparison table th").nth(1)).to_have_text(f"{XSS} (SP1)")
    expect(page.locator("#sp-comparison")).to_contain_text("消除预警（昼夜合计） flags cleared (day + night)")

    # turn a saved bullet (or move a dome) through the editing API: it stays in the plan, the what-if follows
    first_code = saved["cameras"][0]["code"]
    row = page.locator(f"#sp-plan-cameras li[data-code='{first_code}']")
    if saved["cameras"][0]["kind"] == "bullet":
        with page.expect_response(lambda r: r.url.endswith("/api/siting/plans/SP1/grids") and r.status == 200), \
                page.expect_response(lambda r: r.request.method == "PUT" and r.status == 200), \
                page.expect_response(lambda r: "/api/siting/compare?plans=SP1" in r.url):  # the comparison follows
            row.locator("input[name=azimuth]").fill("45")
            row.locator("input[name=azimuth]").press("Tab")
        expect(page.locator("#sp-plan-message.dp-ok")).to_contain_text(first_code)
        again = demo.client.get("/api/siting/plans/SP1", headers=planner).json
        assert next(c for c in again["cameras"] if c["code"] == first_code)["azimuth"] == 45
        assert len(again["cameras"]) == len(features)

    page.set_viewport_size({"width": 1024, "height": 768})
    expect(page.locator("#sp-panel")).to_be_visible()
    check_layout(page)
    screenshot(page, "siting-plan-1024.png")

    # delete: asks once more on the button itself, then the plan and its cameras are gone
    page.set_viewport_size({"width": 1400, "height": 900})
    delete = item.locator("button.sp-delete")
    delete.click()
    expect(delete).to_have_text("确认删除？ Confirm delete?")
    with page.expect_response(lambda r: r.url.endswith("/api/siting/plans/SP1") and r.request.method == "DELETE"
                              and r.status == 204):
        delete.click()
    expect(page.locator("#sp-plans li")).to_have_count(0)
    expect(page.locator("#sp-plans-message.dp-ok")).to_have_text("已删除方案 deleted plan: SP1")
    expect(page.locator("#sp-plan")).to_be_hidden()
    assert demo.client.get("/api/siting/plans/SP1", headers=planner).status_code == 404

    assert page.locator("#sp-panel img").count() == 0
    assert page.evaluate("document.querySelectorAll('img[onerror], img[src=\"x\"]').length") == 0
    assert dialogs == [] and errors == []
    hosts = {urlsplit(url).hostname for url in requests if not url.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, f"requests left 127.0.0.1: {hosts}"
    page.close()


def test_an_area_drawn_on_the_map_with_sites_along_its_roads(browser, siting_live):
    base_url, demo, village, village_name = siting_live
    with demo.connect() as conn:
        lon, lat = conn.execute(text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) AS c "
                                     "FROM admin_area WHERE code = :v) x"), {"v": village}).one()
    page = new_page(browser, viewport={"width": 1400, "height": 900})
    _requests, dialogs, errors = watch(page)
    open_map(page, base_url, "planner")
    page.wait_for_load_state("networkidle")
    page.click("#sp-toggle")
    center_map(page, lat, lon, 16)
    form = page.locator("#sp-propose")
    form.locator("select[name=candidates]").select_option("generated")
    page.click("#sp-draw")
    expect(form.locator("input[name=area_by][value=polygon]")).to_be_checked()
    corners = [(lon - 0.003, lat - 0.002), (lon + 0.003, lat - 0.002), (lon + 0.003, lat + 0.002),
               (lon - 0.003, lat + 0.002)]
    identified = []
    page.on("request", lambda r: identified.append(r.url) if "/api/identify?" in r.url else None)
    for n, corner in enumerate(corners, 1):
        click_at(page, *corner)
        expect(page.locator("#sp-draw-message")).to_contain_text(f"已点 {n} 个角点 corners clicked")
    assert page.locator(".leaflet-popup").count() == 0 and identified == []  # a corner, not a question
    page.click("#sp-draw")  # finish
    expect(page.locator("#sp-draw")).to_have_text("绘制范围 Draw")
    expect(page.locator("#sp-draw-message")).to_contain_text(label := "沿道路生成 along the roads")
    form.locator("input[name=count]").fill("2")
    form.locator("select[name=method]").select_option("exact")
    with page.expect_response(lambda r: r.url.endswith("/api/siting/propose") and r.status == 200) as proposed:
        page.click("#sp-propose-button")
    body = proposed.value.request.post_data_json
    ring = body["area"]["polygon"]["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    assert [pytest.approx(c, abs=2e-5) for c in corners] == [tuple(p) for p in ring[:4]]
    assert (body["candidates"], body["method"], body["count"]) == ("generated", "exact", 2)
    answer = proposed.value.json()
    assert 1 <= len(answer["features"]) <= 2 and all(f["properties"]["site"].startswith("G")
                                                      for f in answer["features"])
    expect(page.locator("#sp-cameras li")).to_have_count(len(answer["features"]))
    expect(page.locator("#sp-propose-message")).to_contain_text("候选 options")
    assert label in page.inner_text("#sp-propose select[name=candidates]")
    expect(page.locator("#sp-save input[name=name]")).to_have_value(f"绘制范围 drawn area {len(answer['features'])} 台 cameras")
    # another area chosen: the proposal for the drawn one is put away (it cannot be saved as the village's)
    page.select_option("#sp-village", village)
    expect(page.locator("#sp-result")).to_be_hidden()
    expect(page.locator("#sp-propose-message")).to_have_text("范围已改变，请重新推荐 The area changed: propose again")
    expect(page.locator(".leaflet-marker-pane .sp-camera")).to_have_count(0)
    # proposed for the village, the suggested name follows (one the planner typed would be kept)
    with page.expect_response(lambda r: r.url.endswith("/api/siting/propose") and r.status == 200) as proposed:
        page.click("#sp-propose-button")
    count = len(proposed.value.json()["features"])
    expect(page.locator("#sp-save input[name=name]")).to_have_value(f"{village_name} {count} 台 cameras")
    # the grids flagged now at night: the area is theirs (as the flagged-grids panel lists them)
    night = demo.client.get("/api/coverage/grids?flagged=true&period=night", headers=demo.headers("planner")).json
    codes = [g["grid_code"] for g in night["grids"]]
    assert codes, "the demo has grids flagged at night"
    form.locator("input[name=area_by][value=flagged]").check()
    expect(page.locator("#sp-draw-message")).to_have_text(f"{len(codes)} 个夜间预警网格 flagged grids")
    expect(page.locator("#sp-result")).to_be_hidden()  # the village's proposal is put away
    with page.expect_response(lambda r: r.url.endswith("/api/siting/propose") and r.status == 200) as proposed:
        page.click("#sp-propose-button")
    assert proposed.value.request.post_data_json["area"] == {"grids": codes}
    expect(page.locator("#sp-save input[name=name]")).to_have_value(
        re.compile(r"^预警网格 flagged grids \d+ 台 cameras$"))
    assert dialogs == [] and errors == []
    assert page.locator(".leaflet-popup").count() == 0
    page.close()


def saved_plan(demo, village: str, code: str = "SP9") -> dict:
    """A plan saved over the API by the planner: four cameras proposed for the village."""
    planner = demo.headers("planner")
    proposed = demo.client.post("/api/siting/propose", headers=planner, json={
        "area": {"villages": [village]}, "count": 4})
    assert proposed.status_code == 200, proposed.json
    saved = demo.client.post("/api/siting/plans", headers=planner, json={
        "code": code, "name": "周边补点 " + XSS, "note": "第一期", "features": proposed.json["features"]})
    assert saved.status_code == 201, saved.json
    return saved.json


@pytest.mark.parametrize("login", ["leader", "gridworker"])
def test_readers_see_plans_and_their_what_if_read_only(browser, siting_live, login):
    base_url, demo, village, _ = siting_live
    plan = saved_plan(demo, village)
    page = new_page(browser, viewport={"width": 1400, "height": 900})
    requests, dialogs, errors = watch(page)
    open_map(page, base_url, login)
    page.click("#sp-toggle")
    item = page.locator("#sp-plans li[data-code=SP9]")
    expect(item.locator(".pp-name")).to_have_text(f"周边补点 {XSS} (SP9)")
    expect(item).to_contain_text(f"{len(plan['cameras'])} 台摄像机 cameras")
    created = email.utils.parsedate_to_datetime(plan["created_at"])  # an HTTP date, as Flask writes a datetime
    local = created.astimezone(ZoneInfo(demo.app.config["GISAPP"]["timezone"]))  # shown in the configured zone
    expect(item).to_contain_text(f"创建 created {local:%Y/%m/%d %H:%M} · planner")
    expect(item).to_contain_text("第一期")
    for planning in ("#sp-propose", "#sp-save", "#sp-panel button.sp-delete", "#sp-village"):
        assert page.locator(planning).count() == 0, planning
    with page.expect_response(lambda r: r.url.endswith("/api/siting/plans/SP9/grids") and r.status == 200) as shown:
        item.locator("button", has_text="打开 Open").click()
    grids = shown.value.json()["features"]
    expect(page.locator("#sp-plan-grids tr")).to_have_count(len(grids))  # drawn on the map as listed
    assert set(what_if(page)) == {g["id"] for g in grids}
    expect(page.locator("#sp-plan-cameras li")).to_have_count(len(plan["cameras"]))
    assert page.locator("#sp-plan-cameras input").count() == 0, "nothing to turn"
    assert page.evaluate(f"""() => {{
        let draggable = 0;
        {FIND_MAP}.eachLayer(l => {{ if (l.dragging && l.dragging.enabled()) draggable++; }});
        return draggable;
    }}""") == 0, "nothing to drag"
    expect(item.locator("a", has_text="GeoJSON")).to_have_attribute("href", "/api/siting/plans/SP9.geojson")
    assert page.request.get(f"{base_url}/api/siting/plans/SP9.geojson").ok
    item.locator("input[type=checkbox]").check()
    with page.expect_response(lambda r: "/api/siting/compare?plans=SP9" in r.url and r.status == 200):
        page.click("#sp-compare-button")
    expect(page.locator("#sp-comparison table")).to_contain_text("造价 cost")
    check_layout(page)
    assert not any(u.endswith(("/api/siting/propose", "/api/siting/value")) for u in requests)
    assert page.locator("#sp-panel img").count() == 0
    assert dialogs == [] and errors == []
    page.close()


def test_a_viewer_gets_no_siting_panel(browser, live_demo):
    page = new_page(browser)
    requests, dialogs, errors = watch(page)
    open_map(page, live_demo, "viewer")
    page.wait_for_selector(".leaflet-control-layers")
    page.wait_for_load_state("networkidle")
    assert page.locator("#sp-panel").count() == 0
    assert not any("/static/siting.js" in url or "/api/siting/" in url for url in requests)
    assert dialogs == [] and errors == []
    page.close()


@pytest.mark.parametrize("login", ["planner", "center"])
def test_one_panel_open_on_the_left_and_the_map_around_it(browser, siting_live, login):
    """The siting and patrol panels share the left side: opening one closes the other, and the closed one's button
    stays in reach; at any screen size the open panel stays on the screen and covers neither the legend nor the
    scale (nor, where there is room for both, the layer control)."""
    base_url, demo, village, _ = siting_live
    saved_plan(demo, village)
    page = new_page(browser, viewport={"width": 1400, "height": 900})
    _requests, dialogs, errors = watch(page)
    open_map(page, base_url, login)
    page.wait_for_selector(".leaflet-control-scale")
    siting, patrol = page.locator("#sp-panel"), page.locator("#pp-panel")
    page.click("#sp-toggle")
    expect(siting).not_to_have_class("gisapp-panel sp-panel collapsed")
    with page.expect_response(lambda r: r.url.endswith("/api/siting/plans/SP9/grids") and r.status == 200):
        page.locator("#sp-plans li[data-code=SP9] button", has_text="打开 Open").click()
    if login == "center":  # the disputes panel open on the right as well
        page.click("#dp-toggle")
    page.click("#pp-toggle")
    expect(siting).to_have_class("gisapp-panel sp-panel collapsed")
    expect(patrol).not_to_have_class("gisapp-panel pp-panel collapsed")
    # both boxes read at once (the patrol panel's lists, asked for with the page, may still be growing it)
    below = """() => document.getElementById('sp-toggle').getBoundingClientRect().y
                     >= document.getElementById('pp-panel').getBoundingClientRect().bottom - 1"""
    page.wait_for_function(below)  # below the patrol panel
    toggle = page.locator("#sp-toggle").bounding_box()
    assert toggle["y"] + toggle["height"] <= 900
    page.click("#sp-toggle")
    expect(patrol).to_have_class("gisapp-panel pp-panel collapsed")
    assert page.evaluate("document.body.classList.contains('sp-open') && !document.body.classList.contains('pp-open')")
    for width, height in ((1400, 900), (1280, 720), (1024, 768), (800, 600), (412, 860)):
        page.set_viewport_size({"width": width, "height": height})
        box = siting.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width and box["y"] + box["height"] <= height, (width, box)
        assert page.locator("#pp-toggle").bounding_box()["y"] + 20 <= box["y"], "the patrol button above it, whole"
        if login == "center" and width in (1400, 1024):  # the disputes panel stays open while the layer control
            collapsed = re.compile(r"\bcollapsed\b")       # has room beside it: at 1024 px it has not
            if width == 1400:
                expect(page.locator("#dp-panel")).not_to_have_class(collapsed)
            else:
                expect(page.locator("#dp-panel")).to_have_class(collapsed)
        others = ["#legend", ".leaflet-control-scale"] + ([".leaflet-control-layers"] if width >= 1024 else [])
        for other in others:
            shown = page.locator(other).bounding_box() if page.locator(other).is_visible() else None
            assert not overlap(box, shown), (width, height, other, box, shown)
        if width >= 1024 and login == "planner":
            expect(page.locator("#legend")).to_be_visible()
        if (width, height) in ((1400, 900), (1024, 768)):
            screenshot(page, f"siting-{login}-{width}.png")
    page.set_viewport_size({"width": 1400, "height": 900})
    page.click("#sp-toggle")  # closed: the legend is back in its corner
    expect(page.locator("#legend")).to_be_visible()
    assert page.locator("#legend").bounding_box()["x"] < 56
    assert dialogs == [] and errors == []
    page.close()
