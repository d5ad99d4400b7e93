"""The disputes page (/disputes): the closed loop run by clicking, what the list and to-do lists show, and
what the API adds for it (``sort``, ``todo`` and a dispute's ``actions``).

Browser tests drive Debian's Chromium with Playwright and wait for conditions, never for fixed times. Each test
works in a copy of the demo of its own (signing in, the steps and the views of personal data are all written
down), served by a server of its own.
"""
import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from conftest import bearer_headers, serving
from gisapp import create_app, domain
import chromium
from chromium import OUTPUT, XSS, new_page

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

TZ = ZoneInfo("Asia/Shanghai")
LOCAL_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$")
# The demo grid worker's two grids (东庄村第1、2网格) and a grid of another village.
OWN_GRIDS = {"41029910100101", "41029910100102"}
OTHER_GRID = "41029910100601"
STALE = "已被他人修改 changed by someone else since you opened it"
GRADE_ORDER = list(domain.DISPUTE_GRADES)


@pytest.fixture
def own_live(own_demo):
    """This test's copy of the demo, served over HTTP: (base URL, the copy)."""
    with serving(own_demo.app) as base_url:
        yield base_url, own_demo


def local(iso: str) -> str:
    """An API time as the page must show it: in the configured time zone, to the minute."""
    return dt.datetime.fromisoformat(iso).astimezone(TZ).strftime("%Y-%m-%d %H:%M")


def take_in(demo, role: str = "center", grid: str = min(OWN_GRIDS), **fields) -> dict:
    body = {"grid": grid, "category": "neighbours", "summary": "邻里噪音 noise", "grade": "ordinary",
            "parties": "张三、李四", "parties_phone": "13800000000", **fields}
    answer = demo.client.post("/api/disputes", json=body, headers=demo.headers(role))
    assert answer.status_code == 201, answer.json
    return answer.json


def step(demo, role: str, code: str, action: str = "status", **body) -> dict:
    version = demo.client.get(f"/api/disputes/{code}", headers=demo.headers("center")).json["version"]
    body = {"remark": "已办 done", **body} if body.get("status") in ("feedback", "closed") else body
    answer = demo.client.post(f"/api/disputes/{code}/{action}", json={"version": version, **body},
                              headers=demo.headers(role))
    assert answer.status_code == 200, answer.json
    return answer.json


def sign_in(page, base_url: str, login: str, path: str = "/disputes") -> None:
    chromium.sign_in(page, base_url, login, path)


def watch(page) -> tuple[list, list]:
    dialogs, errors = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    return dialogs, errors


def map_drawn(page, selector: str) -> None:
    """Wait until the Leaflet map in ``selector`` has drawn its vector layers (paths in its overlay pane)."""
    page.wait_for_function("s => document.querySelectorAll(s + ' .leaflet-overlay-pane path').length > 1", arg=selector)


# -- what the API adds for the page ---------------------------------------------------------------------

def test_the_list_sorts_by_any_column_and_refuses_unknown_keys(own_demo):
    viewer = own_demo.headers("viewer")
    rows = own_demo.client.get("/api/disputes?sort=-grade,due_at&limit=200", headers=viewer).json["disputes"]
    keys = [(-GRADE_ORDER.index(d["grade"]), d["due_at"]) for d in rows]
    assert keys == sorted(keys) and len(rows) == 200
    statuses = [d["status"] for d in own_demo.client.get("/api/disputes?sort=status,code&limit=200",
                                                         headers=viewer).json["disputes"]]
    order = list(domain.DISPUTE_STATUSES)
    assert [order.index(s) for s in statuses] == sorted(order.index(s) for s in statuses)
    default = own_demo.client.get("/api/disputes?limit=50", headers=viewer).json["disputes"]
    assert [d["received_at"] for d in default] == sorted((d["received_at"] for d in default), reverse=True)
    paged = own_demo.client.get("/api/disputes?sort=code&limit=10&offset=10", headers=viewer).json["disputes"]
    assert [d["code"] for d in paged] == [f"MD2026{n:04d}" for n in range(11, 21)]
    for bad in ("grade,", "bogus", "-parties", "code,code,code,code,code", "grade;drop"):
        answer = own_demo.client.get(f"/api/disputes?sort={bad}", headers=viewer)
        assert answer.status_code == 400 and answer.json["field"] == "sort", bad


def test_todo_lists_what_waits_on_each_role(own_demo):
    # a routed dispute in the worker's grid that is not overdue, and one in another village's grid
    fresh = take_in(own_demo, summary="新分流 fresh")["code"]
    step(own_demo, "center", fresh, status="routed", assignee="网格员")
    elsewhere = take_in(own_demo, grid=OTHER_GRID)["code"]
    step(own_demo, "center", elsewhere, status="routed", assignee="网格员")
    with own_demo.connect() as conn:
        expected = {code for code, in conn.execute(text(
            "SELECT d.code FROM dispute d JOIN grid g ON g.id = d.grid_id WHERE g.code = ANY(:grids) "
            "AND d.status IN ('routed', 'handling')"), {"grids": sorted(OWN_GRIDS)})}
        unvisited = conn.execute(text(
            "SELECT count(*) FROM dispute WHERE status = 'closed' AND revisited_at IS NULL")).scalar()
    worker = own_demo.client.get("/api/disputes?todo=steps&sort=-overdue,due_at&limit=100",
                                 headers=own_demo.headers("grid_worker")).json
    assert {d["code"] for d in worker["disputes"]} == expected and fresh in expected
    assert all(d["grid_code"] in OWN_GRIDS for d in worker["disputes"])
    flags = [d["overdue"] for d in worker["disputes"]]
    assert flags == sorted(flags, reverse=True) and flags[0] and not flags[-1]
    center = own_demo.client.get("/api/disputes?todo=steps&limit=1000", headers=own_demo.headers("center")).json
    assert {d["status"] for d in center["disputes"]} == {"received", "feedback"}
    visits = own_demo.client.get("/api/disputes?todo=revisit&limit=1", headers=own_demo.headers("center")).json
    assert visits["numberMatched"] == unvisited
    for role in ("viewer", "planner", "team_leader"):
        answer = own_demo.client.get("/api/disputes?todo=steps", headers=own_demo.headers(role))
        assert answer.status_code == 403 and answer.json["field"] == "todo"
    assert own_demo.client.get("/api/disputes?todo=later", headers=own_demo.headers("center")).status_code == 400


def test_actions_say_what_the_api_will_accept(own_demo):
    code = take_in(own_demo)["code"]  # in the grid worker's own grid
    other = take_in(own_demo, grid=OTHER_GRID)["code"]

    def actions(role, which=code):
        return own_demo.client.get(f"/api/disputes/{which}", headers=own_demo.headers(role)).json["actions"]
    nothing = {"status": [], "escalate": [], "grade": [], "revisit": False, "return": False, "assign": False,
               "note": False}
    assert actions("center") == {"status": ["routed"], "escalate": ["township", "county"],
                                 "grade": ["complex", "difficult"], "revisit": False, "return": False,
                                 "assign": False, "note": True}
    assert actions("grid_worker") == {**nothing, "note": True}  # its own grid: it may write down progress
    for role in ("viewer", "planner", "team_leader"):
        assert actions(role) == nothing, role
    step(own_demo, "center", code, status="routed", assignee="网格员")
    assert actions("grid_worker")["status"] == ["handling"] and actions("center")["assign"] is True
    step(own_demo, "center", other, status="routed", assignee="网格员")
    assert actions("grid_worker", other) == nothing  # not the worker's grid: the API refuses it too
    version = own_demo.client.get(f"/api/disputes/{other}", headers=own_demo.headers("center")).json["version"]
    refused = own_demo.client.post(f"/api/disputes/{other}/status", json={"version": version, "status": "handling"},
                                   headers=own_demo.headers("grid_worker"))
    assert refused.status_code == 403
    step(own_demo, "center", code, "escalate", level="township")
    assert actions("center")["escalate"] == ["county"]
    for status in ("handling", "feedback"):
        step(own_demo, "grid_worker", code, status=status)
    assert actions("grid_worker")["status"] == [] and actions("center")["status"] == ["closed"]
    assert actions("center")["return"] is True and actions("grid_worker")["return"] is False  # the center's call
    step(own_demo, "center", code, status="closed")
    closed = {**nothing, "revisit": True}
    assert actions("center") == closed and actions("grid_worker") == closed
    step(own_demo, "grid_worker", code, "revisit", satisfaction=4)
    assert actions("center") == nothing and actions("grid_worker") == nothing


# -- the page in the browser ------------------------------------------------------------------------------

def history_count(page) -> int:
    return page.locator("#dd-history li").count()


def test_the_center_moves_a_dispute_through_the_whole_loop_by_clicking(browser, own_live):
    base_url, demo = own_live
    created = take_in(demo, summary=XSS, parties=XSS, remark=XSS)
    code = created["code"]
    page = new_page(browser, viewport={"width": 1400, "height": 900})
    dialogs, errors = watch(page)
    sign_in(page, base_url, "center", f"/disputes#{code}")
    drawer = page.locator("#dd-drawer")
    expect(drawer.locator("#dd-title-code")).to_have_text(code)
    expect(page.locator("#dd-history li")).to_have_count(1)
    # facts with their labels, Chinese first, and times in the configured zone; data shown as text, never run
    facts = page.locator("#dd-facts")
    expect(facts).to_contain_text("邻里纠纷 neighbours")
    expect(facts).to_contain_text("一般 ordinary")
    expect(facts).to_contain_text("受理 received")
    expect(facts).to_contain_text(local(created["received_at"]))
    expect(facts.locator("tr", has_text="摘要 Summary").locator("td")).to_have_text(XSS)
    expect(facts.locator("tr", has_text="当事人 Parties").locator("td")).to_have_text(XSS)
    expect(page.locator("#dd-history .dd-remark").first).to_have_text(XSS)
    map_drawn(page, "#dd-map")
    page.screenshot(path=str(OUTPUT / "disputes-drawer-center-1400.png"))
    # a link to another dispute, followed on this page, opens it; back, this one again
    other = take_in(demo, summary="另一起 another")["code"]
    page.evaluate(f"() => {{ location.hash = '#{other}'; }}")
    expect(drawer.locator("#dd-title-code")).to_have_text(other)
    page.evaluate(f"() => {{ location.hash = '#{code}'; }}")
    expect(drawer.locator("#dd-title-code")).to_have_text(code)
    expect(page.locator("#dd-history li")).to_have_count(1)

    def do(step_id: str, fill=None, shot: str | None = None) -> None:
        count = history_count(page)
        page.click(f"#dd-actions button[data-step={step_id}]")
        form = page.locator(f"#dd-step-form form[data-step={step_id}]")
        if fill:
            fill(form)
        form.locator("textarea[name=remark]").fill(f"备注 {step_id}")
        if shot:
            page.screenshot(path=str(OUTPUT / shot))
        with page.expect_response(lambda r: r.request.method == "POST" and f"/api/disputes/{code}/" in r.url) as sent:
            form.locator("button[type=submit]").click()
        assert sent.value.status == 200, sent.value.json()
        expect(page.locator("#dd-history li")).to_have_count(count + 1)
        expect(page.locator("#dd-step-message")).to_contain_text("已保存 saved")

    # escalation and grading, offered upwards and to the other grades; the due date follows the grade
    expect(page.locator("#dd-actions button[data-step=escalate]")).to_be_visible()
    page.click("#dd-actions button[data-step=escalate]")
    expect(page.locator("#dd-step-form select[name=level] option")).to_have_text(["镇级 township", "县级 county"])
    do("escalate", lambda form: form.locator("select[name=level]").select_option("township"))
    expect(facts).to_contain_text("镇级 township")
    page.click("#dd-actions button[data-step=escalate]")
    expect(page.locator("#dd-step-form select[name=level] option")).to_have_text(["县级 county"])
    do("grade", lambda form: form.locator("select[name=grade]").select_option("complex"))
    regraded = demo.client.get(f"/api/disputes/{code}", headers=demo.headers("center")).json
    received = dt.datetime.fromisoformat(created["received_at"])
    assert dt.datetime.fromisoformat(regraded["due_at"]) == received + dt.timedelta(days=7)
    expect(facts).to_contain_text(local(regraded["due_at"]))
    expect(page.locator("#dd-badges")).to_contain_text("复杂 complex")

    # routing asks for the assignee: without it the form is not sent
    page.click("#dd-actions button[data-step=routed]")
    page.locator("#dd-step-form button[type=submit]").click()
    assert page.locator("#dd-step-form input[name=assignee]").evaluate("e => !e.validity.valid")
    do("routed", lambda form: form.locator("input[name=assignee]").fill("司法所 justice office"))
    expect(facts).to_contain_text("司法所 justice office")
    do("handling")
    do("note")  # progress written down; the status stays
    expect(page.locator("#dd-badges")).to_contain_text("办理 handling")
    do("assign", lambda form: form.locator("input[name=assignee]").fill("派出所 police station"))
    expect(facts).to_contain_text("派出所 police station")
    # reporting back must say the result: without it the form is not sent; the center sends it back, saying why
    page.click("#dd-actions button[data-step=feedback]")
    page.locator("#dd-step-form button[type=submit]").click()
    assert page.locator("#dd-step-form textarea[name=remark]").evaluate("e => !e.validity.valid")
    do("feedback")
    do("return")
    expect(page.locator("#dd-badges")).to_contain_text("办理 handling")
    do("feedback")
    do("closed")
    expect(page.locator("#dd-actions button")).to_have_text(["回访 Return visit"])
    do("revisit", lambda form: form.locator("input[name=satisfaction][value='4']").check(),
       shot="disputes-revisit-form-1400.png")
    expect(page.locator("#dd-actions button")).to_have_count(0)
    expect(page.locator("#dd-no-steps")).to_be_visible()
    expect(facts).to_contain_text("4 · 满意 satisfied")

    final = demo.client.get(f"/api/disputes/{code}", headers=demo.headers("center")).json
    assert final["status"] == "closed" and final["satisfaction"] == 4 and final["version"] == 12
    events = page.locator("#dd-history li")
    expect(events).to_have_count(len(final["history"]))
    for n, event in enumerate(final["history"]):
        item = events.nth(n)
        expect(item.locator("time")).to_have_text(local(event["at"]))
        expect(item.locator(".dd-actor")).to_have_text(event["actor"])
        expect(item).to_contain_text(domain.DISPUTE_ACTIONS[event["action"]])
    expect(events.nth(1)).to_contain_text("层级 level: 镇级 township")
    expect(events.nth(2)).to_contain_text("等级 grade: 复杂 complex")
    expect(events.nth(3)).to_contain_text("受理 received → 分流 routed")
    expect(events.nth(3)).to_contain_text("承办 routed to: 司法所 justice office")
    expect(events.nth(3).locator(".dd-remark")).to_have_text("备注 routed")
    expect(events.nth(5)).to_contain_text("进展 note")
    expect(events.nth(6)).to_contain_text("承办 routed to: 派出所 police station")
    expect(events.nth(8)).to_contain_text("退回重办 sent back")
    expect(events.nth(8)).to_contain_text("反馈 feedback → 办理 handling")
    expect(events.nth(11)).to_contain_text("满意度 satisfaction: 4 · 满意 satisfied")
    times = page.locator("#dd-history time").all_inner_texts()
    assert all(LOCAL_TIME.match(t) for t in times), times
    page.screenshot(path=str(OUTPUT / "disputes-loop-done-1400.png"), full_page=True)

    page.set_viewport_size({"width": 1024, "height": 768})
    page.locator("#dd-history").scroll_into_view_if_needed()
    page.screenshot(path=str(OUTPUT / "disputes-loop-done-1024.png"))
    assert not dialogs and not errors, (dialogs, errors)


def test_two_sessions_on_one_dispute_never_lose_an_update(browser, own_live):
    base_url, demo = own_live
    code = take_in(demo)["code"]
    first, second = (browser.new_context(viewport={"width": 1400, "height": 900}) for _ in range(2))
    try:
        pages = [context.new_page() for context in (first, second)]
        for page in pages:
            page.set_default_timeout(60_000)
            sign_in(page, base_url, "center", f"/disputes#{code}")
            expect(page.locator("#dd-actions button[data-step=routed]")).to_be_visible()
        one, two = pages
        one.click("#dd-actions button[data-step=routed]")
        one.fill("#dd-step-form input[name=assignee]", "司法所")
        with one.expect_response(lambda r: r.url.endswith("/status")) as sent:
            one.click("#dd-step-form button[type=submit]")
        assert sent.value.status == 200
        # the second page still shows version 1: its step is refused, and says so
        two.click("#dd-actions button[data-step=routed]")
        two.fill("#dd-step-form input[name=assignee]", "派出所")
        with two.expect_response(lambda r: r.url.endswith("/status")) as refused:
            two.click("#dd-step-form button[type=submit]")
        assert refused.value.status == 409 and refused.value.json()["field"] == "version"
        expect(two.locator("#dd-stale")).to_be_visible()
        expect(two.locator("#dd-stale")).to_contain_text(STALE)
        expect(two.locator("#dd-stale")).to_contain_text("分流 routed")
        two.screenshot(path=str(OUTPUT / "disputes-stale-1400.png"))
        stored = demo.client.get(f"/api/disputes/{code}", headers=demo.headers("center")).json
        assert stored["assignee"] == "司法所" and stored["version"] == 2 and len(stored["history"]) == 2
        # reloading shows the other's change, and the next step goes through on the version read now
        two.click("#dd-reload")
        expect(two.locator("#dd-stale")).to_be_hidden()
        expect(two.locator("#dd-facts")).to_contain_text("司法所")
        expect(two.locator("#dd-history li")).to_have_count(2)
        two.click("#dd-actions button[data-step=handling]")
        with two.expect_response(lambda r: r.url.endswith("/status")) as sent:
            two.click("#dd-step-form button[type=submit]")
        assert sent.value.status == 200
        expect(two.locator("#dd-history li")).to_have_count(3)
        assert demo.client.get(f"/api/disputes/{code}", headers=demo.headers("center")).json["status"] == "handling"
    finally:
        first.close()
        second.close()


def test_a_grid_worker_sees_only_their_grids_disputes_overdue_first(browser, own_live):
    base_url, demo = own_live
    fresh = take_in(demo, summary="新分流 fresh")["code"]
    step(demo, "center", fresh, status="routed", assignee="网格员")
    elsewhere = take_in(demo, grid=OTHER_GRID)["code"]
    step(demo, "center", elsewhere, status="routed", assignee="网格员")
    with demo.connect() as conn:
        expected = conn.execute(text(
            "SELECT d.code, d.status <> 'closed' AND d.due_at < now() AS overdue FROM dispute d JOIN grid g "
            "ON g.id = d.grid_id WHERE g.code = ANY(:grids) AND d.status IN ('routed', 'handling') "
            "ORDER BY 2 DESC, d.due_at"), {"grids": sorted(OWN_GRIDS)}).all()
    page = new_page(browser, viewport={"width": 1024, "height": 768})
    dialogs, errors = watch(page)
    sign_in(page, base_url, "gridworker")
    expect(page.locator("#dd-tab-todo")).to_have_attribute("aria-selected", "true")
    rows = page.locator("#dd-todo-steps tbody tr")
    expect(rows).to_have_count(len(expected))
    assert [rows.nth(n).get_attribute("data-code") for n in range(len(expected))] == [c for c, _ in expected]
    assert elsewhere not in page.locator("#dd-todo-steps").inner_text()
    overdue = [rows.nth(n).evaluate("r => r.classList.contains('dd-row-overdue')") for n in range(len(expected))]
    assert overdue == [o for _, o in expected] and overdue[0] and not overdue[-1]
    expect(rows.first.locator(".dd-left")).to_contain_text("超期")
    expect(page.locator(f"#dd-todo-steps tr[data-code={fresh}] .dd-left")).to_contain_text("left")
    expect(page.locator(f"#dd-todo-steps tr[data-code={fresh}] .dd-next-step")).to_have_text("待办理 to handle")
    for cell in page.locator("#dd-todo-steps .dd-time").all_inner_texts():
        assert LOCAL_TIME.match(cell), cell
    page.screenshot(path=str(OUTPUT / "disputes-gridworker-todo-1024.png"))
    # a click opens it: the worker may start handling it, and nothing else
    page.click(f"#dd-todo-steps tr[data-code={fresh}]")
    expect(page.locator("#dd-actions button")).to_have_text(["办理 Start handling", "记录进展 Add a note"])
    expect(page.locator("#dd-facts")).to_contain_text("张三、李四")  # the worker's own grid: parties shown
    page.click("#dd-actions button[data-step=handling]")
    with page.expect_response(lambda r: r.url.endswith("/status")) as sent:
        page.click("#dd-step-form button[type=submit]")
    assert sent.value.status == 200
    expect(page.locator("#dd-actions button")).to_have_text(["反馈 Report back", "记录进展 Add a note"])
    expect(page.locator(f"#dd-todo-steps tr[data-code={fresh}] .dd-next-step")).to_have_text("待反馈 to report back")
    map_drawn(page, "#dd-map")
    page.screenshot(path=str(OUTPUT / "disputes-gridworker-drawer-1024.png"))
    # another village's dispute: shown in the list, without its parties and with no step offered
    page.click("#dd-close")
    page.click("#dd-tab-list")
    page.select_option("#dd-f-village", OTHER_GRID[:12])  # the grid filter offers the village's grids
    with page.expect_response(lambda r: f"grid={OTHER_GRID}" in r.url):
        page.select_option("#dd-f-grid", OTHER_GRID)
    in_grid = demo.client.get(f"/api/disputes?grid={OTHER_GRID}&limit=1", headers=demo.headers("grid_worker")).json
    expect(page.locator("#dd-table tbody tr")).to_have_count(min(20, in_grid["numberMatched"]))
    expect(page.locator(f"#dd-table tr[data-code={elsewhere}]")).to_be_visible()
    page.click(f"#dd-table tr[data-code={elsewhere}]")
    expect(page.locator("#dd-title-code")).to_have_text(elsewhere)
    expect(page.locator("#dd-no-steps")).to_be_visible()
    expect(page.locator("#dd-actions button")).to_have_count(0)
    expect(page.locator("#dd-facts")).not_to_contain_text("当事人")
    assert not dialogs and not errors, (dialogs, errors)


def test_a_viewer_is_offered_no_steps_and_the_list_filters_sorts_and_pages(browser, own_live):
    base_url, demo = own_live
    page = new_page(browser, viewport={"width": 1400, "height": 900})
    dialogs, errors = watch(page)
    sign_in(page, base_url, "viewer")
    assert page.locator("#dd-tab-todo, #dd-tab-patrol").count() == 0
    assert page.locator("#dd-f-in-gap").count() == 0  # coverage gaps are not for viewers
    rows = page.locator("#dd-table tbody tr")
    expect(rows).to_have_count(20)
    expect(page.locator("#dd-count")).to_contain_text("共 200 条")
    # sorted by grade: the most severe first on the second click
    with page.expect_response(lambda r: "sort=grade" in r.url):
        page.click("#dd-table th button[data-sort=grade]")
    with page.expect_response(lambda r: "sort=-grade" in r.url):
        page.click("#dd-table th button[data-sort=grade]")
    expect(page.locator("#dd-table th[aria-sort=descending]")).to_contain_text("等级 Grade")
    expect(rows.first).to_contain_text("疑难 difficult")
    # filtered: open and overdue, of one village; paged
    page.select_option("#dd-f-village", "410299101001")
    with page.expect_response(lambda r: "overdue=true" in r.url) as answer:
        page.select_option("#dd-f-overdue", "true")
    found = answer.value.json()
    assert found["numberMatched"] and all(d["overdue"] and d["village"] == "东庄村" for d in found["disputes"])
    expect(rows).to_have_count(min(20, found["numberMatched"]))
    expect(rows.first.locator(".dd-left")).to_contain_text("超期")
    page.click("#dd-filters button[type=reset]")
    expect(page.locator("#dd-count")).to_contain_text("共 200 条")
    first_page = rows.first.get_attribute("data-code")
    with page.expect_response(lambda r: "offset=20" in r.url):
        page.click("#dd-next")
    expect(page.locator("#dd-count")).to_contain_text("第 21–40 条")
    assert rows.first.get_attribute("data-code") != first_page
    for cell in page.locator("#dd-table .dd-time").all_inner_texts():
        assert LOCAL_TIME.match(cell), cell
    page.screenshot(path=str(OUTPUT / "disputes-list-viewer-1400.png"))
    # a dispute: its facts without parties, its place, and no step offered
    rows.first.click()
    expect(page.locator("#dd-no-steps")).to_be_visible()
    expect(page.locator("#dd-actions button")).to_have_count(0)
    expect(page.locator("#dd-facts")).not_to_contain_text("当事人")
    map_drawn(page, "#dd-map")
    page.screenshot(path=str(OUTPUT / "disputes-viewer-drawer-1400.png"))
    page.set_viewport_size({"width": 1024, "height": 768})
    page.screenshot(path=str(OUTPUT / "disputes-viewer-drawer-1024.png"))
    page.click("#dd-close")
    page.screenshot(path=str(OUTPUT / "disputes-list-viewer-1024.png"))
    # the home page and the map's disputes panel link here
    page.goto(f"{base_url}/")
    expect(page.locator("main a[href='/disputes']")).to_have_text("矛盾纠纷台账与待办 Disputes and tasks")
    page.goto(f"{base_url}/map")
    assert page.locator("#dp-page-link").get_attribute("href") == "/disputes"
    assert not dialogs and not errors, (dialogs, errors)
    with demo.connect() as conn:  # no personal data was shown to the viewer, so none of it was audited
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == 0


def test_from_the_map_panel_to_the_dispute(browser, own_live):
    base_url, demo = own_live
    page = new_page(browser, viewport={"width": 1400, "height": 900})
    dialogs, errors = watch(page)
    sign_in(page, base_url, "center", "/map")
    page.click("#dp-toggle")
    expect(page.locator("#dp-intake select[name=grade] option")).to_have_count(3)  # the form is ready
    page.fill("#dp-intake input[name=grid]", min(OWN_GRIDS))
    page.fill("#dp-intake textarea[name=summary]", "从地图登记 taken in on the map")
    # the center says where the dispute came from (nothing chosen for it: not a grid worker's report)
    assert page.input_value("#dp-intake select[name=source]") == ""
    page.select_option("#dp-intake select[name=source]", "reception")
    with page.expect_response(lambda r: r.url.endswith("/api/disputes") and r.status == 201) as created:
        page.click("#dp-intake button[type=submit]")
    dispute = created.value.json()
    assert dispute["source"] == "reception"
    message = page.locator("#dp-intake-message.dp-ok")
    expect(message).to_contain_text(f"办结时限 due {local(dispute['due_at'])}")  # local time, not a UTC date
    message.locator("a", has_text="详情 details").click()
    page.wait_for_url(f"**/disputes#{dispute['code']}")
    expect(page.locator("#dd-title-code")).to_have_text(dispute["code"])
    expect(page.locator("#dd-facts")).to_contain_text("从地图登记 taken in on the map")
    expect(page.locator("#dd-actions button[data-step=routed]")).to_be_visible()
    page.go_back()
    page.click("#dp-toggle")
    page.click("#dp-page-link")
    page.wait_for_url("**/disputes")
    expect(page.locator("#dd-tab-todo")).to_have_attribute("aria-selected", "true")
    waiting = demo.client.get("/api/disputes?todo=steps&limit=1", headers=demo.headers("center")).json
    expect(page.locator("#dd-todo-steps-count")).to_have_text(str(waiting["numberMatched"]))
    page.click("#dd-tab-list")  # newest first: the dispute just taken in heads the list
    expect(page.locator("#dd-table tbody tr").first).to_have_attribute("data-code", dispute["code"])
    assert not dialogs and not errors, (dialogs, errors)


@pytest.fixture
def strict_live(own_demo, tmp_path):
    """This test's copy of the demo served by an app whose patrols must reach an alarm within 2 minutes
    (10 by default, which the demo's night patrols meet everywhere): (base URL, app)."""
    app = create_app({"database_url": own_demo.url, "secret_key": "test-secret", "var_dir": str(tmp_path / "strict"),
                      "patrol": {"alarm_reach_min": 2}})
    app.config["TESTING"] = True
    with serving(app) as base_url:
        yield base_url, app, own_demo


def test_a_team_leader_sees_the_alarms_and_grids_of_the_team_area_that_need_patrol(browser, strict_live):
    base_url, app, demo = strict_live
    client, headers = app.test_client(), bearer_headers(app, ["leader", "center"])
    leader = headers["team_leader"]
    assert client.get("/api/patrol/alarm-reach?period=night", headers=leader).status_code == 200
    # an alarm named like an attack, in a village, at the road crossing farthest from the night patrols
    with demo.connect() as conn:
        lon, lat, village = conn.execute(text(
            "SELECT ST_X(v.geom), ST_Y(v.geom), a.name FROM road_vertex v JOIN reach_vertex r ON r.vertex_id = v.id "
            "AND r.source = 'night' JOIN admin_area a ON a.level = 'village' AND ST_Contains(a.geom, v.geom) "
            "ORDER BY r.minutes DESC, v.id LIMIT 1")).one()
    alarm = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
             "properties": {"code": "41029901001340009999", "enterprise": XSS, "status": "online",
                            "response_radius_m": 100}}
    created = client.post("/api/collections/alarms/items", json=alarm, headers=headers["center"])
    assert created.status_code == 201, created.json
    reach = client.get("/api/patrol/alarm-reach?period=night", headers=leader).json["alarms"]
    grids = client.get("/api/coverage/grids?flagged=true&period=night", headers=leader).json["grids"]
    needing = {g["grid_code"] for g in grids
               if {"no_patrol", "no_night_patrol", "alarm_beyond_patrol_reach"} & set(g["reasons"])}
    beyond = {a["code"] for a in reach if not a["in_reach"]}
    assert "41029901001340009999" in beyond and len(beyond) > 1
    page = new_page(browser, viewport={"width": 1400, "height": 900})
    dialogs, errors = watch(page)
    sign_in(page, base_url, "leader")
    assert page.locator("#dd-tab-todo").count() == 0  # team leaders take no steps on disputes
    expect(page.locator("#dd-tab-patrol")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#dd-patrol")).to_have_attribute("data-loaded", "night")
    listed = set(page.locator("#dd-grids li").evaluate_all("items => items.map(i => i.dataset.code)"))
    assert listed and listed == needing  # the demo team's area is the whole township
    alarms = set(page.locator("#dd-alarms li").evaluate_all("items => items.map(i => i.dataset.code)"))
    assert alarms == beyond
    expect(page.locator("#dd-alarms li[data-code='41029901001340009999'] strong")).to_have_text(XSS)
    expect(page.locator("#dd-alarms li[data-code='41029901001340009999']")).to_contain_text(village)
    expect(page.locator("#dd-grids li").first.locator(".dd-reasons")).to_contain_text("巡逻")
    page.locator("#dd-grids li").first.click()
    page.wait_for_function("() => document.querySelectorAll('#dd-patrol-map path[stroke-width=\"4\"]').length > 0")
    page.screenshot(path=str(OUTPUT / "disputes-leader-patrol-1400.png"))
    with page.expect_response(lambda r: "alarm-reach?period=day" in r.url):
        page.select_option("#dd-patrol-period", "day")
    expect(page.locator("#dd-patrol")).to_have_attribute("data-loaded", "day")
    page.set_viewport_size({"width": 1024, "height": 768})
    page.screenshot(path=str(OUTPUT / "disputes-leader-patrol-1024.png"))
    assert not dialogs and not errors, (dialogs, errors)
