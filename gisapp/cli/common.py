"""What the CLI's commands share: settings, the database URL, and turning errors into messages."""
from __future__ import annotations

import functools

import click
from sqlalchemy.exc import OperationalError

from gisapp.config import ConfigError, load_settings
from gisapp.db import database_url
from gisapp.db.embedded import ClusterError
from gisapp.db.server import DatabaseSetupError


def fail_cleanly(func):
    """Report setup errors as a one-line CLI error (exit 1) instead of a traceback."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (ClusterError, DatabaseSetupError, ConfigError) as exc:
            raise click.ClickException(str(exc)) from exc
        except OperationalError as exc:
            raise click.ClickException(f"the database stopped answering: {str(exc.orig).strip()}") from exc
    return wrapper


def settings_and_url() -> tuple[dict, str]:
    """The effective settings and the URL of the database (starting the embedded one if needed)."""
    settings = load_settings()
    return settings, database_url(settings)
