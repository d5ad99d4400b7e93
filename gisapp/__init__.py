"""Three-net (天网 · 地网 · 人网) GIS map server: the Flask application factory."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from gisapp.config import PROJECT_DIR, load_settings, secret_key
from gisapp.catalogue import check_against_database, load_catalogue
from gisapp.db import database_url, engine_for
from gisapp.features import sql_params
from gisapp.logging_setup import configure_logging
from gisapp.mapping import check_basemap


class BoundedJSON(DefaultJSONProvider):
    """Flask's JSON, where a document nested too deeply to decode is a bad request, not a crash."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON document is nested too deeply") from None


def create_app(overrides: dict | None = None) -> Flask:
    """Build the application; ``overrides`` replace settings (tests pass ``database_url``)."""
    settings = load_settings(overrides)
    configure_logging(settings)
    app = Flask(__name__, static_folder=str(PROJECT_DIR / "static"), static_url_path="/static")
    app.json = BoundedJSON(app)
    app.config.update(
        GISAPP=settings,
        DATABASE_URL=database_url(settings),
        SECRET_KEY=secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=int(settings["max_request_mb"] * 1024 * 1024),  # larger bodies: 413
    )
    app.json.ensure_ascii = False
    app.json.sort_keys = False  # keep the catalogue's property order

    from gisapp import auth, headers, logging_setup, request_db
    from gisapp.views import errors, register_views
    logging_setup.init_app(app)
    headers.init_app(app)
    request_db.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    register_views(app)
    app.extensions["catalogue"] = _checked_catalogue(settings, app.config["DATABASE_URL"])
    check_basemap(settings["basemap"])
    return app


def _checked_catalogue(settings: dict, url: str):
    """The layer catalogue, each layer's SQL tried against the database (CatalogueError if not)."""
    catalogue = load_catalogue(Path(settings["layers_dir"]), settings["dispute_categories"])
    with engine_for(url).connect() as conn:
        check_against_database(catalogue, conn, sql_params(settings))
    return catalogue
