"""Sign-in, tokens, expiry, role guards and the login throttle, against the real database."""

from __future__ import annotations

import datetime as dt
import uuid

import jwt
import pytest

from tests.conftest import DEMO_PASSWORD


async def test_sign_in_returns_a_bearer_token_and_the_user(client):
    r = await client.post("/api/v1/auth/token", json={"username": "officer", "password": DEMO_PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    assert body["user"]["username"] == "officer"
    assert body["user"]["agency_code"] == "police"
    assert body["user"]["roles"] == ["visitor"]
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    # The token names the session and the user, nothing more: roles come from the database.
    assert claims["jti"] == body["session_id"] and claims["sub"] == str(body["user"]["id"])
    assert "roles" not in str(claims) and body["session_kind"] == "web"
    assert "password" not in r.text and "argon2" not in r.text
    assert r.cookies.get("doorstep_session", "").startswith('"Bearer ') or "doorstep_session" in r.headers.get(
        "set-cookie", ""
    )
    client.cookies.clear()


async def test_wrong_password_is_401_with_a_message(client):
    r = await client.post("/api/v1/auth/token", json={"username": "councillor", "password": "not-it"})
    assert r.status_code == 401
    assert "Wrong username or password" in r.json()["detail"]


async def test_unknown_user_is_the_same_401(client):
    r = await client.post("/api/v1/auth/token", json={"username": "nobody-" + uuid.uuid4().hex, "password": "x"})
    assert r.status_code == 401
    assert "Wrong username or password" in r.json()["detail"]


async def test_token_route_rejects_missing_fields_naming_them(client):
    r = await client.post("/api/v1/auth/token", json={"username": "officer"})
    assert r.status_code == 422
    assert "password" in r.json()["detail"]


async def test_malformed_json_is_400(client):
    r = await client.post("/api/v1/auth/token", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400


async def test_api_without_a_token_is_401(client):
    client.cookies.clear()
    r = await client.get("/api/v1/operations")
    assert r.status_code == 401


async def test_garbage_token_is_401(client):
    client.cookies.clear()
    r = await client.get("/api/v1/operations", headers={"Authorization": "Bearer not.a.token"})
    assert r.status_code == 401


async def test_expired_token_is_401(client, app):
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    encoded = jwt.encode({"sub": "1", "exp": int(past.timestamp()), "iat": int(past.timestamp()) - 3600,
                          "extras": {"username": "officer", "agency_id": 1, "agency_code": "police",
                                     "roles": ["visitor"]}},
                         app.state.settings.secret_key, algorithm="HS256")
    client.cookies.clear()
    r = await client.get("/api/v1/operations", headers={"Authorization": f"Bearer {encoded}"})
    assert r.status_code == 401
    assert r.json()["extra"] == {"reason": "invalid_token"}


async def test_token_signed_with_another_secret_is_401(client, app):
    from litestar.security.jwt import Token

    now = dt.datetime.now(dt.UTC)
    token = Token(sub="1", exp=now + dt.timedelta(hours=1), iat=now,
                  extras={"username": "admin", "agency_id": 1, "agency_code": "council", "roles": ["admin"]})
    forged = token.encode(secret="some-other-secret-0123456789", algorithm="HS256")
    client.cookies.clear()
    r = await client.get("/api/v1/operations", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401


async def test_operations_are_scoped_by_role(client, headers, demo):
    seen = {}
    for user in ("officer", "coordinator", "envhealth", "admin"):
        r = await client.get("/api/v1/operations", headers=await headers(user))
        assert r.status_code == 200, r.text
        seen[user] = {o["id"] for o in r.json()["items"]}
    assert demo.operation_id in seen["officer"]  # on a pair of it
    assert demo.operation_id in seen["coordinator"]  # runs it
    assert demo.operation_id in seen["envhealth"]  # the routing table sends follow-ups to its agency
    assert demo.operation_id in seen["admin"]


@pytest.mark.parametrize(
    ("username", "role", "allowed"),
    [("admin", "admin", True), ("coordinator", "admin", False), ("officer", "coordinator", False),
     ("coordinator", "coordinator", True), ("envhealth", "partner", True), ("officer", "partner", False),
     ("officer", "visitor", True), ("envhealth", "visitor", False), ("admin", "visitor", True)],
)
async def test_each_role_guard(client, headers, username, role, allowed):
    r = await client.get(f"/api/v1/auth/check/{role}", headers=await headers(username))
    assert r.status_code == (200 if allowed else 403), r.text
    if not allowed:
        assert role in r.json()["detail"]


async def test_failed_sign_ins_are_throttled(client, app):
    name = "throttle-" + uuid.uuid4().hex[:8]
    free = app.state.settings.sign_in_free_failures
    codes = []
    for _ in range(free + 1):
        r = await client.post("/api/v1/auth/token", json={"username": name, "password": "guess"})
        codes.append(r.status_code)
    assert codes[:free] == [401] * free
    assert codes[free] == 429
    assert "wait 2 seconds" in r.json()["detail"] and r.headers["retry-after"] == "2"


async def test_admin_adds_a_user_who_can_then_sign_in(client, headers):
    name = "visitor-" + uuid.uuid4().hex[:8]
    r = await client.post("/api/v1/users", headers=await headers("admin"), json={
        "username": name, "password": "a-long-password", "display_name": "New Visitor",
        "agency": "fire", "roles": ["visitor"]})
    assert r.status_code == 201, r.text
    r = await client.post("/api/v1/auth/token", json={"username": name, "password": "a-long-password"})
    assert r.status_code == 200
    assert r.json()["user"]["agency_code"] == "fire"
    client.cookies.clear()


async def test_adding_a_duplicate_username_is_409(client, headers):
    r = await client.post("/api/v1/users", headers=await headers("admin"), json={
        "username": "officer", "password": "a-long-password", "display_name": "Dup", "agency": "police",
        "roles": ["visitor"]})
    assert r.status_code == 409
    assert "taken" in r.json()["detail"]


async def test_adding_a_user_with_an_unknown_role_is_422(client, headers):
    r = await client.post("/api/v1/users", headers=await headers("admin"), json={
        "username": "x-" + uuid.uuid4().hex[:6], "password": "a-long-password", "display_name": "X",
        "agency": "police", "roles": ["superhero"]})
    assert r.status_code == 422
    assert "superhero" in r.json()["detail"]


async def test_only_admins_add_users(client, headers):
    r = await client.post("/api/v1/users", headers=await headers("coordinator"), json={
        "username": "y-" + uuid.uuid4().hex[:6], "password": "a-long-password", "display_name": "Y",
        "agency": "police", "roles": ["visitor"]})
    assert r.status_code == 403
