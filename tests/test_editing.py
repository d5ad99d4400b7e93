"""Creating, replacing and deleting features through the API, for the roles allowed."""
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from conftest import csrf_token, login
from gisapp import accounts

AREAS = """INSERT INTO admin_area (code, name, level, geom) VALUES
  ('410299101001', '东庄村', 'village', ST_Multi(ST_MakeEnvelope(114.40, 34.50, 114.50, 34.60, 4326)))"""


def camera(code="C1", **props):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [114.45, 34.55]},
            "properties": {"code": code, "name": "东庄村路口", "kind": "bullet", "azimuth": 90, "range_m": 80,
                           "status": "online", **props}}


@pytest.fixture
def headers(engine, client):
    with engine.begin() as conn:
        conn.execute(text(AREAS))
        conn.execute(text("INSERT INTO patrol_team (code, name) VALUES ('T01', '一队'), ('T02', '二队')"))
    with Session(engine) as session:
        for login_name, role, team in (("chief", "center", None), ("plan", "planner", None),
                                       ("vera", "viewer", None), ("lead", "team_leader", "T01")):
            accounts.create_user(session, login_name, "password-1", role, team)
        session.commit()
    out = {}
    for login_name in ("chief", "plan", "vera", "lead"):
        token = client.post("/api/auth/token", json={"login": login_name, "password": "password-1"}).json["token"]
        out[login_name] = {"Authorization": f"Bearer {token}"}
    return out


def test_create_read_replace_delete(client, headers, engine):
    created = client.post("/api/collections/cameras/items", json=camera(), headers=headers["plan"])
    assert created.status_code == 201, created.json
    assert created.headers["Location"].endswith("/api/collections/cameras/items/C1")
    assert created.json["properties"]["fov_deg"] == 60
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO alarm_point (code, enterprise, status, geom) VALUES "
                          "('A1', '厂', 'online', ST_SetSRID(ST_MakePoint(114.45, 34.55), 4326))"))
        conn.execute(text("INSERT INTO alarm_camera SELECT a.id, c.id FROM alarm_point a, camera c"))
    replaced = client.put("/api/collections/cameras/items/C1", json=camera(status="offline", azimuth=180),
                          headers=headers["chief"])
    assert replaced.status_code == 200 and replaced.json["properties"]["status"] == "offline"
    assert client.get("/api/collections/cameras/items/C1", headers=headers["vera"]).json["properties"]["azimuth"] == 180
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM alarm_camera")) == 1  # the alarm's link survives
    assert client.delete("/api/collections/cameras/items/C1", headers=headers["chief"]).status_code == 204
    assert client.get("/api/collections/cameras/items/C1", headers=headers["vera"]).status_code == 404
    assert client.delete("/api/collections/cameras/items/C1", headers=headers["chief"]).status_code == 404


@pytest.mark.parametrize("change, field, words", [
    ({"kind": "laser"}, "kind", "unknown value"),
    ({"range_m": -3}, "range_m", "at least"),
    ({"azimuth": None}, "azimuth", "required for a fixed bullet"),
    ({"name": ""}, "name", "is required"),
    ({"name": "x" * 201}, "name", "longer than 200"),
])
def test_bad_features_are_400_naming_the_field(client, headers, engine, change, field, words):
    response = client.post("/api/collections/cameras/items", json=camera(**change), headers=headers["chief"])
    assert response.status_code == 400
    problems = {p["field"]: p["problem"] for p in response.json["problems"]}
    assert words in problems[field]
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM camera")) == 0


def test_bad_bodies_and_geometries(client, headers):
    post = lambda body: client.post("/api/collections/cameras/items", json=body, headers=headers["chief"])  # noqa: E731
    assert post({"type": "FeatureCollection"}).json["problems"][0]["field"] == "type"
    outside = camera()
    outside["geometry"]["coordinates"] = [2.35, 48.85]
    assert "outside China" in post(outside).json["problems"][0]["problem"]
    wrong = camera()
    wrong["geometry"] = {"type": "LineString", "coordinates": [[114.4, 34.5], [114.5, 34.6]]}
    assert "must be a point" in post(wrong).json["problems"][0]["problem"]
    assert client.post("/api/collections/cameras/items", data="{", headers={**headers["chief"],
                       "Content-Type": "application/json"}).status_code == 400


def test_duplicate_code_is_409_and_url_code_wins(client, headers):
    assert client.post("/api/collections/cameras/items", json=camera(), headers=headers["chief"]).status_code == 201
    again = client.post("/api/collections/cameras/items", json=camera(), headers=headers["chief"])
    assert again.status_code == 409 and again.json["problems"][0]["field"] == "code"
    mismatch = client.put("/api/collections/cameras/items/C1", json=camera(code="C2"), headers=headers["chief"])
    assert mismatch.status_code == 400 and "the id in the URL" in mismatch.json["message"]
    assert client.put("/api/collections/cameras/items/NOPE", json=camera(code="NOPE"),
                      headers=headers["chief"]).status_code == 404


def test_who_may_edit(client, headers):
    assert client.post("/api/collections/cameras/items", json=camera(), headers=headers["vera"]).status_code == 403
    assert client.post("/api/collections/roads/items", json=camera(), headers=headers["chief"]).status_code == 405
    route = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[114.41, 34.51], [114.49, 34.59]]},
             "properties": {"code": "R1", "name": "夜巡", "team_code": "T01", "mode": "foot",
                            "time_windows": "20:00-02:00"}}
    assert client.post("/api/collections/routes/items", json=route, headers=headers["lead"]).status_code == 201
    other = dict(route, properties={**route["properties"], "code": "R2", "team_code": "T02"})
    refused = client.post("/api/collections/routes/items", json=other, headers=headers["lead"])
    assert refused.status_code == 403 and "own team" in refused.json["message"]
    assert client.post("/api/collections/routes/items", json=other, headers=headers["chief"]).status_code == 201
    assert client.delete("/api/collections/routes/items/R2", headers=headers["lead"]).status_code == 403
    got = client.get("/api/collections/routes/items/R1", headers=headers["lead"]).json["properties"]
    assert got["shift"] == "night" and got["time_windows"] == "20:00-02:00"


def test_browser_session_needs_csrf_token(client, headers):
    login(client, "chief", "password-1")
    refused = client.post("/api/collections/cameras/items", json=camera())
    assert refused.status_code == 400 and "CSRF" in refused.json["message"] and refused.json["field"] == "X-CSRFToken"
    junk = client.post("/api/collections/cameras/items", json=camera(), headers={"Authorization": "Bearer junk"})
    assert junk.status_code == 400 and junk.json["field"] == "X-CSRFToken", "a junk token does not lift the check"
    token = csrf_token(client, "/")
    accepted = client.post("/api/collections/cameras/items", json=camera(), headers={"X-CSRFToken": token})
    assert accepted.status_code == 201
