"""The routable road network: noded where roads cross or nearly meet, measured, kept current."""
import geopandas as gpd
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import text

from gisapp.io.load import import_frame
from gisapp.patrol import network

UTM = "EPSG:32650"
ORIGIN = Transformer.from_crs("EPSG:4326", UTM, always_xy=True).transform(114.52, 34.62)


def _roads(lines_m: list[list[tuple[float, float]]]) -> gpd.GeoDataFrame:
    """Roads given in metres from the origin, as the importer takes them (lon/lat)."""
    x0, y0 = ORIGIN
    lines = [shapely.LineString([(x0 + x, y0 + y) for x, y in line]) for line in lines_m]
    frame = gpd.GeoDataFrame({"road_class": ["residential"] * len(lines)}, geometry=lines, crs=UTM)
    return frame.to_crs("EPSG:4326")


# A crosses B at (500, 0); C's end stops 1.5 m short of A (a T-junction within the 2 m tolerance);
# E's end is 0.7 m from A's end; D stands apart.
ROADS = [[(0, 0), (1000, 0)],                 # A
         [(500, -500), (500, 500)],           # B
         [(800, 1.5), (800, 400)],            # C
         [(2000, 2000), (2100, 2000)],        # D
         [(1000.5, 0.5), (1300, 0)]]          # E


@pytest.fixture
def town_roads(engine, settings):
    with engine.begin() as conn:
        import_frame(conn, "roads", _roads(ROADS), settings)
    return engine


def test_roads_are_noded_where_they_cross_or_nearly_meet(town_roads, settings):
    with town_roads.begin() as conn:
        figures = network.build(conn, settings)
        edges = conn.execute(text("SELECT road_id, source, target, length_m FROM road_edge ORDER BY road_id, length_m")).all()
        ends_match = conn.execute(text(
            "SELECT bool_and(ST_Equals(ST_StartPoint(e.geom), s.geom) AND ST_Equals(ST_EndPoint(e.geom), t.geom)) "
            "FROM road_edge e JOIN road_vertex s ON s.id = e.source JOIN road_vertex t ON t.id = e.target")).scalar()
    assert [e.road_id for e in edges] == [1, 1, 1, 2, 2, 3, 4, 5]       # A in three, B in two
    assert [round(e.length_m) for e in edges if e.road_id == 1] == [200, 300, 500]
    assert figures.edges == 8 and figures.vertices == 10
    assert figures.dangling_ends == 7
    assert ends_match, "every edge starts and ends exactly at its vertices"
    by_road = {}
    for e in edges:
        by_road.setdefault(e.road_id, set()).update({e.source, e.target})
    assert by_road[1] & by_road[2] and by_road[1] & by_road[3] and by_road[1] & by_road[5], "A meets B, C and E"
    assert not by_road[4] & set().union(*(v for k, v in by_road.items() if k != 4)), "D stands apart"


def test_status_counts_components_with_pgrouting(town_roads, settings):
    with town_roads.begin() as conn:
        network.build(conn, settings)
        figures = network.status(conn)
    assert figures.routing, "the test cluster has pgRouting"
    assert figures.components == 2
    total = 1000 + 1000 + 398.5 + 100 + 299.5
    assert figures.largest_share == pytest.approx((total - 100) / total, abs=1e-3)
    assert not figures.stale and figures.tolerance_m == 2.0


def test_the_network_follows_the_roads(town_roads, settings):
    with town_roads.begin() as conn:
        network.build(conn, settings)
    with town_roads.begin() as conn:
        import_frame(conn, "roads", _roads([[(2100, 2000), (2100, 2300)]]), settings)
        assert network.status(conn).stale
        assert network.ensure_current(conn, settings)
        figures = network.status(conn)
        assert not network.ensure_current(conn, settings)
    assert figures.edges == 9 and figures.components == 2 and not figures.stale


def test_a_narrower_tolerance_joins_less(town_roads, settings):
    narrow = dict(settings, patrol=dict(settings["patrol"], snap_tolerance_m=0.5))
    with town_roads.begin() as conn:
        figures = network.build(conn, narrow)
    # C (1.5 m short of A) and E (0.7 m from A's end) no longer meet A
    assert figures.edges == 7 and figures.components == 4


def test_cli_builds_and_reports(town_roads, cli):
    first = cli("network", "status")
    assert first.exit_code == 3 and "not built yet" in first.output
    built = cli("network", "build")
    assert built.exit_code == 0, built.output
    assert "边 edges: 8" in built.output and "连通分量 connected components: 2" in built.output
    again = cli("network", "status")
    assert again.exit_code == 0 and "断头 dangling ends: 7" in again.output and "stale" not in again.output


def test_paths_follow_the_roads_at_the_mode_speed(town_roads, settings):
    from gisapp.patrol import routing
    with town_roads.begin() as conn:
        network.build(conn, settings)
        west = conn.execute(text("SELECT ST_X(ST_StartPoint(geom)), ST_Y(ST_StartPoint(geom)) FROM road WHERE id = 1")).one()
        start, off = routing.nearest_vertex(conn, *west, "foot", settings, max_m=50)
        top_of_c = conn.execute(text("SELECT ST_X(ST_EndPoint(geom)), ST_Y(ST_EndPoint(geom)) FROM road WHERE id = 3")).one()
        end, _ = routing.nearest_vertex(conn, *top_of_c, "foot", settings, max_m=50)
        way = routing.path_through(conn, "foot", settings, [start, end])
        costs = routing.cost_matrix(conn, "car", settings, [start, end])
        with pytest.raises(routing.RoutingError, match="more than 50 m"):
            routing.nearest_vertex(conn, west[0] + 0.01, west[1] + 0.01, "foot", settings, max_m=50)
    assert off < 0.01
    assert way["length_m"] == pytest.approx(800 + 398.5, abs=0.5)       # along A, then up C
    assert way["minutes"] == pytest.approx(way["length_m"] / (4.5 * 1000 / 60), rel=1e-6)
    assert costs[(start, end)] == pytest.approx(way["length_m"] / (30 * 1000 / 60), rel=1e-6)


def test_a_closed_road_class_is_avoided(engine, settings):
    from gisapp.patrol import routing
    frame = _roads([[(0, 0), (1000, 0)], [(1000, 0), (1000, 500)]])
    frame["road_class"] = ["residential", "path"]
    with engine.begin() as conn:
        import_frame(conn, "roads", frame, settings)
        network.build(conn, settings)
        ends = conn.execute(text("SELECT ST_X(ST_EndPoint(geom)), ST_Y(ST_EndPoint(geom)) FROM road ORDER BY id")).all()
        start, _ = routing.nearest_vertex(conn, *ends[0], "car", settings, max_m=50)
        with pytest.raises(routing.RoutingError, match="usable by car"):
            routing.nearest_vertex(conn, *ends[1], "car", settings, max_m=50)
        foot_end, _ = routing.nearest_vertex(conn, *ends[1], "foot", settings, max_m=50)
        assert routing.cost_matrix(conn, "car", settings, [start, foot_end]) == {}
        assert routing.path_through(conn, "foot", settings, [start, foot_end])["length_m"] == pytest.approx(500, abs=0.5)


def test_a_base_gets_a_vertex_where_it_meets_its_road(town_roads, settings):
    from gisapp.patrol import routing
    x0, y0 = ORIGIN
    base = gpd.GeoDataFrame([{"code": "ZD1", "name": "驻地", "kind": "team_station"}],
                            geometry=[shapely.Point(x0 + 300, y0 + 40)], crs=UTM).to_crs("EPSG:4326")
    with town_roads.begin() as conn:
        network.build(conn, settings)
        import_frame(conn, "bases", base, settings)
        assert network.status(conn).stale, "a new base makes the network stale"
        figures = network.build(conn, settings)
        lon, lat = base.geometry.iloc[0].x, base.geometry.iloc[0].y
        vertex, off = routing.nearest_vertex(conn, lon, lat, "foot", settings, max_m=50)
        where = conn.execute(text("SELECT ST_Distance(v.geom::geography, ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography) "
                                  "FROM road_vertex v WHERE v.id = :v"), {"x": lon, "y": lat, "v": vertex}).scalar()
    assert figures.edges == 9, "road A is cut once more, under the base"
    assert off == pytest.approx(40, abs=0.5) and where == pytest.approx(40, abs=0.5)


def test_alarms_are_reached_in_minutes_along_the_roads(town_roads, settings):
    from gisapp.editing import create_feature
    from gisapp.patrol.reach import alarm_reach
    x0, y0 = ORIGIN
    alarms = gpd.GeoDataFrame([{"code": c, "enterprise": "厂", "status": "online"} for c in ("NEAR", "TOP", "APART")],
                              geometry=[shapely.Point(x0 + 100, y0 + 20), shapely.Point(x0 + 800, y0 + 390),
                                        shapely.Point(x0 + 2050, y0 + 2010)], crs=UTM).to_crs("EPSG:4326")
    route = gpd.GeoSeries([shapely.LineString([(x0, y0), (x0 + 500, y0)])], crs=UTM).to_crs("EPSG:4326").iloc[0]
    with town_roads.begin() as conn:
        import_frame(conn, "alarms", alarms, settings)
        import_frame(conn, "teams", gpd.GeoDataFrame([{"code": "T1", "name": "队"}]), settings)
        create_feature(conn, "routes", {"type": "Feature", "geometry": shapely.geometry.mapping(route), "properties": {
            "code": "R1", "name": "白天", "team_code": "T1", "mode": "foot", "time_windows": "08:00-18:00"}}, settings)
        network.build(conn, settings)
        day = {a["code"]: a for a in alarm_reach(conn, settings, "day")}
        night = {a["code"]: a for a in alarm_reach(conn, settings, "night")}
    assert day["NEAR"]["patrol_min"] == 0 and day["NEAR"]["in_reach"]
    # from the route's end at (500, 0): 300 m along A, then 398.5 m up C, on foot (75 m/min)
    assert day["TOP"]["patrol_min"] == pytest.approx((300 + 398.5) / 75, abs=0.1) and day["TOP"]["in_reach"]
    assert day["APART"]["patrol_min"] is None and not day["APART"]["in_reach"], "D is not joined to the rest"
    assert night["NEAR"]["patrol_min"] is None and not night["NEAR"]["in_reach"], "no patrol at night"
