"""Logging is set up in one place: the configured level and format, and the request id on each line."""
import json
import logging
import re
from urllib.parse import quote, quote_plus, urlencode

import pytest
from flask import current_app
from sqlalchemy import text

from gisapp import create_app, logging_setup
from gisapp.request_db import db_session

from test_db_restart import own_cluster, serving, until


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


# -- personal data stays out of every log ---------------------------------------------------------

PHONE, PARTIES, CONTACT = "13336956988", "钱七八", "赵六"


def _absent(text: str, *values: str) -> list[str]:
    """Those of ``values`` (as given or percent-encoded, as in a URL) that appear in ``text``."""
    return [v for v in values for form in (v, quote(v), quote_plus(v)) if form in text]


def test_a_traceback_carries_no_row_and_no_parameter(make, capsys):
    """A 500 logs its traceback: without the refused row PostgreSQL echoes, nor the statement's parameters."""
    client = make(log_level="INFO")
    app = client.application

    @app.route("/_refused")
    def _refused():
        db_session().execute(text("INSERT INTO dispute (code, category, summary, parties, parties_phone, grade, status, "
                                  "source, received_at, due_at, geom) VALUES ('D-LOG', 'neighbours', 's', :parties, "
                                  ":phone, 'ordinary', 'received', 'other', now(), now(), "
                                  "ST_SetSRID(ST_MakePoint(114.5, 34.6), 4326))"),
                             {"parties": PARTIES, "phone": f"call {PHONE}"})
        return "not reached"
    capsys.readouterr()
    assert client.get(f"/_refused?parties_phone={PHONE}").status_code == 500
    err = capsys.readouterr().err
    assert "unhandled error" in err and "ck_dispute_parties_phone" in err and "Failing row contains (...)" in err
    assert _absent(err, PHONE, PARTIES) == [], err


@pytest.mark.parametrize("line, kept, gone", [
    ('"GET /api/disputes?grade=ordinary&parties_phone=1333&parties=%E9%92%B1 HTTP/1.1"', ["grade=ordinary"],
     ["1333", "%E9%92%B1"]),
    ("http://host/map?contact_phone=1333;contact_name=x&layer=alarms", ["layer=alarms"], ["1333", "=x"]),
    ("/api/auth/token?password=hunter2&token=abc", [], ["hunter2", "abc"]),
])
def test_personal_query_values_are_filtered(line, kept, gone):
    scrubbed = logging_setup.scrub_query(line)
    assert all(k in scrubbed for k in kept) and not any(g in scrubbed for g in gone), scrubbed


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`gisapp serve` (gunicorn, its access log) over an embedded cluster of its own (its server log)."""
    with own_cluster(tmp_path_factory, "logs") as var, serving(var, var.parent / "serve.log") as server:
        yield server


def test_no_personal_field_in_the_access_log_or_the_server_logs(served):
    """An intake refused by a constraint of the database, and a list asked for with personal fields in its
    query string and its referrer: neither gunicorn's lines (access and application) nor PostgreSQL's log
    holds the parties, a phone or a contact."""
    headers = served.token()
    with served.owner() as conn:
        grid = conn.execute("SELECT code FROM grid ORDER BY code LIMIT 1").fetchone()[0]
    query = urlencode({"parties_phone": PHONE, "parties": PARTIES, "contact_name": CONTACT})
    status, body = served.request(f"/api/disputes?{query}", {
        "grid": grid, "category": "neighbours", "summary": "日志测试 log test", "grade": "ordinary",
        "parties": PARTIES, "parties_phone": f"call {PHONE}"}, headers)
    assert status == 400 and body["field"] == "parties_phone", body   # refused by the database's check
    referrer = f"{served.base}/map?{urlencode({'contact_phone': PHONE})}"
    assert served.request(f"/api/disputes?{query}", headers={**headers, "Referer": referrer})[0] in (200, 422)
    until(lambda: served.log.read_text().count("parties_phone=[filtered]") >= 2, 10, "both requests in the access log")
    access = served.log.read_text()
    assert "contact_phone=[filtered]" in access
    server_log = served.cluster.log_file.read_text(errors="replace")
    assert 'violates check constraint "ck_dispute_parties_phone"' in server_log  # logged, without the row
    assert _absent(access, PHONE, PARTIES, CONTACT) == [], access[-3000:]
    assert _absent(server_log, PHONE, PARTIES, CONTACT) == [], server_log[-3000:]
