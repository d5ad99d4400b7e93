"""The web server's database role: what it may do, granted by the schema's owner.

The schema belongs to its owner (the embedded cluster's superuser, or ``DATABASE_URL``'s user):
migrations, imports, backups and restores run as it. The web server connects as a role of its own
(``gisapp_app`` in the embedded cluster, ``app_database_url``'s user otherwise) that owns nothing
and may only read and write rows: it can create, alter or drop no table, trigger or function, and
on the history of disputes (``dispute_event``) and the audit log (``audit_log``) it may only read
and append. Those two refuse UPDATE and DELETE by their triggers as well (migration 0005); the role,
not being their owner, cannot drop or disable the triggers.

``grant_app_privileges`` sets the role's privileges from nothing every time it runs (after each
migration, restore and before serving), so a table a new migration adds is covered at once.
"""
from __future__ import annotations

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from gisapp.db.server import DatabaseSetupError, libpq_dsn

# Tables the web server may read and append to, never change: history and audit.
APPEND_ONLY = ("dispute_event", "audit_log")
# Tables it may only read: the migration state. (PostGIS's spatial_ref_sys is readable by everyone.)
READ_ONLY = ("alembic_version",)
# Left alone: not ours to grant (owned by the extension's installer).
NOT_OURS = ("spatial_ref_sys",)


def role_of(url: str) -> str:
    """The user name in a database URL."""
    return make_url(url).username


def grant_app_privileges(owner_url: str, role: str) -> list[str]:
    """As the owner (``owner_url``), give ``role`` exactly what the web server needs on the tables that
    exist now, after taking away whatever it had; return the tables granted. One transaction.

    Every table: SELECT, INSERT, UPDATE, DELETE, TRUNCATE; but APPEND_ONLY ones SELECT and INSERT
    only, READ_ONLY ones SELECT only. Every sequence: USAGE and SELECT (nextval for new rows).
    """
    try:
        conn = psycopg.connect(libpq_dsn(owner_url), connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise DatabaseSetupError(f"cannot connect to grant the web server's privileges: {str(exc).strip()}") from exc
    with conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            raise DatabaseSetupError(
                f"the web server's role {role!r} does not exist on this server: create it "
                f"(CREATE ROLE {role} LOGIN PASSWORD '...'; see README, 'The database')")
        if role == conn.execute("SELECT current_user").fetchone()[0]:
            raise DatabaseSetupError(f"the web server's role {role!r} is the schema's owner: give it a role of its own")
        tables = [name for (name,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
            if name not in NOT_OURS]
        ident = sql.Identifier(role)
        try:
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident))
            conn.execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(ident))
            conn.execute(sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {}").format(ident))
            for table in tables:
                rights = ("SELECT, INSERT" if table in APPEND_ONLY else "SELECT" if table in READ_ONLY
                          else "SELECT, INSERT, UPDATE, DELETE, TRUNCATE")
                conn.execute(sql.SQL("GRANT " + rights + " ON TABLE {} TO {}").format(
                    sql.Identifier("public", table), ident))
            conn.execute(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(ident))
        except psycopg.errors.InsufficientPrivilege as exc:
            raise DatabaseSetupError(f"cannot grant the web server's privileges: {str(exc).strip()} "
                                     "(run this as the user that owns the schema)") from exc
    return tables


def app_url(settings: dict, owner_url: str) -> str | None:
    """The URL the web server connects with when it is not ``owner_url``'s user (None: it is).

    Embedded cluster: its ``gisapp_app`` role. ``DATABASE_URL``: ``app_database_url`` when set.
    """
    if settings.get("database_url"):
        return settings.get("app_database_url") or None
    from gisapp.config import var_dir
    from gisapp.db.embedded import EmbeddedCluster
    return EmbeddedCluster(var_dir(settings)).app_url(make_url(owner_url).database)


def prepare_app_role(settings: dict, owner_url: str) -> str | None:
    """Grant the web server's role its privileges on the migrated schema at ``owner_url``; return
    that role's name (None when the server would connect as the owner: DATABASE_URL without
    ``app_database_url``). Nothing is granted before the first migration."""
    url = app_url(settings, owner_url)
    if url is None:
        return None
    with psycopg.connect(libpq_dsn(owner_url), connect_timeout=10) as conn:
        migrated = conn.execute("SELECT to_regclass('public.alembic_version') IS NOT NULL").fetchone()[0]
    if migrated:
        grant_app_privileges(owner_url, role_of(url))
    return role_of(url)
