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


# -- the server keeps to its document: schemathesis ----------------------------------------------

EXAMPLES = 12  # per operation: the whole run stays under a minute on a small machine


def _fuzz(app, headers: dict, calls: list) -> list[str]:
    """Run schemathesis over every operation; the failures found, one line each (``calls`` gets each case)."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            calls.append(case)
            case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

        try:
            check()
        except Exception as exc:  # noqa: BLE001 - every failure is reported, then the test fails
            failures.append(f"{operation.label}: {str(exc).strip().splitlines()[0:6]}")
    return failures


def test_the_server_keeps_to_its_document(own_demo):
    """No server error and no answer unlike the document, for reads and writes by the center
    (on a copy of the demo town of its own: the writes change it, and reads of personal data are audited)."""
    calls = []
    failures = _fuzz(own_demo.app, own_demo.headers("center"), calls)
    assert failures == []
    assert len(calls) > 200
