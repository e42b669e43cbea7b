"""Secrets and the demo (issue 11): a production start refuses a weak key; the demo loads only in
demo mode; a production server refuses to serve while a demo user keeps the published password.

The review started production with ``DOORSTEP_SECRET_KEY=x`` and forged an admin token with it,
ran ``doorstep demo load`` without DOORSTEP_DEMO, then signed in to that production server as
``admin`` / ``doorstep-demo``.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import jwt
import pytest
from sqlalchemy import text

from server.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]
STRONG = secrets.token_urlsafe(48)


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("DOORSTEP_SECRET_KEY", "DOORSTEP_DEMO")}
    return subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("weak", ["x", "change-me", "a" * 40, "abcd" * 10, "0123456789abcdefghijklmnopqrstuvwxyz",
                                  "Winter2026!Winter2026!Winter2026!", secrets.token_urlsafe(23)[:31],
                                  "test-secret-not-for-production-0123456789"])
def test_a_weak_secret_is_refused_with_how_to_make_one(weak):
    with pytest.raises(SettingsError) as refused:
        Settings(database_url="postgresql+asyncpg://x@/y", secret_key=weak, demo=False).check_production_safe()
    assert "DOORSTEP_SECRET_KEY" in str(refused.value) and "secrets.token_urlsafe(48)" in str(refused.value)


@pytest.mark.parametrize("strong", [STRONG, secrets.token_hex(32), secrets.token_urlsafe(32)])
def test_a_random_secret_is_accepted(strong):
    Settings(database_url="postgresql+asyncpg://x@/y", secret_key=strong, demo=False).check_production_safe()


def test_the_server_will_not_start_in_production_with_the_reviews_key(database_url):
    r = _cli("serve", "--port", "1", DATABASE_URL=database_url, DOORSTEP_SECRET_KEY="x")
    assert r.returncode == 1
    assert r.stderr.strip().startswith("error: DOORSTEP_SECRET_KEY has 1 characters")
    assert len(r.stderr.strip().splitlines()) == 1


async def test_a_forged_token_names_no_session(client, app, db_engine):
    """Even with the key in hand (here the test key), a token names a session the server must know."""
    async with db_engine.connect() as conn:
        admin = (await conn.execute(text("SELECT id FROM app_user WHERE username = 'admin'"))).scalar_one()
    now = dt.datetime.now(dt.UTC)
    forged = jwt.encode({"sub": str(admin), "jti": str(uuid.uuid4()), "iat": int(now.timestamp()),
                         "exp": int((now + dt.timedelta(hours=1)).timestamp())},
                        app.state.settings.secret_key, algorithm="HS256")
    client.cookies.clear()
    r = await client.get("/api/v1/devices", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and r.json()["extra"]["reason"] == "invalid_token"


async def test_the_demo_loads_only_in_demo_mode(database_url, db_engine, demo):
    async with db_engine.connect() as conn:
        before = (await conn.execute(text("SELECT count(*), max(id) FROM app_user"))).one()
    r = _cli("demo", "load", DATABASE_URL=database_url, DOORSTEP_SECRET_KEY=STRONG)
    assert r.returncode == 1 and "DOORSTEP_DEMO=1" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    async with db_engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*), max(id) FROM app_user"))).one() == before


def test_production_refuses_to_serve_while_a_demo_password_still_works(database_url, demo):
    """The test database holds the demo (its users keep doorstep-demo): a production start stops."""
    r = _cli("serve", "--port", "1", DATABASE_URL=database_url, DOORSTEP_SECRET_KEY=STRONG)
    assert r.returncode == 1, r.stderr
    message = r.stderr.strip()
    assert message.startswith("error: the demo's users admin, ") and "published password" in message
    assert "PATCH /api/v1/users/NAME" in message and len(message.splitlines()) == 1
