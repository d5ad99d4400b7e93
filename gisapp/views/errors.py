"""Errors: one JSON body under /api and /tiles (``schemas.common.ErrorSchema``), a small HTML page elsewhere.

The body is ``{"error", "status", "message", "field", "problems"}``: ``problems`` lists every
field at fault with its problem, ``field`` is the first of them (null when no field is at fault).
"""
from __future__ import annotations

from flask import current_app, jsonify, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from gisapp.api import Refusal, is_api_request


def _flatten(messages, path: str = "") -> list[tuple[str, str]]:
    """marshmallow's (nested) messages as (dotted field, message) pairs; the whole body is 'body'."""
    if not isinstance(messages, dict):
        return [(path or "body", str(message)) for message in messages]
    pairs = []
    for key, value in messages.items():
        pairs += _flatten(value, path if key == "_schema" else f"{path}.{key}" if path else str(key))
    return pairs


def _problems(exc: HTTPException) -> list[tuple[str, str]]:
    """The fields at fault: a Refusal's, or the validation messages webargs attached (by location)."""
    if isinstance(exc, Refusal):
        return exc.problems
    messages = (getattr(exc, "data", None) or {}).get("messages") or {}
    return [pair for by_field in messages.values() for pair in _flatten(by_field)]


def error_body(exc: HTTPException) -> dict:
    """The one JSON body of every API error."""
    problems = _problems(exc)
    message = "; ".join(f"{field}: {problem}" for field, problem in problems) or exc.description
    return {"error": exc.name, "status": exc.code, "message": message, "field": problems[0][0] if problems else None,
            "problems": [{"field": field, "problem": problem} for field, problem in problems],
            **getattr(exc, "details", {})}


def _respond(exc: HTTPException):
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]  # Allow, Retry-After …
    if is_api_request():
        response = jsonify(error_body(exc))
        response.status_code = exc.code
        response.headers.extend(headers)
        return response
    return render_template("error.html", error=exc), exc.code, headers


def _handle_http(exc: HTTPException):
    return _respond(exc)


def _handle_csrf(exc: CSRFError):
    if is_api_request():
        return _respond(Refusal(exc.code, [("X-CSRFToken", f"{exc.description} (send the page's CSRF token in this "
                                                           "header, or use a bearer token)")]))
    exc.description = f"form: {exc.description} (reload the page and try again)"
    return _respond(exc)


def _handle_unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return _respond(exc)
    if isinstance(exc, OperationalError):   # the database is down or restarting: try again soon
        current_app.logger.error("database unreachable: %s", str(exc.orig or exc).splitlines()[0])
        unavailable = ServiceUnavailable(description="database unreachable; try again in a few seconds")
        unavailable.retry_after = 5
        return _respond(unavailable)
    current_app.logger.exception("unhandled error")
    return _respond(InternalServerError(description="internal error; the server log has details"))


def init_app(app) -> None:
    """Answer every error of the app: JSON under /api and /tiles, HTML elsewhere."""
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(Exception, _handle_unexpected)
