"""Accounts over the API: ``/api/auth/token`` (a bearer token), ``/api/me`` (who am I), one's own
tokens (``/api/me/tokens``) and password (``/api/me/password``), and ``/api/users`` (the accounts,
for the center)."""
from __future__ import annotations

from flask import abort, current_app, jsonify, request
from flask_login import current_user, login_user
from sqlalchemy import select

from gisapp import accounts
from gisapp.access import ACCOUNT_ADMINS
from gisapp.api import ApiBlueprint, refuse
from gisapp.auth import SignedInUser, TooManyAttempts, csrf, local_time, protect_browser_session, roles_allowed
from gisapp.models import User
from gisapp.request_db import db_session
from gisapp.schemas.users import Accounts, Me, PasswordChange, Token, TokenBody, TokenList

bp = ApiBlueprint("users_api", __name__, url_prefix="/api", description="Accounts and bearer tokens")
csrf.exempt(bp)  # a bearer token needs none; a browser session's is checked by protect_browser_session


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


THROTTLED = _error("too many failed sign-ins: locked out for a while (Retry-After says how long)")


def _auth_settings() -> dict:
    return current_app.config["GISAPP"]["auth"]


def _when(moment) -> str | None:
    return local_time(moment).isoformat(timespec="seconds") if moment is not None else None


@bp.route("/auth/token", methods=["POST"])
@bp.doc(security=[], responses={401: _error("wrong login or password"), 429: THROTTLED})
@bp.arguments(TokenBody)
@bp.response(200, Token)
def token(body: dict):
    """Exchange a login and its password for a bearer token for the JSON API (it expires after
    auth.token_days). Throttled per login and per address: after too many failures, 429 until the
    lockout lifts."""
    session = db_session()
    try:
        user = accounts.sign_in(session, body["login"], body["password"], request.remote_addr, _auth_settings())
    except accounts.Throttled as exc:
        raise TooManyAttempts(exc) from None
    if user is None:
        abort(401, description="wrong login or password")
    secret, row = accounts.new_token(session, user, _auth_settings()["token_days"])
    session.commit()
    return jsonify(token=secret, id=row.public_id, expires_at=_when(row.expires_at), role=user.role,
                   login=user.login)


@bp.route("/me")
@roles_allowed()
@bp.response(200, Me)
def me():
    """The signed-in user: login, role, team and grids."""
    return jsonify(login=current_user.login, role=current_user.role, team_id=current_user.team_id,
                   grid_ids=sorted(current_user.grid_ids))


@bp.route("/me/tokens")
@roles_allowed()
@bp.response(200, TokenList)
def my_tokens():
    """One's unexpired API tokens: when each was made, last used and expires (never the secret);
    ``current`` marks the token this request came with."""
    rows = accounts.tokens_of(db_session(), current_user.id)
    return jsonify(tokens=[{"id": row.public_id, "created_at": _when(row.created_at),
                            "last_used_at": _when(row.last_used_at), "expires_at": _when(row.expires_at),
                            "current": row.public_id == current_user.token_id} for row in rows])


@bp.route("/me/tokens/<token_id>", methods=["DELETE"])
@roles_allowed()
@bp.doc(responses={404: _error("no such token of yours")})
@bp.response(204)
def revoke_my_token(token_id: str):
    """Revoke one of one's API tokens (by its ``id`` from the list); it stops working at once. 204."""
    protect_browser_session()
    session = db_session()
    if not accounts.revoke_token(session, current_user.id, token_id):
        refuse(404, "token_id", f"you have no token {token_id!r}")
    session.commit()
    return "", 204


@bp.route("/me/password", methods=["POST"])
@roles_allowed()
@bp.doc(responses={429: THROTTLED})
@bp.arguments(PasswordChange)
@bp.response(204)
def change_my_password(body: dict):
    """Change one's password: the current one, and a new one of at least 10 characters, not the login,
    not a common password. One's other sessions end and one's other tokens are revoked (this request's
    session or token goes on). Wrong current passwords count as failed sign-ins (429 when locked out)."""
    protect_browser_session()
    session = db_session()
    try:
        user = accounts.sign_in(session, current_user.login, body["current_password"], request.remote_addr,
                                _auth_settings())
    except accounts.Throttled as exc:
        raise TooManyAttempts(exc, "current_password") from None
    if user is None:
        refuse(400, "current_password", "is not the password of this account")
    try:
        accounts.set_password(session, user, body["new_password"], "new_password", keep_token=current_user.token_id)
    except accounts.AccountError as exc:
        refuse(400, exc.field, exc.problem)
    session.commit()
    if current_user.token_id is None:  # a browser session: it goes on under the new session version
        login_user(SignedInUser.of(user))
    return "", 204


@bp.route("/users")
@roles_allowed(*ACCOUNT_ADMINS)
@bp.response(200, Accounts)
def users():
    """Every account with its role and whether it is active (center only)."""
    rows = db_session().scalars(select(User).order_by(User.login))
    return jsonify(users=[{"login": u.login, "role": u.role, "active": u.active,
                           "team": u.team.code if u.team else None,
                           "grids": sorted(g.code for g in u.grids)} for u in rows])
