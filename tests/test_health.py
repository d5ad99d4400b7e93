"""/healthz and the JSON error format."""


def test_healthz_reports_versions_and_migration(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["postgis"].startswith("3.")
    assert body["migration"]["current"] == body["migration"]["head"]


def test_api_errors_are_json(client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.is_json and response.json["status"] == 404 and response.json["message"]
    assert response.json["error"] == "Not Found" and response.json["field"] is None and response.json["problems"] == []
