"""Test fixtures: a fresh PostGIS database per session (embedded cluster or DATABASE_URL).

Every test starts from empty tables: they are truncated after each test, so tests run in any
order, and in parallel (pytest-xdist: each worker is a session of its own, with its own
databases, named by process id). Nothing is mocked: the app, the CLI and the importer talk to a
real PostGIS.

The demo town is loaded once per session into a template database nobody connects to. Tests
that only read share one copy of it (``demo_url``, ``demo_app``, ``demo_client``, ``tokens``,
``live_demo``), and a guard fails any test after which that copy differs from the template
(rows, ``data_version``, ``audit_log``). A test that writes takes a copy of its own (``own_demo``).
"""
from __future__ import annotations

import contextlib
import os
import re
import threading
import uuid
from pathlib import Path

import psycopg
import pytest
from filelock import FileLock
from psycopg import sql
from click.testing import CliRunner
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from werkzeug.serving import WSGIRequestHandler, make_server

from gisapp import create_app
from gisapp.cli import main as cli_main
from gisapp.config import load_settings, var_dir
from gisapp.db import database_url, migrate
from gisapp.db.server import ensure_database, libpq_dsn
from gisapp.demo import DEMO_ACCOUNTS, clear_all, load_demo


def _admin_url() -> str:
    """A URL on the server the tests use (DATABASE_URL's, or the embedded cluster's)."""
    return database_url(load_settings())


@pytest.fixture(scope="session")
def server_url() -> str:
    """The server's URL. Creating and starting the embedded cluster (and its extensions) is done
    under a file lock: xdist workers, or two test runs, must not run initdb or pg_ctl at once."""
    with FileLock(str(var_dir(load_settings()) / "tests-server.lock"), timeout=300):
        return _admin_url()


def make_database(server_url: str, prefix: str) -> str:
    """Create a new empty database with PostGIS on the test server; return its URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    ensure_database(server_url, name)
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def copy_database(server_url: str, template_url: str, prefix: str) -> str:
    """Create a new database as a copy of ``template_url``'s (which nobody may be connected to)."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(libpq_dsn(server_url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(make_url(template_url).database)))
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, url: str) -> None:
    with psycopg.connect(libpq_dsn(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


@pytest.fixture(scope="session")
def db_url(server_url):
    """A freshly migrated test database for the whole session."""
    url = make_database(server_url, "gisapp_test")
    migrate.upgrade(url)
    yield url
    drop_database(server_url, url)


@pytest.fixture(scope="session")
def engine(db_url):
    eng = create_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture(autouse=True)
def _empty_tables(request):
    """Empty every table after each test that used the database."""
    yield
    if "engine" in request.fixturenames:
        with request.getfixturevalue("engine").begin() as conn:
            clear_all(conn)


@pytest.fixture
def settings(db_url) -> dict:
    return load_settings({"database_url": db_url})


@pytest.fixture
def app(engine, db_url, tmp_path):
    application = create_app({"database_url": db_url, "secret_key": "test-secret",
                              "var_dir": str(tmp_path / "var")})
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def cli(engine, db_url, tmp_path):
    """Run ``gisapp ...`` against the test database; returns click's Result."""
    runner = CliRunner()
    env = {"DATABASE_URL": db_url, "GISAPP_VAR_DIR": str(tmp_path / "var")}

    def run(*args: str, input: str | None = None):
        return runner.invoke(cli_main, list(args), env=env, input=input, catch_exceptions=False)
    return run


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, login_name: str, password: str):
    """Sign in through the real login form (with its CSRF token)."""
    return client.post("/login", data={"login": login_name, "password": password,
                                       "csrf_token": csrf_token(client)})


# -- the demo town ----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def demo_template(server_url):
    """A database holding the demo town as loaded, never connected to again: the source of copies."""
    url = make_database(server_url, "gisapp_demotpl")
    migrate.upgrade(url)
    engine = create_engine(url)
    load_demo(engine, load_settings({"database_url": url}), progress=False)
    engine.dispose()
    yield url
    drop_database(server_url, url)


# Left out of the guard: the PostGIS catalogue, and the bearer tokens that signing in issues and
# stamps (``tokens`` issues them once per session; their use sets last_used_at, once a minute).
UNGUARDED = {"spatial_ref_sys", "api_token"}


def fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """{table: (rows, md5 of the rows)} for every table of the database but UNGUARDED."""
    with psycopg.connect(libpq_dsn(url)) as conn:
        tables = [t for (t,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
            if t not in UNGUARDED]
        query = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT {name}, count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                    "FROM {table} AS t").format(name=sql.Literal(table), table=sql.Identifier(table))
            for table in tables)
        return {name: (rows, digest) for name, rows, digest in conn.execute(query)}


def differences(before: dict, after: dict) -> list[str]:
    return [f"{table}: {before.get(table, (0,))[0]} rows -> {after.get(table, (0,))[0]} rows"
            + (" (same count, rows changed)" if before.get(table, (0,))[0] == after.get(table, (0,))[0] else "")
            for table in sorted(set(before) | set(after)) if before.get(table) != after.get(table)]


@pytest.fixture(scope="session")
def demo_url(server_url, demo_template):
    """The demo town shared by read-only tests: they must leave it as found (the guard checks)."""
    url = copy_database(server_url, demo_template, "gisapp_demo")
    _DEMO_BASELINE[url] = fingerprint(url)
    yield url
    _DEMO_BASELINE.pop(url, None)
    drop_database(server_url, url)


_DEMO_BASELINE: dict[str, dict] = {}


@pytest.fixture(autouse=True)
def _shared_demo_untouched(request):
    """Fail the test after which the shared demo database differs from the demo as loaded."""
    yield
    if "demo_url" not in request.fixturenames:
        return
    url = request.getfixturevalue("demo_url")
    before, after = _DEMO_BASELINE[url], fingerprint(url)
    if before == after:
        return
    changed = differences(before, after)
    _DEMO_BASELINE[url] = after  # report it once, at the test that did it
    pytest.fail("this test changed the shared read-only demo database (use the own_demo fixture for a "
                "copy of your own):\n  " + "\n  ".join(changed), pytrace=False)


def make_app(url: str, var: Path):
    application = create_app({"database_url": url, "secret_key": "test-secret", "var_dir": str(var)})
    application.config["TESTING"] = True
    return application


def bearer_headers(application, logins=DEMO_ACCOUNTS) -> dict[str, dict]:
    """A bearer-token header for each demo account, by role, asked for over the API."""
    client = application.test_client()
    headers = {}
    for login_name in logins:
        password, role = DEMO_ACCOUNTS[login_name]
        answer = client.post("/api/auth/token", json={"login": login_name, "password": password})
        assert answer.status_code == 200, answer.json
        headers[role] = {"Authorization": f"Bearer {answer.json['token']}"}
    return headers


class _QuietHandler(WSGIRequestHandler):
    """No access line per request: a browser's requests may still arrive after its test has ended,
    outside any test's captured output. Errors are still logged."""

    def log_request(self, *args, **kwargs) -> None:
        pass


@contextlib.contextmanager
def serving(application):
    """Serve ``application`` over HTTP on 127.0.0.1 (a thread); yields its base URL."""
    server = make_server("127.0.0.1", 0, application, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture(scope="session")
def demo_app(demo_url, tmp_path_factory):
    return make_app(demo_url, tmp_path_factory.mktemp("var"))


@pytest.fixture
def demo_client(demo_app):
    return demo_app.test_client()


@pytest.fixture(scope="session")
def tokens(demo_app):
    """A bearer-token header for each demo role."""
    return bearer_headers(demo_app)


@pytest.fixture(scope="session")
def live_demo(demo_app):
    """The demo app served over HTTP on 127.0.0.1 (a thread), for real clients and the browser."""
    with serving(demo_app) as base_url:
        yield base_url


class OwnDemo:
    """A copy of the demo town for one test that writes: its URL, an app, a client, tokens."""

    def __init__(self, url: str, var: Path):
        self.url = url
        self.app = make_app(url, var)
        self.client = self.app.test_client()
        self._headers: dict[str, dict] = {}

    def headers(self, role: str) -> dict:
        """The bearer-token header of the demo account with ``role`` (issued on first use)."""
        if role not in self._headers:
            login_name = next(name for name, (_, r) in DEMO_ACCOUNTS.items() if r == role)
            self._headers.update(bearer_headers(self.app, [login_name]))
        return self._headers[role]

    @contextlib.contextmanager
    def connect(self):
        """A SQLAlchemy connection to this copy, in a transaction committed at the end."""
        engine = create_engine(self.url)
        try:
            with engine.begin() as conn:
                yield conn
        finally:
            engine.dispose()


@pytest.fixture
def own_demo(server_url, demo_template, tmp_path):
    """A fresh copy of the demo town for this test alone (dropped afterwards)."""
    url = copy_database(server_url, demo_template, "gisapp_owndemo")
    yield OwnDemo(url, tmp_path / "var")
    drop_database(server_url, url)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright (one per test module)."""
    import chromium
    with chromium.playwright.sync_playwright() as p:
        instance = chromium.launch(p)
        yield instance
        instance.close()


@pytest.fixture
def users(engine):
    """Two accounts in the empty test database: chief (center, center-pass) and vera (viewer, viewer-pass)."""
    from gisapp import accounts
    with Session(engine) as session:
        accounts.create_user(session, "chief", "center-pass", "center")
        accounts.create_user(session, "vera", "viewer-pass", "viewer")
        session.commit()
