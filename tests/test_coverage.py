"""Coverage against an independent shapely computation in the same UTM CRS, and the edge cases.

Scenario (UTM 50N metres from an origin near 114.5E 34.6N): grids G1, G2, G3 are 200 m squares in
a row, G4 lies apart with nothing in it. No roads, so each grid's area of concern is the grid.
"""
import math

import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Point, box
from sqlalchemy import text

from gisapp.coverage import recompute, recompute_dirty

UTM = "EPSG:32650"
TO_LONLAT = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
TO_UTM = Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
X0, Y0 = TO_UTM.transform(114.5, 34.6)
GEOD = Geod(ellps="WGS84")
GRIDS = {"G1": box(0, 0, 200, 200), "G2": box(200, 0, 400, 200), "G3": box(400, 0, 600, 200),
         "G4": box(900, 0, 1100, 200)}
# code, x, y, kind, azimuth, fov, range, status
CAMERAS = [("C-border", 200, 100, "bullet", 0, 60, 90, "online"),      # on the G1/G2 border, facing north
           ("C-east", 100, 60, "bullet", 90, 45, 150, "online"),       # reaches from G1 into G2
           ("C-dome", 300, 100, "dome", None, 360, 70, "online"),      # a 360° camera
           ("C-off", 500, 100, "dome", None, 360, 80, "offline")]      # does not count
ROUTES = [("R-day", [(-50, 40), (650, 40)], "08:00", "18:00", 20),     # crosses three grids by day
          ("R-night", [(-50, 170), (650, 170)], "20:00", "02:00", 15)]  # night only
ALARMS = [("A1", 520, 150, 40)]


def lonlat(geom):
    """Local metres (UTM minus the origin) -> lon/lat."""
    return shapely.transform(geom, lambda xy: np.column_stack(TO_LONLAT.transform(xy[:, 0] + X0, xy[:, 1] + Y0)))


def local(geom):
    """lon/lat -> local metres, as PostGIS's ST_Transform does."""
    return shapely.transform(geom, lambda xy: np.column_stack(TO_UTM.transform(xy[:, 0], xy[:, 1])) - [X0, Y0])


def reference_sector(x, y, azimuth, fov, range_m):
    """The view sector as camera_view() builds it: geodesic points (ST_Project ~ Geod.fwd)."""
    if fov >= 360:
        return Point(x, y).buffer(range_m, quad_segs=16)
    apex = lonlat(Point(x, y))
    n = max(4, math.ceil(fov / 5))
    arc = [GEOD.fwd(apex.x, apex.y, azimuth - fov / 2 + fov * i / n, range_m)[:2] for i in range(n + 1)]
    return local(shapely.Polygon([(apex.x, apex.y), *arc, (apex.x, apex.y)]))


def reference(period_routes):
    cams = [reference_sector(x, y, az, fov, r) for _, x, y, _, az, fov, r, status in CAMERAS if status == "online"]
    alarms = [Point(x, y).buffer(r, quad_segs=8) for _, x, y, r in ALARMS]
    patrols = [LineString(coords).buffer(w, quad_segs=8) for code, coords, _, _, w in ROUTES if code in period_routes]
    out = {}
    for code, grid in GRIDS.items():
        parts = {"camera": shapely.union_all(cams), "alarm": shapely.union_all(alarms),
                 "patrol": shapely.union_all(patrols) if patrols else Point(0, 0).buffer(0)}
        out[code] = {k: v.intersection(grid).area for k, v in parts.items()}
        out[code]["covered"] = shapely.union_all(list(parts.values())).intersection(grid).area
    return out


@pytest.fixture
def scenario(engine, settings):
    settings["coverage"].update(day="12:00", night="23:00", min_gap_m2=50.0)
    village = shapely.box(-100, -100, 1200, 300)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO admin_area (code, name, level, geom) VALUES "
                          "('410299101001', '村', 'village', ST_Multi(ST_GeomFromText(:w, 4326)))"),
                     {"w": lonlat(village).wkt})
        for code, grid in GRIDS.items():
            conn.execute(text("INSERT INTO grid (code, name, village_id, geom) SELECT :c, :c, id, "
                              "ST_Multi(ST_GeomFromText(:w, 4326)) FROM admin_area"), {"c": code, "w": lonlat(grid).wkt})
        for code, x, y, kind, az, fov, rng, status in CAMERAS:
            conn.execute(text("INSERT INTO camera (code, name, kind, azimuth, fov_deg, range_m, status, geom) VALUES "
                              "(:c, :c, :k, :az, :fov, :r, :s, ST_GeomFromText(:w, 4326))"),
                         {"c": code, "k": kind, "az": az, "fov": fov, "r": rng, "s": status,
                          "w": lonlat(Point(x, y)).wkt})
        conn.execute(text("INSERT INTO patrol_team (code, name) VALUES ('T1', '队')"))
        for code, coords, starts, ends, width in ROUTES:
            conn.execute(text("INSERT INTO patrol_route (code, name, team_id, mode, sight_width_m, geom) "
                              "SELECT :c, :c, id, 'foot', :w, ST_GeomFromText(:g, 4326) FROM patrol_team"),
                         {"c": code, "w": width, "g": lonlat(LineString(coords)).wkt})
            conn.execute(text("INSERT INTO patrol_window (route_id, starts, ends) SELECT id, :s, :e FROM patrol_route "
                              "WHERE code = :c"), {"c": code, "s": starts, "e": ends})
        for code, x, y, radius in ALARMS:
            conn.execute(text("INSERT INTO alarm_point (code, enterprise, status, response_radius_m, geom) VALUES "
                              "(:c, '厂', 'online', :r, ST_GeomFromText(:w, 4326))"),
                         {"c": code, "r": radius, "w": lonlat(Point(x, y)).wkt})
        conn.execute(text("INSERT INTO dispute (code, category, summary, grade, status, source, received_at, due_at, geom) "
                          "VALUES ('D-gap', 'land', '争议', 'ordinary', 'handling', 'police', now(), now(), "
                          "ST_GeomFromText(:w, 4326))"), {"w": lonlat(Point(580, 110)).wkt})
    recompute(engine, settings)
    return settings


def stored(engine, period):
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT g.code, gc.camera_m2, gc.alarm_m2, gc.patrol_m2, gc.covered_m2, gc.concern_m2, gc.reasons, "
            "gc.flagged, gc.gap_m2, gc.disputes_in, gc.disputes_out FROM grid_coverage gc "
            "JOIN grid g ON g.id = gc.grid_id WHERE gc.period = :p"), {"p": period}).all()
    return {r[0]: r for r in rows}


@pytest.mark.parametrize("period, routes", [("day", {"R-day"}), ("night", {"R-night"})])
def test_areas_match_shapely_within_half_a_percent(scenario, engine, period, routes):
    ours, expected = stored(engine, period), reference(routes)
    for code in GRIDS:
        row = ours[code]
        assert row[5] == pytest.approx(GRIDS[code].area, rel=1e-4)  # no roads: the whole grid is of concern
        for i, key in ((1, "camera"), (2, "alarm"), (3, "patrol"), (4, "covered")):
            want = expected[code][key]
            if want < 1:
                assert row[i] < 1, (code, key)
            else:
                assert row[i] == pytest.approx(want, rel=0.005), (period, code, key, row[i], want)


def test_edge_cases(scenario, engine):
    day, night = stored(engine, "day"), stored(engine, "night")
    assert day["G1"][1] > 0 and day["G2"][1] > 0          # the border camera covers both grids it reaches
    assert day["G3"][1] == 0 and "cameras_offline" in day["G3"][6]  # the offline dome counts for nothing
    assert day["G4"][4] == 0 and day["G4"][8] == pytest.approx(GRIDS["G4"].area, rel=1e-4)  # a grid with nothing
    assert set(day["G4"][6]) >= {"gap", "share_below_target", "no_camera", "no_patrol"} and day["G4"][7]
    # the night-only route is not counted at noon, and is at night
    assert day["G1"][3] == pytest.approx(200 * 40, rel=0.005)    # R-day's corridor only (40 m wide)
    assert night["G1"][3] == pytest.approx(200 * 30, rel=0.005)  # R-night's corridor only (30 m wide)
    assert night["G2"][3] > 0 and day["G2"][3] > 0
    assert "no_night_patrol" not in day["G2"][6]
    # the open dispute lies in G3's gap (nothing covers it by day)
    assert "open_dispute_in_gap" in day["G3"][6] and day["G3"][10] == 1


def test_incremental_update_equals_full_recompute(scenario, engine):
    settings = scenario
    with engine.begin() as conn:
        conn.execute(text("UPDATE camera SET geom = ST_GeomFromText(:w, 4326), azimuth = 45 WHERE code = 'C-east'"),
                     {"w": lonlat(Point(450, 60)).wkt})
        dirty = set(conn.execute(text("SELECT g.code FROM coverage_dirty d JOIN grid g ON g.id = d.grid_id")).scalars())
        assert {"G1", "G2", "G3"} >= dirty >= {"G1", "G3"} and "G4" not in dirty
        assert recompute_dirty(conn, settings) == len(dirty)
    incremental = {p: stored(engine, p) for p in ("day", "night")}
    recompute(engine, settings)
    full = {p: stored(engine, p) for p in ("day", "night")}
    for period in ("day", "night"):
        for code in GRIDS:
            before, after = incremental[period][code], full[period][code]
            assert before[1:6] == pytest.approx(after[1:6]) and before[8] == pytest.approx(after[8])
            assert (before[6], before[7], before[9], before[10]) == (after[6], after[7], after[9], after[10])
    assert incremental["day"]["G3"][1] > 0  # the moved camera now covers part of G3


def test_coverage_api_and_cli(scenario, engine, client, cli, tmp_path):
    from sqlalchemy.orm import Session
    from gisapp import accounts
    with Session(engine) as session:
        accounts.create_user(session, "plan", "password-1", "planner")
        accounts.create_user(session, "vera", "password-1", "viewer")
        session.commit()
    token = client.post("/api/auth/token", json={"login": "plan", "password": "password-1"}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    body = client.get("/api/coverage/grids?period=day&flagged=true", headers=headers).json
    assert {g["grid_code"] for g in body["grids"]} >= {"G3", "G4"}
    assert all(g["flagged"] for g in body["grids"]) and "no_camera" in next(
        g for g in body["grids"] if g["grid_code"] == "G4")["reasons"]
    one = client.get("/api/coverage/grids/G4", headers=headers).json
    assert one["day"]["gaps"]["type"] == "MultiPolygon" and one["night"]["covered_share"] == 0
    gaps = client.get("/api/coverage/gaps?period=day", headers=headers).json
    assert gaps["numberMatched"] >= 2 and gaps["features"][0]["geometry"]["type"] == "MultiPolygon"
    assert client.get("/api/coverage/grids?period=noon", headers=headers).status_code == 400
    assert client.get("/api/coverage/grids/NOPE", headers=headers).status_code == 404
    viewer = client.post("/api/auth/token", json={"login": "vera", "password": "password-1"}).json["token"]
    assert client.get("/api/coverage/grids", headers={"Authorization": f"Bearer {viewer}"}).status_code == 403
    out = tmp_path / "flagged.xlsx"
    result = cli("coverage", "--out", str(out))
    assert result.exit_code == 0 and "G4" in result.output and "flagged grid(s)" in result.output
    import pandas as pd
    written = pd.read_excel(out, dtype=str).set_index("网格编码 grid code")  # as a person reads it
    assert written.loc["G4", "时段 time of day"] == "白天 day" and written.loc["G4", "预警 flagged"] == "是 yes"
    assert "无摄像机 no camera" in written.loc["G4", "原因 reasons"].split("、")
    assert cli("coverage", "--out", str(tmp_path / "x.txt")).exit_code == 2


def test_stored_gaps_are_valid(demo_url):
    """Gaps are cut by roads (patrol proposals): a self-intersecting one made GEOS fail."""
    import psycopg
    from gisapp.db.server import libpq_dsn
    with psycopg.connect(libpq_dsn(demo_url)) as conn:
        stored, invalid = conn.execute("SELECT count(gap_geom), count(*) FILTER (WHERE NOT ST_IsValid(gap_geom)) "
                                       "FROM grid_coverage").fetchone()
    assert stored > 0 and invalid == 0
