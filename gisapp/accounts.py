"""Accounts: users and their passwords, signing in (throttled), API tokens and sessions.

Passwords follow three rules whenever one is set (creating a user, changing a password; the CLI
and the API alike): at least ``MIN_PASSWORD_LENGTH`` characters, not the login, and not one of the
common passwords shipped in ``gisapp/data/common_passwords.txt``. The demo accounts' passwords
(``gisapp.demo.DEMO_ACCOUNTS``, "center-demo" …) keep to them; they are for trying the server only.

Signing in (the form and ``POST /api/auth/token``) is throttled per login and per client address,
in the database so that every server process sees the same counts (``sign_in_throttle``): each
attempt is counted before its password is checked (parallel guesses cannot slip past the limit),
a success takes its attempt back and clears its login's count, and after ``max_failures_*``
failures within ``failure_window_min`` further attempts are refused (``Throttled``) until the
lockout, ``lockout_min`` long, lifts by itself. An unknown login is checked against a dummy hash
of the same cost, so the answer's time does not tell whether a login exists.

A session cookie holds its user's ``session_version``; raising it (signing out, a new password,
disabling) ends every session signed in before. API tokens expire ``token_days`` after they are
issued and can be revoked; only their SHA-256 is stored. Times come from ``gisapp.clock``.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import secrets
from importlib import resources

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from gisapp import clock, domain
from gisapp.config import DEFAULTS
from gisapp.models import ApiToken, Grid, PatrolTeam, User

MIN_PASSWORD_LENGTH = 10
# A token's last use is recorded when it was last recorded at least this long before.
LAST_USED_EVERY = dt.timedelta(minutes=1)
AUTH_DEFAULTS = DEFAULTS["auth"]


class AccountError(ValueError):
    """A user could not be created or changed as asked: the field at fault and its problem."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem


# -- passwords ----------------------------------------------------------------------------------

@functools.cache
def common_passwords() -> frozenset[str]:
    """The common passwords shipped with the package, in lower case."""
    listing = resources.files("gisapp").joinpath("data/common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in listing.splitlines()
                     if line.strip() and not line.startswith("# "))


def password_problem(login: str, password: str) -> str | None:
    """What is wrong with ``password`` as the password of ``login``, or None when it may be used."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少 {MIN_PASSWORD_LENGTH} 个字符 must be at least {MIN_PASSWORD_LENGTH} characters"
    if password.strip().lower() == login.strip().lower():
        return "密码不能与用户名相同 must not be the login"
    if password.strip().lower() in common_passwords():
        return "密码过于常见，请另选 is a commonly used password: choose another"
    return None


def check_password_rules(login: str, password: str, field: str = "password") -> None:
    """Raise AccountError naming ``field`` when ``password`` breaks a rule (see the module)."""
    problem = password_problem(login, password)
    if problem:
        raise AccountError(field, problem)


@functools.cache
def _dummy_hash() -> str:
    """A hash of nothing anyone knows, made as real ones are: unknown logins are checked against it."""
    return generate_password_hash(secrets.token_urlsafe(24))


# -- users --------------------------------------------------------------------------------------

def create_user(session: Session, login: str, password: str, role: str,
                team_code: str | None = None, grid_codes: tuple[str, ...] = ()) -> User:
    """Add a user (not committed). A team leader needs a team, a grid worker grids."""
    if role not in domain.USER_ROLES:
        raise AccountError("role", f"must be one of {', '.join(domain.USER_ROLES)}")
    check_password_rules(login, password)
    if session.scalar(select(User.id).where(User.login == login)):
        raise AccountError("login", f"a user named {login!r} already exists")
    user = User(login=login, password_hash=generate_password_hash(password), role=role)
    if role == "team_leader":
        if not team_code:
            raise AccountError("team", "a team leader needs --team (a patrol team code)")
        user.team = session.scalar(select(PatrolTeam).where(PatrolTeam.code == team_code))
        if user.team is None:
            raise AccountError("team", f"no patrol team with code {team_code!r}")
    if role == "grid_worker":
        if not grid_codes:
            raise AccountError("grids", "a grid worker needs --grid (one or more grid codes)")
        grids = session.scalars(select(Grid).where(Grid.code.in_(grid_codes))).all()
        missing = sorted(set(grid_codes) - {g.code for g in grids})
        if missing:
            raise AccountError("grids", f"no grid with code {', '.join(missing)}")
        user.grids = list(grids)
    session.add(user)
    return user


def end_sessions(session: Session, user: User) -> None:
    """End every browser session of ``user`` (not committed): their cookies hold the old version."""
    user.session_version = (user.session_version or 0) + 1


def set_password(session: Session, user: User, password: str, field: str = "password",
                 keep_token: str | None = None) -> int:
    """Give ``user`` a new password (not committed), checked by the rules; end their sessions and revoke
    their tokens but ``keep_token`` (a public id). Returns how many tokens were revoked."""
    check_password_rules(user.login, password, field)
    user.password_hash = generate_password_hash(password)
    end_sessions(session, user)
    return revoke_tokens(session, user, keep=keep_token)


def disable_user(session: Session, user: User) -> int:
    """Disable ``user`` (not committed): no sign-in; their sessions end and their tokens are revoked
    at once (enabling again brings neither back). Returns how many tokens were revoked."""
    user.active = False
    end_sessions(session, user)
    return revoke_tokens(session, user)


def enable_user(session: Session, user: User) -> None:
    """Let ``user`` sign in again (not committed)."""
    user.active = True


# -- signing in, throttled ----------------------------------------------------------------------

class Throttled(Exception):
    """Too many failed sign-ins for a login (``scope`` "login") or from an address ("address"):
    refused until ``until``, ``retry_after`` seconds from now."""

    def __init__(self, scope: str, until: dt.datetime, now: dt.datetime):
        super().__init__(f"too many failed sign-ins for this {scope}")
        self.scope, self.until = scope, until
        self.retry_after = max(1, math.ceil((until - now).total_seconds()))


# Count an attempt: a lockout in force is left as it is (and the attempt not counted); a lockout that
# has lifted, or a window that has passed, starts the count afresh.
_RESERVE = text("""
    INSERT INTO sign_in_throttle AS t (kind, value, failures, window_start)
    VALUES (:kind, :value, 1, :now)
    ON CONFLICT (kind, value) DO UPDATE SET
      failures = CASE WHEN t.locked_until > :now THEN t.failures
                      WHEN t.locked_until <= :now OR t.window_start <= :forget THEN 1
                      ELSE t.failures + 1 END,
      window_start = CASE WHEN t.locked_until > :now THEN t.window_start
                          WHEN t.locked_until <= :now OR t.window_start <= :forget THEN :now
                          ELSE t.window_start END,
      locked_until = CASE WHEN t.locked_until > :now THEN t.locked_until END
    RETURNING failures, locked_until""")
_LOCK = text("UPDATE sign_in_throttle SET locked_until = :until "
             "WHERE kind = :kind AND value = :value AND (locked_until IS NULL OR locked_until < :until)")
_LOCK_AT_LIMIT = text("UPDATE sign_in_throttle SET locked_until = :until "
                      "WHERE kind = :kind AND value = :value AND failures >= :limit "
                      "AND (locked_until IS NULL OR locked_until < :until)")
_FORGET_OLD = text("DELETE FROM sign_in_throttle WHERE (locked_until IS NULL OR locked_until <= :now) "
                   "AND window_start <= :forget")


def _throttle_keys(login: str, address: str | None, auth: dict) -> list[tuple[str, str, int]]:
    """(kind, value, limit) of each count an attempt goes to; a limit of 0 counts nothing."""
    keys = [("login", login, auth["max_failures_per_login"]), ("address", address, auth["max_failures_per_address"])]
    return [(kind, value.replace("\x00", "").strip().lower()[:200], limit)
            for kind, value, limit in keys if value is not None and limit > 0]


def _reserve(session: Session, keys, now: dt.datetime, auth: dict) -> None:
    """Count an attempt against every key (committed at once, for the other processes to see); raise
    Throttled when a key is locked out, or is past its limit (attempts made in parallel)."""
    for kind, value, _ in keys:  # a lockout in force: refused, and counted against no other key
        locked_until = session.scalar(text("SELECT locked_until FROM sign_in_throttle WHERE kind = :kind "
                                           "AND value = :value AND locked_until > :now"),
                                      {"kind": kind, "value": value, "now": now})
        if locked_until is not None:
            session.rollback()
            raise Throttled(kind, locked_until, now)
    forget = now - dt.timedelta(minutes=auth["failure_window_min"])
    refusal = None
    for kind, value, limit in keys:
        failures, locked_until = session.execute(_RESERVE, {"kind": kind, "value": value, "now": now,
                                                            "forget": forget}).one()
        if locked_until is None and failures > limit:
            locked_until = now + dt.timedelta(minutes=auth["lockout_min"])
            session.execute(_LOCK, {"kind": kind, "value": value, "until": locked_until})
        if locked_until is not None and refusal is None:
            refusal = Throttled(kind, locked_until, now)
    session.commit()
    if refusal is not None:
        raise refusal


def _failed(session: Session, keys, now: dt.datetime, auth: dict) -> None:
    """A failed attempt (already counted): lock out the keys that have reached their limit, and forget
    the counts nobody has added to for a window."""
    until = now + dt.timedelta(minutes=auth["lockout_min"])
    for kind, value, limit in keys:
        session.execute(_LOCK_AT_LIMIT, {"kind": kind, "value": value, "until": until, "limit": limit})
    session.execute(_FORGET_OLD, {"now": now, "forget": now - dt.timedelta(minutes=auth["failure_window_min"])})


def _succeeded(session: Session, keys) -> None:
    """A successful attempt: its login's count is cleared; the address's count takes the attempt back
    (a success does not clear it, or one valid account would let an address guess at the others)."""
    for kind, value, _ in keys:
        if kind == "login":
            session.execute(text("DELETE FROM sign_in_throttle WHERE kind = 'login' AND value = :value"),
                            {"value": value})
        else:  # a count back to nothing leaves no row
            params = {"kind": kind, "value": value}
            session.execute(text("DELETE FROM sign_in_throttle WHERE kind = :kind AND value = :value "
                                 "AND locked_until IS NULL AND failures <= 1"), params)
            session.execute(text("UPDATE sign_in_throttle SET failures = failures - 1 WHERE kind = :kind "
                                 "AND value = :value AND locked_until IS NULL AND failures > 1"), params)


def sign_in(session: Session, login: str, password: str, address: str | None = None,
            auth: dict | None = None) -> User | None:
    """The active user with this login and password, or None; commits the attempt's count.

    Raises Throttled, checking no password, while the login or the address is locked out."""
    auth = {**AUTH_DEFAULTS, **(auth or {})}
    now = clock.now()
    keys = _throttle_keys(login, address, auth)
    _reserve(session, keys, now, auth)
    user = authenticate(session, login, password)
    if user is not None:
        _succeeded(session, keys)
    else:
        _failed(session, keys, now, auth)
    session.commit()
    return user


def authenticate(session: Session, login: str, password: str) -> User | None:
    """The active user with this login and password, or None (the same cost whether the login exists or
    not). Not throttled: ``sign_in`` is, for everything a client sends."""
    user = session.scalar(select(User).where(User.login == login)) if "\x00" not in login else None
    matches = check_password_hash(user.password_hash if user is not None else _dummy_hash(), password)
    return user if matches and user is not None and user.active else None


# -- API tokens ---------------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(session: Session, user: User, days: int | None = None) -> tuple[str, ApiToken]:
    """Create an API token for ``user`` (not committed), valid ``days`` (auth.token_days by default);
    return the secret and its row. Only the secret's hash is kept. The user's expired tokens go."""
    now = clock.now()
    if user.id is not None:
        session.execute(delete(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at <= now))
    secret = secrets.token_urlsafe(32)
    row = ApiToken(user=user, token_hash=_token_hash(secret), public_id=secrets.token_hex(8), created_at=now,
                   expires_at=now + dt.timedelta(days=AUTH_DEFAULTS["token_days"] if days is None else days))
    session.add(row)
    return secret, row


def issue_token(session: Session, user: User, days: int | None = None) -> str:
    """Create an API token for ``user`` (not committed) and return it; only its hash is kept."""
    return new_token(session, user, days)[0]


def valid_token(session: Session, token: str) -> ApiToken | None:
    """The unexpired token ``token`` of an active user, or None (nothing written)."""
    if not token or "\x00" in token:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.expires_at <= clock.now() or not row.user.active:
        return None
    return row


def mark_used(conn, token: str, now: dt.datetime) -> bool:
    """Record that ``token`` was used at ``now`` unless that was recorded less than ``LAST_USED_EVERY``
    before (not committed); whether it wrote. Requests record it at most that often, not one by one."""
    return conn.execute(update(ApiToken).where(
        ApiToken.token_hash == _token_hash(token),
        (ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at <= now - LAST_USED_EVERY))
        .values(last_used_at=now)).rowcount > 0


def token_for(session: Session, token: str) -> ApiToken | None:
    """The unexpired token ``token`` of an active user (its use recorded as ``mark_used`` does, committed),
    or None."""
    row = valid_token(session, token)
    if row is not None and mark_used(session, token, clock.now()):
        session.commit()
    return row


def user_for_token(session: Session, token: str) -> User | None:
    """The active user owning the unexpired ``token`` (and mark the token used), or None."""
    row = token_for(session, token)
    return row.user if row is not None else None


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    """The user's unexpired tokens, oldest first."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id,
                                                       ApiToken.expires_at > clock.now())
                                .order_by(ApiToken.created_at, ApiToken.id)))


def revoke_token(session: Session, user_id: int, public_id: str) -> bool:
    """Revoke the user's token named ``public_id`` (not committed); False when they have none such."""
    return session.execute(delete(ApiToken).where(ApiToken.user_id == user_id,
                                                  ApiToken.public_id == public_id)).rowcount > 0


def revoke_tokens(session: Session, user: User, keep: str | None = None) -> int:
    """Revoke every token of ``user`` but ``keep`` (a public id), not committed; how many were revoked."""
    if user.id is None:
        return 0
    query = delete(ApiToken).where(ApiToken.user_id == user.id)
    if keep is not None:
        query = query.where(ApiToken.public_id != keep)
    return session.execute(query).rowcount


def bump_session_version(session: Session, user_id: int) -> None:
    """End every browser session of the user ``user_id`` (not committed): signing out."""
    session.execute(update(User).where(User.id == user_id).values(session_version=User.session_version + 1))
