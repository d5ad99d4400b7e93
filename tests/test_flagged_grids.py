"""The flagged grids: the list the map's panel shows (by day or night, shares by net, gap area, reasons in
Chinese), sorted and filtered in the page, a click zooming the map to the grid and drawing its gaps, and the
list as an Excel file with Chinese headers — over the API and in a real headless Chromium.

Every wait is for a condition, never for a fixed time. Tests that only read use the shared demo; a test that
renames a grid or signs in as a grid worker (whose views of parties are audited) uses a copy of its own.
"""
import io
import math
import re

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import text

from conftest import serving
from gisapp import domain
from gisapp.catalogue import COVERAGE_REASONS
from gisapp.coverage.report import readable
from chromium import FIND_MAP, OUTPUT, new_page, open_map, settle

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

HEADERS = [domain.REPORT_COLUMNS[k] for k in ("period", "village_code", "village", "grid_code", "grid")] + \
    [domain.REPORT_COLUMNS[k] + " (%)" for k in ("camera_share", "alarm_share", "patrol_share", "covered_share")] + \
    [domain.REPORT_COLUMNS[k] for k in ("gap_m2", "reasons")]


@pytest.fixture
def own_live(own_demo):
    """This test's copy of the demo, served over HTTP: (base URL, the copy)."""
    with serving(own_demo.app) as base_url:
        yield base_url, own_demo


def flagged(client, headers, period: str, **filters) -> list[dict]:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    answer = client.get(f"/api/coverage/grids?flagged=true&period={period}&{query}", headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json["grids"]


# -- the API ------------------------------------------------------------------------------------------------

def test_the_list_filters_by_reason(demo_client, tokens):
    center = tokens["center"]
    every = flagged(demo_client, center, "night")
    assert every and all(g["flagged"] for g in every)
    for reason in ("no_night_patrol", "gap", "cameras_offline"):
        some = flagged(demo_client, center, "night", reason=reason)
        assert [g["grid_code"] for g in some] == [g["grid_code"] for g in every if reason in g["reasons"]]
    answer = demo_client.get("/api/coverage/grids?reason=sunshine", headers=center)
    assert answer.status_code == 400 and answer.json["field"] == "reason"


def test_the_excel_file_has_chinese_headers_and_labels(demo_client, tokens):
    center = tokens["center"]
    grids = flagged(demo_client, center, "day", reason="gap")
    answer = demo_client.get("/api/coverage/grids?flagged=true&period=day&reason=gap&format=xlsx", headers=center)
    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    assert 'filename="flagged-grids-day.xlsx"' in answer.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(answer.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS and all(re.match(r"[\u4e00-\u9fff]", h) for h in rows[0])
    assert [r[3] for r in rows[1:]] == [g["grid_code"] for g in grids]
    first, grid = rows[1], grids[0]
    assert first[0] == "白天 day" and first[4] == grid["grid"]
    # shares in percent as the pages show them: per mille rounded half up (Math.round), so 0.3165 is 31.7 %
    for row, shown in zip(rows[1:], grids):
        assert row[5:9] == tuple(math.floor(1000 * shown[k] + 0.5) / 10
                                 for k in ("camera_share", "alarm_share", "patrol_share", "covered_share"))
    assert readable(pd.DataFrame([{"covered_share": 0.3165}]), ["covered_share"]).iloc[0, 0] == 31.7
    assert first[10] == "、".join(COVERAGE_REASONS[r] for r in grid["reasons"]) and "有盲区 gap" in first[10]
    csv = demo_client.get("/api/coverage/grids?flagged=true&period=day&format=csv", headers=center)
    assert csv.status_code == 200 and csv.data.startswith("\ufeff".encode()) and HEADERS[0] in csv.get_data(as_text=True)
    assert demo_client.get("/api/coverage/grids?format=xlsx", headers=tokens["viewer"]).status_code == 403


def test_a_grid_named_like_a_formula_stays_text(own_demo):
    with own_demo.connect() as conn:
        code = conn.execute(text("SELECT g.code FROM grid_coverage gc JOIN grid g ON g.id = gc.grid_id "
                                 "WHERE gc.flagged AND gc.period = 'day' ORDER BY g.code LIMIT 1")).scalar()
        conn.execute(text("UPDATE grid SET name = '=HYPERLINK(\"http://x\")' WHERE code = :c"), {"c": code})
    answer = own_demo.client.get("/api/coverage/grids?flagged=true&period=day&format=xlsx",
                                 headers=own_demo.headers("center"))
    sheet = openpyxl.load_workbook(io.BytesIO(answer.data)).active
    (cell,) = [row[4] for row in sheet.iter_rows(min_row=2) if row[3].value == code]
    assert cell.value == "'=HYPERLINK(\"http://x\")" and cell.data_type == "s"


# -- the panel ----------------------------------------------------------------------------------------------

def points(coordinates) -> list:
    """The [lon, lat] pairs of GeoJSON coordinates nested at any depth."""
    if isinstance(coordinates[0], (int, float)):
        return [coordinates]
    return [p for c in coordinates for p in points(c)]


def listed(page) -> list[str]:
    return page.eval_on_selector_all("#fg-rows tr.fg-grid", "rows => rows.map(r => r.dataset.code)")


def open_panel(page) -> None:
    page.click("#fg-toggle")
    expect(page.locator("#fg-rows tr.fg-grid").first).to_be_visible()


def wait_moved(page) -> None:
    """Wait until the move armed in the page (window.fgMoved) has ended and every layer has its tiles."""
    page.evaluate("() => window.fgMoved.then(() => true)")
    page.wait_for_function(f"""() => {{
        let loading = false;
        {FIND_MAP}.eachLayer(l => {{ if (l.isLoading && l.isLoading()) loading = true; }});
        return !loading;
    }}""")


def test_the_center_sorts_filters_zooms_and_exports(browser, own_live):
    """A copy of its own: the center's map lists disputes with their parties, and such views are audited."""
    live_demo, demo = own_live
    demo_client, center = demo.client, demo.headers("center")
    day = flagged(demo_client, center, "day")
    night = flagged(demo_client, center, "night")
    page = new_page(browser, viewport={"width": 1400, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_map(page, live_demo, "center")
    open_panel(page)

    # the day's flagged grids, the largest gap first, each with its shares by net and its reasons in Chinese
    expect(page.locator("#fg-count")).to_have_text(str(len(day)))
    by_gap = sorted(day, key=lambda g: (g["gap_m2"], g["grid_code"]), reverse=True)
    assert listed(page) == [g["grid_code"] for g in by_gap]
    first = page.locator("#fg-rows tr.fg-grid").first
    expect(first).to_contain_text(by_gap[0]["grid"])
    expect(first).to_contain_text(f"{round(by_gap[0]['covered_share'] * 100, 1):g}%")
    why = page.locator("#fg-rows tr.fg-why").first
    expect(why).to_have_text("、".join(COVERAGE_REASONS[r] for r in by_gap[0]["reasons"]))
    assert not re.search(r"\b(share_below_target|no_camera|cameras_offline|no_patrol)\b", page.inner_text("#fg-rows"))

    # a click on a header sorts by it, a second the other way round
    page.click("#fg-table th button[data-sort=covered_share]")
    expect(page.locator("#fg-table th[aria-sort=descending] button")).to_have_attribute("data-sort", "covered_share")
    by_share = sorted(day, key=lambda g: (g["covered_share"], g["grid_code"]))
    assert listed(page) == [g["grid_code"] for g in reversed(by_share)]
    page.click("#fg-table th button[data-sort=covered_share]")
    expect(page.locator("#fg-table th[aria-sort=ascending] button")).to_have_attribute("data-sort", "covered_share")
    assert listed(page) == [g["grid_code"] for g in by_share]
    shown = page.eval_on_selector_all("#fg-rows tr.fg-grid td.fg-total", "cells => cells.map(c => parseFloat(c.textContent))")
    assert shown == sorted(shown) and shown[0] == round(by_share[0]["covered_share"] * 100, 1)
    page.click("#fg-table th button[data-sort=grid]")  # by village and grid: each village's grids together
    expect(page.locator("#fg-table th[aria-sort=ascending] button")).to_have_attribute("data-sort", "grid")
    villages = page.eval_on_selector_all("#fg-rows tr.fg-grid .fg-village", "cells => cells.map(c => c.textContent)")
    assert len(villages) == len(day) and all(villages.index(v) == i or villages[i - 1] == v for i, v in enumerate(villages))

    # filtered by reason and by village (the choices' labels are Chinese); the export follows the filters
    page.select_option("#fg-reason", "cameras_offline")
    offline = [g["grid_code"] for g in day if "cameras_offline" in g["reasons"]]
    expect(page.locator("#fg-count")).to_have_text(str(len(offline)))
    assert set(listed(page)) == set(offline) and offline
    assert "摄像机离线 cameras offline" in page.inner_text("#fg-reason")
    village = day[0]["village_code"]
    page.select_option("#fg-village", village)
    both = {g["grid_code"] for g in day if "cameras_offline" in g["reasons"] and g["village_code"] == village}
    expect(page.locator("#fg-rows tr.fg-grid")).to_have_count(len(both))
    href = page.get_attribute("#fg-export", "href")
    assert "format=xlsx" in href and "reason=cameras_offline" in href and f"village={village}" in href
    download = page.request.get(live_demo + href)
    assert download.ok
    rows = list(openpyxl.load_workbook(io.BytesIO(download.body())).active.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS and {r[3] for r in rows[1:]} == both
    page.select_option("#fg-village", "")
    page.select_option("#fg-reason", "")

    # night: the list follows
    with page.expect_response(lambda r: "/api/coverage/grids?flagged=true&period=night" in r.url):
        page.select_option("#fg-period", "night")
    expect(page.locator("#fg-count")).to_have_text(str(len(night)))

    # a click on a grid zooms the map to it and draws the grid and its night gaps
    target = max(night, key=lambda g: g["gap_m2"])
    shape = demo_client.get(f"/api/collections/grids/items/{target['grid_code']}", headers=center).json["geometry"]
    xs, ys = zip(*points(shape["coordinates"]))
    page.evaluate(f"() => {{ window.fgMoved = new Promise(done => {FIND_MAP}.once('moveend', done)); }}")
    with page.expect_response(lambda r: f"/api/coverage/grids/{target['grid_code']}" in r.url):
        page.locator(f"#fg-rows tr.fg-grid[data-code='{target['grid_code']}']").click()
    wait_moved(page)
    view = page.evaluate(f"""() => {{ const m = {FIND_MAP}, b = m.getBounds();
        return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth(), m.getZoom()]; }}""")
    assert view[0] <= min(xs) and view[1] <= min(ys) and view[2] >= max(xs) and view[3] >= max(ys), (view, xs, ys)
    assert view[4] >= 14  # close in: a grid, not the township
    expect(page.locator("#fg-rows tr.fg-grid.fg-chosen")).to_have_attribute("data-code", target["grid_code"])
    drawn = page.evaluate(f"""() => {{ let n = 0;
        {FIND_MAP}.eachLayer(l => {{ if (l instanceof L.Path && l.options.pane === 'gisappHighlight') n++; }});
        return n; }}""")
    assert drawn >= 3  # the gaps, the grid's casing and its outline
    expect(page.locator("#legend [data-legend=flagged_selection]")).to_be_visible()
    OUTPUT.mkdir(exist_ok=True)
    settle(page)
    page.screenshot(path=str(OUTPUT / "flagged-center-1400.png"))

    page.set_viewport_size({"width": 1024, "height": 768})
    # the page reacts to the resize at its next frame: wait for the legend to have made room
    page.wait_for_function("""() => {
        const l = document.getElementById('legend').getBoundingClientRect(),
              c = document.querySelector('.leaflet-control-layers').getBoundingClientRect();
        return l.right <= c.left || l.top >= c.bottom; }""")
    panel, scale = page.locator("#fg-panel").bounding_box(), page.locator(".leaflet-control-scale").bounding_box()
    assert panel["x"] + panel["width"] <= 1024 and (scale["x"] >= panel["x"] + panel["width"]), (panel, scale)
    legend, control = page.locator("#legend").bounding_box(), page.locator(".leaflet-control-layers").bounding_box()
    assert legend["x"] + legend["width"] <= control["x"] or legend["y"] >= control["y"] + control["height"], \
        "the legend, beside the panel, is closed rather than lie over the layer switch"
    settle(page)
    page.screenshot(path=str(OUTPUT / "flagged-center-1024.png"))
    page.click("#fg-clear")
    expect(page.locator("#legend [data-legend=flagged_selection]")).to_be_hidden()
    assert errors == []
    page.close()


@pytest.mark.parametrize("login", ["gridworker", "leader"])
def test_own_grids_and_team_area_are_marked(browser, own_live, login):
    """A copy of its own: the grid worker's map shows the parties of its grids' disputes, and such views are audited."""
    base_url, demo = own_live
    with demo.connect() as conn:
        mine = {c for (c,) in conn.execute(text(
            "SELECT g.code FROM grid g JOIN user_grid ug ON ug.grid_id = g.id JOIN app_user u ON u.id = ug.user_id "
            "WHERE u.login = 'gridworker'"))}
    page = new_page(browser, viewport={"width": 1400, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_map(page, base_url, login)
    open_panel(page)
    every = set(listed(page))
    if login == "gridworker":
        own = every & mine
        assert own, "the demo grid worker has a flagged grid"
        marked = set(page.eval_on_selector_all("#fg-rows tr.fg-grid.fg-own", "rows => rows.map(r => r.dataset.code)"))
        assert marked == own
        expect(page.locator("#fg-rows tr.fg-own .fg-badge").first).to_have_text("我的 mine")
        page.check("#fg-mine")
        expect(page.locator("#fg-rows tr.fg-grid")).to_have_count(len(own))
        assert set(listed(page)) == own
    else:
        team = set(page.eval_on_selector_all("#fg-rows tr.fg-grid.fg-team", "rows => rows.map(r => r.dataset.code)"))
        assert team and team <= every
        page.check("#fg-mine")
        expect(page.locator("#fg-rows tr.fg-grid")).to_have_count(len(team))
    # one panel on the left at a time: opening the patrol panel closes this one, and back
    page.click("#pp-toggle")
    expect(page.locator("#fg-panel")).to_have_class(re.compile(r"\bcollapsed\b"))
    page.click("#fg-toggle")
    expect(page.locator("#pp-panel")).to_have_class(re.compile(r"\bcollapsed\b"))
    settle(page)
    page.screenshot(path=str(OUTPUT / f"flagged-{login}-1400.png"))
    assert errors == []
    page.close()
