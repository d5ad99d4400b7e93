"""Evaluating a route before it is saved: the coverage engine's own figures, checked against shapely."""
import geopandas as gpd
import pytest
import shapely
from sqlalchemy import text

from gisapp.editing import EditError
from gisapp.io.load import import_frame
from gisapp.patrol.evaluate import evaluate
from test_network import ORIGIN, UTM

GRID = shapely.box(0, 0, 1000, 1000)          # metres from the origin
LINE = shapely.LineString([(0, 500), (1000, 500)])
WIDTH = 25.0


def _lonlat(geom):
    x0, y0 = ORIGIN
    moved = shapely.affinity.translate(geom, x0, y0)
    return gpd.GeoSeries([moved], crs=UTM).to_crs("EPSG:4326").iloc[0]


def _frame(records, geoms):
    return gpd.GeoDataFrame(records, geometry=[_lonlat(g) for g in geoms], crs="EPSG:4326")


@pytest.fixture
def one_grid(engine, settings):
    """A village of one 1 km square grid with no road, camera or alarm; a team; two open disputes,
    10 m and 100 m from where the route will run."""
    with engine.begin() as conn:
        import_frame(conn, "areas", _frame([{"code": "410299101001", "name": "一村", "level": "village"}], [GRID]),
                     settings)
        import_frame(conn, "grids", _frame([{"code": "G1", "name": "一网格", "village_code": "410299101001"}],
                                           [GRID]), settings)
        import_frame(conn, "teams", gpd.GeoDataFrame([{"code": "T1", "name": "巡防队"}]), settings)
        import_frame(conn, "disputes", _frame(
            [{"code": c, "category": "land", "summary": "争议", "grade": "ordinary",
              "received_at": "2026-11-01 09:00"} for c in ("NEAR", "FAR")],
            [shapely.Point(400, 510), shapely.Point(400, 600)]), settings)
    return engine


def _route(**props):
    line = _lonlat(LINE)
    return {"type": "Feature", "geometry": shapely.geometry.mapping(line),
            "properties": {"name": "试走", "team_code": "T1", "mode": "foot", "sight_width_m": WIDTH,
                           "time_windows": "08:00-18:00", **props}}


def test_a_day_route_against_shapely(one_grid, settings):
    with one_grid.begin() as conn:
        found = evaluate(conn, settings, _route())
        left = conn.execute(text("SELECT (SELECT count(*) FROM patrol_route), (SELECT count(*) FROM grid_coverage)")).one()
    expected_share = GRID.intersection(LINE.buffer(WIDTH)).area / GRID.area      # shapely, independently
    day, night = (next(g for g in found["grids"] if g["period"] == p) for p in ("day", "night"))
    assert day["covered_share_before"] == 0 and night["covered_share_before"] == 0
    assert day["covered_share_after"] == pytest.approx(expected_share, abs=1e-3)
    assert night["covered_share_after"] == 0, "the route walks by day only"
    assert day["gap_closed_m2"] == pytest.approx(GRID.intersection(LINE.buffer(WIDTH)).area, rel=1e-3)
    assert "no_patrol" in day["flags_cleared"] and "no_night_patrol" in day["flags_remaining"]
    assert [d["code"] for d in found["disputes"]] == ["NEAR"]
    assert found["length_m"] == pytest.approx(1000, abs=1)
    assert found["duration_min"] == pytest.approx(1000 / (4.5 * 1000 / 60), abs=0.1)
    assert tuple(left) == (0, 0), "nothing is saved"


def test_an_existing_route_against_itself_switched_off(one_grid, settings):
    from gisapp.editing import create_feature
    with one_grid.begin() as conn:
        create_feature(conn, "routes", _route(code="R1", time_windows=None), settings)
    with one_grid.begin() as conn:
        found = evaluate(conn, settings, {"type": "Feature", "geometry": None, "properties": {}}, existing="R1")
        stored = conn.execute(text("SELECT active FROM patrol_route WHERE code = 'R1'")).scalar()
    expected_share = GRID.intersection(LINE.buffer(WIDTH)).area / GRID.area
    for row in found["grids"]:
        assert row["covered_share_before"] == 0
        assert row["covered_share_after"] == pytest.approx(expected_share, abs=1e-3), "all day: both periods"
    assert stored is True


def test_a_bad_route_is_refused_naming_the_field(one_grid, settings):
    with one_grid.begin() as conn, pytest.raises(EditError) as refused:
        evaluate(conn, settings, _route(mode="horse"))
    assert refused.value.problems[0].field == "mode"
    with one_grid.begin() as conn, pytest.raises(EditError) as missing:
        evaluate(conn, settings, _route(), existing="NOPE")
    assert missing.value.status == 404
