"""gisapp backup / gisapp restore: the whole database, every table, through PostgreSQL's own tools."""
import os
import stat

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp import accounts
from gisapp.cli import main
from gisapp.db import backup as backups
from gisapp.db.server import libpq_dsn


def snapshot(url: str) -> dict:
    """Every table's rows (count and digest; PostGIS's own catalogue apart), every sequence's position, and the
    migration: what a restore must give back."""
    with psycopg.connect(libpq_dsn(url)) as conn:
        tables = [t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                             "AND tablename <> 'spatial_ref_sys' ORDER BY tablename")]
        rows = {table: conn.execute(sql.SQL(
            "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} AS t").format(
            sql.Identifier(table))).fetchone() for table in tables}
        sequences = dict(conn.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"))
    return {"rows": rows, "sequences": sequences}


def run(url: str, tmp_path, *args: str):
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": url, "GISAPP_VAR_DIR": str(tmp_path / "var")},
                              catch_exceptions=False)


def busy_demo(demo) -> None:
    """Disputes with a history, views of personal data in the audit log, tokens: more than the demo holds."""
    client, center = demo.client, demo.headers("center")
    with demo.connect() as conn:
        grid = conn.execute(text("SELECT code FROM grid ORDER BY code LIMIT 1")).scalar()
    created = client.post("/api/disputes", headers=center, json={
        "grid": grid, "category": "neighbours", "summary": "备份 backup", "grade": "complex",
        "parties": "孙八", "parties_phone": "13700000000", "remark": "受理 intake"})
    assert created.status_code == 201, created.json
    code, version = created.json["code"], created.json["version"]
    for status in ("routed", "handling"):
        answer = client.post(f"/api/disputes/{code}/status", headers=center,
                             json={"status": status, "assignee": "司法所", "version": version, "remark": status})
        assert answer.status_code == 200, answer.json
        version = answer.json["version"]
    assert client.get("/api/collections/disputes/items?limit=20", headers=center).status_code == 200  # audited


def test_backup_and_restore_give_back_every_table(own_demo, tmp_path):
    busy_demo(own_demo)
    before = snapshot(own_demo.url)
    assert before["rows"]["dispute_event"][0] > 0 and before["rows"]["audit_log"][0] > 0
    assert before["rows"]["app_user"][0] == 5 and before["rows"]["api_token"][0] > 0

    file = tmp_path / "backups" / "gisapp.dump"
    made = run(own_demo.url, tmp_path, "backup", str(file), "--quiet")
    assert made.exit_code == 0, made.output
    assert f"written to {file}" in made.output and "tables" in made.output
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600  # personal data and password hashes: its owner only
    assert not list(file.parent.glob(".*partial"))

    # afterwards: a dispute (and its history) deleted, an account added, more views audited
    with own_demo.connect() as conn:
        conn.execute(text("DELETE FROM dispute WHERE id = (SELECT max(id) FROM dispute)"))
        conn.execute(text("INSERT INTO audit_log (login, action, layer, fid, via) "
                          "VALUES ('x', 'view_personal', 'disputes', 'y', '/z')"))
        session = Session(bind=conn)
        accounts.create_user(session, "later", "a-long-enough-password-9", "viewer")
        session.flush()
    changed = snapshot(own_demo.url)
    assert all(changed["rows"][t] != before["rows"][t] for t in ("dispute", "dispute_event", "audit_log", "app_user"))

    restored = run(own_demo.url, tmp_path, "restore", str(file), "--yes", "--quiet")
    assert restored.exit_code == 0, restored.output
    after = snapshot(own_demo.url)
    assert after["rows"] == before["rows"], {t: (before["rows"].get(t), r) for t, r in after["rows"].items()
                                             if before["rows"].get(t) != r}
    assert after["sequences"] == before["sequences"]
    # the app carries on over the restored database (its old connections were ended; it opened new ones)
    answer = own_demo.client.get("/api/disputes?limit=1", headers=own_demo.headers("center"))
    assert answer.status_code == 200, answer.json


def test_restoring_something_else_changes_nothing(own_demo, tmp_path):
    before = snapshot(own_demo.url)
    junk = tmp_path / "notes.dump"
    junk.write_text("not a backup\n" * 10)
    result = run(own_demo.url, tmp_path, "restore", str(junk), "--yes")
    assert result.exit_code == 1
    assert "notes.dump is not a backup made by gisapp backup" in result.output
    missing = run(own_demo.url, tmp_path, "restore", str(tmp_path / "nothing.dump"), "--yes")
    assert missing.exit_code == 1 and "no such file" in missing.output
    assert snapshot(own_demo.url) == before


def test_the_tools_must_match_the_server(db_url, tmp_path, monkeypatch):
    major, _ = backups.server_version(db_url)
    assert backups.tool_major(backups.pg_tool("pg_dump", major)) == major
    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 11.22'\n")
    fake.chmod(0o755)
    with pytest.raises(backups.BackupError) as refused:
        backups.pg_tool("pg_dump", major, search=[fake])
    assert f"runs PostgreSQL {major}" in str(refused.value) and "is PostgreSQL 11" in str(refused.value)
    assert f"postgresql-client-{major}" in str(refused.value)
    # through the command: a server newer than every pg_dump here is refused with that message, nothing written
    monkeypatch.setattr(backups, "server_version", lambda url: (99, "99.0"))
    result = run(db_url, tmp_path, "backup", str(tmp_path / "x.dump"))
    assert result.exit_code == 1 and "PostgreSQL 99" in result.output and "postgresql-client-99" in result.output
    assert not (tmp_path / "x.dump").exists()
