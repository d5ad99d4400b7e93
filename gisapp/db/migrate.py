"""Applying the Alembic migrations under migrations/ to a database."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from gisapp.config import PROJECT_DIR


def alembic_config(url: str) -> Config:
    """An Alembic configuration for the project's migrations against ``url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(PROJECT_DIR / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Leave out tables we do not model (PostGIS's spatial_ref_sys, pgRouting's, ...)."""
    return not (type_ == "table" and reflected and compare_to is None)


def differences(url: str) -> list:
    """What Alembic's autogenerate would change to make the database at ``url`` match the models.

    Empty when the models (``gisapp.models``) describe the migrated schema exactly: tables,
    columns and their types, nullability, server defaults, keys and indexes.
    """
    from gisapp.models import Base

    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "compare_server_default": True, "include_object": include_object})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    """Migrate the database at ``url`` down to ``revision`` (base: no tables left)."""
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    """The newest revision in migrations/."""
    return ScriptDirectory.from_config(alembic_config("postgresql://")).get_current_head()


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at (None when never migrated)."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
