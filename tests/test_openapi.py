"""The OpenAPI document: generated from the routes, complete, valid, and true to the server."""
from __future__ import annotations

import re

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error, response_schema_conformance


def _document(client) -> dict:
    return client.get("/api/openapi.json").json


def test_every_api_route_is_documented_with_its_methods(demo_app):
    paths = _document(demo_app.test_client())["paths"]
    for rule in demo_app.url_map.iter_rules():
        if not (rule.rule == "/api" or rule.rule.startswith("/api/")):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        assert path in paths, path
        assert set(rule.methods) - {"HEAD", "OPTIONS"} <= {m.upper() for m in paths[path]}, path


def test_the_document_is_valid_openapi_3(demo_client):
    document = _document(demo_client)
    validate(document)
    assert document["openapi"].startswith("3.0")


def test_collections_have_their_own_paths(demo_client):
    paths = _document(demo_client)["paths"]
    assert "post" in paths["/api/collections/cameras/items"]
    assert "post" not in paths["/api/collections/roads/items"]
    filters = {p["name"] for p in paths["/api/collections/cameras/items"]["get"]["parameters"]}
    assert {"bbox", "limit", "offset", "status"} <= filters
    bbox = next(p for p in paths["/api/collections/cameras/items"]["get"]["parameters"] if p["name"] == "bbox")
    assert bbox["schema"]["type"] == "string"


def test_who_may_call_is_documented(demo_app, demo_client):
    paths = _document(demo_client)["paths"]
    assert paths["/api/users"]["get"]["x-roles"] == ["center"]
    assert paths["/api/me"]["get"]["x-roles"] == []  # any signed-in user
    assert set(paths["/api/disputes/{code}/escalate"]["post"]["x-roles"]) == {"center"}
    routes = demo_app.extensions["catalogue"]["routes"]
    assert paths["/api/collections/routes/items"]["post"]["x-roles"] == sorted(routes.editors)
    assert paths["/api/auth/token"]["post"]["security"] == [] and "x-roles" not in paths["/api/auth/token"]["post"]


def test_every_error_has_the_one_body(demo_client, tokens):
    center = tokens["center"]
    answers = [demo_client.get("/api/collections/cameras/items?limit=0&bbox=1,2", headers=center),  # validation
               demo_client.get("/api/collections/cameras/items?colour=red", headers=center),        # view
               demo_client.get("/api/collections/cameras/items/a%00b", headers=center),             # NUL guard
               demo_client.get("/api/collections/cameras/items?status=%00", headers=center),
               demo_client.post("/api/disputes", json={"summary": "a\x00", "category": "land"}, headers=center),
               demo_client.get("/api/users", headers=tokens["viewer"]),                              # roles
               demo_client.get("/api/me"), demo_client.get("/api/nothing-here")]
    assert [a.status_code for a in answers] == [400, 400, 400, 400, 400, 403, 401, 404]
    for answer in answers:
        assert set(answer.json) == {"error", "status", "message", "field", "problems"}, answer.json
        assert answer.json["status"] == answer.status_code and answer.json["message"]
    limit_and_bbox = answers[0].json
    assert {p["field"] for p in limit_and_bbox["problems"]} == {"limit", "bbox"}
    assert limit_and_bbox["field"] in {"limit", "bbox"} and "limit: must be from 1 to 1000" in limit_and_bbox["message"]
    assert [a.json["field"] for a in answers[2:5]] == ["path", "status", "summary"]
    assert answers[6].json["field"] is None and answers[6].json["problems"] == []


# -- the server keeps to its document: schemathesis ----------------------------------------------

EXAMPLES = 10  # per operation: the whole run stays under a minute on a small machine


def _known_ids(client, headers: dict, layers) -> dict[str, dict]:
    """Path parameters naming things that exist, by path prefix: random ones would only ever find nothing."""
    first = {layer: (client.get(f"/api/collections/{layer}/items?limit=1", headers=headers).json["features"] or
                     [{"id": "none"}])[0]["id"] for layer in layers}
    known = {f"/api/collections/{layer}/items/{{fid}}": {"fid": str(fid)} for layer, fid in first.items()}
    dispute = client.get("/api/disputes?limit=1", headers=headers).json["disputes"][0]["code"]
    return {**known, "/api/disputes/{code}": {"code": dispute}, "/api/coverage/grids/{code}": {"code": first["grids"]},
            "/api/heat/{layer_id}": {"layer_id": "disputes"}}


def _fuzz(app, headers: dict, known: dict[str, dict], calls: list) -> list[str]:
    """Run schemathesis over every operation; the failures found, one line each (``calls`` gets each case)."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        path_parameters = next((ids for prefix, ids in known.items() if operation.path.startswith(prefix)), None)

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(path_parameters=path_parameters))
        def check(case):
            calls.append(case)
            case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

        try:
            check()
        except Exception as exc:  # noqa: BLE001 - every failure is reported, then the test fails
            failures.append(f"{operation.label}: {str(exc).strip().splitlines()[0:6]}")
    return failures


def test_the_server_keeps_to_its_document(own_demo):
    """No server error and no answer unlike the document, for reads and writes by the center, on a copy
    of the demo town of its own (the writes change it, and reads of personal data are audited)."""
    headers, calls = own_demo.headers("center"), []
    known = _known_ids(own_demo.client, headers, own_demo.app.extensions["catalogue"])
    assert _fuzz(own_demo.app, headers, known, calls) == []
    assert len(calls) > 500
