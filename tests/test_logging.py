"""Logging is set up in one place: the configured level and format, and the request id on each line."""
import json
import logging
import re

import pytest
from flask import current_app

from gisapp import create_app


@pytest.fixture
def make(engine, db_url, tmp_path, capsys):
    """An app with these logging settings and a page that logs; capsys is on before it logs anywhere."""
    def build(**settings):
        app = create_app({"database_url": db_url, "secret_key": "t", "var_dir": str(tmp_path / "var"), **settings})

        @app.route("/_log")
        def _log():
            current_app.logger.info("looked at")
            logging.getLogger("gisapp.somewhere").warning("careful")
            return "ok"
        return app.test_client()
    yield build
    logging.getLogger().setLevel(logging.WARNING)


def _json_lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]


def test_a_sane_request_id_is_taken_echoed_and_on_every_line(make, capsys):
    client = make(log_json=True, log_level="INFO")
    response = client.get("/_log", headers={"X-Request-Id": "abc-123.x_y"})
    assert response.headers["X-Request-Id"] == "abc-123.x_y"
    lines = [line for line in _json_lines(capsys) if line["message"] in ("looked at", "careful")]
    assert [(line["level"], line["logger"]) for line in lines] == [("INFO", "gisapp"), ("WARNING", "gisapp.somewhere")]
    assert {line["request_id"] for line in lines} == {"abc-123.x_y"}


@pytest.mark.parametrize("given", ["", "two words", "x" * 65, "<script>", "a;b"])
def test_an_insane_request_id_is_replaced(make, capsys, given):
    client = make(log_json=True)
    response = client.get("/_log", headers={"X-Request-Id": given} if given else {})
    made = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert {line["request_id"] for line in _json_lines(capsys) if line["message"] == "careful"} == {made}


def test_each_request_gets_its_own_id_even_when_refused(make):
    client = make()
    first, second = client.get("/_log").headers["X-Request-Id"], client.get("/_log").headers["X-Request-Id"]
    assert first != second
    assert client.get("/api/me").status_code == 401 and client.get("/api/me").headers["X-Request-Id"]


def test_text_lines_at_the_configured_level(make, capsys):
    client = make(log_level="WARNING")
    client.get("/_log", headers={"X-Request-Id": "r1"})
    err = capsys.readouterr().err
    assert "looked at" not in err
    assert re.search(r"WARNING gisapp\.somewhere \[r1\] careful", err)
    logging.getLogger("gisapp").warning("outside")
    assert "[-] outside" in capsys.readouterr().err
