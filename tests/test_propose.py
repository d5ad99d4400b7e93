"""Proposed patrol routes: within budget, on the roads, closed when asked, worth the most."""
import json

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import text

from gisapp.io.load import import_frame
from gisapp.patrol import network
from gisapp.patrol.propose import Request, propose
from gisapp.patrol.routing import RoutingError
from test_network import ORIGIN, UTM, _roads

ONLY_DISPUTES = {"gaps": 0, "hotspots": 0, "alarms": 0}


def _points(layer_records: list[dict], xy_m: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    x0, y0 = ORIGIN
    frame = gpd.GeoDataFrame(layer_records, geometry=[shapely.Point(x0 + x, y0 + y) for x, y in xy_m], crs=UTM)
    return frame.to_crs("EPSG:4326")


def _dispute(code: str, grade: str) -> dict:
    return {"code": code, "category": "land", "summary": "宅基地边界争议", "grade": grade,
            "received_at": "2026-11-01 09:00"}


def _lonlat(x: float, y: float) -> tuple[float, float]:
    frame = gpd.GeoSeries([shapely.Point(ORIGIN[0] + x, ORIGIN[1] + y)], crs=UTM).to_crs("EPSG:4326")
    return frame.iloc[0].x, frame.iloc[0].y


@pytest.fixture
def settings(settings):
    """The search stops after 0.3 s: these instances are solved at once."""
    return dict(settings, patrol=dict(settings["patrol"], solver_seconds=0.3))


@pytest.fixture
def street(engine, settings):
    """A 2 km east-west street, the base in its middle; an ordinary dispute near its west end,
    a difficult one near its east end, an alarm by the west end."""
    with engine.begin() as conn:
        import_frame(conn, "roads", _roads([[(-1000, 0), (0, 0)], [(0, 0), (1000, 0)]]), settings)
        import_frame(conn, "disputes", _points([_dispute("W1", "ordinary"), _dispute("E1", "difficult")],
                                               [(-900, 10), (900, -10)]), settings)
        import_frame(conn, "alarms", _points([{"code": "A1", "enterprise": "食品厂", "status": "online"}],
                                             [(-950, 60)]), settings)
        network.build(conn, settings)
    return engine


def _on_the_roads(conn, feature) -> bool:
    return conn.execute(text(
        "SELECT bool_and(ST_DWithin(p.geom::geography, (SELECT ST_Union(geom) FROM road)::geography, 1)) "
        "FROM ST_DumpPoints(ST_GeomFromGeoJSON(:g)) p"), {"g": json.dumps(feature["geometry"])}).scalar()


def test_a_short_budget_goes_where_it_is_worth_more(street, settings):
    # on foot (75 m/min): either end and back is 24 min; both ends need 48 min
    with street.begin() as conn:
        found = propose(conn, settings, Request("foot", _lonlat(0, 0), budget_min=30, weights=ONLY_DISPUTES))
    (route,) = found["features"]
    props = route["properties"]
    assert [c["ref"] for s in props["stops"] for c in s["collects"]] == ["E1"]
    assert props["value"] == 3.0 and props["duration_min"] <= 30


def test_a_long_budget_collects_both_ends_and_comes_back(street, settings):
    with street.begin() as conn:
        found = propose(conn, settings, Request("foot", _lonlat(0, 0), budget_min=60, weights=ONLY_DISPUTES))
        (route,) = found["features"]
        assert _on_the_roads(conn, route), "every vertex of the route lies on a road"
    props = route["properties"]
    assert sorted(c["ref"] for s in props["stops"] for c in s["collects"]) == ["E1", "W1"]
    assert props["value"] == 4.0 and props["duration_min"] <= 60
    assert props["length_m"] == pytest.approx(4000, abs=1)       # to each end and back
    coords = route["geometry"]["coordinates"]
    assert coords[0] == coords[-1], "a closed tour when no end is given"
    arrivals = [s["arrive_min"] for s in props["stops"]]
    assert arrivals == sorted(arrivals)


def test_weights_decide_what_counts(street, settings):
    with street.begin() as conn:
        only_disputes = propose(conn, settings, Request("foot", _lonlat(0, 0), budget_min=60, weights=ONLY_DISPUTES))
        with_alarms = propose(conn, settings, Request("foot", _lonlat(0, 0), budget_min=60,
                                                      weights={"gaps": 0, "hotspots": 0, "alarms": 5}))
    kinds = {c["kind"] for f in only_disputes["features"] for s in f["properties"]["stops"] for c in s["collects"]}
    assert kinds == {"dispute"}
    kinds = {c["kind"] for f in with_alarms["features"] for s in f["properties"]["stops"] for c in s["collects"]}
    assert kinds == {"dispute", "alarm"}
    named = {(c["kind"], c["ref"], c["name"]) for f in with_alarms["features"] for s in f["properties"]["stops"]
             for c in s["collects"]}
    assert ("alarm", "A1", "食品厂") in named and all(name is None for kind, _, name in named if kind == "dispute")


def test_an_open_route_ends_where_asked(street, settings):
    with street.begin() as conn:
        found = propose(conn, settings, Request("foot", _lonlat(-1000, 0), end=_lonlat(1000, 0), budget_min=40,
                                                weights=ONLY_DISPUTES))
    (route,) = found["features"]
    coords = route["geometry"]["coordinates"]
    assert coords[0] != coords[-1]
    assert route["properties"]["length_m"] == pytest.approx(2000, abs=1)
    assert route["properties"]["value"] == 4.0


@pytest.mark.parametrize("request_, message", [
    (Request("foot", _lonlat(0, 0), budget_min=5, weights=ONLY_DISPUTES), "nothing worth collecting"),
    (Request("foot", _lonlat(0, 2000), budget_min=60), "from the road network"),
])
def test_impossible_requests_say_why(street, settings, request_, message):
    with street.begin() as conn, pytest.raises(RoutingError, match=message):
        propose(conn, settings, request_)


def test_without_pgrouting_planning_is_off(street, settings):
    with street.connect() as conn:
        conn.execute(text("DROP EXTENSION pgrouting"))
        with pytest.raises(RoutingError, match="pgRouting is not installed"):
            propose(conn, settings, Request("foot", _lonlat(0, 0), budget_min=60))
        conn.rollback()


def test_hot_spots_are_computed_again_only_when_disputes_change(street, settings, monkeypatch):
    from gisapp.disputes import figures as module
    calls = []
    monkeypatch.setattr(module, "hotspots", lambda *args: calls.append(1) or {})
    with street.begin() as conn:
        module.hot_grid_ids(conn, settings)
        module.hot_grid_ids(conn, settings)
        assert len(calls) == 1, "the same disputes: the hot spots are kept"
        import_frame(conn, "disputes", _points([_dispute("N1", "complex")], [(100, 5)]), settings)
        module.hot_grid_ids(conn, settings)
    assert len(calls) == 2, "a new dispute: computed again"
