"""Errors: JSON ``{"error", "message", "status"}`` under /api, a small HTML page elsewhere."""
from __future__ import annotations

from flask import current_app, jsonify, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from gisapp.auth import is_api_request


def _respond(exc: HTTPException):
    if is_api_request():
        response = jsonify(error=exc.name, message=exc.description, status=exc.code)
        response.status_code = exc.code
        return response
    return render_template("error.html", error=exc), exc.code


def _handle_http(exc: HTTPException):
    return _respond(exc)


def _handle_csrf(exc: CSRFError):
    exc.description = f"form: {exc.description} (reload the page and try again)"
    return _respond(exc)


def _handle_unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return _respond(exc)
    current_app.logger.exception("unhandled error")
    return _respond(InternalServerError(description="internal error; the server log has details"))


def init_app(app) -> None:
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(Exception, _handle_unexpected)
