"""What a request costs before its own work: revalidated tiles run no statement, ETags follow their layer's
tables, a token's use is written once a minute, and Gi*'s grid adjacency is kept until the grids change."""
import datetime as dt

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from gisapp import clock, request_db
from tiling import tile_of

ALL_TIME = "from=2000-01-01&to=2100-01-01"



@pytest.fixture
def statements():
    """The SQL statements this process sends while the test runs."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)
    event.listen(Engine, "before_cursor_execute", record)
    yield sent
    event.remove(Engine, "before_cursor_execute", record)


@pytest.fixture
def long_ttl(monkeypatch):
    """Cached versions and users kept for a minute: the test does not depend on how fast it runs."""
    monkeypatch.setattr(request_db, "TTL_S", 60.0)


def camera_tile(own_demo) -> tuple[str, str]:
    """A camera's code and the path of its z14 tile (without the layer)."""
    with own_demo.connect() as conn:
        code, lon, lat = conn.execute(text("SELECT code, ST_X(geom), ST_Y(geom) FROM camera ORDER BY code LIMIT 1")).one()
    x, y = tile_of(lon, lat, 14)
    return code, f"14/{x}/{y}.pbf"


def test_a_revalidated_tile_is_answered_without_a_statement(own_demo, long_ttl, statements):
    viewer = own_demo.headers("viewer")
    _, tile = camera_tile(own_demo)
    first = own_demo.client.get(f"/tiles/cameras/{tile}", headers=viewer)
    assert first.status_code == 200
    # the token's first use was just written: that commit dropped what this process had cached
    own_demo.client.get("/api/me", headers=viewer)
    statements.clear()
    again = own_demo.client.get(f"/tiles/cameras/{tile}", headers={**viewer, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"]
    assert statements == []  # no version, no token, no tile query, no write


def test_a_tile_asked_for_again_is_served_without_its_query(own_demo, long_ttl, statements):
    viewer = own_demo.headers("viewer")
    _, tile = camera_tile(own_demo)
    first = own_demo.client.get(f"/tiles/cameras/{tile}", headers=viewer)
    own_demo.client.get("/api/me", headers=viewer)  # as above
    statements.clear()
    again = own_demo.client.get(f"/tiles/cameras/{tile}", headers=viewer)
    assert again.status_code == 200 and again.data == first.data and statements == []


def test_an_edit_changes_the_etags_of_its_layers_only(own_demo, long_ttl):
    viewer = own_demo.headers("center")
    code, tile = camera_tile(own_demo)

    def etags() -> dict[str, str]:
        return {layer: own_demo.client.get(f"/tiles/{layer}/{tile}", headers=viewer).headers["ETag"]
                for layer in ("cameras", "camera_views", "alarms", "coverage_day", "grids", "roads", "key_places")}
    before = etags()
    with own_demo.connect() as conn:  # a write by another connection of this process
        conn.execute(text("UPDATE camera SET name = name || ' 2' WHERE code = :c"), {"c": code})
    after = etags()
    changed = {layer for layer in before if before[layer] != after[layer]}
    # the layers reading the cameras change (an alarm lists its cameras); coverage, when it is recomputed
    # (its writer counts its changes: test_tile_regions); the grids, roads and key places do not
    assert changed == {"cameras", "camera_views", "alarms"}


def test_a_token_use_is_recorded_at_most_once_a_minute(own_demo, monkeypatch):
    moment = {"t": clock.now()}
    monkeypatch.setattr(clock, "now", lambda: moment["t"])
    headers = own_demo.headers("viewer")
    secret = headers["Authorization"].removeprefix("Bearer ")

    def last_used():
        with own_demo.connect() as conn:
            return conn.execute(text("SELECT last_used_at FROM api_token WHERE token_hash = encode(sha256(:s), 'hex')"),
                                {"s": secret.encode()}).scalar()
    start = moment["t"]
    assert own_demo.client.get("/api/me", headers=headers).status_code == 200
    assert last_used() == start
    for seconds in (1, 30, 59):
        moment["t"] = start + dt.timedelta(seconds=seconds)
        assert own_demo.client.get("/api/me", headers=headers).status_code == 200
    assert last_used() == start  # not one write per request
    moment["t"] = start + dt.timedelta(seconds=61)
    assert own_demo.client.get("/api/me", headers=headers).status_code == 200
    assert last_used() == start + dt.timedelta(seconds=61)


def test_gi_star_adjacency_is_kept_until_the_grids_change(own_demo, statements):
    center = own_demo.headers("center")

    def hot_spots() -> tuple[list, int]:
        statements.clear()
        answer = own_demo.client.get(f"/api/disputes/hotspots?{ALL_TIME}", headers=center)
        assert answer.status_code == 200
        by_grid = sorted((f["properties"]["code"], f["properties"]["z"]) for f in answer.json["features"])
        return by_grid, sum("ST_Intersects(a.geom, b.geom)" in s for s in statements)
    first, built = hot_spots()
    again, built_again = hot_spots()
    assert (built, built_again) == (1, 0) and again == first
    with own_demo.connect() as conn:  # one grid less: the adjacency must be built anew
        conn.execute(text("DELETE FROM grid WHERE id = (SELECT max(id) FROM grid g "
                          "WHERE NOT EXISTS (SELECT FROM dispute d WHERE d.grid_id = g.id))"))
    changed, rebuilt = hot_spots()
    assert rebuilt == 1 and len(changed) == len(first) - 1



def test_coverage_computed_again_changes_the_coverage_tiles_etag(own_demo):
    """grid_coverage has no trigger (it is written in parallel batches): compute_grids counts the change itself,
    so coverage tiles are not revalidated from before (a change of settings recomputes with no table changed)."""
    from sqlalchemy import create_engine

    from gisapp.coverage import compute_grids
    center = own_demo.headers("center")
    with own_demo.connect() as conn:
        lon, lat = conn.execute(text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(geom) AS c FROM grid "
                                     "ORDER BY code LIMIT 1) g")).one()
    x, y = tile_of(lon, lat, 14)
    first = own_demo.client.get(f"/tiles/coverage_day/14/{x}/{y}.pbf", headers=center)
    assert first.status_code == 200, first.data
    engine = create_engine(own_demo.url)
    try:
        with engine.begin() as conn:
            compute_grids(conn, own_demo.app.config["GISAPP"], list(conn.execute(text("SELECT id FROM grid")).scalars()))
    finally:
        engine.dispose()
    again = own_demo.client.get(f"/tiles/coverage_day/14/{x}/{y}.pbf",
                                headers={**center, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]
