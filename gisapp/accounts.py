"""Accounts: creating users, checking passwords, issuing and checking API tokens."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from gisapp import domain
from gisapp.models import ApiToken, Grid, PatrolTeam, User

MIN_PASSWORD_LENGTH = 8


class AccountError(ValueError):
    """A user could not be created as asked; the message names the field and the problem."""


def create_user(session: Session, login: str, password: str, role: str,
                team_code: str | None = None, grid_codes: tuple[str, ...] = ()) -> User:
    """Add a user (not committed). A team leader needs a team, a grid worker grids."""
    if role not in domain.USER_ROLES:
        raise AccountError(f"role: must be one of {', '.join(domain.USER_ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password: must be at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(User.id).where(User.login == login)):
        raise AccountError(f"login: a user named {login!r} already exists")
    user = User(login=login, password_hash=generate_password_hash(password), role=role)
    if role == "team_leader":
        if not team_code:
            raise AccountError("team: a team leader needs --team (a patrol team code)")
        user.team = session.scalar(select(PatrolTeam).where(PatrolTeam.code == team_code))
        if user.team is None:
            raise AccountError(f"team: no patrol team with code {team_code!r}")
    if role == "grid_worker":
        if not grid_codes:
            raise AccountError("grids: a grid worker needs --grid (one or more grid codes)")
        grids = session.scalars(select(Grid).where(Grid.code.in_(grid_codes))).all()
        missing = sorted(set(grid_codes) - {g.code for g in grids})
        if missing:
            raise AccountError(f"grids: no grid with code {', '.join(missing)}")
        user.grids = list(grids)
    session.add(user)
    return user


def authenticate(session: Session, login: str, password: str) -> User | None:
    """The active user with this login and password, or None."""
    user = session.scalar(select(User).where(User.login == login, User.active))
    if user and check_password_hash(user.password_hash, password):
        return user
    return None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User) -> str:
    """Create an API token for ``user`` (not committed) and return it; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, token_hash=_token_hash(token)))
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user owning ``token`` (and mark the token used), or None."""
    api_token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if api_token is None or not api_token.user.active:
        return None
    api_token.last_used_at = func.now()
    session.commit()
    return api_token.user
