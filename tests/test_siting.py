"""Camera siting on a constructed village whose optimum is known.

Scenario (UTM 50N metres from an origin near 114.52E 34.62N), one road from (0, 0) to (400, 0):
    sites S1 (0, 0) and S2 (200, 0) take any camera, S3 (400, 0) a bullet only;
    disputes D1 (30, 10) difficult (3), D2 (380, 20) complex (2), D3 (200, 50) and D4 (200, -50) ordinary (1 each),
    D5 (400, 55) ordinary, due north of S3;
    an online dome at (395, 0) with a 40 m range already watches D2.
Cameras reach 60 m. Best single camera: at S1 (3). Best two: S1 and a dome at S2 (3 + 2).
"""
import numpy as np
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import text

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
