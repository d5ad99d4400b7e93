"""The web server's database role: it reads and writes rows, and nothing more.

History (dispute_event) and the audit log (audit_log) are append-only by privileges as well as by
their triggers: the role may not update, delete or truncate them, nor drop or disable the triggers,
nor change the schema. Everything the server does still works as that role.
"""
import uuid

import psycopg
import pytest
from psycopg import errors, sql
from sqlalchemy.engine import make_url

from gisapp.db import roles
from gisapp.db.server import DatabaseSetupError, libpq_dsn

from conftest import make_app


@pytest.fixture
def app_role(own_demo, server_url):
    """A login role of this test's own (roles belong to the whole server) with the web server's
    privileges on this test's copy of the demo; yields its URL."""
    name, password = f"gisapp_app_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    admin = libpq_dsn(server_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(name), sql.Literal(password)))
    try:
        granted = roles.grant_app_privileges(own_demo.url, name)
        assert {"dispute", "dispute_event", "audit_log", "app_user", "alembic_version"} <= set(granted)
        yield make_url(own_demo.url).set(username=name, password=password).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq_dsn(own_demo.url), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def refused(url: str, statement: str) -> type:
    """The error class the server answers ``statement`` with, as the role of ``url``."""
    with psycopg.connect(libpq_dsn(url), autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as caught:
            conn.execute(statement)
    return type(caught.value)


def test_history_and_audit_are_append_only_by_privilege(app_role):
    with psycopg.connect(libpq_dsn(app_role), autocommit=True) as conn:
        assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == (False,)
        dispute_id = conn.execute("SELECT id FROM dispute ORDER BY id LIMIT 1").fetchone()[0]
        # reading and appending are what the server does
        conn.execute("INSERT INTO dispute_event (dispute_id, at, actor, action, remark) "
                     "VALUES (%s, now(), 'test', 'status', 'appended')", (dispute_id,))
        conn.execute("INSERT INTO audit_log (login, action, layer, fid, via) VALUES ('test', 'view_personal', "
                     "'disputes', 'x', '/test')")
        assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] >= 1
    for table in ("dispute_event", "audit_log"):
        # refused for want of the privilege, before any trigger runs (the trigger's refusal is a check_violation)
        for statement in (f"UPDATE {table} SET at = now()", f"DELETE FROM {table}", f"TRUNCATE {table}",
                          f"DROP TRIGGER {table}_append_only ON {table}",
                          f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only",
                          f"ALTER TABLE {table} OWNER TO CURRENT_USER", f"DROP TABLE {table}"):
            assert issubclass(refused(app_role, statement), errors.InsufficientPrivilege), statement
    for statement in ("CREATE TABLE public.mine (x int)", "DROP FUNCTION refuse_change() CASCADE",
                      "ALTER TABLE dispute DROP CONSTRAINT ck_dispute_grade", "UPDATE alembic_version SET version_num = 'x'",
                      "SET log_error_verbosity = verbose", "SET log_min_error_statement = error"):
        assert issubclass(refused(app_role, statement), errors.InsufficientPrivilege), statement


def test_the_server_does_its_work_as_the_role(app_role, tmp_path):
    """Intake, the closed loop, views of personal data (audited), an edit, a deletion: all as the role."""
    app = make_app(app_role, tmp_path / "var")
    client = app.test_client()
    center = {"Authorization": "Bearer " + client.post(
        "/api/auth/token", json={"login": "center", "password": "center-demo"}).json["token"]}
    with psycopg.connect(libpq_dsn(app_role)) as conn:
        grid = conn.execute("SELECT code FROM grid ORDER BY code LIMIT 1").fetchone()[0]
        alarm = conn.execute("SELECT code FROM alarm_point ORDER BY code LIMIT 1").fetchone()[0]
    created = client.post("/api/disputes", headers=center, json={
        "grid": grid, "category": "neighbours", "summary": "以角色登记 taken in as the role", "grade": "ordinary",
        "parties": "王五", "parties_phone": "13900000000"})
    assert created.status_code == 201, created.json
    code = created.json["code"]
    routed = client.post(f"/api/disputes/{code}/status", headers=center,
                         json={"status": "routed", "assignee": "综治办", "version": created.json["version"]})
    assert routed.status_code == 200, routed.json
    assert [e["action"] for e in client.get(f"/api/disputes/{code}", headers=center).json["history"]] == [
        "intake", "status"]
    contact = client.get(f"/api/collections/alarms/items/{alarm}", headers=center).json["properties"]
    assert contact.get("contact_phone")
    camera = client.get("/api/collections/cameras/items?limit=1", headers=center).json["features"][0]
    assert client.delete(f"/api/collections/cameras/items/{camera['id']}", headers=center).status_code == 204
    assert client.get("/healthz").status_code == 200
    with psycopg.connect(libpq_dsn(app_role)) as conn:
        audited = set(conn.execute("SELECT layer, fid FROM audit_log").fetchall())
    assert ("alarms", alarm) in audited and any(layer == "disputes" for layer, _ in audited)


def test_grants_need_the_role_and_an_owner(own_demo):
    with pytest.raises(DatabaseSetupError, match="does not exist"):
        roles.grant_app_privileges(own_demo.url, f"nobody_{uuid.uuid4().hex[:8]}")
    with pytest.raises(DatabaseSetupError, match="is the schema's owner"):
        roles.grant_app_privileges(own_demo.url, make_url(own_demo.url).username)
