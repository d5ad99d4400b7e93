"""Vector tiles: the feature is in its tile and not elsewhere; roles, zooms, ETags."""
import mapbox_vector_tile
import pytest
from sqlalchemy import create_engine, text

from tiling import tile_of


@pytest.fixture(scope="module")
def a_camera(demo_url):
    engine = create_engine(demo_url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT code, ST_X(geom), ST_Y(geom) FROM camera ORDER BY code LIMIT 1")).one()
    engine.dispose()
    return row


def decode(response):
    assert response.status_code == 200 and response.mimetype == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(response.data) if response.data else {}


def test_feature_in_its_tile_and_not_in_another(demo_client, tokens, a_camera):
    code, lon, lat = a_camera
    x, y = tile_of(lon, lat, 15)
    inside = decode(demo_client.get(f"/tiles/cameras/15/{x}/{y}.pbf", headers=tokens["viewer"]))
    assert code in {f["properties"]["fid"] for f in inside["cameras"]["features"]}
    elsewhere = decode(demo_client.get(f"/tiles/cameras/15/{x + 3}/{y + 3}.pbf", headers=tokens["viewer"]))
    assert code not in {f["properties"]["fid"] for f in elsewhere.get("cameras", {"features": []})["features"]}
    views = decode(demo_client.get(f"/tiles/camera_views/15/{x}/{y}.pbf", headers=tokens["viewer"]))
    feature = next(f for f in views["camera_views"]["features"] if f["properties"]["fid"] == code)
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_only_catalogue_properties_and_role_filtering(demo_client, tokens, a_camera):
    _, lon, lat = a_camera
    x, y = tile_of(lon, lat, 13)
    center = decode(demo_client.get(f"/tiles/disputes/13/{x}/{y}.pbf", headers=tokens["center"]))
    viewer = decode(demo_client.get(f"/tiles/disputes/13/{x}/{y}.pbf", headers=tokens["viewer"]))
    center_keys = set().union(*(f["properties"] for f in center["disputes"]["features"]))
    viewer_keys = set().union(*(f["properties"] for f in viewer["disputes"]["features"]))
    # Personal data never travels in tiles, not even to the center: popups ask for it (and are audited).
    assert not {"parties", "parties_phone"} & (center_keys | viewer_keys)
    assert {"grade", "overdue"} <= viewer_keys and "geom" not in viewer_keys
    assert demo_client.get(f"/tiles/routes/13/{x}/{y}.pbf", headers=tokens["viewer"]).status_code == 403


def test_below_min_zoom_and_out_of_range(demo_client, tokens):
    empty = demo_client.get("/tiles/camera_views/5/26/12.pbf", headers=tokens["viewer"])
    assert empty.status_code == 200 and empty.data == b""
    assert demo_client.get("/tiles/cameras/3/8/1.pbf", headers=tokens["viewer"]).status_code == 404
    assert demo_client.get("/tiles/nothing/3/1/1.pbf", headers=tokens["viewer"]).status_code == 404
    assert demo_client.get("/tiles/cameras/3/1/1.pbf").status_code == 401


def test_etag_revalidates_and_changes_with_the_data(own_demo, a_camera):
    code, lon, lat = a_camera  # the same camera in this copy of the demo
    viewer = own_demo.headers("viewer")
    x, y = tile_of(lon, lat, 14)
    url = f"/tiles/cameras/14/{x}/{y}.pbf"
    first = own_demo.client.get(url, headers=viewer)
    etag = first.headers["ETag"]
    assert "no-cache" in first.headers["Cache-Control"]
    again = own_demo.client.get(url, headers={**viewer, "If-None-Match": etag})
    assert again.status_code == 304
    with own_demo.connect() as conn:
        conn.execute(text("UPDATE camera SET name = name WHERE code = :c"), {"c": code})
    changed = own_demo.client.get(url, headers={**viewer, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_heat_points_count_every_dispute(demo_client, tokens):
    body = demo_client.get("/api/heat/disputes?bbox=73.5,3.9,135,53.5&zoom=14", headers=tokens["viewer"]).json
    assert sum(p[2] for p in body["points"]) == 200 and body["max"] >= 1
    assert demo_client.get("/api/heat/cameras", headers=tokens["viewer"]).status_code == 404
    assert demo_client.get("/api/heat/disputes?bbox=oops", headers=tokens["viewer"]).status_code == 400


def test_identify_lists_features_at_a_point_with_role_filtering(own_demo):
    # The center sees the parties, and each such view is written to audit_log: a copy of its own.
    with own_demo.connect() as conn:
        code, lon, lat = conn.execute(text("SELECT code, ST_X(geom), ST_Y(geom) FROM dispute ORDER BY code LIMIT 1")).one()
    client, center, viewer_token = own_demo.client, own_demo.headers("center"), own_demo.headers("viewer")
    url = f"/api/identify?lon={lon}&lat={lat}&zoom=18&layers=disputes,grids,boundaries"
    center_layers = client.get(url, headers=center).json["layers"]
    viewer = client.get(url, headers=viewer_token).json["layers"]
    found = {layer["id"]: layer["features"] for layer in center_layers}
    assert code in {f["code"] for f in found["disputes"]} and found["grids"] and found["boundaries"]
    assert "parties" in found["disputes"][0]
    assert any(layer["id"] == "disputes" and layer["features"] for layer in viewer)
    assert all("parties" not in f for layer in viewer if layer["id"] == "disputes" for f in layer["features"])
    with own_demo.connect() as conn:
        audited = conn.execute(text("SELECT login, fid FROM audit_log")).all()
    assert audited and set(audited) <= {("center", f["code"]) for f in found["disputes"]}
    assert client.get(f"/api/identify?lon={lon}&lat={lat}&zoom=18&layers=routes",
                      headers=viewer_token).status_code == 403
    assert client.get("/api/identify?lon=x&lat=1", headers=viewer_token).status_code == 400
    far = client.get(f"/api/identify?lon={lon + 0.5}&lat={lat}&zoom=18&layers=disputes", headers=center)
    assert far.json["layers"] == []
