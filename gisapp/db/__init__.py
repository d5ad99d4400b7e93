"""Finding the database (embedded or DATABASE_URL) and the SQLAlchemy engine for it."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from gisapp.config import var_dir
from gisapp.db import embedded
from gisapp.db.embedded import EmbeddedCluster
from gisapp.db.server import DatabaseSetupError, ensure_extensions

ROLES = ("owner", "app")


def normalise_url(url: str) -> str:
    """Make any PostgreSQL URL use the psycopg 3 driver (postgres://, postgresql://)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def database_url(settings: dict) -> str:
    """Return the URL of a database ready for the app: DATABASE_URL's, or the embedded one's.

    As the schema's owner, unless ``database_role`` is "app" (``gisapp serve`` sets it for its
    workers): then as the web server's role, the embedded cluster's ``gisapp_app`` or
    ``app_database_url``'s user (``DATABASE_URL``'s when that is not set).

    DATABASE_URL's server is checked (reachable, PostgreSQL >= 13, PostGIS >= 3.1, extensions
    created); the embedded cluster is created and started when needed. Raises
    DatabaseSetupError or ClusterError with a message saying what is wrong.
    """
    role = settings.get("database_role", "owner")
    if role not in ROLES:
        raise DatabaseSetupError(f"database_role: must be one of {', '.join(ROLES)}, got {role!r}")
    if settings.get("database_url"):
        url = normalise_url(settings["database_url"])
        if role == "app" and settings.get("app_database_url"):
            url = normalise_url(settings["app_database_url"])
        ensure_extensions(url)
        return url
    cluster = EmbeddedCluster(var_dir(settings))
    owner = cluster.up()
    return cluster.app_url() if role == "app" else owner


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """Return the (shared) engine for a URL.

    Connections are checked before use (pre-ping): after the database restarted, the pool throws
    the dead ones away and opens new ones by itself. For an embedded cluster, each new connection
    takes the port its state file records now, so the engine follows the cluster even when it had
    to move to another port. Statement parameters are never put into error messages (they may be
    personal data, and error messages end up in logs).
    """
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, hide_parameters=True,
                           connect_args={"connect_timeout": 10})
    if embedded.is_embedded(url):
        @event.listens_for(engine, "do_connect")
        def _follow_the_port(dialect, connection_record, cargs, cparams) -> None:
            port = embedded.recorded_port(url)
            if port:
                cparams["port"] = port
    return engine
