"""Turning the database's refusals into ``field: problem`` messages for users."""
from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from gisapp.models import MESSAGES


def describe(exc: DBAPIError) -> tuple[str | None, str]:
    """Return ``(field, message)`` for a constraint violation, naming the field and the problem.

    Known constraints (see ``gisapp.models.MESSAGES``) get their own message; others get the
    database's own first line.
    """
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name in MESSAGES:
        return MESSAGES[name]
    column = getattr(diag, "column_name", None)
    first_line = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    if column and "null value" in first_line:
        return column, "is required"
    return column, first_line
