"""/api/patrol on the demo town: the network, proposals for a team, who may plan."""
import pytest

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
