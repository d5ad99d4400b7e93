"""One SQLAlchemy session per request, closed when the request ends."""
from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from gisapp.db import engine_for


def db_session() -> Session:
    """The current request's database session (opened on first use)."""
    if "db_session" not in g:
        g.db_session = Session(engine_for(current_app.config["DATABASE_URL"]))
    return g.db_session


def _close(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close)
