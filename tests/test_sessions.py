"""Sign-in throttling, token expiry and revocation, sessions that end: what an attacker with a list of
passwords, a copied cookie or a leaked token meets. Time is the application's clock (gisapp.clock),
set by the tests: nothing waits for real minutes."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import csrf_token, login
from gisapp import accounts, clock, create_app
from gisapp.models import ApiToken, SignInThrottle, User

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)  # 09:00 in Asia/Shanghai
ERROR_KEYS = {"error", "status", "message", "field", "problems"}


@pytest.fixture
def now(monkeypatch):
    """The application's clock, fixed: ``now(t)`` sets it; it starts at T0."""
    current = {"t": T0}
    monkeypatch.setattr(clock, "now", lambda: current["t"])

    def set_to(moment: dt.datetime | None = None) -> dt.datetime:
        if moment is not None:
            current["t"] = moment
        return current["t"]
    return set_to


@pytest.fixture
def make_app(engine, db_url, tmp_path):
    """An app on the test database with these [auth] settings (as in gisapp.toml)."""
    def build(**auth):
        application = create_app({"database_url": db_url, "secret_key": "test-secret",
                                  "var_dir": str(tmp_path / "var"), "auth": auth})
        application.config["TESTING"] = True
        return application
    return build


def _token(client, login_name: str, password: str, address: str = "127.0.0.1"):
    return client.post("/api/auth/token", json={"login": login_name, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# -- throttling -------------------------------------------------------------------------------------

def test_a_login_is_locked_after_n_failures_and_the_lockout_lifts_by_itself(make_app, users, now):
    client = make_app(max_failures_per_login=3, lockout_min=10.0).test_client()
    assert [_token(client, "chief", "wrong-password").status_code for _ in range(3)] == [401, 401, 401]
    locked = _token(client, "chief", "center-pass")  # the right password, refused while locked out
    assert locked.status_code == 429 and set(locked.json) >= ERROR_KEYS
    assert locked.headers["Retry-After"] == "600"
    assert locked.json["field"] == "login" and locked.json["status"] == 429
    assert locked.json["message"].startswith("login: 登录失败次数过多")
    assert "09:10:00" in locked.json["message"]  # when it lifts, in the configured time zone
    assert locked.json["retry_after"] == 600 and locked.json["locked_until"] == "2026-03-02T09:10:00+08:00"
    assert "token" not in locked.json
    assert _token(client, "vera", "viewer-pass").status_code == 200  # the lockout is this login's

    now(T0 + dt.timedelta(minutes=9))
    still = _token(client, "chief", "center-pass")
    assert still.status_code == 429 and still.headers["Retry-After"] == "60"
    now(T0 + dt.timedelta(minutes=10, seconds=1))
    assert _token(client, "chief", "center-pass").status_code == 200
    # the count starts afresh after a lockout, and a success clears it
    for _ in range(3):
        assert [_token(client, "chief", "wrong-password").status_code for _ in range(2)] == [401, 401]
        assert _token(client, "chief", "center-pass").status_code == 200


def test_unknown_logins_are_locked_out_the_same(make_app, users, now):
    """A lockout says nothing of whether the login exists."""
    client = make_app(max_failures_per_login=2).test_client()
    for name in ("chief", "nobody"):
        assert [_token(client, name, "wrong-password").status_code for _ in range(3)] == [401, 401, 429]


def test_failures_older_than_the_window_are_forgotten(make_app, users, now):
    client = make_app(max_failures_per_login=3, failure_window_min=15.0).test_client()
    assert [_token(client, "chief", "wrong-password").status_code for _ in range(2)] == [401, 401]
    now(T0 + dt.timedelta(minutes=16))
    assert [_token(client, "chief", "wrong-password").status_code for _ in range(2)] == [401, 401]
    assert _token(client, "chief", "center-pass").status_code == 200


def test_an_address_guessing_at_many_logins_is_locked_out(make_app, users, now):
    client = make_app(max_failures_per_login=100, max_failures_per_address=4, lockout_min=5.0).test_client()
    answers = [_token(client, name, "wrong-password", "10.0.0.1").status_code
               for name in ("chief", "vera", "ann", "bob")]
    assert answers == [401, 401, 401, 401]
    locked = _token(client, "chief", "center-pass", "10.0.0.1")
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "300"
    assert "from this address" in locked.json["message"] and locked.json["field"] == "login"
    assert _token(client, "chief", "center-pass", "10.0.0.2").status_code == 200  # another address
    # a success from the address does not clear its count (one account would unlock guessing at the others)
    now(T0 + dt.timedelta(minutes=6))
    assert _token(client, "vera", "viewer-pass", "10.0.0.1").status_code == 200
    assert [_token(client, "ann", "wrong-password", "10.0.0.1").status_code for _ in range(4)] == [401, 401, 401, 401]
    assert _token(client, "chief", "center-pass", "10.0.0.1").status_code == 429


def test_the_sign_in_form_is_throttled_too(make_app, users, now):
    client = make_app(max_failures_per_login=3, lockout_min=10.0).test_client()
    assert [login(client, "chief", "wrong-password").status_code for _ in range(3)] == [401, 401, 401]
    locked = login(client, "chief", "center-pass")
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "600"
    page = locked.get_data(as_text=True)
    assert "登录失败次数过多" in page and "too many failed sign-ins" in page and "09:10:00" in page
    assert client.get("/").status_code == 302  # not signed in
    now(T0 + dt.timedelta(minutes=11))
    assert login(client, "chief", "center-pass").status_code == 302
    assert client.get("/").status_code == 200


def test_every_server_process_sees_the_same_counts(make_app, users, now):
    """gunicorn runs several workers: failures counted by one lock the login out in another."""
    first = make_app(max_failures_per_login=3).test_client()
    second = make_app(max_failures_per_login=3).test_client()
    _token(first, "chief", "wrong-password")
    _token(second, "chief", "wrong-password")
    _token(first, "chief", "wrong-password")
    assert _token(second, "chief", "center-pass").status_code == 429


def test_the_counts_are_kept_without_secrets(make_app, engine, users, now):
    client = make_app(max_failures_per_login=3).test_client()
    _token(client, "chief", "wrong-password")
    with Session(engine) as session:
        rows = {(r.kind, r.value): r.failures for r in session.scalars(select(SignInThrottle))}
    assert rows == {("login", "chief"): 1, ("address", "127.0.0.1"): 1}
    assert _token(client, "chief", "center-pass").status_code == 200
    with Session(engine) as session:
        rows = {(r.kind, r.value): r.failures for r in session.scalars(select(SignInThrottle))}
    assert rows == {("address", "127.0.0.1"): 1}  # the login's count cleared; the success took its own back


def test_the_lockout_is_documented(make_app):
    paths = make_app().test_client().get("/api/openapi.json").json["paths"]
    assert {"401", "429"} <= set(paths["/api/auth/token"]["post"]["responses"])
    assert "429" in paths["/api/me/password"]["post"]["responses"]


# -- tokens -----------------------------------------------------------------------------------------

def test_tokens_expire(make_app, users, now):
    client = make_app(token_days=2).test_client()
    issued = _token(client, "chief", "center-pass").json
    assert issued["expires_at"] == "2026-03-04T09:00:00+08:00" and len(issued["id"]) == 16
    now(T0 + dt.timedelta(days=2) - dt.timedelta(seconds=1))
    assert client.get("/api/me", headers=_bearer(issued["token"])).status_code == 200
    now(T0 + dt.timedelta(days=2))
    expired = client.get("/api/me", headers=_bearer(issued["token"]))
    assert expired.status_code == 401 and set(expired.json) == ERROR_KEYS


def test_the_cli_token_expires_too(cli, engine, users, now):
    answer = cli("user", "token", "chief", "--days", "3")
    assert answer.exit_code == 0
    assert "expires 2026-03-05 09:00 (Asia/Shanghai)" in answer.stderr
    with Session(engine) as session:
        assert accounts.user_for_token(session, answer.stdout.strip()).login == "chief"
    now(T0 + dt.timedelta(days=3))
    with Session(engine) as session:
        assert accounts.user_for_token(session, answer.stdout.strip()) is None


def test_my_tokens_are_listed_without_secrets_and_revoked_one_by_one(make_app, users, now):
    client = make_app().test_client()
    first = _token(client, "chief", "center-pass").json
    now(T0 + dt.timedelta(hours=1))
    second = _token(client, "chief", "center-pass").json
    vera = _token(client, "vera", "viewer-pass").json
    now(T0 + dt.timedelta(hours=2))
    listed = client.get("/api/me/tokens", headers=_bearer(first["token"]))
    assert listed.status_code == 200
    body = listed.get_data(as_text=True)
    assert first["token"] not in body and second["token"] not in body
    assert listed.json["tokens"] == [
        {"id": first["id"], "created_at": "2026-03-02T09:00:00+08:00", "last_used_at": "2026-03-02T11:00:00+08:00",
         "expires_at": "2026-04-01T09:00:00+08:00", "current": True},
        {"id": second["id"], "created_at": "2026-03-02T10:00:00+08:00", "last_used_at": None,
         "expires_at": "2026-04-01T10:00:00+08:00", "current": False}]

    refused = client.delete(f"/api/me/tokens/{vera['id']}", headers=_bearer(first["token"]))
    assert refused.status_code == 404 and refused.json["field"] == "token_id"  # not one's own
    assert client.get("/api/me", headers=_bearer(vera["token"])).status_code == 200
    assert client.delete(f"/api/me/tokens/{second['id']}", headers=_bearer(first["token"])).status_code == 204
    assert client.get("/api/me", headers=_bearer(second["token"])).status_code == 401
    assert client.get("/api/me", headers=_bearer(first["token"])).status_code == 200
    left = client.get("/api/me/tokens", headers=_bearer(first["token"])).json["tokens"]
    assert [t["id"] for t in left] == [first["id"]]


def test_revoking_from_a_browser_needs_the_csrf_token(make_app, users, now):
    client = make_app().test_client()
    issued = _token(client, "chief", "center-pass").json
    login(client, "chief", "center-pass")
    assert client.delete(f"/api/me/tokens/{issued['id']}").status_code == 400
    assert client.delete(f"/api/me/tokens/{issued['id']}", headers={"X-CSRFToken": csrf_token(client, "/")}
                         ).status_code == 204


# -- sessions, disabling, passwords ------------------------------------------------------------------

def _copy_of_session(app, client):
    """A second browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_session_cookie_copied_before_logout_stops_working_after_it(make_app, users):
    app = make_app()
    client = app.test_client()
    assert login(client, "chief", "center-pass").status_code == 302
    thief = _copy_of_session(app, client)
    assert thief.get("/").status_code == 200 and thief.get("/api/me").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert thief.get("/").status_code == 302
    assert thief.get("/api/me").status_code == 401
    assert login(client, "chief", "center-pass").status_code == 302  # signing in again works
    assert client.get("/").status_code == 200
    assert thief.get("/").status_code == 302  # and brings the old cookie back to nothing


def test_disabling_a_user_stops_their_tokens_and_sessions_at_once(make_app, cli, users):
    app = make_app()
    client = app.test_client()
    token = _token(client, "chief", "center-pass").json["token"]
    login(client, "chief", "center-pass")
    assert client.get("/").status_code == 200
    answer = cli("user", "disable", "chief")
    assert answer.exit_code == 0 and "1 API token(s) revoked" in answer.output
    assert client.get("/api/me", headers=_bearer(token)).status_code == 401
    assert client.get("/").status_code == 302
    assert _token(client, "chief", "center-pass").status_code == 401
    assert "(disabled)" in cli("user", "list").output
    assert "disabled" in cli("user", "token", "chief").output
    assert cli("user", "enable", "chief").exit_code == 0
    assert client.get("/api/me", headers=_bearer(token)).status_code == 401  # revoked, not suspended
    assert _token(client, "chief", "center-pass").status_code == 200
    assert "no user named 'ghost'" in cli("user", "disable", "ghost").output


def test_passwd_and_revoke_tokens_from_the_cli(make_app, cli, engine, users):
    app = make_app()
    client = app.test_client()
    token = _token(client, "chief", "center-pass").json["token"]
    login(client, "chief", "center-pass")
    weak = cli("user", "passwd", "chief", "--password", "password123")
    assert weak.exit_code != 0 and "password: 密码过于常见" in weak.output
    assert "密码至少 10 个字符" in cli("user", "passwd", "chief", "--password", "chief").output
    changed = cli("user", "passwd", "chief", input="new secret pass\nnew secret pass\n")
    assert changed.exit_code == 0 and "1 API token(s) revoked" in changed.output
    assert client.get("/api/me", headers=_bearer(token)).status_code == 401
    assert client.get("/").status_code == 302
    assert _token(client, "chief", "center-pass").status_code == 401
    assert _token(client, "chief", "new secret pass").status_code == 200
    other = _token(client, "vera", "viewer-pass").json["token"]
    assert "1 API token(s) of chief revoked" in cli("user", "revoke-tokens", "chief").output
    with Session(engine) as session:
        assert session.scalar(select(ApiToken.id).join(User).where(User.login == "chief")) is None
    assert client.get("/api/me", headers=_bearer(other)).status_code == 200


def test_changing_ones_password_over_the_api(make_app, users, now):
    app = make_app(max_failures_per_login=3)
    client = app.test_client()
    kept = _token(client, "chief", "center-pass").json
    other = _token(client, "chief", "center-pass").json
    browser = app.test_client()
    login(browser, "chief", "center-pass")

    def change(current, new):
        return client.post("/api/me/password", json={"current_password": current, "new_password": new},
                           headers=_bearer(kept["token"]))
    wrong = change("not-my-password", "a new long secret")
    assert wrong.status_code == 400 and wrong.json["field"] == "current_password"
    for new, problem in (("short", "密码至少 10 个字符 must be at least 10 characters"),
                         ("1qaz2wsx3edc", "is a commonly used password")):
        refused = change("center-pass", new)
        assert refused.status_code == 400 and refused.json["field"] == "new_password"
        assert problem in refused.json["message"] and set(refused.json) == ERROR_KEYS
    assert change("center-pass", "a new long secret").status_code == 204
    assert client.get("/api/me", headers=_bearer(kept["token"])).status_code == 200  # this request's token
    assert client.get("/api/me", headers=_bearer(other["token"])).status_code == 401  # the others: revoked
    assert browser.get("/").status_code == 302  # sessions: ended
    assert _token(client, "chief", "a new long secret").status_code == 200
    # wrong current passwords count as failed sign-ins (a stolen token cannot guess the password)
    assert [change("guess-number-x", "another long secret").status_code for _ in range(3)] == [400, 400, 400]
    locked = change("a new long secret", "another long secret")
    assert locked.status_code == 429 and locked.json["field"] == "current_password" and "Retry-After" in locked.headers


def test_changing_ones_password_from_the_browser_keeps_that_session(make_app, users):
    app = make_app()
    browser = app.test_client()
    login(browser, "chief", "center-pass")
    thief = _copy_of_session(app, browser)
    body = {"current_password": "center-pass", "new_password": "a new long secret"}
    assert browser.post("/api/me/password", json=body).status_code == 400  # no CSRF token
    assert browser.post("/api/me/password", json=body,
                        headers={"X-CSRFToken": csrf_token(browser, "/")}).status_code == 204
    assert browser.get("/api/me").status_code == 200
    assert thief.get("/api/me").status_code == 401


def test_the_session_cookie_names_its_version(make_app, engine, users):
    """Cookies from before session versions (the bare user id) sign nobody in."""
    app = make_app()
    client = app.test_client()
    login(client, "chief", "center-pass")
    with client.session_transaction() as session:
        assert session["_user_id"].endswith(":0")
        session["_user_id"] = session["_user_id"].split(":")[0]
    assert client.get("/").status_code == 302


def test_a_nul_in_the_sign_in_form_is_a_failed_sign_in(make_app, users):
    """The form is not under /api (whose guard refuses NUL before any view): PostgreSQL cannot take it."""
    client = make_app().test_client()
    assert login(client, "chief\x00", "center-pass").status_code == 401
    assert login(client, "chief", "center\x00pass").status_code == 401
    assert login(client, "chief", "center-pass").status_code == 302
