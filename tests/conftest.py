"""Test fixtures: a fresh PostGIS database per session (embedded cluster or DATABASE_URL).

Every test starts from empty tables: they are truncated after each test, so tests run in any
order. Nothing is mocked: the app, the CLI and the importer talk to a real PostGIS.
"""
from __future__ import annotations

import os
import threading
import re
import uuid

import psycopg
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from gisapp import create_app
from gisapp.cli import main as cli_main
from gisapp.config import load_settings
from gisapp.db import database_url, migrate
from gisapp.db.server import ensure_database, libpq_dsn
from gisapp.demo import DEMO_ACCOUNTS, clear_all, load_demo


def _admin_url() -> str:
    """A URL on the server the tests use (DATABASE_URL's, or the embedded cluster's)."""
    return database_url(load_settings())


@pytest.fixture(scope="session")
def server_url() -> str:
    return _admin_url()


def make_database(server_url: str, prefix: str) -> str:
    """Create a new empty database with PostGIS on the test server; return its URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    ensure_database(server_url, name)
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


@pytest.fixture(scope="session")
def demo_url(server_url):
    """A database holding the demo town, shared by read-only tests (they must leave it as found)."""
    url = make_database(server_url, "gisapp_demo")
    migrate.upgrade(url)
    engine = create_engine(url)
    load_demo(engine, load_settings({"database_url": url}), progress=False)
    engine.dispose()
    yield url
    drop_database(server_url, url)


@pytest.fixture(scope="session")
def demo_app(demo_url, tmp_path_factory):
    application = create_app({"database_url": demo_url, "secret_key": "test-secret",
                              "var_dir": str(tmp_path_factory.mktemp("var"))})
    application.config["TESTING"] = True
    return application


@pytest.fixture
def demo_client(demo_app):
    return demo_app.test_client()


@pytest.fixture(scope="session")
def tokens(demo_app):
    """A bearer-token header for each demo role."""
    client = demo_app.test_client()
    headers = {}
    for login_name, (password, role) in DEMO_ACCOUNTS.items():
        token = client.post("/api/auth/token", json={"login": login_name, "password": password}).json["token"]
        headers[role] = {"Authorization": f"Bearer {token}"}
    return headers


@pytest.fixture(scope="session")
def live_demo(demo_app):
    """The demo app served over HTTP on 127.0.0.1 (a thread), for real clients and the browser."""
    server = make_server("127.0.0.1", 0, demo_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
