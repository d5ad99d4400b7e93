"""Sign-in: session login for pages, bearer tokens for the JSON API, and role checks.

Endpoints state who may use them with ``@roles_allowed("center", "planner")``; ``@roles_allowed()``
with no roles admits any signed-in user. Unauthenticated requests get 401 (API) or the login page;
signed-in users of another role get 403.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect

from gisapp import accounts
from gisapp.api import ApiBlueprint, is_api_request
from gisapp.models import User
from gisapp.request_db import db_session

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()


@dataclass(frozen=True)
class SignedInUser:
    """What a request knows of its user: no ORM object, no password hash."""
    id: int
    login: str
    role: str
    team_id: int | None
    grid_ids: frozenset[int]
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    @classmethod
    def of(cls, user: User) -> "SignedInUser":
        return cls(user.id, user.login, user.role, user.team_id, frozenset(g.id for g in user.grids))

    def get_id(self) -> str:
        return str(self.id)


@login_manager.user_loader
def _load_user(user_id: str) -> SignedInUser | None:
    user = db_session().get(User, int(user_id))
    return SignedInUser.of(user) if user and user.active else None


@login_manager.request_loader
def _load_user_from_token(req) -> SignedInUser | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    user = accounts.user_for_token(db_session(), header[len("Bearer "):].strip())
    return SignedInUser.of(user) if user else None


@login_manager.unauthorized_handler
def _unauthorized():
    if is_api_request():
        abort(401, description="sign in first: send 'Authorization: Bearer <token>' "
                               "(POST /api/auth/token gives one)")
    return redirect(url_for("auth.login", next=request.full_path))


def _error_response(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def roles_allowed(*roles: str):
    """Admit signed-in users whose role is one of ``roles`` (any role when none are given).

    The OpenAPI document shows the roles as the operation's ``x-roles``, with its 401 and 403.
    """
    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if roles and current_user.role not in roles:
                abort(403, description=f"the role {current_user.role!r} may not do this; "
                                       f"allowed: {', '.join(roles)}")
            return view(*args, **kwargs)
        return ApiBlueprint.doc(**{"x-roles": list(roles), "responses": {
            401: _error_response("not signed in"), 403: _error_response("the role may not do this")}})(wrapper)
    return decorator


def protect_browser_session() -> None:
    """Check the CSRF token of a write made with a session cookie; only a request carrying a valid bearer
    token needs none (a junk ``Authorization`` header beside a session cookie does not lift the check)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and accounts.user_for_token(db_session(), header[len("Bearer "):].strip()):
        return
    csrf.protect()


def _safe_next(target: str | None) -> str:
    """Only local paths are followed after login (no open redirect)."""
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in page (GET) and form (POST)."""
    if request.method == "POST":
        user = accounts.authenticate(db_session(), request.form.get("login", "").strip(),
                                     request.form.get("password", ""))
        if user:
            login_user(SignedInUser.of(user))
            return redirect(_safe_next(request.args.get("next")))
        flash("用户名或密码错误 Wrong login or password")
        return render_template("login.html"), 401
    return render_template("login.html")


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out and go back to the sign-in page."""
    logout_user()
    return redirect(url_for("auth.login"))


def init_app(app) -> None:
    """Sign-in (session and bearer token) and CSRF protection for the app."""
    login_manager.init_app(app)
    csrf.init_app(app)
