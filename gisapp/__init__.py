"""Three-net (天网 · 地网 · 人网) GIS map server: the Flask application factory."""
from __future__ import annotations

from flask import Flask

from gisapp.config import PROJECT_DIR, load_settings, secret_key
from gisapp.db import database_url


def create_app(overrides: dict | None = None) -> Flask:
    """Build the application; ``overrides`` replace settings (tests pass ``database_url``)."""
    settings = load_settings(overrides)
    app = Flask(__name__, static_folder=str(PROJECT_DIR / "static"), static_url_path="/static")
    app.config.update(
        GISAPP=settings,
        DATABASE_URL=database_url(settings),
        SECRET_KEY=secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False

    from gisapp import auth, request_db
    from gisapp.views import errors, home, users_api
    request_db.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(users_api.bp)
    return app
