"""Bad input is a 4xx naming the problem, never a 500: bodies too deep or too large, methods not allowed."""
import json

from gisapp import create_app


def test_json_nested_too_deeply_is_a_400_even_unauthenticated(client):
    deep = '{"a":' * 50_000 + "1" + "}" * 50_000
    answer = client.post("/api/auth/token", data=deep, content_type="application/json")
    assert answer.status_code == 400, answer.json
    assert answer.json["status"] == 400


def test_a_body_over_the_configured_limit_is_a_413(db_url, tmp_path):
    app = create_app({"database_url": db_url, "secret_key": "test-secret", "var_dir": str(tmp_path / "var"),
                      "max_request_mb": 0.01})
    big = json.dumps({"login": "x" * 20_000, "password": "y"})
    answer = app.test_client().post("/api/auth/token", data=big, content_type="application/json")
    assert answer.status_code == 413, answer.data
    assert answer.json["status"] == 413


def test_a_method_not_allowed_says_which_are(client):
    answer = client.open("/api/disputes", method="TRACE")
    assert answer.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in answer.headers["Allow"].split(",")}
