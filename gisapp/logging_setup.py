"""Logging, set up in one place: the level and the format from configuration, the request id on each line.

``configure_logging`` is called by the app factory and by the ``gisapp`` command; ``init_app`` gives
each request an id: the client's ``X-Request-Id`` when it is sane, else a new one, echoed in the
response and written on every line logged while the request is served ("-" outside requests).

No line carries personal data: ``redact`` takes out of every line (messages, tracebacks, the
development server's request lines) the values of personal query parameters (``PERSONAL_PARAMETER``:
parties, phones, contacts, passwords, tokens), the row PostgreSQL echoes when it refuses one
("Failing row contains (...)", "Key (...)=(...)") and statement parameters; ``GunicornLogger`` does
the same to gunicorn's access lines (the request line, the query string, the referrer).
"""
from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from urllib.parse import unquote_plus

from flask import Flask, g, has_request_context, request
from gunicorn import glogging

HEADER = "X-Request-Id"
SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

# Query parameters whose values are personal data or secrets, by name: a dispute's parties and their
# phone, an alarm's contact, any phone, name of a person, ID card, password or token.
PERSONAL_PARAMETER = re.compile(
    r"parties|phone|contact|mobile|tel$|person_name|id_?card|identity|password|passwd|secret|token|身份证|电话|当事人|联系人",
    re.IGNORECASE)
FILTERED = "[filtered]"
# A query parameter in a URL or query string: its separator, its name, its value.
_PARAMETER = re.compile(r"(^|[?&;])([^=&;?#\s\"']+)=([^&;#\s\"']*)")
# What PostgreSQL and SQLAlchemy put in an error's text about the row or the values it was given.
_ROW_ECHOES = (
    (re.compile(r"(Failing row contains )[^\n]*"), r"\1(...)"),
    (re.compile(r"(Key \([^)\n]*\))=\([^\n]*"), r"\1=(...)"),
    (re.compile(r"\[parameters: [^\n]*"), "[parameters hidden]"),
    (re.compile(r"(parameters: \$1 = )[^\n]*"), r"\1..."),
)


def scrub_query(text: str) -> str:
    """``text`` (a URL, a request line, a query string) with the values of personal parameters filtered."""
    if not text or "=" not in text:
        return text

    def one(match: re.Match) -> str:
        separator, name, value = match.groups()
        if value and PERSONAL_PARAMETER.search(unquote_plus(name)):
            return f"{separator}{name}={FILTERED}"
        return match.group(0)
    return _PARAMETER.sub(one, text)


def redact(text: str) -> str:
    """``text`` (a log line, a traceback) without personal query values and echoed rows or parameters."""
    if not text:
        return text
    for pattern, replacement in _ROW_ECHOES:
        text = pattern.sub(replacement, text)
    return scrub_query(text) if "=" in text else text


class _Redacting(logging.Formatter):
    """The text format, each line redacted (message and traceback alike)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class _RequestId(logging.Filter):
    """Adds ``request_id`` to each record: the current request's, or "-"."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class _JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, request id, message (and the exception)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
                 "request_id": record.request_id, "message": redact(record.getMessage())}
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
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
    handler.setFormatter(_JsonLines() if settings["log_json"] else _Redacting(TEXT_FORMAT))
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


class GunicornLogger(glogging.Logger):
    """gunicorn's logger (``gisapp serve`` names it), whose access lines carry no personal data: the
    request line, the query string and the referrer have personal parameters' values filtered, and
    the headers that hold credentials are never written."""

    SCRUBBED = ("r", "q", "f", "{referer}i", "{raw_uri}e", "{query_string}e", "{http_referer}e", "{request_uri}e")
    HIDDEN = ("{authorization}i", "{cookie}i", "{x-csrftoken}i", "{http_authorization}e", "{http_cookie}e")

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in self.SCRUBBED:
            if isinstance(atoms.get(key), str):
                atoms[key] = scrub_query(atoms[key])
        for key in self.HIDDEN:
            if key in atoms:
                atoms[key] = FILTERED
        return atoms
