"""Accounts over the API: ``/api/auth/token`` (a bearer token), ``/api/me`` (who am I) and
``/api/users`` (the accounts, for the center)."""
from __future__ import annotations

from flask import abort, jsonify
from flask_login import current_user
from sqlalchemy import select

from gisapp import accounts
from gisapp.access import ACCOUNT_ADMINS
from gisapp.api import ApiBlueprint
from gisapp.auth import csrf, roles_allowed
from gisapp.models import User
from gisapp.request_db import db_session
from gisapp.schemas.users import Accounts, Me, Token, TokenBody

bp = ApiBlueprint("users_api", __name__, url_prefix="/api", description="Accounts and bearer tokens")
csrf.exempt(bp)


@bp.route("/auth/token", methods=["POST"])
@bp.doc(security=[])
@bp.arguments(TokenBody)
@bp.response(200, Token)
def token(body: dict):
    """Exchange a login and its password for a bearer token for the JSON API."""
    session = db_session()
    user = accounts.authenticate(session, body["login"], body["password"])
    if user is None:
        abort(401, description="wrong login or password")
    value = accounts.issue_token(session, user)
    session.commit()
    return jsonify(token=value, role=user.role, login=user.login)


@bp.route("/me")
@roles_allowed()
@bp.response(200, Me)
def me():
    """The signed-in user: login, role, team and grids."""
    return jsonify(login=current_user.login, role=current_user.role, team_id=current_user.team_id,
                   grid_ids=sorted(current_user.grid_ids))


@bp.route("/users")
@roles_allowed(*ACCOUNT_ADMINS)
@bp.response(200, Accounts)
def users():
    """Every account with its role and whether it is active (center only)."""
    rows = db_session().scalars(select(User).order_by(User.login))
    return jsonify(users=[{"login": u.login, "role": u.role, "active": u.active,
                           "team": u.team.code if u.team else None,
                           "grids": sorted(g.code for g in u.grids)} for u in rows])
