"""The layers as OGC API – Features: contract, paging, filters, roles, and a real client (OWSLib)."""
import pytest
from owslib.ogcapi.features import Features

CAMERA_COUNT = 140


def test_landing_conformance_and_openapi(demo_client, tokens):
    landing = demo_client.get("/api", headers=tokens["viewer"]).json
    assert {l["rel"] for l in landing["links"]} >= {"self", "service-desc", "conformance", "data"}
    conformance = demo_client.get("/api/conformance", headers=tokens["viewer"]).json["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conformance
    spec = demo_client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.0")
    assert "/api/collections/cameras/items" in spec["paths"]
    assert "post" in spec["paths"]["/api/collections/cameras/items"]
    assert "post" not in spec["paths"]["/api/collections/roads/items"]


def test_collections_follow_the_role(demo_client, tokens):
    center = {c["id"] for c in demo_client.get("/api/collections", headers=tokens["center"]).json["collections"]}
    viewer = {c["id"] for c in demo_client.get("/api/collections", headers=tokens["viewer"]).json["collections"]}
    assert {"cameras", "camera_views", "alarms", "routes", "disputes", "grids", "boundaries"} <= center
    assert "routes" in center - viewer and "route_corridors" in center - viewer
    cameras = demo_client.get("/api/collections/cameras", headers=tokens["viewer"]).json
    x0, y0, x1, y1 = cameras["extent"]["spatial"]["bbox"][0]
    assert 114 < x0 < x1 < 115 and 34 < y0 < y1 < 35


def test_items_paging_and_links(demo_client, tokens):
    first = demo_client.get("/api/collections/cameras/items?limit=50", headers=tokens["viewer"])
    assert first.status_code == 200 and first.mimetype == "application/geo+json"
    body = first.json
    assert body["numberMatched"] == CAMERA_COUNT and body["numberReturned"] == 50
    rels = {l["rel"]: l["href"] for l in body["links"]}
    assert "prev" not in rels and "offset=50" in rels["next"]
    seen = [f["id"] for f in body["features"]]
    page = demo_client.get(rels["next"], headers=tokens["viewer"]).json
    last = demo_client.get("/api/collections/cameras/items?limit=50&offset=100", headers=tokens["viewer"]).json
    seen += [f["id"] for f in page["features"]] + [f["id"] for f in last["features"]]
    assert len(seen) == len(set(seen)) == CAMERA_COUNT
    assert "next" not in {l["rel"] for l in last["links"]} and "prev" in {l["rel"] for l in last["links"]}
    feature = body["features"][0]
    assert feature["geometry"]["type"] == "Point"
    assert list(feature["properties"])[:4] == ["name", "code", "kind", "status"]  # catalogue order


def test_bbox_and_property_filters(demo_client, tokens):
    every = demo_client.get("/api/collections/cameras/items?limit=1000", headers=tokens["viewer"]).json["features"]
    xs = sorted(f["geometry"]["coordinates"][0] for f in every)
    middle = xs[len(xs) // 2]
    west = demo_client.get(f"/api/collections/cameras/items?bbox=73.5,3.9,{middle},53&limit=1000",
                           headers=tokens["viewer"]).json
    assert 0 < west["numberMatched"] < CAMERA_COUNT
    assert all(f["geometry"]["coordinates"][0] <= middle for f in west["features"])
    assert west["numberMatched"] == sum(1 for x in xs if x <= middle)
    offline = demo_client.get("/api/collections/cameras/items?status=offline", headers=tokens["viewer"]).json
    assert offline["numberMatched"] == sum(1 for f in every if f["properties"]["status"] == "offline") > 0
    both = demo_client.get("/api/collections/disputes/items?grade=difficult&status=closed&limit=1000",
                           headers=tokens["viewer"]).json
    assert both["features"] and all(f["properties"]["grade"] == "difficult" and f["properties"]["status"] == "closed"
                                    for f in both["features"])
    chosen = demo_client.get("/api/collections/cameras/items?limit=1&properties=name,status",
                             headers=tokens["viewer"]).json["features"][0]
    assert list(chosen["properties"]) == ["name", "status"]


@pytest.mark.parametrize("query, words", [
    ("bbox=1,2,3", "bbox"), ("bbox=a,b,c,d", "bbox"), ("bbox=115,34,114,35", "minimum"),
    ("bbox=114,34,115,95", "latitudes"), ("limit=0", "limit"), ("limit=5000", "limit"),
    ("limit=ten", "limit"), ("offset=-1", "offset"), ("colour=red", "unknown property 'colour'"),
    ("f=html", "f:"),
])
def test_bad_queries_are_400(demo_client, tokens, query, words):
    response = demo_client.get(f"/api/collections/cameras/items?{query}", headers=tokens["viewer"])
    assert response.status_code == 400 and words in response.json["message"]


def test_unknown_and_forbidden(demo_client, tokens):
    assert demo_client.get("/api/collections/nothing/items", headers=tokens["center"]).status_code == 404
    assert demo_client.get("/api/collections/cameras/items/NOPE", headers=tokens["center"]).status_code == 404
    assert demo_client.get("/api/collections/cameras/items").status_code == 401
    refused = demo_client.get("/api/collections/routes/items", headers=tokens["viewer"])
    assert refused.status_code == 403 and "routes" in refused.json["message"]
    for query in ("parties=x", "properties=code,parties"):
        assert demo_client.get(f"/api/collections/disputes/items?{query}", headers=tokens["viewer"]).status_code == 403


def test_personal_data_only_for_allowed_roles(own_demo):
    """On a copy of its own: every view of personal data is written to the audit log."""
    client = own_demo.client
    for role, sees in (("center", True), ("grid_worker", True), ("viewer", False), ("planner", False),
                       ("team_leader", False)):
        body = client.get("/api/collections/disputes/items?limit=5", headers=own_demo.headers(role)).json
        assert all(("parties" in f["properties"]) == sees for f in body["features"]), role
        one = body["features"][0]["id"]
        item = client.get(f"/api/collections/disputes/items/{one}", headers=own_demo.headers(role)).json
        assert ("parties_phone" in item["properties"]) == sees
    alarms = client.get("/api/collections/alarms/items?limit=1", headers=own_demo.headers("planner")).json
    assert "contact_phone" not in alarms["features"][0]["properties"]


def test_owslib_reads_the_layers(live_demo, tokens):
    api = Features(f"{live_demo}/api", headers=tokens["viewer"])
    ids = [c["id"] for c in api.collections()["collections"]]
    assert "cameras" in ids and "routes" not in ids
    assert api.collection("cameras")["itemType"] == "feature"
    items = api.collection_items("cameras", limit=10, status="online")
    assert items["numberReturned"] == 10 and all(f["properties"]["status"] == "online" for f in items["features"])
    assert "conf/core" in " ".join(api.conformance()["conformsTo"])
