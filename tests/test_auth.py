"""Sign-in with the form, tokens for the API, and roles refused."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import csrf_token, login
from gisapp import accounts
from gisapp.demo import DEMO_ACCOUNTS
from gisapp.models import User


def test_login_logout_and_home(client, users):
    assert client.get("/").status_code == 302
    response = login(client, "chief", "center-pass")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "网格 grids" in home.get_data(as_text=True)
    assert "chief (综治中心 center)" in home.get_data(as_text=True), "the role by its label, not its code"
    assert "chief (综治中心 center)" in client.get("/map").get_data(as_text=True), "on the map's bar too"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get("/").status_code == 302


def test_wrong_password(client, users):
    response = login(client, "chief", "not-the-password")
    assert response.status_code == 401
    assert "Wrong login or password" in response.get_data(as_text=True)
    assert client.get("/api/me").status_code == 401


def test_login_without_csrf_token_is_refused(client, users):
    response = client.post("/login", data={"login": "chief", "password": "center-pass"})
    assert response.status_code == 400


def test_open_redirect_is_not_followed(client, users):
    response = client.post("/login?next=//evil.example/", data={
        "login": "chief", "password": "center-pass", "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/"


def test_roles_on_the_api_with_tokens(client, users):
    assert client.get("/api/users").status_code == 401
    assert client.get("/api/users").json["error"] == "Unauthorized"
    bad = client.post("/api/auth/token", json={"login": "vera", "password": "nope"})
    assert bad.status_code == 401 and bad.json["message"] == "wrong login or password"
    assert client.post("/api/auth/token", data="nonsense").status_code == 400
    viewer = client.post("/api/auth/token", json={"login": "vera", "password": "viewer-pass"}).json["token"]
    center = client.post("/api/auth/token", json={"login": "chief", "password": "center-pass"}).json["token"]
    refused = client.get("/api/users", headers={"Authorization": f"Bearer {viewer}"})
    assert refused.status_code == 403 and "viewer" in refused.json["message"]
    assert client.get("/api/me", headers={"Authorization": f"Bearer {viewer}"}).json["role"] == "viewer"
    listed = client.get("/api/users", headers={"Authorization": f"Bearer {center}"})
    assert listed.status_code == 200
    assert [u["login"] for u in listed.json["users"]] == ["chief", "vera"]
    assert "password_hash" not in listed.get_data(as_text=True)
    assert client.get("/api/users", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_user_add_cli(cli, engine):
    ok = cli("user", "add", "ann", "--role", "planner", "--password", "long-enough")
    assert ok.exit_code == 0
    assert "already exists" in cli("user", "add", "ann", "--role", "planner", "--password", "long-enough").output
    assert "password: 密码至少 10 个字符 must be at least 10 characters" in cli(
        "user", "add", "bob", "--role", "viewer", "--password", "short-pw1").output
    assert "needs --team" in cli("user", "add", "tl", "--role", "team_leader", "--password", "long-enough").output
    assert "no grid with code" in cli("user", "add", "gw", "--role", "grid_worker", "--password",
                                      "long-enough", "--grid", "NOPE").output
    token = cli("user", "token", "ann").stdout.strip()
    assert len(token) > 30
    with Session(engine) as session:
        assert accounts.user_for_token(session, token).login == "ann"
        assert accounts.authenticate(session, "ann", "long-enough") is not None
        stored = session.scalar(select(User.password_hash).where(User.login == "ann"))
        assert "long-enough" not in stored and stored.startswith(("scrypt:", "pbkdf2:"))


def test_password_rules_when_adding_a_user(cli, engine):
    """At least 10 characters, not the login, not a common password (the list shipped with the package)."""
    refused = {
        "short-pw1": "password: 密码至少 10 个字符 must be at least 10 characters",
        "samantha12": "password: 密码不能与用户名相同 must not be the login",
        "SAMANTHA12": "password: 密码不能与用户名相同 must not be the login",
        "1234567890": "password: 密码过于常见，请另选 is a commonly used password: choose another",
        "QwertyUiop": "password: 密码过于常见，请另选 is a commonly used password: choose another",
        "woaini1314": "password: 密码过于常见，请另选 is a commonly used password: choose another",
    }
    for password, message in refused.items():
        answer = cli("user", "add", "samantha12", "--role", "viewer", "--password", password)
        assert answer.exit_code != 0 and message in answer.output, (password, answer.output)
    with Session(engine) as session:
        assert session.scalar(select(User.id).where(User.login == "samantha12")) is None
    assert cli("user", "add", "samantha12", "--role", "viewer", "--password", "ten chars!").exit_code == 0


def test_common_passwords_ship_with_the_package():
    listed = accounts.common_passwords()
    assert len(listed) > 19000 and {"password", "qwerty", "1234567890", "#1stunna"} <= listed
    assert not any(p.startswith("# ") for p in listed)


def test_the_demo_accounts_keep_to_the_rules():
    """The demo loader adds its accounts through create_user, which checks the rules: their passwords
    ("center-demo" …) must keep to them, or `make demo` fails."""
    for login_name, (password, _) in DEMO_ACCOUNTS.items():
        assert accounts.password_problem(login_name, password) is None, login_name


def test_unknown_login_costs_a_password_check(engine, monkeypatch):
    """No login enumeration by timing: an unknown (or disabled) login is checked against a dummy hash
    made as real ones are, so it costs the same as a wrong password for a real login."""
    with Session(engine) as session:
        accounts.create_user(session, "chief", "center-pass", "center")
        session.commit()
        real = session.scalar(select(User.password_hash).where(User.login == "chief"))
    checked = []
    original = accounts.check_password_hash

    def spy(stored, password):
        checked.append(stored)
        return original(stored, password)
    monkeypatch.setattr(accounts, "check_password_hash", spy)
    with Session(engine) as session:
        assert accounts.sign_in(session, "nobody", "center-pass") is None
        assert accounts.authenticate(session, "nobody", "center-pass") is None
        assert accounts.sign_in(session, "chief", "wrong-password") is None
    assert len(checked) == 3 and checked[0] == checked[1] != real
    # the dummy is made with the same method and cost as the real hash (e.g. scrypt:32768:8:1)
    assert checked[0].split("$")[0] == real.split("$")[0]

