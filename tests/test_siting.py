"""Camera siting on a constructed village whose optimum is known.

Scenario (UTM 50N metres from an origin near 114.52E 34.62N), one road from (0, 0) to (400, 0):
    sites S1 (0, 0) and S2 (200, 0) take any camera, S3 (400, 0) a bullet only;
    disputes D1 (30, 10) difficult (3), D2 (380, 20) complex (2), D3 (200, 50) and D4 (200, -50) ordinary (1 each),
    D5 (400, 55) ordinary, due north of S3;
    an online dome at (395, 0) with a 40 m range already watches D2.
Cameras reach 60 m. Best single camera: at S1 (3). Best two: S1 and a dome at S2 (3 + 2).
"""
import math

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import text

from gisapp.coverage import recompute
from gisapp.siting.propose import Request, SitingError, propose

UTM = "EPSG:32650"
TO_LONLAT = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
X0, Y0 = Transformer.from_crs("EPSG:4326", UTM, always_xy=True).transform(114.52, 34.62)
ONLY_DISPUTES = {"gaps": 0, "hotspots": 0, "alarms": 0, "key_places": 0}


def lonlat(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(TO_LONLAT.transform(xy[:, 0] + X0, xy[:, 1] + Y0)))


AREA = lonlat(shapely.box(-200, -200, 600, 600)).wkt


@pytest.fixture
def village(engine):
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO road (road_class, geom) VALUES ('residential', ST_GeomFromText(:w, 4326))"),
                     {"w": lonlat(shapely.LineString([(0, 0), (400, 0)])).wkt})
        for code, x, y, mounts in (("S1", 0, 0, "any"), ("S2", 200, 0, "any"), ("S3", 400, 0, "bullet")):
            conn.execute(text("INSERT INTO camera_site (code, mounts, cost, geom) VALUES (:c, :m, 5000, "
                              "ST_GeomFromText(:w, 4326))"), {"c": code, "m": mounts, "w": lonlat(shapely.Point(x, y)).wkt})
        for code, x, y, grade in (("D1", 30, 10, "difficult"), ("D2", 380, 20, "complex"), ("D3", 200, 50, "ordinary"),
                                  ("D4", 200, -50, "ordinary"), ("D5", 400, 55, "ordinary")):
            conn.execute(text("INSERT INTO dispute (code, category, summary, grade, status, source, received_at, due_at, "
                              "geom) VALUES (:c, 'land', '争议', :g, 'handling', 'police', now(), now(), "
                              "ST_GeomFromText(:w, 4326))"), {"c": code, "g": grade, "w": lonlat(shapely.Point(x, y)).wkt})
        conn.execute(text("INSERT INTO camera (code, name, kind, fov_deg, range_m, status, geom) VALUES "
                          "('C-OLD', '旧球机', 'dome', 360, 40, 'online', ST_GeomFromText(:w, 4326))"),
                     {"w": lonlat(shapely.Point(395, 0)).wkt})
    return engine


def run(engine, settings, **kw):
    with engine.begin() as conn:
        return propose(conn, settings, Request(AREA, range_m=60, weights=ONLY_DISPUTES, **kw))


@pytest.mark.parametrize("method", ["fast", "exact"])
def test_both_methods_find_the_known_optimum(village, settings, method):
    one = run(village, settings, count=1, method=method)
    assert [f["properties"]["site"] for f in one["features"]] == ["S1"]
    two = run(village, settings, count=2, method=method)
    assert {f["properties"]["site"] for f in two["features"]} == {"S1", "S2"}
    s2 = next(f["properties"] for f in two["features"] if f["properties"]["site"] == "S2")
    assert s2["kind"] == "dome", "only a dome at S2 sees both D3 and D4"
    assert two["marginal"] == [3.0, 2.0]
    assert two["totals"]["after"]["dispute"] == 3 + 2 + 2, "D1, D3, D4, and D2 already watched"
    if method == "exact":
        assert two["proven"] is True


def test_cameras_already_online_are_kept_and_not_counted_twice(village, settings):
    found = run(village, settings, count=3)
    assert found["totals"]["before"]["dispute"] == 2, "the old dome watches D2"
    assert all(f["properties"]["site"] != "C-OLD" for f in found["features"])
    assert sum(found["marginal"]) + found["totals"]["before"]["dispute"] == found["totals"]["after"]["dispute"]
    assert found["totals"]["demand"]["dispute"] == 3 + 2 + 1 + 1 + 1


def test_a_bullet_faces_where_it_is_worth_most(village, settings):
    found = run(village, settings, count=3)
    s3 = next(f["properties"] for f in found["features"] if f["properties"]["site"] == "S3")
    assert s3["kind"] == "bullet" and s3["azimuth"] == 0, "D5 is due north of S3"


def test_the_budget_holds_by_count_and_by_cost(village, settings):
    assert len(run(village, settings, count=2)["features"]) == 2
    by_cost = run(village, settings, cost=10000.0)
    assert len(by_cost["features"]) == 2 and by_cost["totals"]["cost"] <= 10000


def test_a_proposal_short_of_what_was_asked_says_why(village, settings):
    assert run(village, settings, count=2)["shortfall"] is None
    # the budget: nothing under the cheapest camera (every site costs 5,000), or spent down to less than one more
    assert run(village, settings, cost=100.0)["shortfall"] == {"reason": "budget", "cheapest": 5000.0}
    assert run(village, settings, cost=12000.0)["shortfall"] == {"reason": "budget", "cheapest": 5000.0}
    # three sites, a camera each: a count of ten leaves nothing more to add
    many = run(village, settings, count=10)
    assert len(many["features"]) <= 3 and many["shortfall"] == {"reason": "nothing_more", "cheapest": None}
    # set covering with no key place left uncovered: nothing to add
    none = run(village, settings, problem="lscp")
    assert none["features"] == [] and none["shortfall"] == {"reason": "all_covered", "cheapest": None}


def test_set_covering_names_what_no_site_reaches(village, settings):
    with village.begin() as conn:
        for code, x, y in (("K-SCHOOL", 10, 20), ("K-MARKET", 210, 40), ("K-FAR", 200, 400)):
            conn.execute(text("INSERT INTO key_place (code, name, kind, must_cover, geom) VALUES "
                              "(:c, :c, 'school', true, ST_GeomFromText(:w, 4326))"),
                         {"c": code, "w": lonlat(shapely.Point(x, y)).wkt})
    found = run(village, settings, problem="lscp")
    assert {f["properties"]["site"] for f in found["features"]} == {"S1", "S2"}
    assert found["unreachable"] == ["K-FAR"]


def test_an_area_without_sites_is_refused(village, settings):
    with village.begin() as conn, pytest.raises(SitingError) as refused:
        propose(conn, settings, Request(lonlat(shapely.box(2000, 2000, 2100, 2100)).wkt, count=1, range_m=60))
    assert refused.value.field == "area"


def test_generated_sites_follow_the_roads(village, settings):
    found = run(village, settings, count=2, generated=True)
    assert found["totals"]["candidates"] > 3
    assert found["totals"]["after"]["dispute"] >= 7 - 1e-9


# --- over the API -------------------------------------------------------------------------------

@pytest.fixture
def planner(village, client, engine, settings):
    from sqlalchemy.orm import Session

    from gisapp import accounts
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO admin_area (code, name, level, geom) VALUES "
                          "('410299101001', '东庄村', 'village', ST_Multi(ST_GeomFromText(:w, 4326)))"), {"w": AREA})
        conn.execute(text("INSERT INTO grid (code, name, village_id, geom) SELECT 'G1', '一网格', id, "
                          "ST_Multi(ST_GeomFromText(:w, 4326)) FROM admin_area"), {"w": AREA})
        conn.execute(text("INSERT INTO patrol_team (code, name) VALUES ('T01', '一队')"))
    recompute(engine, settings)
    with Session(engine) as session:
        for login_name, role in (("plan", "planner"), ("lead", "team_leader"), ("vera", "viewer")):
            accounts.create_user(session, login_name, "password-1", role, "T01" if role == "team_leader" else None)
        session.commit()
    return {name: {"Authorization": "Bearer " + client.post("/api/auth/token", json={
        "login": name, "password": "password-1"}).json["token"]} for name in ("plan", "lead", "vera")}


BODY = {"area": {"villages": ["410299101001"]}, "count": 2, "range_m": 60, "weights": ONLY_DISPUTES}


def test_propose_save_and_see_the_what_if(planner, client, engine):
    proposed = client.post("/api/siting/propose", json=BODY, headers=planner["plan"])
    assert proposed.status_code == 200, proposed.json
    assert {f["properties"]["site"] for f in proposed.json["features"]} == {"S1", "S2"}
    saved = client.post("/api/siting/plans", headers=planner["plan"], json={
        "code": "P1", "name": "东庄一期", "features": proposed.json["features"], "request": BODY})
    assert saved.status_code == 201, saved.json
    assert [c["status"] for c in saved.json["cameras"]] == ["planned", "planned"]
    day = next(g for g in saved.json["grids"] if g["period"] == "day")
    assert day["cameras_after"] == day["cameras_before"] + 2
    assert day["covered_share_after"] > day["covered_share_before"]
    with engine.connect() as conn:
        real = conn.execute(text("SELECT cameras_online FROM grid_coverage WHERE period = 'day'")).scalar()
    assert real == day["cameras_before"], "the real coverage is untouched"
    again = client.post("/api/siting/plans", headers=planner["plan"], json={
        "code": "P1", "name": "重复", "features": proposed.json["features"]})
    assert again.status_code == 409 and again.json["field"] == "code"


def test_the_what_if_equals_the_coverage_after_commissioning(planner, client, engine):
    proposed = client.post("/api/siting/propose", json=BODY, headers=planner["plan"]).json
    saved = client.post("/api/siting/plans", headers=planner["plan"],
                        json={"code": "P2", "name": "二期", "features": proposed["features"]}).json
    what_if = {(g["grid"], g["period"]): g for g in saved["grids"]}
    for camera in saved["cameras"]:
        feature = client.get(f"/api/collections/cameras/items/{camera['code']}", headers=planner["plan"]).json
        feature["properties"]["status"] = "online"
        assert client.put(f"/api/collections/cameras/items/{camera['code']}", json=feature,
                          headers=planner["plan"]).status_code == 200
    with engine.connect() as conn:
        real = {(code, period): (share, gap) for code, period, share, gap in conn.execute(text(
            "SELECT g.code, gc.period, gc.covered_share, gc.gap_m2 FROM grid_coverage gc JOIN grid g ON g.id = gc.grid_id"))}
    for key, g in what_if.items():  # the editing API keeps coordinates to 1e-6 degrees: centimetres apart
        assert real[key][0] == pytest.approx(g["covered_share_after"], abs=1e-6)
        assert real[key][1] == pytest.approx(g["gap_m2_after"], abs=0.5)


def test_plans_export_and_delete(planner, client):
    import io

    import openpyxl
    proposed = client.post("/api/siting/propose", json=BODY, headers=planner["plan"]).json
    kept, moved = proposed["features"]
    moved = dict(moved, geometry={"type": "Point", "coordinates": [moved["geometry"]["coordinates"][0] + 0.0005,
                                                                   moved["geometry"]["coordinates"][1]]})
    client.post("/api/siting/plans", headers=planner["plan"], json={"code": "P3", "name": "三期",
                                                                   "features": [kept, moved], "request": BODY})
    sheet = client.get("/api/siting/plans/P3.xlsx", headers=planner["lead"])
    assert sheet.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.data)).active.values)
    assert rows[0][0] == "编号 Code" and "设备编码 GB/T 28181 device ID" in rows[0] and len(rows) == 3
    # the candidate site a camera stands on; none for the one moved off its site (its name still says where from)
    site, name = rows[0].index("候选点位 Candidate site"), rows[0].index("名称 Name")
    assert sorted((r[site] or "", r[name]) for r in rows[1:]) == sorted(
        [(kept["properties"]["site"], kept["properties"]["site"]), ("", moved["properties"]["site"])])
    assert "网格编码 Grid code" in rows[0] and "网格 Grid" in rows[0]
    geojson = client.get("/api/siting/plans/P3.geojson", headers=planner["lead"]).json
    assert len(geojson["features"]) == 2
    assert client.get("/api/siting/compare?plans=P3", headers=planner["lead"]).json["plans"][0]["cameras"] == 2
    assert client.delete("/api/siting/plans/P3", headers=planner["lead"]).status_code == 403
    assert client.delete("/api/siting/plans/P3", headers=planner["plan"]).status_code == 204
    assert client.get("/api/siting/plans/P3", headers=planner["plan"]).status_code == 404


@pytest.mark.parametrize("change, status, field", [
    ({"area": {"villages": ["999"]}}, 404, "area.villages"),
    ({"area": {"polygon": {"type": "Polygon", "coordinates": [[[0, 0]]]}}}, 400, "area.polygon"),
    ({"area": {}}, 400, "area"),
    ({"count": 0}, 400, "count"),
    ({"purpose": "admire"}, 400, "purpose"),
    ({"purpose": "detect", "range_m": 60}, 400, "range_m"),
    ({"area": {"polygon": {"type": "Polygon", "coordinates": [[[120, 40], [120.01, 40], [120.01, 40.01],
                                                              [120, 40]]]}}}, 422, "area"),
])
def test_bad_requests_name_the_field(planner, client, change, status, field):
    answer = client.post("/api/siting/propose", json={**BODY, **change}, headers=planner["plan"])
    assert answer.status_code == status, answer.json
    assert answer.json["field"] == field or field in answer.json["message"], answer.json


def test_roles(planner, client):
    assert client.post("/api/siting/propose", json=BODY, headers=planner["lead"]).status_code == 403
    assert client.get("/api/siting/plans", headers=planner["lead"]).status_code == 200
    assert client.get("/api/siting/plans", headers=planner["vera"]).status_code == 403


def feature_at(x, y, kind, azimuth=None, fov=60.0, range_m=60.0):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": list(lonlat(shapely.Point(x, y)).coords[0])},
            "properties": {"kind": kind, "azimuth": azimuth, "fov_deg": 360.0 if kind == "dome" else fov,
                           "range_m": range_m, "cost": 5000.0}}


def test_given_cameras_are_valued_as_a_proposal_values_them(planner, client):
    proposed = client.post("/api/siting/propose", json=BODY, headers=planner["plan"]).json
    body = {"area": BODY["area"], "features": proposed["features"], "weights": ONLY_DISPUTES}
    same = client.post("/api/siting/value", json=body, headers=planner["plan"])
    assert same.status_code == 200, same.json
    assert [f["value"] for f in same.json["features"]] == [f["properties"]["value"] for f in proposed["features"]]
    assert same.json["marginal"] == proposed["marginal"]
    for key in ("demand", "before", "after"):
        assert same.json["totals"][key] == proposed["totals"][key]
    assert same.json["totals"]["cost"] == proposed["totals"]["cost"]
    assert same.json["features"][0]["view"]["type"] == "Polygon"

    # moved far from every dispute, the dome at S2 adds nothing, and the totals follow
    moved = [dict(f, geometry=feature_at(200, 300, "dome")["geometry"]) if f["properties"]["site"] == "S2" else f
             for f in proposed["features"]]
    answer = client.post("/api/siting/value", json={**body, "features": moved}, headers=planner["plan"]).json
    by_site = {f["properties"]["site"]: v["value"] for f, v in zip(moved, answer["features"])}
    assert by_site == {"S1": 3.0, "S2": 0.0}
    assert answer["totals"]["after"]["dispute"] == 3 + 2, "D1, and D2 already watched"

    # a bullet at S3 sees D5 facing north, nothing facing south
    def bullet(azimuth):
        return client.post("/api/siting/value", headers=planner["plan"], json={
            **body, "features": [feature_at(400, 0, "bullet", azimuth)]}).json["features"][0]["value"]
    assert (bullet(0), bullet(180)) == (1.0, 0.0)


def test_valuing_cameras_refuses_what_it_cannot_value(planner, client):
    good = {"area": BODY["area"], "features": [feature_at(0, 0, "dome")]}
    assert client.post("/api/siting/value", json=good, headers=planner["lead"]).status_code == 403
    off = {**good, "features": [dict(good["features"][0], geometry={"type": "Point", "coordinates": [200, 95]})]}
    answer = client.post("/api/siting/value", json=off, headers=planner["plan"])
    assert answer.status_code == 400 and answer.json["field"] == "features.0.geometry.coordinates", answer.json
    facing = {**good, "features": [feature_at(0, 0, "bullet")]}
    answer = client.post("/api/siting/value", json=facing, headers=planner["plan"])
    assert answer.status_code == 400 and "azimuth" in answer.json["field"], answer.json
    answer = client.post("/api/siting/value", json={**good, "area": {"villages": ["999"]}}, headers=planner["plan"])
    assert answer.status_code == 404 and answer.json["field"] == "area.villages"


def test_a_plans_what_if_for_the_map(planner, client):
    proposed = client.post("/api/siting/propose", json=BODY, headers=planner["plan"]).json
    saved = client.post("/api/siting/plans", headers=planner["plan"],
                        json={"code": "P4", "name": "四期", "features": proposed["features"]}).json
    answer = client.get("/api/siting/plans/P4/grids", headers=planner["lead"])
    assert answer.status_code == 200 and answer.mimetype == "application/geo+json"
    (grid,) = answer.json["features"]
    assert grid["id"] == "G1" and grid["geometry"]["type"] == "MultiPolygon"
    p = grid["properties"]
    day = next(g for g in saved["grids"] if g["period"] == "day")
    assert (p["village"], p["name"]) == ("东庄村", "一网格")
    assert p["covered_share_after_day"] == day["covered_share_after"] > p["covered_share_before_day"]
    assert p["cameras_after_night"] == p["cameras_before_night"] + 2
    assert p["flags_cleared_day"] == ",".join(day["flags_cleared"])
    assert client.get("/api/siting/plans/P4/grids", headers=planner["vera"]).status_code == 403
    assert client.get("/api/siting/plans/NONE/grids", headers=planner["lead"]).status_code == 404


def test_a_plan_coded_with_a_dot_is_shown_not_taken_for_an_export(planner, client):
    proposed = client.post("/api/siting/propose", json=BODY, headers=planner["plan"]).json
    assert client.post("/api/siting/plans", headers=planner["plan"], json={
        "code": "2025.1", "name": "一期", "features": proposed["features"]}).status_code == 201
    shown = client.get("/api/siting/plans/2025.1", headers=planner["lead"])
    assert shown.status_code == 200 and shown.json["code"] == "2025.1", shown.json
    assert client.get("/api/siting/plans/2025.1.geojson", headers=planner["lead"]).json["name"] == "2025.1"
    assert client.get("/api/siting/plans/2025.1/grids", headers=planner["lead"]).status_code == 200
    assert client.get("/api/siting/plans/2025.csv", headers=planner["lead"]).json["field"] == "format"
    assert client.delete("/api/siting/plans/2025.1", headers=planner["plan"]).status_code == 204


def test_the_demo_town_is_ready_for_siting(demo_client, tokens):
    village = {"villages": ["410299101001"]}
    answer = demo_client.post("/api/siting/propose", json={"area": village, "count": 5}, headers=tokens["planner"])
    assert answer.status_code == 200, answer.json
    assert len(answer.json["features"]) == 5 and answer.json["totals"]["candidates"] > 100
    assert answer.json["marginal"] == sorted(answer.json["marginal"], reverse=True) and answer.json["marginal"][-1] > 0
    assert answer.json["totals"]["demand"]["key_place"] > 0
    cover = demo_client.post("/api/siting/propose", json={"area": village, "problem": "lscp"}, headers=tokens["planner"])
    assert cover.status_code == 200, cover.json
    assert cover.json["unreachable"] == [], "the village's school can be watched from some site"


def test_a_plans_cameras_are_points_on_the_earth_and_a_height_is_ignored(planner, client):
    high = feature_at(0, 0, "dome")
    high["geometry"]["coordinates"].append(12.5)
    saved = client.post("/api/siting/plans", headers=planner["plan"], json={"code": "P5", "name": "高", "features": [high]})
    assert saved.status_code == 201, saved.json  # a height was a 500 (the column is 2D), found by schemathesis
    assert [saved.json["cameras"][0]["lon"], saved.json["cameras"][0]["lat"]] == pytest.approx(
        high["geometry"]["coordinates"][:2], abs=1e-9)
    valued = client.post("/api/siting/value", headers=planner["plan"], json={"area": BODY["area"], "features": [high],
                                                                           "weights": ONLY_DISPUTES})
    assert valued.status_code == 200 and valued.json["features"][0]["value"] == 3.0, valued.json
    off = dict(high, geometry={"type": "Point", "coordinates": [3.9e14, 5e16]})
    refused = client.post("/api/siting/plans", headers=planner["plan"], json={"code": "P6", "name": "远", "features": [off]})
    assert refused.status_code == 400 and refused.json["field"] == "features.0.geometry.coordinates", refused.json


# --- the coverage matrix and the optimiser at scale -----------------------------------------------

EDGE_PAIRS_SQL = """
SELECT o.j, d.i FROM siting_option o JOIN siting_demand d ON d.geom && o.view AND ST_Covers(o.view, d.geom)
WHERE NOT d.locked
"""


@pytest.mark.parametrize("fov, directions", [(60.0, 8), (90.0, 6), (360.0, 4)])
def test_the_pairs_are_those_the_views_cover(engine, settings, fov, directions):
    """The pairs found from each site by distance and bearing, with the view deciding those near its edge, are
    exactly the pairs ST_Covers(camera_view(...), point) gives: on points placed on and about every edge of
    the views (a sector's sides and chords, a disc's chords, the apex), near a UTM zone's edge and in its middle."""
    from gisapp.siting import instance as build
    from gisapp.siting.propose import weights_of

    settings["siting"].update(directions=directions, fov_deg={"bullet": fov, "dome": 60.0})
    rng = np.random.default_rng(7)
    r = 60.0
    step = fov / max(4, math.ceil(fov / 5))
    sites, points = [], []
    for n, (lon, lat) in enumerate([(114.52, 34.62), (113.9995, 34.7), (117.0, 34.7)]):
        to_m = Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
        x0, y0 = to_m.transform(lon, lat)
        back = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
        sites.append((f"S{n}", lon, lat))
        points.append((lon, lat))                                      # at the camera itself
        distances = r * np.array([1e-8, 0.5, 0.997, 0.9985, 0.99880, 0.99905, 0.9991, 0.9995, 0.9999, 1.0,
                                  1.0001, 1.0004, 1.0005, 1.001, 1.002])
        edges = np.concatenate([[a + s * fov / 2 + e for s in (-1, 1) for e in (-0.05, -1e-3, 0.0, 1e-3, 0.05)]
                                for a in np.arange(directions) * 360.0 / directions]) if fov < 360 else []
        chords = np.concatenate([np.arange(directions) * 360.0 / directions - fov / 2 + step * (i + 0.5)
                                 for i in range(round(fov / step))]) if fov < 360 else []
        bearings = np.concatenate([edges, chords, rng.uniform(0, 360, 40), np.arange(64) * 360 / 64 + 360 / 128])
        for b in bearings:
            for d in distances:                                        # UTM metres: within 0.05 % of true ones
                xy = back.transform(x0 + d * math.sin(math.radians(b)), y0 + d * math.cos(math.radians(b)))
                points.append(xy)
    with engine.begin() as conn:
        for code, lon, lat in sites:
            conn.execute(text("INSERT INTO camera_site (code, mounts, cost, geom) VALUES (:c, 'any', 5000, "
                              "ST_SetSRID(ST_MakePoint(:x, :y), 4326))"), {"c": code, "x": lon, "y": lat})
        conn.execute(text(
            "INSERT INTO dispute (code, category, summary, grade, status, source, received_at, due_at, geom) "
            "SELECT 'D' || n, 'land', '争议', 'ordinary', 'handling', 'police', now(), now(), "
            "ST_SetSRID(ST_MakePoint(x, y), 4326) FROM unnest(CAST(:x AS float[]), CAST(:y AS float[])) "
            "WITH ORDINALITY AS p(x, y, n)"), {"x": [p[0] for p in points], "y": [p[1] for p in points]})
    area = shapely.box(113.9, 34.5, 117.1, 34.8).wkt
    with engine.begin() as conn:
        build.build_demand(conn, settings, area, weights_of(settings, ONLY_DISPUTES), [], "2000-01-01T00:00:00Z")
        build.build_options(conn, settings, area, {"bullet": r, "dome": r}, generated=False)
        found = {tuple(p) for p in build.pairs(conn).tolist()}
        expected = set(map(tuple, conn.execute(text(EDGE_PAIRS_SQL)).all()))
        options = conn.execute(text("SELECT count(*) FROM siting_option")).scalar()
    assert options == len(sites) * (directions + 1)
    assert len(expected) > 1000
    assert found == expected, (sorted(found - expected)[:10], sorted(expected - found)[:10])


def _improve_by_every_product(inst, chosen, budget):
    """The swap improvement as first written: one product over every option for each chosen one, each round."""
    from gisapp.siting.solve import EPS
    chosen = list(chosen)
    counts = np.asarray(inst.cover[chosen].sum(axis=0)).ravel()
    while chosen:
        spent = float(inst.cost[chosen].sum())
        used = set(inst.site[chosen])
        best = (EPS, None, None)
        for c in chosen:
            row = inst.cover.indices[inst.cover.indptr[c]:inst.cover.indptr[c + 1]]
            only_c = np.zeros(inst.cover.shape[1], dtype=bool)
            only_c[row[counts[row] == 1]] = True
            loss = float(inst.weight[only_c].sum())
            gains = np.asarray(inst.cover @ np.where((counts == 0) | only_c, inst.weight, 0.0)).ravel() - loss
            blocked = np.isin(inst.site, list(used - {inst.site[c]}))
            blocked[chosen] = True
            if budget.cost is not None:
                blocked |= spent - inst.cost[c] + inst.cost > budget.cost + EPS
            gains[blocked] = -np.inf
            o = int(np.argmax(gains))
            if gains[o] > best[0]:
                best = (float(gains[o]), c, o)
        if best[1] is None:
            return chosen
        _, c, o = best
        chosen[chosen.index(c)] = o
        counts[inst.cover.indices[inst.cover.indptr[c]:inst.cover.indptr[c + 1]]] -= 1
        counts[inst.cover.indices[inst.cover.indptr[o]:inst.cover.indptr[o + 1]]] += 1


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("large", [False, True])
def test_the_swaps_are_those_of_one_product_per_option(seed, large, monkeypatch):
    """On a large matrix improve weighs apart only the options sharing demand with the one swapped out: its
    swaps are the same, in the same order, as weighing every option for every chosen one (sites of several
    options, float weights, count and cost budgets, starts from the greedy and from anywhere)."""
    import scipy.sparse as sp

    from gisapp.siting import solve
    from gisapp.siting.solve import Budget, Instance, greedy, improve

    monkeypatch.setattr(solve, "SMALL", 0 if large else 10**12)

    rng = np.random.default_rng(seed)
    sites, per = int(rng.integers(20, 200)), int(rng.choice([1, 3, 9]))
    cover = sp.random(sites * per, int(rng.integers(100, 2000)), density=float(rng.uniform(0.003, 0.05)),
                      format="csr", random_state=seed, data_rvs=np.ones)
    weight = rng.choice([0.2, 1.0, 4 / 7, 2.0, 3.0], cover.shape[1])
    inst = Instance(cover, weight, np.repeat(np.arange(sites), per), rng.choice([5000.0, 8000.0, 0.3], sites * per))
    budget = Budget(count=int(rng.integers(2, 30))) if seed % 2 else Budget(cost=float(rng.uniform(2, 15)) * 8000.0)
    anywhere = [int(rng.choice(np.flatnonzero(inst.site == s))) for s in rng.permutation(sites)[:10]]
    for start in (greedy(inst, budget), anywhere):
        assert improve(inst, start, budget, seconds=60) == _improve_by_every_product(inst, start, budget)
