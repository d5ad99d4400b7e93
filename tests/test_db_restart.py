"""The server survives its database, and slow clients: `gisapp serve` (gunicorn) over an embedded cluster
of its own, created in a temporary folder, restarted under the running server with `gisapp db down` and
`gisapp db up`, as the README tells an operator to.

The cluster keeps its port across the restart; the server's pooled connections are found dead and
replaced by themselves (and follow the cluster to another port when it had to move); nothing the
server acknowledged is lost. The server connects as the web server's role, not as the superuser.
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from gisapp.cli import main
from gisapp.db import engine_for
from gisapp.db.embedded import APP_ROLE, EmbeddedCluster
from gisapp.db.server import libpq_dsn

GISAPP = Path(sys.executable).with_name("gisapp")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answered(answer: tuple, status: int) -> tuple | None:
    """``answer`` (status, body) when its status is ``status``, else None (for ``until``)."""
    return answer if answer[0] == status else None


def until(condition, seconds: float, what: str):
    """Wait for ``condition()`` to be truthy (checked every 0.1 s) and return it; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds} s: {what}")
        time.sleep(0.1)


class Served:
    """`gisapp serve` over a cluster of its own: its base URL, its var folder, its log, the CLI."""

    def __init__(self, var: Path, base: str, log: Path, process: subprocess.Popen):
        self.var, self.base, self.log, self.process = var, base, log, process
        self.cluster = EmbeddedCluster(var)

    def run(self, *args: str):
        env = {"GISAPP_VAR_DIR": str(self.var), "DATABASE_URL": None, "GISAPP_DATABASE_URL": None,
               "GISAPP_DATABASE_ROLE": None}
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    def request(self, path: str, body: dict | None = None, headers: dict | None = None, timeout: float = 10):
        """(status, JSON or text) of a request to the server; (None, error) when it does not answer."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, headers={
            **({"Content-Type": "application/json"} if data else {}), **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as answer:
                status, raw = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        except OSError as error:
            return None, str(error)
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    def token(self, login: str = "center", password: str = "center-demo") -> dict:
        status, body = self.request("/api/auth/token", {"login": login, "password": password})
        assert status == 200, body
        return {"Authorization": f"Bearer {body['token']}"}

    def port(self) -> int:
        return json.loads((self.var / "pg.json").read_text())["port"]

    def owner(self) -> psycopg.Connection:
        return psycopg.connect(libpq_dsn(self.cluster.url()), autocommit=True)


@contextlib.contextmanager
def serving(var: Path, log: Path, *args: str):
    """`gisapp serve` as the README runs it, over the cluster in ``var``; stopped (by its pid) at the end."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GISAPP_DATABASE_URL", "GISAPP_DATABASE_ROLE")}
    env.update(GISAPP_VAR_DIR=str(var), GISAPP_SECRET_KEY="restart-test")
    with log.open("w") as out:
        process = subprocess.Popen([str(GISAPP), "serve", "--port", str(port), *args], env=env,
                                   stdout=out, stderr=subprocess.STDOUT, cwd=var.parent)
    served = Served(var, f"http://127.0.0.1:{port}", log, process)
    try:
        until(lambda: process.poll() is not None or served.request("/healthz", timeout=2)[0] == 200, 120,
              "the server answers /healthz")
        assert process.poll() is None, log.read_text()
        yield served
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def own_cluster(tmp_path_factory, name: str):
    """A migrated embedded cluster with the demo town in a folder of its own (destroyed at the end)."""
    var = tmp_path_factory.mktemp(name) / "var"
    runner, env = CliRunner(), {"GISAPP_VAR_DIR": str(var), "DATABASE_URL": None, "GISAPP_DATABASE_URL": None}
    try:
        for args in (["db", "up"], ["db", "migrate"], ["demo"]):
            result = runner.invoke(main, args, env=env, catch_exceptions=False)
            assert result.exit_code == 0, result.output
        engine_for(EmbeddedCluster(var).url()).dispose()  # the CLI's connections, in this process
        yield var
    finally:
        EmbeddedCluster(var).destroy()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`gisapp serve` with its defaults (threaded workers) over a cluster of its own."""
    with own_cluster(tmp_path_factory, "restart") as var, serving(var, var.parent / "serve.log") as server:
        yield server


class Writer(threading.Thread):
    """Takes disputes in, one after another, as fast as the server answers; notes what was acknowledged."""

    def __init__(self, served: Served, headers: dict, grid: str):
        super().__init__(daemon=True)
        self.served, self.headers, self.grid = served, headers, grid
        self.acknowledged: list[str] = []
        self.refused = 0
        self.stop = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            status, body = self.served.request("/api/disputes", {
                "grid": self.grid, "category": "neighbours", "summary": f"重启中登记 {n}", "grade": "ordinary"},
                self.headers, timeout=10)
            if status == 201:
                self.acknowledged.append(body["code"])
            else:
                self.refused += 1
                self.stop.wait(0.05)


def test_the_server_rides_out_a_database_restart(served):
    headers = served.token()
    with served.owner() as conn:
        grid = conn.execute("SELECT code FROM grid ORDER BY code LIMIT 1").fetchone()[0]
        # the server's connections are the web server's role's, not the superuser's
        users = {u for (u,) in conn.execute("SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = 'gisapp' "
                                            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")}
    assert users == {APP_ROLE}
    writer = Writer(served, headers, grid)
    writer.start()
    try:
        until(lambda: len(writer.acknowledged) >= 3, 60, "intakes acknowledged before the restart")
        port = served.port()
        assert served.run("db", "down").exit_code == 0
        # while the database is down: unhealthy, saying no more than that
        _, body = until(lambda: answered(served.request("/healthz"), 503), 30, "/healthz says 503")
        assert body["database"] == "unreachable" and body["message"] == "database unreachable"
        assert str(port) not in json.dumps(body) and "refused" not in json.dumps(body).lower()
        before = len(writer.acknowledged)
        assert served.run("db", "up").exit_code == 0
        assert served.port() == port, "the cluster came back on another port"
        started = time.monotonic()
        until(lambda: served.request("/api/disputes?limit=1", headers=headers)[0] == 200, 30,
              "the server answers again after the restart")
        until(lambda: len(writer.acknowledged) >= before + 3, 30, "intakes acknowledged after the restart")
        assert time.monotonic() - started < 30
    finally:
        writer.stop.set()
        writer.join(30)
    with served.owner() as conn:
        kept = {c for (c,) in conn.execute("SELECT code FROM dispute WHERE code = ANY(%s)", (writer.acknowledged,))}
    assert kept == set(writer.acknowledged), "an acknowledged intake was lost"
    log = served.log.read_text()
    assert "healthz: database unreachable: OperationalError" in log  # the details are in the log


def test_the_server_follows_the_cluster_to_another_port(served):
    headers = served.token()
    port = served.port()
    assert served.run("db", "down").exit_code == 0
    with socket.socket() as squatter:  # another program took the port meanwhile
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        assert served.run("db", "up").exit_code == 0
        assert served.port() != port
        until(lambda: served.request("/api/disputes?limit=1", headers=headers)[0] == 200, 30,
              "the server answers on the cluster's new port")
    assert served.request("/healthz")[0] == 200


def test_slow_clients_do_not_hold_up_the_others(served):
    """Half-sent requests (the probe of issue 13: four, which held gunicorn's three sync workers for 12 s) keep
    a thread each, not a worker: a click is still answered at once. (Many more would fill a worker's
    threads too: in production nginx reads each request whole first, docs/nginx.conf.)"""
    host, port = served.base.removeprefix("http://").split(":")
    slow = []
    try:
        for _ in range(4):
            sock = socket.create_connection((host, int(port)))
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # and never the rest
            slow.append(sock)
        started = time.monotonic()
        status, _ = served.request("/healthz", timeout=10)
        assert status == 200 and time.monotonic() - started < 3
    finally:
        for sock in slow:
            sock.close()


@pytest.mark.parametrize("proxies, client", [(0, "127.0.0.1 http"), (1, "203.0.113.9 https")])
def test_the_client_is_the_proxys_word_only_behind_a_proxy(db_url, tmp_path, monkeypatch, proxies, client):
    """`gisapp serve --proxies 1` behind nginx: the client's address (sign-in is throttled by it) and scheme
    come from X-Forwarded-For/-Proto; with no proxy configured, anyone could send those: they are ignored."""
    from flask import request

    from gisapp.cli.serve import proxied_app
    for name, value in (("DATABASE_URL", db_url), ("GISAPP_VAR_DIR", str(tmp_path / "var")),
                        ("GISAPP_SECRET_KEY", "proxy-test"), ("GISAPP_SERVE", json.dumps({"proxies": proxies}))):
        monkeypatch.setenv(name, value)
    app = proxied_app()
    app.add_url_rule("/_who", "_who", lambda: f"{request.remote_addr} {request.scheme}")
    answer = app.test_client().get("/_who", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                   headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    assert answer.get_data(as_text=True) == client
