"""The JSON API's framework: flask-smorest blueprints whose marshmallow schemas both validate the
requests (query parameters and bodies) and make the OpenAPI document, so the two cannot drift.

A view declares its parameters once with ``@bp.arguments(Schema, location="query"|"json")``
and its answer with ``@bp.response(status, Schema)`` (documentation only when the view returns
a ready Response). Refused input is a 400 naming the fields; a view refuses with ``refuse``; both
are answered with the one error body by ``views.errors``. Text holding NUL (PostgreSQL cannot store
it) is refused before any view.
"""
from __future__ import annotations

import json

from typing import NoReturn

import flask_smorest
from flask import request
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from gisapp.schemas.common import ErrorSchema

TITLE = "三网融合治安防控 Three-net map server API"
DESCRIPTION = ("OGC API – Features for cameras (天网), alarms (地网), patrols (人网), grids and disputes; "
               "coverage and gaps; vector tiles. Sign in with a bearer token from /api/auth/token. "
               "Each operation's x-roles names the roles that may call it (any signed-in user when empty). "
               "Every error is one JSON body (components/schemas/Error).")


def is_api_request() -> bool:
    """True for machine endpoints (the JSON API under /api, tiles under /tiles): errors are JSON."""
    return request.path == "/api" or request.path.startswith(("/api/", "/tiles/"))


class Refusal(HTTPException):
    """A refused request: its status, the ``(field, problem)`` pairs at fault, and details for the body."""

    def __init__(self, status: int, problems: list[tuple[str, str]], **details):
        super().__init__(description="; ".join(f"{field}: {problem}" for field, problem in problems))
        self.code, self.problems, self.details = status, problems, details


def refuse(status: int, field: str, problem: str, **details) -> NoReturn:
    """Answer ``status`` naming ``field`` and its problem (with ``details`` added to the body)."""
    raise Refusal(status, [(field, problem)], **details)


def _nul_at(value, path: str) -> str | None:
    """Where in a JSON value (or a text) a NUL character is, as a dotted path; None when nowhere."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    pairs = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in pairs:
        inner = f"{path}.{key}" if path else str(key)
        found = inner if "\x00" in str(key) else _nul_at(item, inner)
        if found:
            return found
    return None


def _refuse_nul() -> None:
    """PostgreSQL text cannot hold NUL: an API path, query parameter or JSON body with one is a 400."""
    if not is_api_request():
        return
    body = request.get_json(silent=True) if request.is_json else None
    found = (_nul_at(request.path, "path")
             or next((name for name, value in request.args.items(multi=True) if "\x00" in name + value), None)
             or _nul_at(body, "" if isinstance(body, dict) else "body"))
    if found:
        refuse(400, found.replace("\x00", "\\x00"), "must not contain the NUL character")


class _Parser(FlaskParser):
    """webargs' parser, refusing bad input with 400 (not 422), a body nested too deeply to decode included."""

    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            return self._handle_invalid_json_error(json.JSONDecodeError("nested too deeply", "", 0), req)


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
    app.before_request(_refuse_nul)
    return Api(app)
