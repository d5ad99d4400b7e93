"""An alarm is beyond patrol reach by the minutes along the roads, per shift, and the flag follows route edits.

Scenario (UTM 50N metres from an origin near 114.52E 34.62N; motorcycles at 25 km/h, so the
10-minute limit is 4,167 m by road):
    road A runs east from (0, 0) to (2000, 0); road B north from A at (1000, 0) to (1000, 1000);
    road C, from (0, 300) to (600, 300), is joined to nothing (across a river).
    Grid G1 holds A's west end and C, G2 holds B, G3 A's east end.
    Alarm ACROSS (300, 320) is 320 m from A in a straight line but no road leads there from A;
    alarm UP (1010, 900) is 990 m from A's west half in a straight line but 1,400 m (3.4 min) by road.
The day route R-DAY rides A from (0, 0) to (600, 0); there is no night route at first.
"""
import geopandas as gpd
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp import accounts
from gisapp.coverage import recompute
from gisapp.io.load import import_frame

UTM = "EPSG:32650"
TO_UTM = Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
TO_LONLAT = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
X0, Y0 = TO_UTM.transform(114.52, 34.62)
FLAG = "alarm_beyond_patrol_reach"


def lonlat(geom):
    return shapely.transform(geom, lambda xy: list(zip(*TO_LONLAT.transform(xy[:, 0] + X0, xy[:, 1] + Y0))))


def feature(geom, **props) -> dict:
    return {"type": "Feature", "geometry": shapely.geometry.mapping(lonlat(geom)), "properties": props}


@pytest.fixture
def river(engine, settings, client):
    settings["coverage"].update(day="10:00", night="23:00")
    roads = [shapely.LineString([(0, 0), (2000, 0)]), shapely.LineString([(1000, 0), (1000, 1000)]),
             shapely.LineString([(0, 300), (600, 300)])]
    grids = {"G1": shapely.box(-100, -100, 700, 400), "G2": shapely.box(700, -100, 1300, 1100),
             "G3": shapely.box(1300, -100, 2100, 400)}
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO admin_area (code, name, level, geom) VALUES "
                          "('410299101001', '村', 'village', ST_Multi(ST_GeomFromText(:w, 4326)))"),
                     {"w": lonlat(shapely.box(-200, -200, 2200, 1200)).wkt})
        for code, grid in grids.items():
            conn.execute(text("INSERT INTO grid (code, name, village_id, geom) SELECT :c, :c, id, "
                              "ST_Multi(ST_GeomFromText(:w, 4326)) FROM admin_area"), {"c": code, "w": lonlat(grid).wkt})
        import_frame(conn, "roads", gpd.GeoDataFrame({"road_class": ["secondary", "residential", "residential"]},
                                                     geometry=[lonlat(r) for r in roads], crs="EPSG:4326"), settings)
        import_frame(conn, "alarms", gpd.GeoDataFrame(
            [{"code": "ACROSS", "enterprise": "河对岸厂", "status": "online"},
             {"code": "UP", "enterprise": "北厂", "status": "online"}],
            geometry=[lonlat(shapely.Point(300, 320)), lonlat(shapely.Point(1010, 900))], crs="EPSG:4326"), settings)
        conn.execute(text("INSERT INTO patrol_team (code, name) VALUES ('T1', '一队')"))
    with Session(engine) as session:
        accounts.create_user(session, "chief", "password-1", "center", None)
        session.commit()
    token = client.post("/api/auth/token", json={"login": "chief", "password": "password-1"}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    created = client.post("/api/collections/routes/items", headers=headers, json=feature(
        shapely.LineString([(0, 0), (600, 0)]), code="R-DAY", name="白天巡逻", team_code="T1", mode="motorcycle",
        time_windows="08:00-18:00"))
    assert created.status_code == 201, created.json
    recompute(engine, settings)
    return headers


def reasons(engine) -> dict[tuple[str, str], list[str]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT g.code, gc.period, gc.reasons FROM grid_coverage gc "
                                 "JOIN grid g ON g.id = gc.grid_id")).all()
    return {(code, period): list(r) for code, period, r in rows}


def test_the_flag_counts_minutes_by_road_per_shift(river, engine, client):
    flags = reasons(engine)
    assert FLAG in flags[("G1", "day")], "ACROSS is near in a straight line but no road leads there"
    assert FLAG not in flags[("G2", "day")], "UP is 3.4 minutes away by road, though 990 m in a straight line"
    assert FLAG in flags[("G2", "night")], "nobody patrols at night"
    assert FLAG not in flags[("G3", "day")], "G3 has no alarm"
    answer = client.get("/api/patrol/alarm-reach?period=day", headers=river)
    minutes = {a["code"]: a["patrol_min"] for a in answer.json["alarms"]}
    assert minutes["ACROSS"] is None
    assert minutes["UP"] == pytest.approx(1400 / (25000 / 60), abs=0.15)


def test_a_route_elsewhere_clears_the_flag_of_the_alarm_it_brings_within_reach(river, engine, client):
    """The night route stays in G1, out of sight of G2: G2's night flag clears through the reach alone."""
    created = client.post("/api/collections/routes/items", headers=river, json=feature(
        shapely.LineString([(0, 0), (600, 0)]), code="R-NIGHT", name="夜间巡逻", team_code="T1", mode="motorcycle",
        time_windows="20:00-02:00"))
    assert created.status_code == 201, created.json
    flags = reasons(engine)
    assert FLAG not in flags[("G2", "night")]
    assert FLAG in flags[("G1", "night")], "ACROSS is still cut off"
    removed = client.delete("/api/collections/routes/items/R-NIGHT", headers=river)
    assert removed.status_code == 204
    assert FLAG in reasons(engine)[("G2", "night")], "and the flag comes back with the route gone"


def test_a_new_road_brings_the_alarm_across_within_reach(river, engine, client, settings):
    bridge = shapely.LineString([(300, 0), (300, 300)])
    with engine.begin() as conn:
        import_frame(conn, "roads", gpd.GeoDataFrame({"road_class": ["residential"]}, geometry=[lonlat(bridge)],
                                                     crs="EPSG:4326"), settings)
        from gisapp.coverage import recompute_dirty
        recompute_dirty(conn, settings)
    assert FLAG not in reasons(engine)[("G1", "day")], "the bridge joins C to A"


def test_without_pgrouting_the_straight_line_counts(river, engine, settings):
    from gisapp.coverage import compute_grids
    with engine.connect() as conn:
        conn.execute(text("DROP EXTENSION pgrouting"))
        conn.execute(text("DELETE FROM reach_alarm"))
        compute_grids(conn, settings, list(conn.execute(text("SELECT id FROM grid")).scalars()))
        rows = dict(conn.execute(text("SELECT g.code, gc.reasons FROM grid_coverage gc JOIN grid g ON g.id = gc.grid_id "
                                      "WHERE gc.period = 'day'")).all())
        conn.rollback()
    assert FLAG not in rows["G1"], "ACROSS is within 500 m of the route"
    assert FLAG in rows["G2"], "UP is 990 m from it"


def test_the_reach_layer_shows_the_roads_in_bands(river, client):
    answer = client.get("/api/collections/patrol_reach_day/items?limit=100", headers=river)
    assert answer.status_code == 200, answer.json
    bands = {f["properties"]["band"] for f in answer.json["features"]}
    assert bands == {"within"}, "every road joined to A is within 10 minutes of R-DAY"
    minutes = sorted(f["properties"]["minutes"] for f in answer.json["features"])
    # an edge takes the minutes of its farther end: A's west piece ends 400 m past the route's end at 600 m,
    # A's east piece and B 1,400 m past it
    assert minutes == pytest.approx([400 / 416.7, 1400 / 416.7, 1400 / 416.7], abs=0.06)
    assert client.get("/api/collections/patrol_reach_day/items/not-a-number", headers=river).status_code == 404
    one = answer.json["features"][0]
    assert client.get(f"/api/collections/patrol_reach_day/items/{one['id']}", headers=river).status_code == 200
    night = client.get("/api/collections/patrol_reach_night/items", headers=river)
    assert night.status_code == 200 and night.json["features"] == [], "no night patrol reaches anything"


def test_evaluation_names_the_alarm_a_route_brings_within_reach_and_its_grid(river, client, engine):
    night = feature(shapely.LineString([(0, 0), (600, 0)]))
    answer = client.post("/api/patrol/evaluate", headers=river, json={
        "geometry": night["geometry"], "team": "T1", "mode": "motorcycle", "time_windows": "20:00-02:00"})
    assert answer.status_code == 200, answer.json
    assert answer.json["alarms"] == ["UP"], "ACROSS stays cut off; UP is reached at night"
    g2 = {g["period"]: g for g in answer.json["grids"] if g["grid"] == "G2"}
    assert FLAG in g2["night"]["flags_cleared"], "G2 is out of the route's sight, but its alarm comes within reach"
    assert FLAG not in g2["night"]["flags_remaining"]
    assert FLAG in reasons(engine)[("G2", "night")], "nothing was saved"


def test_adding_a_route_lowers_the_reach_as_a_full_refresh_would(river, engine, settings):
    from gisapp.editing import create_feature
    from gisapp.patrol import reach
    with engine.connect() as conn:
        create_feature(conn, "routes", feature(shapely.LineString([(0, 0), (600, 0)]), code="R-NIGHT", name="夜",
                                               team_code="T1", mode="motorcycle", time_windows="20:00-02:00"), settings)
        reach.add_route(conn, settings, "R-NIGHT")
        added = reach.in_reach(conn, settings)
        dirty = set(conn.execute(text("SELECT g.code FROM coverage_dirty d JOIN grid g ON g.id = d.grid_id")).scalars())
        reach.refresh(conn, settings, force=True)
        full = reach.in_reach(conn, settings)
        conn.rollback()
    assert added == full == {("UP", "day"), ("UP", "night")}
    assert "G2" in dirty, "UP's grid is marked for the flag to clear"


def test_a_full_recompute_refreshes_the_reach_only_when_it_is_not_current(river, engine, settings):
    def made_at():
        with engine.connect() as conn:
            return conn.execute(text("SELECT computed_at FROM reach_state")).scalar()

    before = made_at()
    recompute(engine, settings)
    assert made_at() == before, "nothing the reach depends on changed: it is kept"
    assert FLAG not in reasons(engine)[("G2", "day")]
    settings["patrol"]["alarm_reach_min"] = 3  # UP is 3.4 minutes away by road
    recompute(engine, settings)
    assert made_at() > before, "a setting that shapes the reach changed: it is made anew"
    assert FLAG in reasons(engine)[("G2", "day")]
