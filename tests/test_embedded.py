"""The embedded PostGIS cluster, created from nothing in a temporary folder, through the CLI."""
import socket
import uuid

import psycopg
import pytest
from click.testing import CliRunner

from gisapp.cli import main
from gisapp.config import load_settings
from gisapp.db import embedded
from gisapp.db.embedded import APP_ROLE, LOG_SETTINGS, EmbeddedCluster
from gisapp.db.server import libpq_dsn
from sqlalchemy.engine import make_url


def test_cluster_from_nothing(tmp_path):
    runner = CliRunner()
    env = {"GISAPP_VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": None, "GISAPP_DATABASE_URL": None}

    def run(*args):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    cluster = EmbeddedCluster(tmp_path / "var")
    try:
        status = run("db", "status")
        assert status.exit_code == 3 and "not created yet" in status.output
        up = run("db", "up")
        assert up.exit_code == 0 and "database ready: postgresql+psycopg://gisapp:***@127.0.0.1:" in up.output
        assert run("db", "status").exit_code == 0
        with psycopg.connect(libpq_dsn(cluster.url())) as conn:
            extensions = dict(conn.execute("SELECT extname, extversion FROM pg_extension").fetchall())
            listen = conn.execute("SHOW listen_addresses").fetchone()[0]
        assert "postgis" in extensions and "pgrouting" in extensions
        assert listen == "127.0.0.1"
        assert run("db", "up").exit_code == 0  # twice is fine
        migrated = run("db", "migrate")
        assert migrated.exit_code == 0 and "schema at revision" in migrated.output
        assert "the web server connects as 'gisapp_app'" in migrated.output
        # The web server's role: no superuser, rows only, the audit log append-only by privilege.
        with psycopg.connect(libpq_dsn(cluster.app_url())) as conn:
            assert conn.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
                                ).fetchone() == (APP_ROLE, False)
            assert conn.execute("SELECT count(*) FROM audit_log").fetchone() == (0,)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("DELETE FROM audit_log")
        # The server's log holds no row of data: terse errors, no statements, no parameters.
        with psycopg.connect(libpq_dsn(cluster.url())) as conn:
            shown = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in LOG_SETTINGS}
        assert shown == LOG_SETTINGS
        assert run("db", "down").exit_code == 0
        stopped = run("db", "status")
        assert stopped.exit_code == 3 and "stopped" in stopped.output
    finally:
        cluster.destroy()
    assert not cluster.state_file.exists()


def test_unreachable_database_url_gives_a_clear_error(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = CliRunner().invoke(main, ["db", "migrate"], env={
        "DATABASE_URL": f"postgresql://nobody:secret@127.0.0.1:{port}/none", "GISAPP_VAR_DIR": str(tmp_path)})
    assert result.exit_code == 1
    assert "cannot connect to postgresql+psycopg://nobody:***@127.0.0.1" in result.output
    assert "secret" not in result.output


def test_settings_come_from_file_then_environment(tmp_path, monkeypatch):
    config = tmp_path / "gisapp.toml"
    config.write_text('projected_crs = "EPSG:4547"\n[sight_width_m]\nfoot = 30.0\n')
    monkeypatch.setenv("GISAPP_CONFIG", str(config))
    monkeypatch.setenv("GISAPP_PROJECTED_CRS", "EPSG:32650")
    settings = load_settings()
    assert settings["sight_width_m"]["foot"] == 30.0 and settings["sight_width_m"]["car"] == 50.0
    assert settings["projected_crs"] == "EPSG:32650"


def test_database_without_postgis_gives_a_clear_error(server_url, tmp_path):
    # Names of its own: roles belong to the whole server, which parallel workers and runs share.
    suffix = uuid.uuid4().hex[:8]
    name, role = f"gisapp_nopostgis_{suffix}", f"gisapp_limited_{suffix}"
    admin = libpq_dsn(server_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'limited-pass'")
        conn.execute(f'CREATE DATABASE "{name}" OWNER {role}')
    try:
        url = make_url(server_url).set(username=role, password="limited-pass", database=name)
        result = CliRunner().invoke(main, ["db", "migrate"], env={
            "DATABASE_URL": url.render_as_string(hide_password=False), "GISAPP_VAR_DIR": str(tmp_path)})
        assert result.exit_code == 1
        assert "PostGIS is not installed in this database" in result.output
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f"DROP ROLE IF EXISTS {role}")


def test_a_port_in_time_wait_is_still_free():
    """The connections a stopped server closed linger in TIME_WAIT on its port: the port is free to listen
    on again (the cluster keeps it); one another program listens on is not."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as PostgreSQL listens
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = listener.accept()
    assert not embedded._port_is_free(port)
    accepted.close()  # the server's side closes first: its port goes to TIME_WAIT
    client.close()
    listener.close()
    assert embedded._port_is_free(port)
    low, high = embedded.PORT_RANGE
    assert low <= embedded._free_port() < high
