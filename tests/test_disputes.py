"""Disputes through the HTTP API: intake, the closed loop, deadlines, privacy, figures and hotspots."""
import csv
import datetime as dt
import io
import math
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp import accounts, clock, create_app, domain

from test_tiles import decode, tile_of

CST = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=CST)
VILLAGES = {"410299101001": (114.50, 114.52), "410299101002": (114.52, 114.54)}
# Two grids in the first village, one in the second: (code, village, x0, x1), all from 34.60 to 34.61.
GRIDS = [("G-A", "410299101001", 114.51, 114.52), ("G-B", "410299101001", 114.50, 114.51),
         ("G-C", "410299101002", 114.52, 114.54)]
IN_A, IN_B, IN_C = (114.515, 34.605), (114.505, 34.605), (114.53, 34.605)
ROLES = {"center": ("center", ()), "gw_a": ("grid_worker", ("G-A",)), "gw_b": ("grid_worker", ("G-B",)),
         "planner": ("planner", ()), "viewer": ("viewer", ())}


@pytest.fixture
def fixed_clock(monkeypatch):
    """Set the application's clock: ``fixed_clock(t)``; it starts at T0."""
    now = {"t": T0}
    monkeypatch.setattr(clock, "now", lambda: now["t"])
    return lambda t: now.update(t=t)


@pytest.fixture
def area(engine):
    with engine.begin() as conn:
        for code, (x0, x1) in VILLAGES.items():
            conn.execute(text("INSERT INTO admin_area (code, name, level, geom) VALUES (:code, :code, 'village', "
                              "ST_Multi(ST_MakeEnvelope(:x0, 34.60, :x1, 34.61, 4326)))"), {"code": code, "x0": x0, "x1": x1})
        for code, village, x0, x1 in GRIDS:
            conn.execute(text("INSERT INTO grid (code, name, village_id, geom) SELECT :code, :code, id, "
                              "ST_Multi(ST_MakeEnvelope(:x0, 34.60, :x1, 34.61, 4326)) FROM admin_area WHERE code = :v"),
                         {"code": code, "v": village, "x0": x0, "x1": x1})


@pytest.fixture
def headers(area, engine):
    """A bearer-token header per test account (center, grid workers of G-A and G-B, planner, viewer)."""
    out = {}
    with Session(engine) as session:
        for login, (role, grids) in ROLES.items():
            user = accounts.create_user(session, login.replace("_", "-"), "password-123", role, grid_codes=grids)
            out[login] = {"Authorization": f"Bearer {accounts.issue_token(session, user)}"}
        session.commit()
    return out


def intake(client, who, headers, point=IN_A, **fields):
    body = {"lon": point[0], "lat": point[1], "category": "neighbours", "summary": "邻里噪音 noise",
            "grade": "ordinary", "parties": "张三、李四", "parties_phone": "13800000000", **fields}
    return client.post("/api/disputes", json=body, headers=headers[who])


def step(client, who, headers, code, action="status", **body):
    version = client.get(f"/api/disputes/{code}", headers=headers["center"]).json["version"]
    return client.post(f"/api/disputes/{code}/{action}", json={"version": version, **body}, headers=headers[who])


def test_whole_loop_through_the_api(client, headers, fixed_clock):
    created = intake(client, "gw_a", headers, remark="村口")
    assert created.status_code == 201, created.json
    dispute = created.json
    code = dispute["code"]
    assert created.headers["Location"].endswith(f"/api/disputes/{code}")
    assert (dispute["grid_code"], dispute["village"], dispute["status"]) == ("G-A", "410299101001", "received")
    assert dispute["source"] == "grid_worker" and dispute["location_approx"] is False
    assert dt.datetime.fromisoformat(dispute["due_at"]) == T0 + dt.timedelta(days=3)
    assert dispute["next_statuses"] == ["routed"]

    plan = [("center", "routed", {"assignee": "司法所 justice office"}), ("gw_a", "handling", {}),
            ("gw_a", "feedback", {}), ("center", "closed", {})]
    for hours, (who, status, extra) in enumerate(plan, start=1):
        fixed_clock(T0 + dt.timedelta(hours=hours))
        answer = step(client, who, headers, code, status=status, remark=f"step {status}", **extra)
        assert answer.status_code == 200, answer.json
        assert answer.json["status"] == status
    fixed_clock(T0 + dt.timedelta(days=2))
    visited = step(client, "center", headers, code, "revisit", satisfaction=5, remark="满意")
    assert visited.status_code == 200, visited.json
    final = visited.json
    assert final["satisfaction"] == 5 and final["assignee"] == "司法所 justice office"
    assert dt.datetime.fromisoformat(final["closed_at"]) == T0 + dt.timedelta(hours=4)
    assert final["next_statuses"] == [] and final["version"] == 6
    history = [(h["actor"], h["action"], h["from_status"], h["to_status"], h["remark"]) for h in final["history"]]
    assert history == [("gw-a", "intake", None, "received", "村口"),
                       ("center", "status", "received", "routed", "step routed"),
                       ("gw-a", "status", "routed", "handling", "step handling"),
                       ("gw-a", "status", "handling", "feedback", "step feedback"),
                       ("center", "status", "feedback", "closed", "step closed"),
                       ("center", "revisit", None, None, "满意")]
    assert [dt.datetime.fromisoformat(h["at"]) for h in final["history"]][1] == T0 + dt.timedelta(hours=1)


def test_a_new_code_carries_the_local_date(client, headers, fixed_clock):
    """Received at 01:30 in Shanghai (17:30 the day before in UTC, as the server's clock gives it): the code is of
    the Shanghai day."""
    fixed_clock(dt.datetime(2026, 3, 2, 17, 30, tzinfo=dt.timezone.utc))
    assert intake(client, "center", headers).json["code"].startswith("D20260303-")


def test_the_loop_goes_back_is_reassigned_and_takes_notes(client, headers):
    code = intake(client, "gw_a", headers).json["code"]
    _drive(client, headers, code, "handling")

    def state():
        d = client.get(f"/api/disputes/{code}", headers=headers["center"]).json
        return d["version"], d["status"], d["assignee"], len(d["history"])
    before = state()
    # the result must be said when reported back, the conclusion when closed
    refused = step(client, "gw_a", headers, code, status="feedback")
    assert (refused.status_code, refused.json["field"]) == (400, "remark")
    # refusals write nothing: a note, a reassignment, a sending back that are not allowed or not said
    assert step(client, "gw_b", headers, code, "note", remark="x").status_code == 403
    assert step(client, "center", headers, code, "assign").status_code == 400
    assert step(client, "center", headers, code, "return", remark="x").status_code == 409  # not reported back yet
    assert state() == before
    # progress noted on the way, by the grid's own worker; not by another grid's, nor without a text
    assert step(client, "gw_a", headers, code, "note", remark="已约双方调解").status_code == 200
    assert step(client, "gw_b", headers, code, "note", remark="x").status_code == 403
    assert step(client, "gw_a", headers, code, "note").json["field"] == "remark"
    # reassigned by the center: to someone else, named
    assert step(client, "center", headers, code, "assign").status_code == 400
    assert step(client, "center", headers, code, "assign", assignee="综治办").status_code == 409  # routed there
    assert step(client, "center", headers, code, "assign", assignee="司法所").json["assignee"] == "司法所"
    assert step(client, "gw_a", headers, code, "assign", assignee="派出所").status_code == 403
    # reported back, then sent back to handling by the center, saying why
    assert step(client, "gw_a", headers, code, status="feedback", remark="已调解").status_code == 200
    assert step(client, "gw_a", headers, code, "return", remark="x").status_code == 403
    assert step(client, "center", headers, code, "return").json["field"] == "remark"
    back = step(client, "center", headers, code, "return", remark="协议未签").json
    assert back["status"] == "handling" and back["actions"]["return"] is False
    # closed and visited back content: final; dissatisfied: reopened, to be visited back again once closed
    assert step(client, "gw_a", headers, code, status="feedback", remark="已签协议").status_code == 200
    assert step(client, "center", headers, code, status="closed").json["field"] == "remark"
    assert step(client, "center", headers, code, status="closed", remark="结案").status_code == 200
    assert step(client, "center", headers, code, "note", remark="x").status_code == 409
    assert step(client, "center", headers, code, "revisit", satisfaction=2).status_code == 200
    reopened = step(client, "center", headers, code, "return", remark="当事人不满意").json
    assert (reopened["status"], reopened["closed_at"], reopened["satisfaction"]) == ("handling", None, None)
    assert step(client, "gw_a", headers, code, status="feedback", remark="再次调解").status_code == 200
    assert step(client, "center", headers, code, status="closed", remark="结案").status_code == 200
    final = step(client, "center", headers, code, "revisit", satisfaction=4).json
    assert final["actions"]["return"] is False and final["satisfaction"] == 4
    assert step(client, "center", headers, code, "return", remark="x").status_code == 409
    actions = [(h["action"], h["to_status"], h["assignee"], h["remark"]) for h in final["history"]]
    assert ("note", None, None, "已约双方调解") in actions and ("assign", None, "司法所", None) in actions
    assert ("return", "handling", None, "协议未签") in actions and ("return", "handling", None, "当事人不满意") in actions
    assert [a for a, *_ in actions].count("revisit") == 2, "both return visits stay in the history"


def test_history_is_append_only(client, headers, engine):
    code = intake(client, "center", headers).json["code"]
    with pytest.raises(Exception, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text("UPDATE dispute_event SET remark = 'rewritten'"))
    with pytest.raises(Exception, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM dispute_event"))
    with engine.begin() as conn:  # the history goes with its dispute, and only so
        conn.execute(text("DELETE FROM dispute WHERE code = :code"), {"code": code})
        assert conn.execute(text("SELECT count(*) FROM dispute_event")).scalar() == 0


STATUSES = ["received", "routed", "handling", "feedback", "closed"]


def _drive(client, headers, code, to):
    for status in STATUSES[1:STATUSES.index(to) + 1]:
        assert step(client, "center", headers, code, status=status, assignee="综治办", remark="已办").status_code == 200


@pytest.mark.parametrize("current", STATUSES)
def test_each_illegal_transition_is_refused_naming_the_allowed_ones(client, headers, current):
    code = intake(client, "center", headers).json["code"]
    _drive(client, headers, code, current)
    allowed = STATUSES[STATUSES.index(current) + 1:STATUSES.index(current) + 2]
    for target in STATUSES:
        if target in allowed:
            continue
        answer = step(client, "center", headers, code, status=target, assignee="综治办")
        assert answer.status_code == 409, (current, target)
        assert answer.json["field"] == "status" and answer.json["current_status"] == current
        assert answer.json["allowed"] == allowed
        assert f"cannot go from {current!r} to {target!r}" in answer.json["message"]
        assert ("allowed next: " + (", ".join(allowed) or "none")) in answer.json["message"]
    assert client.get(f"/api/disputes/{code}", headers=headers["center"]).json["status"] == current


def test_other_refused_steps(client, headers):
    code = intake(client, "center", headers).json["code"]
    assert step(client, "center", headers, code, status="finished").status_code == 400
    assert step(client, "center", headers, code, status="routed").json["field"] == "assignee"
    assert step(client, "center", headers, code, "revisit", satisfaction=4).status_code == 409  # not closed yet
    assert step(client, "center", headers, code, "escalate", level="township").status_code == 200
    down = step(client, "center", headers, code, "escalate", level="village")
    assert down.status_code == 409 and down.json["current_level"] == "township"
    assert step(client, "gw_a", headers, code, "escalate", level="county").status_code == 403
    assert step(client, "gw_b", headers, code, status="routed", assignee="x").status_code == 403
    _drive(client, headers, code, "closed")
    assert step(client, "center", headers, code, "revisit", satisfaction=6).json["field"] == "satisfaction"
    assert step(client, "gw_a", headers, code, "revisit", satisfaction=3).status_code == 200
    assert step(client, "center", headers, code, "revisit", satisfaction=3).status_code == 409  # only once
    assert step(client, "center", headers, code, "grade", grade="complex").status_code == 409   # closed: final
    history = client.get(f"/api/disputes/{code}", headers=headers["center"]).json["history"]
    assert [h["level"] for h in history if h["action"] == "escalate"] == ["township"]


def _waiting_on_locks(conn) -> int:
    """How many other sessions in this database wait for a lock right now (``conn`` autocommits:
    pg_stat_activity is read once per transaction)."""
    return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                             "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'")).scalar()


def test_concurrent_updates_do_not_overwrite_each_other(app, client, headers, engine):
    code = intake(client, "center", headers).json["code"]
    version = client.get(f"/api/disputes/{code}", headers=headers["center"]).json["version"]
    answers = []

    def route(assignee):
        answers.append(app.test_client().post(f"/api/disputes/{code}/status", headers=headers["center"],
                                              json={"status": "routed", "assignee": assignee, "version": version}))
    # Another session holds the dispute's row while both requests come in, so both are inside their
    # transactions at once, blocked on that row, when it lets go: they overlap for sure. Had a request
    # read the version without locking the row, both would have read version 1 and both would win.
    with engine.connect() as holder, engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher:
        holder.execute(text("SELECT 1 FROM dispute WHERE code = :code FOR UPDATE"), {"code": code})
        threads = [threading.Thread(target=route, args=(a,)) for a in ("司法所", "派出所")]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while _waiting_on_locks(watcher) < 2 and time.monotonic() < deadline and any(t.is_alive() for t in threads):
            time.sleep(0.02)
        waiting = _waiting_on_locks(watcher)
        holder.rollback()
    for t in threads:
        t.join()
    assert waiting == 2, f"both requests should wait for the locked row; {waiting} did, answers {answers}"
    assert sorted(a.status_code for a in answers) == [200, 409]
    lost = next(a for a in answers if a.status_code == 409)
    assert lost.json["field"] == "version" and lost.json["current_version"] == version + 1
    winner = next(a for a in answers if a.status_code == 200).json["assignee"]
    final = client.get(f"/api/disputes/{code}", headers=headers["center"]).json
    assert final["assignee"] == winner and final["version"] == version + 1 and len(final["history"]) == 2
    # A stale version, sent later, is refused as well.
    assert client.post(f"/api/disputes/{code}/status", headers=headers["center"],
                       json={"status": "handling", "version": version}).status_code == 409


def test_deadlines_and_overdue_at_fixed_clock_times(client, headers, fixed_clock):
    codes = {g: intake(client, "center", headers, grade=g).json["code"] for g in ("ordinary", "complex", "difficult")}
    dues = {g: dt.datetime.fromisoformat(client.get(f"/api/disputes/{c}", headers=headers["center"]).json["due_at"])
            for g, c in codes.items()}
    assert dues == {"ordinary": T0 + dt.timedelta(days=3), "complex": T0 + dt.timedelta(days=7),
                    "difficult": T0 + dt.timedelta(days=15)}

    def overdue():
        listed = client.get("/api/disputes?overdue=true", headers=headers["viewer"]).json["disputes"]
        return {d["code"] for d in listed}
    fixed_clock(T0 + dt.timedelta(days=3))
    assert overdue() == set()                       # due exactly now: not yet past due
    fixed_clock(T0 + dt.timedelta(days=3, minutes=1))
    assert overdue() == {codes["ordinary"]}
    item = client.get(f"/api/collections/disputes/items/{codes['ordinary']}", headers=headers["viewer"]).json
    assert item["properties"]["overdue"] is True
    fixed_clock(T0 + dt.timedelta(days=8))
    assert overdue() == {codes["ordinary"], codes["complex"]}
    _drive(client, headers, codes["complex"], "closed")
    assert overdue() == {codes["ordinary"]}         # a closed dispute is never overdue
    # Regrading a dispute moves its due date: difficult -> ordinary makes it overdue at once.
    assert step(client, "center", headers, codes["difficult"], "grade", grade="ordinary").status_code == 200
    assert overdue() == {codes["ordinary"], codes["difficult"]}


def test_intake_assigns_village_and_grid(client, headers):
    on_border = intake(client, "center", headers, point=(114.51, 34.605)).json
    assert on_border["grid_code"] == "G-A"         # a shared border goes to the smallest grid code
    by_grid = intake(client, "center", headers, point=(None, None), grid="G-C").json
    assert (by_grid["grid_code"], by_grid["village"], by_grid["location_approx"]) == ("G-C", "410299101002", True)
    by_village = intake(client, "center", headers, point=(None, None), village="410299101002").json
    assert (by_village["grid_code"], by_village["location_approx"]) == ("G-C", True)


@pytest.mark.parametrize("fields, field, status", [
    ({"lon": 114.9, "lat": 34.605}, "lon, lat", 400),            # outside the area
    ({"lon": "east", "lat": 34.605}, "lon", 400),
    ({"lon": None, "lat": None}, "location", 400),
    ({"lon": None, "lat": None, "grid": "G-Z"}, "grid", 400),
    ({"grade": "urgent"}, "grade", 400),
    ({"category": "ufo"}, "category", 400),
    ({"summary": "   "}, "summary", 400),
    ({"summary": "长" * 2001}, "summary", 400),
    ({"parties": "名" * 501}, "parties", 400),
    ({"parties_phone": "call me"}, "parties_phone", 400),
    ({"lon": IN_B[0], "lat": IN_B[1]}, "location", 403),          # the grid worker's grids are G-A only
])
def test_bad_intake_is_refused_naming_the_field(client, headers, engine, fields, field, status):
    answer = intake(client, "gw_a", headers, **fields)
    assert answer.status_code == status, answer.json
    assert answer.json["field"] == field
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM dispute")).scalar() == 0


def test_bad_requests_and_roles(client, headers):
    assert intake(client, "viewer", headers).status_code == 403
    assert client.post("/api/disputes", data="not json", headers=headers["center"]).status_code == 400
    code = intake(client, "center", headers).json["code"]
    no_version = client.post(f"/api/disputes/{code}/status", json={"status": "routed", "assignee": "x"},
                             headers=headers["center"])
    assert no_version.status_code == 400 and no_version.json["field"] == "version"
    long_remark = step(client, "center", headers, code, status="routed", assignee="x", remark="字" * 2001)
    assert long_remark.status_code == 400 and long_remark.json["field"] == "remark"
    unchanged = client.get(f"/api/disputes/{code}", headers=headers["center"]).json
    assert (unchanged["status"], unchanged["version"], len(unchanged["history"])) == ("received", 1, 1)
    assert client.post("/api/disputes/NOPE/status", json={"version": 1}, headers=headers["center"]).status_code == 404
    assert client.get("/api/disputes?grade=urgent", headers=headers["center"]).status_code == 400
    assert client.get("/api/disputes?received_from=yesterday", headers=headers["center"]).status_code == 400
    assert client.get("/api/disputes/figures?by=planet", headers=headers["center"]).status_code == 400
    assert client.get("/api/disputes/figures?from=2026-03-01&to=2026-02-01", headers=headers["center"]).status_code == 400


def test_a_browser_session_needs_its_csrf_token(client, headers):
    from conftest import csrf_token, login
    login(client, "center", "password-123")
    body = {"lon": IN_A[0], "lat": IN_A[1], "category": "land", "summary": "地界", "grade": "ordinary"}
    assert client.post("/api/disputes", json=body).status_code == 400
    token = csrf_token(client, "/")
    assert client.post("/api/disputes", json=body, headers={"X-CSRFToken": token}).status_code == 201


def _audit_count(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM audit_log")).scalar()


@pytest.mark.parametrize("who, sees", [("center", True), ("gw_a", True), ("gw_b", False), ("planner", False),
                                       ("viewer", False)])
def test_parties_only_for_the_center_and_the_grids_own_worker(client, headers, engine, who, sees):
    code = intake(client, "center", headers).json["code"]
    h = headers[who]
    before = _audit_count(engine)
    answers = {
        "list": client.get("/api/disputes", headers=h).json["disputes"][0],
        "detail": client.get(f"/api/disputes/{code}", headers=h).json,
        "items": client.get("/api/collections/disputes/items", headers=h).json["features"][0]["properties"],
        "item": client.get(f"/api/collections/disputes/items/{code}", headers=h).json["properties"],
        "popup": client.get(f"/api/identify?lon={IN_A[0]}&lat={IN_A[1]}&zoom=16&layers=disputes",
                            headers=h).json["layers"][0]["features"][0],
    }
    for path, shown in answers.items():
        assert (shown.get("parties") == "张三、李四") is sees, path
        assert (shown.get("parties_phone") == "13800000000") is sees, path
    exported = client.get("/api/disputes?format=csv", headers=h).data.decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(exported)))
    assert (row.get("当事人 Parties") == "张三、李四") is sees and ("13800000000" in exported) is sees
    x, y = tile_of(*IN_A, 15)
    tile = decode(client.get(f"/tiles/disputes/15/{x}/{y}.pbf", headers=h))
    assert tile["disputes"]["features"] and all("parties" not in f["properties"] and "parties_phone"
                                                not in f["properties"] for f in tile["disputes"]["features"])
    # Every view of the parties is in the audit log (six here), and only those.
    assert _audit_count(engine) - before == (6 if sees else 0)
    if sees:
        with engine.connect() as conn:
            seen = set(conn.execute(text("SELECT login, fid FROM audit_log ORDER BY id OFFSET :n"), {"n": before}).all())
        assert seen == {(who.replace("_", "-"), code)}


def _dispute(conn, code, point, grade, category, received, due, closed=None):
    conn.execute(text(
        "INSERT INTO dispute (code, category, summary, grade, status, source, received_at, due_at, closed_at, geom) "
        "VALUES (:code, :category, 's', :grade, :status, 'police', :received, :due, :closed, "
        "ST_SetSRID(ST_MakePoint(:x, :y), 4326))"),
        {"code": code, "category": category, "grade": grade, "status": "closed" if closed else "handling",
         "received": received, "due": due, "closed": closed, "x": point[0], "y": point[1]})


def test_figures_match_hand_counts(client, headers, engine, fixed_clock):
    d = lambda day, hour=9: dt.datetime(2026, 3, day, hour, tzinfo=CST)  # noqa: E731
    with engine.begin() as conn:
        _dispute(conn, "F1", IN_A, "ordinary", "land", d(2), d(5), closed=d(4))       # closed in time
        _dispute(conn, "F2", IN_A, "complex", "land", d(3), d(10), closed=d(12))      # closed late, after the period
        _dispute(conn, "F3", IN_B, "ordinary", "labour", d(5), d(8))                 # open and overdue
        _dispute(conn, "F4", IN_C, "difficult", "petition", d(9), d(24))             # open, not yet due
        _dispute(conn, "F5", IN_C, "ordinary", "land", d(1, 7), d(4))                # before the period
        _dispute(conn, "F6", IN_C, "ordinary", "land", d(11, 0), d(14))              # 00:00 Beijing on the 11th: after
    fixed_clock(d(20))
    answer = client.get("/api/disputes/figures?by=village&from=2026-03-02&to=2026-03-11", headers=headers["viewer"])
    assert answer.status_code == 200
    rows = {r["code"]: r for r in answer.json["rows"]}
    first, second = rows["410299101001"], rows["410299101002"]
    # The period ends 2026-03-11 00:00: F2 was still open then (and past due on the 10th).
    assert (first["received"], first["closed"], first["open"], first["overdue"]) == (3, 1, 2, 2)
    assert first["resolution_rate"] == round(1 / 3, 4)
    assert first["by_grade"] == {"ordinary": 2, "complex": 1, "difficult": 0}
    assert first["by_category"] == {"labour": 1, "land": 2}
    assert (second["received"], second["closed"], second["overdue"], second["by_category"]) == (1, 0, 0, {"petition": 1})
    assert answer.json["total"]["received"] == 4 and answer.json["total"]["resolution_rate"] == 0.25
    # The list's dates are whole days in the configured time zone, as the figures' are.
    listed = client.get("/api/disputes?received_from=2026-03-02&received_to=2026-03-11", headers=headers["viewer"])
    assert {d["code"] for d in listed.json["disputes"]} == {"F1", "F2", "F3", "F4"}
    grids = {r["code"]: r["received"] for r in client.get(
        "/api/disputes/figures?by=grid&from=2026-03-01&to=2026-03-12", headers=headers["viewer"]).json["rows"]}
    assert grids == {"G-A": 2, "G-B": 1, "G-C": 3}
    sheet = client.get("/api/disputes/figures?by=village&from=2026-03-02&to=2026-03-11&format=xlsx",
                       headers=headers["viewer"])
    assert sheet.status_code == 200 and sheet.data[:2] == b"PK"
    import openpyxl
    book = openpyxl.load_workbook(io.BytesIO(sheet.data))
    values = list(book.active.values)
    header = values[0]
    assert values[1][header.index("受理 received")] == 3
    assert values[1][header.index("类别 category: 土地宅基地 land and housing sites")] == 2
    assert values[1][header.index("化解率 resolution rate (%)")] == pytest.approx(33.3)


def gi_star_classes(counts: dict[str, int], neighbours: dict[str, set[str]]) -> dict[str, str]:
    """Getis-Ord Gi* z-scores by the textbook formula (Getis & Ord 1995, binary weights, each grid
    its own neighbour), classed two-sided at 90, 95 and 99 %: the reference for the hotspots."""
    n = len(counts)
    mean = sum(counts.values()) / n
    s = math.sqrt(sum(x * x for x in counts.values()) / n - mean * mean)
    classes = {}
    for code, x in counts.items():
        near = neighbours[code] | {code}
        w = len(near)
        z = (sum(counts[c] for c in near) - mean * w) / (s * math.sqrt((n * w - w * w) / (n - 1)))
        level = next((lvl for bound, lvl in ((2.576, 99), (1.960, 95), (1.645, 90)) if abs(z) >= bound), None)
        classes[code] = f"{'hot' if z > 0 else 'cold'}_{level}" if level else "none"
    return classes


def test_exports_are_for_people_chinese_first(client, headers, fixed_clock):
    """The list and the figures as files: headers and values by their labels, times in the configured time zone
    (Asia/Shanghai: 8 hours ahead of T0's UTC), rates in percent; a list that matches nothing keeps its headers."""
    code = intake(client, "center", headers, grade="complex", source="police").json["code"]
    exported = client.get("/api/disputes?format=csv", headers=headers["center"]).data.decode("utf-8-sig")
    row = next(r for r in csv.DictReader(io.StringIO(exported)) if r["编号 Code"] == code)
    assert row["等级 Grade"] == "复杂 complex" and row["状态 Status"] == "受理 received"
    assert row["类别 Category"] == domain.DISPUTE_CATEGORIES["neighbours"] and row["超期 Overdue"] == "否 no"
    assert row["来源 Source"] == domain.DISPUTE_SOURCES["police"] and row["位置为估计 Location approximate"] == "否 no"
    local = T0.astimezone(ZoneInfo("Asia/Shanghai"))
    assert row["受理时间 Received"] == local.strftime("%Y-%m-%d %H:%M") and row["结单时间 Closed"] == ""
    assert (row["经度 Lon"], row["纬度 Lat"]) == (str(IN_A[0]), str(IN_A[1]))
    assert "version" not in exported and "received_at" not in exported
    empty = client.get("/api/disputes?format=csv&received_from=2040-01-01", headers=headers["center"])
    assert empty.data.decode("utf-8-sig").splitlines() == [exported.splitlines()[0]]
    figures = client.get("/api/disputes/figures?by=grid&format=csv", headers=headers["viewer"]).data.decode("utf-8-sig")
    grid = next(csv.DictReader(io.StringIO(figures)))
    assert (grid["编码 code"], grid["网格 grid"], grid["受理 received"], grid["化解率 resolution rate (%)"]) == \
        ("G-A", "G-A", "1", "0.0")
    assert grid["等级 grade: 复杂 complex"] == "1" and grid[f"类别 category: {domain.DISPUTE_CATEGORIES['neighbours']}"] == "1"


def test_hotspots_find_the_cluster(engine, client, headers):
    counts = {"G-A": 0, "G-B": 0, "G-C": 0}  # the area's grids, side by side: G-B | G-A | G-C
    neighbours = {"G-A": {"G-B", "G-C"}, "G-B": {"G-A"}, "G-C": {"G-A"}}
    with engine.begin() as conn:  # a 5 × 5 lattice of grids next to the area; disputes crowd its centre
        for i in range(5):
            for j in range(5):
                conn.execute(text(
                    "INSERT INTO grid (code, name, village_id, geom) SELECT :code, :code, id, "
                    "ST_Multi(ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)) FROM admin_area WHERE code = '410299101001'"),
                    # corners rounded alike on both sides of every edge, so that neighbours touch exactly
                    {"code": f"L{i}{j}", "x0": round(115 + i * 0.01, 2), "x1": round(115 + (i + 1) * 0.01, 2),
                     "y0": round(35 + j * 0.01, 2), "y1": round(35 + (j + 1) * 0.01, 2)})
                counts[f"L{i}{j}"] = 12 if max(abs(i - 2), abs(j - 2)) <= 1 else 1
                neighbours[f"L{i}{j}"] = {f"L{a}{b}" for a in range(i - 1, i + 2) for b in range(j - 1, j + 2)
                                          if 0 <= a < 5 and 0 <= b < 5 and (a, b) != (i, j)}  # queen
        received = dt.datetime(2026, 3, 2, tzinfo=CST)
        for code, n in counts.items():
            if code.startswith("L"):
                i, j = int(code[1]), int(code[2])
                for k in range(n):
                    _dispute(conn, f"H{i}{j}{k}", (115.005 + i * 0.01, 35.005 + j * 0.01), "ordinary", "land",
                             received, received)
    expected = gi_star_classes(counts, neighbours)
    # What the formula gives for this data (z by hand: L22 5.19, L12 2.68, L11 1.00, L00 -0.28,
    # G-A -1.53): the crowd's centre and the middles of its sides are hot at 99 %; its corners, the
    # sparse rim and the empty area far away are nothing special (28 grids are too few for a cold spot).
    hot = {"L22", "L12", "L21", "L23", "L32"}
    assert expected == {code: "hot_99" if code in hot else "none" for code in counts}
    answer = client.get("/api/disputes/hotspots?from=2026-03-01&to=2026-04-01", headers=headers["viewer"]).json
    found = {f["properties"]["code"]: f["properties"] for f in answer["features"]}
    assert {code: p["count"] for code, p in found.items()} == counts
    assert {code: p["class"] for code, p in found.items()} == expected
    significant = client.get("/api/disputes/hotspots?from=2026-03-01&to=2026-04-01&significant=true",
                             headers=headers["viewer"]).json["features"]
    assert {f["properties"]["code"] for f in significant} == {c for c, k in expected.items() if k != "none"}
    empty = client.get("/api/disputes/hotspots?from=2020-01-01&to=2020-02-01", headers=headers["viewer"]).json
    assert {f["properties"]["class"] for f in empty["features"]} == {"none"}


def test_too_few_disputes_make_no_hot_spot(client, headers, engine):
    """Two disputes in one grid of three: Gi* would call it hot; under hotspot_min_disputes (30) no grid is."""
    received = dt.datetime(2026, 3, 2, tzinfo=CST)
    with engine.begin() as conn:
        for k in range(2):
            _dispute(conn, f"FEW{k}", IN_A, "ordinary", "land", received, received)
    answer = client.get("/api/disputes/hotspots?from=2026-03-01&to=2026-04-01", headers=headers["viewer"]).json
    assert (answer["disputes"], answer["min_disputes"]) == (2, 30)
    assert {f["properties"]["code"]: (f["properties"]["count"], f["properties"]["class"])
            for f in answer["features"]} == {"G-A": (2, "none"), "G-B": (0, "none"), "G-C": (0, "none")}
    assert client.get("/api/disputes/hotspots?from=2026-03-01&to=2026-04-01&significant=true",
                      headers=headers["viewer"]).json["features"] == []


def test_open_disputes_in_coverage_gaps(client, headers):
    # No cameras, alarms or patrols: each grid is one gap, so every open dispute lies in one.
    open_code = intake(client, "center", headers).json["code"]
    closed_code = intake(client, "center", headers, point=IN_B).json["code"]
    _drive(client, headers, closed_code, "closed")
    listed = client.get("/api/disputes?in_gap=night", headers=headers["center"]).json["disputes"]
    assert [d["code"] for d in listed] == [open_code]
    assert client.get("/api/disputes?in_gap=noon", headers=headers["center"]).status_code == 400


def test_categories_come_from_configuration(engine, db_url, headers, tmp_path):
    app = create_app({"database_url": db_url, "secret_key": "t", "var_dir": str(tmp_path / "var"),
                      "dispute_categories": {"water": "用水纠纷 water", "other": "其他 other"}})
    client = app.test_client()
    assert set(client.get("/api/disputes/vocabulary", headers=headers["viewer"]).json["categories"]) == {"water", "other"}
    assert intake(client, "center", headers, category="water").status_code == 201
    assert intake(client, "center", headers, category="用水纠纷").status_code == 201  # the Chinese label is understood
    refused = intake(client, "center", headers, category="neighbours")
    assert refused.status_code == 400 and "water, other" in refused.json["message"]
