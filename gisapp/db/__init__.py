"""Finding the database (embedded or DATABASE_URL) and the SQLAlchemy engine for it."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from gisapp.config import var_dir
from gisapp.db.embedded import EmbeddedCluster
from gisapp.db.server import ensure_extensions


def normalise_url(url: str) -> str:
    """Make any PostgreSQL URL use the psycopg 3 driver (postgres://, postgresql://)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def database_url(settings: dict) -> str:
    """Return the URL of a database ready for the app: DATABASE_URL's, or the embedded one's.

    DATABASE_URL's server is checked (reachable, PostgreSQL >= 13, PostGIS >= 3.1, extensions
    created); the embedded cluster is created and started when needed. Raises
    DatabaseSetupError or ClusterError with a message saying what is wrong.
    """
    if settings.get("database_url"):
        url = normalise_url(settings["database_url"])
        ensure_extensions(url)
        return url
    return EmbeddedCluster(var_dir(settings)).up()


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """Return the (shared) engine for a URL."""
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
