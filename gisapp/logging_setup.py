"""Logging, set up in one place: the level and the format from configuration, the request id on each line.

``configure_logging`` is called by the app factory and by the ``gisapp`` command; ``init_app`` gives
each request an id: the client's ``X-Request-Id`` when it is sane, else a new one, echoed in the
response and written on every line logged while the request is served ("-" outside requests).
"""
from __future__ import annotations

import json
import logging
import re
import sys
import uuid

from flask import Flask, g, has_request_context, request

HEADER = "X-Request-Id"
SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class _RequestId(logging.Filter):
    """Adds ``request_id`` to each record: the current request's, or "-"."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class _JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, request id, message (and the exception)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
                 "request_id": record.request_id, "message": record.getMessage()}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _Stderr(logging.StreamHandler):
    """Writes to ``sys.stderr`` as it is at each line (click and pytest swap it), like logging's last resort."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        """The stream is always the current ``sys.stderr``."""


def configure_logging(settings: dict) -> None:
    """Send every logger's lines to stderr at ``log_level``, as text or (``log_json``) JSON lines,
    replacing the handler an earlier call added."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _Stderr)]:
        root.removeHandler(handler)
    handler = _Stderr()
    handler.addFilter(_RequestId())
    handler.setFormatter(_JsonLines() if settings["log_json"] else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(settings["log_level"])


def init_app(app: Flask) -> None:
    """Give every request of ``app`` an id and echo it in the response's ``X-Request-Id`` (call it before
    anything else registers ``before_request`` functions, so that theirs log with the id too)."""
    @app.before_request
    def _take_request_id() -> None:
        given = request.headers.get(HEADER, "")
        g.request_id = given if SANE_ID.match(given) else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response):
        response.headers[HEADER] = g.get("request_id", "-")
        return response
