"""Health, OpenAPI, production safety, schema rules, the CLI's errors, and the deployment files."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text

from server.settings import Settings, SettingsError
from tests.support import doorstep

ROOT = Path(__file__).resolve().parents[2]


async def test_health_reports_the_database(client):
    r = await client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok"}


async def test_health_is_503_when_the_database_is_down():
    from litestar.testing import AsyncTestClient

    from server.app import create_app

    settings = Settings(database_url="postgresql+asyncpg://nobody@/nowhere?host=/nonexistent&port=1",
                        secret_key="x" * 40, demo=True)
    async with AsyncTestClient(app=create_app(settings)) as c:
        r = await c.get("/health")
    assert r.status_code == 503
    assert r.json()["status"] != "ok"


async def test_openapi_document_lists_the_routes(client):
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for path in ("/health", "/api/v1/auth/token", "/api/v1/operations"):
        assert path in paths


@pytest.mark.parametrize("secret", ["", "change-me"])
def test_a_production_start_refuses_a_missing_or_default_secret(secret):
    settings = Settings(database_url="postgresql+asyncpg://x@/y", secret_key=secret, demo=False)
    with pytest.raises(SettingsError, match="DOORSTEP_SECRET_KEY"):
        settings.check_production_safe()


def test_the_serve_command_refuses_to_start_without_a_secret(database_url):
    env = {k: v for k, v in os.environ.items() if k not in ("DOORSTEP_SECRET_KEY", "DOORSTEP_DEMO")}
    r = subprocess.run([sys.executable, "-m", "server.cli", "serve", "--port", "1"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert r.stderr.strip().startswith("error: DOORSTEP_SECRET_KEY")
    assert len(r.stderr.strip().splitlines()) == 1


async def test_published_questionnaire_versions_are_immutable(db_engine, demo):
    from sqlalchemy.exc import DBAPIError

    async with db_engine.connect() as conn:
        with pytest.raises(DBAPIError, match="cannot change"):
            await conn.execute(text("UPDATE questionnaire_version SET title = 'changed'"))
        await conn.rollback()


async def test_schema_matches_the_models(database_url):
    """No model change without a migration: alembic's autogenerate finds nothing to do."""
    r = subprocess.run([sys.executable, "-m", "alembic", "-c", "server/alembic.ini", "check"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_cli_user_add_then_duplicate_is_a_one_line_error(database_url, demo):
    name = "cli-" + uuid.uuid4().hex[:8]
    ok = doorstep("user", "add", name, "--agency", "police", "--role", "visitor", "--password", "long-enough-pw")
    assert ok.exit_code == 0, ok.stderr
    dup = doorstep("user", "add", name, "--agency", "police", "--role", "visitor", "--password", "long-enough-pw")
    assert dup.exit_code == 1
    assert dup.stderr.strip() == f"error: The username {name!r} is taken; choose another."


def test_cli_user_add_unknown_agency_and_role(database_url, demo):
    r = doorstep("user", "add", "x-" + uuid.uuid4().hex[:6], "--agency", "nope", "--role", "visitor",
                 "--password", "long-enough-pw")
    assert r.exit_code == 1 and "No agency with code 'nope'" in r.stderr
    r = doorstep("user", "add", "x-" + uuid.uuid4().hex[:6], "--agency", "police", "--role", "wizard",
                 "--password", "long-enough-pw")
    assert r.exit_code == 1 and "wizard" in r.stderr


def test_compose_file_parses_and_uses_the_servers_setting_names():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["db"]["image"].startswith("postgis/postgis")
    server_env = compose["services"]["server"]["environment"]
    settings_source = (ROOT / "server" / "settings.py").read_text()
    read_names = set(re.findall(r'(?:os\.environ\.get|_bool)\("([A-Z_]+)"', settings_source)) | {"DATABASE_URL"}
    assert set(server_env) <= read_names, f"compose sets names the server never reads: {set(server_env) - read_names}"
    for required in ("DATABASE_URL", "DOORSTEP_SECRET_KEY"):
        assert required in server_env
    assert server_env["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert compose["services"]["server"]["build"] == "."
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "doorstep migrate" in dockerfile and "8000" in dockerfile


async def test_cli_issues_an_open311_key_that_the_api_accepts(client, demo):
    import asyncio

    r = await asyncio.to_thread(doorstep, "open311-key", "fire-safety")
    assert r.exit_code == 0, r.stderr
    key = r.stdout.strip()
    assert len(key) >= 32
    ok = await client.get("/open311/v2/requests.json", params={"api_key": key})
    assert ok.status_code == 200, ok.text
    bad = await client.get("/open311/v2/requests.json", params={"api_key": key + "x"})
    assert bad.status_code == 401
    unknown = await asyncio.to_thread(doorstep, "open311-key", "no-such-agency")
    assert unknown.exit_code == 1 and unknown.stderr.startswith("error: ")


async def test_hostile_values_are_refused_not_500(client, headers):
    h = await headers("coordinator")
    r = await client.get("/api/v1/operations", params={"cursor": 2**31}, headers=h)
    assert r.status_code == 400 and r.json()["field"] == "cursor", r.text  # not a cursor it gave out, never a 500
    r = await client.post("/api/v1/auth/token", json={"username": "nul\u0000here", "password": "x"})
    assert r.status_code in (401, 422), r.text
    assert "detail" in r.json()
    r = await client.request("OPTIONS", "/api/v1/auth/check/admin")
    assert r.status_code < 500, r.text


async def test_a_server_error_reveals_nothing_internal(app):
    from litestar import Litestar, get
    from litestar.testing import AsyncTestClient

    from server.lib.exceptions import EXCEPTION_HANDLERS

    @get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail: resident Jane Doe 07911 123123")

    async with AsyncTestClient(app=Litestar([boom], exception_handlers=EXCEPTION_HANDLERS)) as c:
        r = await c.get("/boom")
    assert r.status_code == 500
    assert "Jane" not in r.text and "secret" not in r.text
    assert "changed nothing" in r.json()["detail"]


def test_the_migrations_have_one_head():
    """Two helpers adding a migration each must not leave two heads (the second re-parents theirs)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(Config(str(ROOT / "server" / "alembic.ini"))).get_heads()
    assert len(heads) == 1, f"more than one migration head: {heads}"
