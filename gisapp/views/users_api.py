"""``/api/me`` (who am I) and ``/api/users`` (the accounts, for the center)."""
from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user
from sqlalchemy import select

from gisapp.auth import roles_allowed
from gisapp.models import User
from gisapp.request_db import db_session

bp = Blueprint("users_api", __name__, url_prefix="/api")


@bp.route("/me")
@roles_allowed()
def me():
    """The signed-in user: login, role, team and grids."""
    return jsonify(login=current_user.login, role=current_user.role, team_id=current_user.team_id,
                   grid_ids=sorted(current_user.grid_ids))


@bp.route("/users")
@roles_allowed("center")
def users():
    """Every account with its role and whether it is active (center only)."""
    rows = db_session().scalars(select(User).order_by(User.login))
    return jsonify(users=[{"login": u.login, "role": u.role, "active": u.active,
                           "team": u.team.code if u.team else None,
                           "grids": sorted(g.code for g in u.grids)} for u in rows])
