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

    token = fields.String(required=True)
    role = fields.String(required=True)
    login = fields.String(required=True)


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
