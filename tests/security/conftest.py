"""Helpers for the security tests: throwaway users (the demo's are shared by the whole suite) and
sign-ins that do not leave a cookie on the shared client."""

from __future__ import annotations

import uuid

import pytest

from tests.followups.conftest import (  # noqa: F401 (fixtures: follow-ups and agencies to attack)
    agency_operation,
    demo_ids,
    raise_followup,
)

PASSWORD = "a-long-enough-password"


@pytest.fixture(scope="session")
async def make_user(client, headers):
    """make_user(roles=("visitor",), agency="police") -> username of a new user with PASSWORD."""

    async def make(roles: tuple[str, ...] = ("visitor",), agency: str = "police") -> str:
        name = "sec-" + uuid.uuid4().hex[:10]
        r = await client.post("/api/v1/users", headers=await headers("admin"), json={
            "username": name, "password": PASSWORD, "display_name": name.title(), "agency": agency,
            "roles": list(roles)})
        assert r.status_code == 201, r.text
        return name

    return make


@pytest.fixture(scope="session")
async def sign_in(client):
    """sign_in(username, password=PASSWORD, device_id=None) -> the token answer (JSON), cookies cleared."""

    async def go(username: str, password: str = PASSWORD, device_id: str | None = None,
                 device_name: str | None = None) -> dict:
        body: dict = {"username": username, "password": password}
        if device_id:
            body |= {"device_id": device_id, "device_name": device_name or f"Test tablet {device_id[:6]}"}
        r = await client.post("/api/v1/auth/token", json=body)
        assert r.status_code == 200, r.text
        client.cookies.clear()
        return r.json()

    return go


def bearer(answer: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {answer['access_token']}"}
