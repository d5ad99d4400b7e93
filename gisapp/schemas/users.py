"""Accounts: the token exchange and who is signed in."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from gisapp.schemas.common import Text


class TokenBody(ma.Schema):
    """A login and its password."""

    login = Text(required=True)
    password = Text(required=True)


class Token(ma.Schema):
    """A bearer token for the JSON API."""

    token = fields.String(required=True, metadata={"description": "the secret: send it as 'Authorization: Bearer …'"})
    id = fields.String(required=True, metadata={"description": "names the token in /api/me/tokens (not the secret)"})
    expires_at = fields.String(required=True, metadata={"description": "when it stops working (configured time zone)"})
    role = fields.String(required=True)
    login = fields.String(required=True)


class TokenInfo(ma.Schema):
    """One of one's API tokens, without its secret. Times in the configured time zone (ISO 8601)."""

    id = fields.String(required=True)
    created_at = fields.String(required=True)
    last_used_at = fields.String(required=True, allow_none=True)
    expires_at = fields.String(required=True)
    current = fields.Boolean(required=True, metadata={"description": "the token this request came with"})


class TokenList(ma.Schema):
    """One's unexpired API tokens, oldest first."""

    tokens = fields.List(fields.Nested(TokenInfo), required=True)


class PasswordChange(ma.Schema):
    """One's current password and the new one (at least 10 characters, not the login, not a common password)."""

    current_password = Text(required=True)
    new_password = Text(required=True)


class Me(ma.Schema):
    """The signed-in user."""

    login = fields.String(required=True)
    role = fields.String(required=True)
    team_id = fields.Integer(required=True, allow_none=True)
    grid_ids = fields.List(fields.Integer(), required=True)


class Account(ma.Schema):
    """One account."""

    login = fields.String(required=True)
    role = fields.String(required=True)
    active = fields.Boolean(required=True)
    team = fields.String(required=True, allow_none=True)
    grids = fields.List(fields.String(), required=True)


class Accounts(ma.Schema):
    """Every account."""

    users = fields.List(fields.Nested(Account), required=True)
