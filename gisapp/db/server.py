"""What we need of a PostgreSQL server: a database with PostGIS (and pgRouting when available)."""
from __future__ import annotations

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

MIN_SERVER_VERSION = 130000
MIN_POSTGIS = (3, 1)


class DatabaseSetupError(RuntimeError):
    """The server cannot host the application (too old, no PostGIS, unreachable)."""


def libpq_dsn(url: str) -> str:
    """Turn a SQLAlchemy URL (postgresql+psycopg://...) into a libpq connection string."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _connect(url: str) -> psycopg.Connection:
    try:
        return psycopg.connect(libpq_dsn(url), autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        safe = make_url(url).render_as_string(hide_password=True)
        raise DatabaseSetupError(f"cannot connect to {safe}: {str(exc).strip()}") from exc


def ensure_database(admin_url: str, name: str) -> None:
    """Create database ``name`` on the server of ``admin_url`` if missing, then its extensions."""
    with _connect(admin_url) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    ensure_extensions(make_url(admin_url).set(database=name).render_as_string(hide_password=False))


def ensure_extensions(url: str) -> dict:
    """Check the server and create postgis (required) and pgrouting (if available).

    Returns the versions found: ``{"postgresql": ..., "postgis": ..., "pgrouting": ... or None}``.
    Raises DatabaseSetupError naming what is missing.
    """
    with _connect(url) as conn:
        server = conn.execute("SHOW server_version_num").fetchone()[0]
        if int(server) < MIN_SERVER_VERSION:
            raise DatabaseSetupError(f"PostgreSQL {server} is too old: version 13 or newer is needed")
        available = dict(conn.execute(
            "SELECT name, default_version FROM pg_available_extensions "
            "WHERE name IN ('postgis', 'pgrouting')").fetchall())
        if "postgis" not in available:
            raise DatabaseSetupError(
                "this PostgreSQL server has no PostGIS: the 'postgis' extension is not available. "
                "Install PostGIS 3.1 or newer on the server (Debian: postgresql-<major>-postgis-3)")
        installed = {row[0] for row in conn.execute("SELECT extname FROM pg_extension")}
        wanted = [name for name in ("postgis", "pgrouting") if name in available and name not in installed]
        for name in wanted:
            try:
                conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(name)))
            except psycopg.errors.InsufficientPrivilege as exc:
                if name == "postgis":
                    raise DatabaseSetupError(
                        "PostGIS is not installed in this database and this user may not install it: "
                        "ask the database's administrator to run CREATE EXTENSION postgis") from exc
        return server_versions(conn)


def server_versions(conn) -> dict:
    """Return the PostgreSQL, PostGIS and pgRouting versions of an open connection."""
    row = conn.execute(
        "SELECT current_setting('server_version'), "
        "(SELECT extversion FROM pg_extension WHERE extname = 'postgis'), "
        "(SELECT extversion FROM pg_extension WHERE extname = 'pgrouting')").fetchone()
    postgis = row[1]
    if postgis and tuple(int(p) for p in postgis.split(".")[:2]) < MIN_POSTGIS:
        raise DatabaseSetupError(f"PostGIS {postgis} is too old: version 3.1 or newer is needed")
    return {"postgresql": row[0], "postgis": postgis, "pgrouting": row[2]}
