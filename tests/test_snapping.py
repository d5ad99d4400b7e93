"""Waypoints snap to the road, not to an edge's end: /api/patrol/path on a small hand-made network.

Each clicked waypoint becomes its projection on the nearest road the mode may use (an edge and a
fraction of it, in metres), and the way starts, passes and ends exactly there, counting the parts of
edges it rides. Checked against shapely on the roads as stored (the importer keeps 6 decimals of a
degree, so they differ from the lines given by centimetres), in the same projected CRS (UTM 50N, the
engine's choice here).
"""
import geopandas as gpd
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp import accounts
from gisapp.io.load import import_frame
from gisapp.patrol import routing

UTM = "EPSG:32650"
TO_UTM = Transformer.from_crs("EPSG:4326", UTM, always_xy=True).transform
TO_LONLAT = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True).transform
X0, Y0 = TO_UTM(114.52, 34.62)

# In metres from the origin. A is one long edge (nothing crosses it); B bends once (one edge of two
# arms, 400 m up and 400 m east); S leads from B's end to R, a ring road that nothing else touches
# (one edge whose source is its target); P is a path, closed to cars.
ROADS = {
    "A": ([(0, 0), (1000, 0)], "residential"),
    "B": ([(1000, 0), (1000, 400), (1400, 400)], "residential"),
    "S": ([(1400, 400), (1300, 500)], "residential"),
    "R": ([(1300, 500), (1500, 500), (1500, 700), (1300, 700), (1300, 500)], "residential"),
    "P": ([(0, 0), (0, -300)], "path"),
}
LINES = {name: shapely.LineString(coords) for name, (coords, _) in ROADS.items()}
FOOT_M_PER_MIN = 4.5 * 1000 / 60


def lonlat(x: float, y: float) -> list[float]:
    return list(TO_LONLAT(X0 + x, Y0 + y))


def metres(coordinates: list) -> list[tuple[float, float]]:
    """GeoJSON lon/lat coordinates as metres from the origin."""
    return [(x - X0, y - Y0) for x, y in (TO_UTM(lon, lat) for lon, lat in coordinates)]


def projection(line: shapely.LineString, x: float, y: float) -> shapely.Point:
    return line.interpolate(line.project(shapely.Point(x, y)))


def along(line: shapely.LineString, a: tuple[float, float], b: tuple[float, float]) -> float:
    """Metres along ``line`` between the projections of ``a`` and ``b``."""
    return abs(line.project(shapely.Point(b)) - line.project(shapely.Point(a)))


@pytest.fixture
def api(engine, settings, client):
    """``api(mode, *clicks)``: the way through clicks (metres from the origin) by /api/patrol/path as a
    center, on the hand-made roads (the network is built on the first request); ``api.lines``: the roads
    as stored, in metres from the origin."""
    frame = gpd.GeoDataFrame({"road_class": [cls for _, cls in ROADS.values()]},
                             geometry=list(LINES.values()), crs=UTM)
    frame["geometry"] = frame.translate(X0, Y0)
    with engine.begin() as conn:
        import_frame(conn, "roads", frame.to_crs("EPSG:4326"), settings)
        stored = [shapely.from_wkt(w) for (w,) in conn.execute(text("SELECT ST_AsText(geom) FROM road ORDER BY id"))]
    with Session(engine) as session:
        accounts.create_user(session, "chief", "password-1", "center")
        session.commit()
    token = client.post("/api/auth/token", json={"login": "chief", "password": "password-1"}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}

    def path(mode: str, *clicks: tuple[float, float]) -> dict:
        answer = client.post("/api/patrol/path", json={"mode": mode, "points": [lonlat(*c) for c in clicks]},
                             headers=headers)
        assert answer.status_code == 200, answer.json
        return answer.json
    path.client, path.headers = client, headers
    path.lines = {name: shapely.LineString(metres(line.coords)) for name, line in zip(ROADS, stored)}
    assert all(LINES[name].hausdorff_distance(line) < 0.2 for name, line in path.lines.items())
    return path


def on_the_roads(api, way: dict) -> list[tuple[float, float]]:
    """The way's vertices in metres, each checked to lie within 1 m of a road."""
    assert way["geometry"]["type"] == "LineString"
    roads = shapely.union_all(list(api.lines.values()))
    points = metres(way["geometry"]["coordinates"])
    far = [p for p in points if roads.distance(shapely.Point(p)) > 1.0]
    assert not far, f"vertices off the roads: {far}"
    return points


def test_two_clicks_on_one_long_edge_join_their_projections(api):
    a, b, line = (200, 15), (700, -10), api.lines["A"]
    way = api("foot", a, b)
    points = on_the_roads(api, way)
    start, end = projection(line, *a), projection(line, *b)
    assert shapely.Point(points[0]).distance(start) < 0.05, "it starts at the first click's projection"
    assert shapely.Point(points[-1]).distance(end) < 0.05, "it ends at the last click's projection"
    assert all(199.9 < x < 700.1 for x, _ in points), "not via the edge's ends (0 and 1000 m)"
    expected = along(line, a, b)  # 500 m
    assert way["properties"]["length_m"] == pytest.approx(expected, abs=0.06)
    assert way["properties"]["minutes"] == pytest.approx(expected / FOOT_M_PER_MIN, abs=0.06)
    # the same clicks the other way round: the same way, reversed
    back = api("foot", b, a)
    assert back["properties"]["length_m"] == way["properties"]["length_m"]
    assert shapely.Point(metres(back["geometry"]["coordinates"])[0]).distance(end) < 0.05


def test_back_and_forth_along_one_edge(api):
    clicks, line = [(200, 5), (800, 5), (400, -5)], api.lines["A"]
    way = api("foot", *clicks)
    points = on_the_roads(api, way)
    assert all(199.9 < x < 800.1 for x, _ in points)
    assert way["properties"]["length_m"] == pytest.approx(along(line, *clicks[:2]) + along(line, *clicks[1:]), abs=0.06)
    assert any(shapely.Point(p).distance(projection(line, *clicks[1])) < 0.05 for p in points), \
        "it turns at the middle click's projection"


def test_parts_of_a_bent_edge_are_measured_in_metres(api):
    # on B's first arm 100 m up, and on its second arm 300 m along: 300 m on up the arm, then 300 m east
    a, b, line = (990, 100), (1300, 410), api.lines["B"]
    way = api("foot", a, b)
    points = on_the_roads(api, way)
    assert along(line, a, b) == pytest.approx(600, abs=0.2)
    assert way["properties"]["length_m"] == pytest.approx(along(line, a, b), abs=0.06)
    assert any(shapely.Point(p).distance(shapely.Point(1000, 400)) < 0.2 for p in points), "round the bend"
    # from the middle of A to the middle of B's first arm: the rest of A, then up B
    c, d = (700, -10), (1010, 200)
    across = api("foot", c, d)
    on_the_roads(api, across)
    expected = along(api.lines["A"], c, (1000, 0)) + along(line, (1000, 0), d)  # 300 + 200 m
    assert across["properties"]["length_m"] == pytest.approx(expected, abs=0.06)


@pytest.mark.parametrize("click, share", [
    ((1510, 600), 300 / 800),   # the ring's east side: from its start eastwards, 200 + 100 m
    ((1350, 710), 550 / 800),   # its north side: shorter from its start the other way, 200 + 50 m
])
def test_a_ring_road_is_ridden_the_shorter_way(api, click, share):
    s_middle, ring = (1350, 450), api.lines["R"]  # the middle of S: 70.7 m from the ring's start
    way = api("foot", s_middle, click)
    points = on_the_roads(api, way)
    around = ring.project(shapely.Point(click))
    assert around / ring.length == pytest.approx(share, abs=1e-3)
    expected = along(api.lines["S"], s_middle, ring.coords[0]) + min(around, ring.length - around)
    assert way["properties"]["length_m"] == pytest.approx(expected, abs=0.06)
    assert shapely.Point(points[-1]).distance(projection(ring, *click)) < 0.05
    assert shapely.Point(points[0]).distance(projection(api.lines["S"], *s_middle)) < 0.05
    back = api("foot", click, s_middle)
    assert back["properties"]["length_m"] == way["properties"]["length_m"]
    on_the_roads(api, back)


def test_a_closed_road_class_is_not_snapped_to(api):
    # 20 m from the path P, 40 m below A's west end: on foot it snaps to P, by car to A (its end)
    click, east = (-20, -40), (500, 10)
    walked = api("foot", click, east)
    assert shapely.Point(on_the_roads(api, walked)[0]).distance(shapely.Point(0, -40)) < 0.2
    expected = along(api.lines["P"], (0, 0), click) + along(api.lines["A"], (0, 0), east)  # 40 + 500 m
    assert walked["properties"]["length_m"] == pytest.approx(expected, abs=0.06)
    driven = api("car", click, east)
    points = on_the_roads(api, driven)
    assert all(y > -1 for _, y in points), "a car never uses the path"
    assert driven["properties"]["length_m"] == pytest.approx(along(api.lines["A"], (0, 0), east), abs=0.06)
    assert driven["properties"]["minutes"] == pytest.approx(driven["properties"]["length_m"] / 500, abs=0.06)  # 30 km/h


def test_a_click_off_the_roads_is_named(api):
    answer = api.client.post("/api/patrol/path", headers=api.headers, json={
        "mode": "foot", "points": [lonlat(200, 5), lonlat(200, 900)]})
    assert answer.status_code == 422 and answer.json["field"] == "points[1]", answer.json
    same = api.client.post("/api/patrol/path", headers=api.headers, json={
        "mode": "foot", "points": [lonlat(200, 5), lonlat(200, -5)]})
    assert same.status_code == 422, "two clicks with one projection are not a route"


def test_snapped_places_and_vertices(engine, settings, api):
    """snap_points gives the edge and the fraction in metres; at an edge's end, the place is its vertex."""
    api("foot", (200, 5), (700, 5))  # builds the network
    with engine.begin() as conn:
        bend, end, inside = routing.snap_points(conn, [lonlat(990, 100), lonlat(1000, -3), lonlat(500, 2)],
                                                "foot", settings, max_m=50)
        a_edge = conn.execute(text("SELECT e.id FROM road_edge e JOIN road r ON r.id = e.road_id "
                                   "WHERE r.id = (SELECT min(id) FROM road)")).scalar()
    line = api.lines["B"]
    assert bend.fraction == pytest.approx(line.project(shapely.Point(990, 100)) / line.length, abs=1e-5), \
        "a fraction of the edge's length in metres"
    assert bend.off_m == pytest.approx(10, abs=0.2) and bend.vertex is None
    assert end.vertex is not None and end.vertex in (end.source, end.target) and end.off_m == pytest.approx(3, abs=0.2)
    assert inside.edge == a_edge and inside.vertex is None and inside.fraction == pytest.approx(0.5, abs=1e-3)
