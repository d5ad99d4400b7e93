"""Sign-in with the form, tokens for the API, and roles refused."""
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import csrf_token, login
from gisapp import accounts
from gisapp.models import User


@pytest.fixture
def users(engine):
    with Session(engine) as session:
        accounts.create_user(session, "chief", "center-pass", "center")
        accounts.create_user(session, "vera", "viewer-pass", "viewer")
        session.commit()


def test_login_logout_and_home(client, users):
    assert client.get("/").status_code == 302
    response = login(client, "chief", "center-pass")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "网格 grids" in home.get_data(as_text=True)
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
    assert "at least 8" in cli("user", "add", "bob", "--role", "viewer", "--password", "short").output
    assert "needs --team" in cli("user", "add", "tl", "--role", "team_leader", "--password", "long-enough").output
    assert "no grid with code" in cli("user", "add", "gw", "--role", "grid_worker", "--password",
                                      "long-enough", "--grid", "NOPE").output
    token = cli("user", "token", "ann").output.strip()
    assert len(token) > 30
    with Session(engine) as session:
        assert accounts.user_for_token(session, token).login == "ann"
        assert accounts.authenticate(session, "ann", "long-enough") is not None
        stored = session.scalar(select(User.password_hash).where(User.login == "ann"))
        assert "long-enough" not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
