"""/api/patrol on the demo town: the network, proposals and evaluations for a team, who may plan."""
import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

PROPOSE = {"team": "T01", "mode": "motorcycle", "budget_min": 45,
           "weights": {"gaps": 0, "hotspots": 0, "alarms": 0}}


def test_the_demo_network_is_built_and_routable(demo_client, tokens):
    answer = demo_client.get("/api/patrol/network", headers=tokens["planner"])
    assert answer.status_code == 200, answer.json
    figures = answer.json
    assert figures["built"] and not figures["stale"] and figures["routing"]
    assert figures["components"] == 1 and figures["largest_share"] == pytest.approx(1.0)
    assert figures["edges"] > 50


def test_a_leader_gets_routes_from_the_team_base(demo_client, tokens):
    answer = demo_client.post("/api/patrol/propose", json=PROPOSE, headers=tokens["team_leader"])
    assert answer.status_code == 200, answer.json
    assert answer.mimetype == "application/geo+json"
    (route,) = answer.json["features"]
    props = route["properties"]
    assert route["geometry"]["type"] == "LineString"
    assert route["geometry"]["coordinates"][0] == route["geometry"]["coordinates"][-1]
    assert 0 < props["duration_min"] <= 45 and props["value"] > 0
    assert {c["kind"] for s in props["stops"] for c in s["collects"]} == {"dispute"}


def test_default_weights_collect_gap_road_and_place_the_stops(demo_client, tokens):
    answer = demo_client.post("/api/patrol/propose", headers=tokens["center"], json={
        "team": "T01", "mode": "motorcycle", "budget_min": 90, "period": "night"})
    assert answer.status_code == 200, answer.json
    stops = [s for f in answer.json["features"] for s in f["properties"]["stops"]]
    assert "gap" in {c["kind"] for s in stops for c in s["collects"]}, "the stored gaps (made valid) count"
    assert all(114.3 < s["lon"] < 114.8 and 34.4 < s["lat"] < 34.8 for s in stops), "the stops lie in the town"


def test_several_routes_at_once(demo_client, tokens):
    answer = demo_client.post("/api/patrol/propose", json={**PROPOSE, "routes": 2}, headers=tokens["center"])
    assert answer.status_code == 200, answer.json
    routes = answer.json["features"]
    assert len(routes) == 2
    collected = [c["ref"] for r in routes for s in r["properties"]["stops"] for c in s["collects"]]
    assert len(collected) == len(set(collected)), "nothing is collected twice"


@pytest.mark.parametrize("change, status, field", [
    ({"team": "T99"}, 404, "team"),
    ({"mode": "horse"}, 400, "mode"),
    ({"budget_min": 0}, 400, "budget_min"),
    ({"budget_min": 1}, 422, "budget_min"),
    ({"start": {"lon": 114.0, "lat": 30.0}}, 422, "start"),
    ({"start": {"base": "NOPE"}}, 404, "start"),
    ({"start": {"lon": 114.5}}, 400, "start"),
])
def test_impossible_or_bad_requests_say_why(demo_client, tokens, change, status, field):
    answer = demo_client.post("/api/patrol/propose", json={**PROPOSE, **change}, headers=tokens["center"])
    assert answer.status_code == status, answer.json
    assert field in answer.json["message"] or answer.json.get("field") == field, answer.json


@pytest.mark.parametrize("role, status", [("planner", 403), ("grid_worker", 403), ("viewer", 403)])
def test_only_planners_of_patrols_propose(demo_client, tokens, role, status):
    assert demo_client.post("/api/patrol/propose", json=PROPOSE, headers=tokens[role]).status_code == status


def test_viewers_do_not_see_the_network(demo_client, tokens):
    assert demo_client.get("/api/patrol/network", headers=tokens["viewer"]).status_code == 403


def _first_route(client, headers) -> dict:
    return client.get("/api/collections/routes/items/R02", headers=headers).json


def test_evaluate_a_drawn_line_saves_nothing(demo_client, tokens):
    route = _first_route(demo_client, tokens["team_leader"])
    body = {"geometry": route["geometry"], "team": "T01", "mode": "foot", "time_windows": "20:00-23:30"}
    answer = demo_client.post("/api/patrol/evaluate", json=body, headers=tokens["team_leader"])
    assert answer.status_code == 200, answer.json
    found = answer.json
    assert found["length_m"] > 100 and found["mode"] == "foot"
    assert found["duration_min"] == pytest.approx(found["length_m"] / 75, abs=0.1)
    night = [g for g in found["grids"] if g["period"] == "night"]
    assert night and all(g["covered_share_after"] >= g["covered_share_before"] - 1e-9 for g in night)
    assert any(g["covered_share_after"] > g["covered_share_before"] for g in night), "a night walk adds night cover"
    day = [g for g in found["grids"] if g["period"] == "day"]
    assert all(g["covered_share_after"] == pytest.approx(g["covered_share_before"]) for g in day)
    # the shared demo guard (conftest) fails this test if anything was kept


def test_evaluate_an_existing_route_against_itself_switched_off(demo_client, tokens):
    answer = demo_client.post("/api/patrol/evaluate", json={"route": "R01"}, headers=tokens["center"])
    assert answer.status_code == 200, answer.json
    assert any(g["covered_share_after"] > g["covered_share_before"] for g in answer.json["grids"])


@pytest.mark.parametrize("body, status, field", [
    ({"team": "T01", "mode": "foot"}, 400, "geometry"),
    ({"geometry": {"type": "LineString", "coordinates": [[114.5, 34.6]]}, "team": "T01", "mode": "foot"}, 400,
     "geometry"),
    ({"geometry": {"type": "LineString", "coordinates": [[114.5, 34.6], [114.51, 34.6]]}, "mode": "foot"}, 400, "team"),
    ({"route": "NOPE"}, 404, "route"),
    ({"geometry": {"type": "LineString", "coordinates": [[14.5, 34.6], [14.51, 34.6]]}, "team": "T01",
      "mode": "foot"}, 400, "geometry"),
])
def test_evaluate_refuses_naming_the_field(demo_client, tokens, body, status, field):
    answer = demo_client.post("/api/patrol/evaluate", json=body, headers=tokens["center"])
    assert answer.status_code == status, answer.json
    assert answer.json["field"] == field or field in answer.json["message"], answer.json


def test_a_leader_evaluates_only_their_own_team(own_demo):
    with own_demo.connect() as conn:
        conn.execute(text("INSERT INTO patrol_team (code, name) VALUES ('T02', '邻镇巡防队')"))
    answer = own_demo.client.post("/api/patrol/evaluate", headers=own_demo.headers("team_leader"), json={
        "geometry": {"type": "LineString", "coordinates": [[114.5, 34.6], [114.51, 34.6]]}, "team": "T02",
        "mode": "foot"})
    assert answer.status_code == 403 and answer.json["field"] == "team"


def test_hot_spots_are_stops_with_a_dwell(demo_client, tokens):
    only_hotspots = {"disputes": {"ordinary": 0, "complex": 0, "difficult": 0}, "gaps": 0, "alarms": 0, "hotspots": 5}
    answer = demo_client.post("/api/patrol/propose", headers=tokens["center"], json={
        **PROPOSE, "budget_min": 90, "dwell_min": 15, "weights": only_hotspots})
    assert answer.status_code == 200, answer.json
    stops = [s for f in answer.json["features"] for s in f["properties"]["stops"]]
    assert stops and all(s["dwell_min"] == 15 for s in stops)
    assert {c["kind"] for s in stops for c in s["collects"]} == {"hotspot"}
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()  # hot spots of the last 90 days (configured)
    window = f"from={today - dt.timedelta(days=90)}&to={today + dt.timedelta(days=1)}"
    hot = demo_client.get(f"/api/disputes/hotspots?significant=true&{window}", headers=tokens["center"]).json["features"]
    hot_codes = {f["id"] for f in hot if f["properties"]["class"].startswith("hot")}
    assert {c["ref"] for s in stops for c in s["collects"]} <= hot_codes


def test_a_route_as_gpx_reads_back_with_gpxpy(demo_client, tokens):
    import gpxpy
    answer = demo_client.get("/api/patrol/routes/R02.gpx", headers=tokens["team_leader"])
    assert answer.status_code == 200 and answer.mimetype == "application/gpx+xml"
    gpx = gpxpy.parse(answer.get_data(as_text=True))
    route = _first_route(demo_client, tokens["team_leader"])
    points = gpx.tracks[0].segments[0].points
    got = [c for p in points for c in (p.longitude, p.latitude)]
    assert got == pytest.approx([c for xy in route["geometry"]["coordinates"] for c in xy], abs=1e-7)
    kinds = {w.type for w in gpx.waypoints}
    assert "base" in kinds and kinds <= {"base", "dispute", "alarm"}
    text_ = answer.get_data(as_text=True)
    assert "parties" not in text_ and "当事人" not in text_


def test_a_route_as_kml(demo_client, tokens):
    import pyogrio
    answer = demo_client.get("/api/patrol/routes/R02.kml", headers=tokens["planner"])
    assert answer.status_code == 200 and answer.mimetype == "application/vnd.google-earth.kml+xml"
    frame = pyogrio.read_dataframe(answer.get_data())
    assert frame.geometry.geom_type.iloc[0] == "LineString" and (frame.geometry.geom_type == "Point").sum() >= 1


def test_export_of_an_unknown_route_or_by_a_viewer(demo_client, tokens):
    assert demo_client.get("/api/patrol/routes/NOPE.gpx", headers=tokens["center"]).status_code == 404
    assert demo_client.get("/api/patrol/routes/R02.kml", headers=tokens["viewer"]).status_code == 403


def test_waypoints_are_joined_along_the_roads(demo_client, tokens):
    route = _first_route(demo_client, tokens["team_leader"])
    (a, b) = route["geometry"]["coordinates"][0], route["geometry"]["coordinates"][-1]
    answer = demo_client.post("/api/patrol/path", json={"mode": "car", "points": [a, b]},
                              headers=tokens["team_leader"])
    assert answer.status_code == 200, answer.json
    way = answer.json
    assert way["geometry"]["type"] == "LineString"
    assert way["properties"]["minutes"] == pytest.approx(way["properties"]["length_m"] / 500, abs=0.06)  # 30 km/h
    off = demo_client.post("/api/patrol/path", json={"mode": "car", "points": [a, [100.0, 30.0]]},
                           headers=tokens["team_leader"])
    assert off.status_code == 422 and off.json["field"] == "points[1]"


def test_the_printable_route_sheet(demo_client):
    from conftest import login
    login(demo_client, "leader", "leader-demo")
    page = demo_client.get("/patrol/routes/R02/sheet")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "巡逻路线单" in html and "<polyline" in html and "R02" in html
    assert re.search(r"星期 Weekdays: (每天 every day|[一二三四五六日] \w{3}(、[一二三四五六日] \w{3})*)</p>", html), \
        "weekdays by their labels, not numbers"
    assert html.count("<circle") >= 1 and "巡防基地 base: 驻地 team station" in html
    # R02 passes 2.6 km from the team's base: the base is where the route passes nearest, saying how far
    assert re.search(r"巡防基地 base: 驻地 team station，距线路 2\.\d km off the route", html)
    minutes = [int(m) for m in re.findall(r'<tr><td class="num">\d+</td><td class="num">(\d+)</td>', html)]
    assert minutes and minutes == sorted(minutes), "in the order the route passes them"
    assert demo_client.get("/patrol/routes/NOPE/sheet").status_code == 404
    login(demo_client, "viewer", "viewer-demo")
    assert demo_client.get("/patrol/routes/R02/sheet").status_code == 403


def test_alarm_reach_by_road_per_shift(demo_client, tokens):
    day = demo_client.get("/api/patrol/alarm-reach?period=day", headers=tokens["team_leader"])
    night = demo_client.get("/api/patrol/alarm-reach?period=night", headers=tokens["team_leader"])
    assert day.status_code == 200 and night.status_code == 200, day.json
    assert len(day.json["alarms"]) == 27, "the demo's online alarms"   # 30, less two offline and one faulty
    by_day = {a["code"]: a["patrol_min"] for a in day.json["alarms"]}
    by_night = {a["code"]: a["patrol_min"] for a in night.json["alarms"]}
    assert all(a["in_reach"] == (a["patrol_min"] is not None and a["patrol_min"] <= 10) for a in day.json["alarms"])
    assert any(by_night[c] is None or by_night[c] > by_day[c] for c in by_day), "fewer routes ride at night"
    assert all(a["base_min"] is not None for a in day.json["alarms"]), "the town is one network"
    assert demo_client.get("/api/patrol/alarm-reach?period=dusk", headers=tokens["center"]).status_code == 400


def test_evaluating_a_saved_route_redrawn_keeps_its_shift(demo_client, tokens):
    """A new line for a saved route keeps the route's time windows: redrawn the same, nothing changes."""
    route = demo_client.get("/api/collections/routes/items/R01", headers=tokens["center"]).json
    assert route["properties"]["shift"] == "night", "R01 rides by night only"
    answer = demo_client.post("/api/patrol/evaluate", json={"route": "R01", "geometry": route["geometry"]},
                              headers=tokens["center"])
    assert answer.status_code == 200, answer.json
    for row in answer.json["grids"]:
        assert row["covered_share_after"] == pytest.approx(row["covered_share_before"], abs=1e-6), row
