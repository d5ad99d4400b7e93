"""Sign-in: session login for pages, bearer tokens for the JSON API, and role checks.

Endpoints state who may use them with ``@roles_allowed("center", "planner")``; ``@roles_allowed()``
with no roles admits any signed-in user. Unauthenticated requests get 401 (API) or the login page;
signed-in users of another role get 403.

A session cookie names its user and the user's ``session_version`` (``SignedInUser.get_id``): the
user loader admits it only while the account is active and the version is the stored one, so signing
out (which raises it), a new password or disabling ends every session, copies of the cookie included.
Who a cookie or a token belongs to is kept per process for a second (``gisapp.request_db.cached``):
a request asks the database nothing before its own work, and a token's use is written once a minute.
Signing in is throttled (``gisapp.accounts.sign_in``): a lockout is a 429 with Retry-After.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
from dataclasses import dataclass
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template,
                   request, url_for)
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session

from gisapp import accounts, clock, domain
from gisapp.api import ApiBlueprint, Refusal, is_api_request
from gisapp.db import engine_for
from gisapp.models import User
from gisapp.request_db import cached, db_session

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()


@dataclass(frozen=True)
class SignedInUser:
    """What a request knows of its user: no ORM object, no password hash. ``token_id`` is the public id
    of the bearer token the request came with (None for a browser session)."""
    id: int
    login: str
    role: str
    team_id: int | None
    grid_ids: frozenset[int]
    session_version: int = 0
    token_id: str | None = None
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    @classmethod
    def of(cls, user: User, token_id: str | None = None) -> "SignedInUser":
        return cls(user.id, user.login, user.role, user.team_id, frozenset(grid.id for grid in user.grids),
                   user.session_version or 0, token_id)

    def get_id(self) -> str:
        """What the session cookie keeps: the user's id and session version."""
        return f"{self.id}:{self.session_version}"


@login_manager.user_loader
def _load_user(user_id: str) -> SignedInUser | None:
    ident, _, version = user_id.partition(":")
    if not (ident.isdigit() and version.isdigit()):
        return None  # a cookie from before session versions: sign in again
    url = current_app.config["DATABASE_URL"]

    def load() -> SignedInUser | None:
        with Session(engine_for(url)) as session:
            user = session.get(User, int(ident))
            if user is None or not user.active or (user.session_version or 0) != int(version):
                return None
            return SignedInUser.of(user)
    return cached(("session", url, user_id), load)


def bearer_user() -> SignedInUser | None:
    """The user of the request's valid bearer token (looked up once per request), or None."""
    if "bearer_user" not in g:
        header = request.headers.get("Authorization", "")
        secret = header[len("Bearer "):].strip() if header.startswith("Bearer ") else ""
        g.bearer_user = _token_user(secret) if secret else None
    return g.bearer_user


def _token_user(secret: str) -> SignedInUser | None:
    """The user of the valid token ``secret``, from the process's cache (``request_db.cached``); the
    token's use is recorded at most once a minute (``accounts.mark_used``), in a transaction of its own."""
    url = current_app.config["DATABASE_URL"]

    def load() -> tuple[SignedInUser, dt.datetime, dt.datetime | None] | None:
        with Session(engine_for(url)) as session:
            row = accounts.valid_token(session, secret)
            return None if row is None else (SignedInUser.of(row.user, row.public_id), row.expires_at,
                                             row.last_used_at)
    found = cached(("token", url, hashlib.sha256(secret.encode()).digest()), load)
    if found is None:
        return None
    user, expires_at, last_used_at = found
    now = clock.now()
    if expires_at <= now:
        return None
    if last_used_at is None or now - last_used_at >= accounts.LAST_USED_EVERY:
        with engine_for(url).begin() as conn:
            accounts.mark_used(conn, secret, now)
    return user


@login_manager.request_loader
def _load_user_from_token(_req) -> SignedInUser | None:
    return bearer_user()


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
    if bearer_user() is not None:
        return
    csrf.protect()


def local_time(moment: dt.datetime) -> dt.datetime:
    """``moment`` in the configured time zone."""
    return moment.astimezone(ZoneInfo(current_app.config["GISAPP"]["timezone"]))


def throttled_message(exc: accounts.Throttled) -> str:
    """What a person reads when sign-in is locked out: why, and when to try again (local time)."""
    at = local_time(exc.until).strftime("%H:%M:%S")
    minutes = math.ceil(exc.retry_after / 60)
    if exc.scope == "login":
        return (f"登录失败次数过多，该账号暂时锁定，请于 {at} 后（约 {minutes} 分钟）再试 "
                f"too many failed sign-ins for this login: try again after {at} (in about {minutes} min)")
    return (f"来自此地址的登录失败次数过多，请于 {at} 后（约 {minutes} 分钟）再试 "
            f"too many failed sign-ins from this address: try again after {at} (in about {minutes} min)")


class TooManyAttempts(Refusal):
    """A 429 in the one error body, with Retry-After (seconds) and when the lockout lifts."""

    def __init__(self, exc: accounts.Throttled, field: str = "login"):
        super().__init__(429, [(field, throttled_message(exc))], retry_after=exc.retry_after,
                         locked_until=local_time(exc.until).isoformat(timespec="seconds"))
        self.retry_after = exc.retry_after

    def get_headers(self, environ=None, scope=None):
        return [*super().get_headers(environ, scope), ("Retry-After", str(self.retry_after))]


def _safe_next(target: str | None) -> str:
    """Only local paths are followed after login (no open redirect)."""
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in page (GET) and form (POST); throttled per login and per address (429 when locked out)."""
    if request.method == "POST":
        try:
            user = accounts.sign_in(db_session(), request.form.get("login", "").strip(),
                                    request.form.get("password", ""), request.remote_addr,
                                    current_app.config["GISAPP"]["auth"])
        except accounts.Throttled as exc:
            flash(throttled_message(exc))
            return render_template("login.html"), 429, {"Retry-After": str(exc.retry_after)}
        if user:
            login_user(SignedInUser.of(user))
            return redirect(_safe_next(request.args.get("next")))
        flash("用户名或密码错误 Wrong login or password")
        return render_template("login.html"), 401
    return render_template("login.html")


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out and go back to the sign-in page. Every session of the account ends, copies of this
    session's cookie included (the account's session version is raised)."""
    if current_user.is_authenticated and current_user.token_id is None:
        session = db_session()
        accounts.bump_session_version(session, current_user.id)
        session.commit()
    logout_user()
    return redirect(url_for("auth.login"))


def init_app(app) -> None:
    """Sign-in (session and bearer token) and CSRF protection for the app; pages name roles by their labels."""
    app.jinja_env.globals["role_labels"] = domain.USER_ROLES
    login_manager.init_app(app)
    csrf.init_app(app)
