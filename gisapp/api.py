"""The JSON API's framework: flask-smorest blueprints whose marshmallow schemas both validate the
requests (query parameters and bodies) and make the OpenAPI document, so the two cannot drift.

A view declares its parameters once with ``@bp.arguments(Schema, location="query"|"json")``
and its answer with ``@bp.response(status, Schema)`` (documentation only when the view returns
a ready Response). Refused input is a 400 naming the fields (``views.errors``).
"""
from __future__ import annotations

import flask_smorest
from webargs.flaskparser import FlaskParser

from gisapp.schemas.common import ErrorSchema

TITLE = "三网融合治安防控 Three-net map server API"
DESCRIPTION = ("OGC API – Features for cameras (天网), alarms (地网), patrols (人网), grids and disputes; "
               "coverage and gaps; vector tiles. Sign in with a bearer token from /api/auth/token. "
               "Each operation's x-roles names the roles that may call it (any signed-in user when empty). "
               "Every error is one JSON body (components/schemas/Error).")


class _Parser(FlaskParser):
    """webargs' parser, refusing bad input with 400 (not 422)."""

    DEFAULT_VALIDATION_STATUS = 400


class ApiBlueprint(flask_smorest.Blueprint):
    """A blueprint whose routes, arguments and responses go into the OpenAPI document."""

    ARGUMENTS_PARSER = _Parser()


class Api(flask_smorest.Api):
    """flask-smorest's Api with the project's error body; errors are answered by ``views.errors``."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """None: ``views.errors`` answers every error with the one body."""


def init_api(app) -> Api:
    """The app's Api (OpenAPI 3.0.3); register blueprints with its ``register_blueprint``."""
    app.config.update(
        API_TITLE=TITLE, API_VERSION="1.0.0", OPENAPI_VERSION="3.0.3",
        API_SPEC_OPTIONS={
            "info": {"description": DESCRIPTION}, "servers": [{"url": "/"}],
            "security": [{"bearer": []}, {"session": []}],
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                               "session": {"type": "apiKey", "in": "cookie", "name": "session"}}}})
    return Api(app)
