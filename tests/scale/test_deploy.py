"""docker-compose.yml: N stateless servers behind HAProxy, through PgBouncer in transaction mode.

Docker cannot run here, so the pieces are checked with the real programs that can: HAProxy's own
check of deploy/haproxy/haproxy.cfg, Debian's PgBouncer running deploy/pgbouncer/pgbouncer.ini as
shipped (only where it listens and which cluster it forwards to changed) with SCRAM passwords, and
`docker-compose config` when that is installed.
"""

from __future__ import annotations

import asyncio
import configparser
import os
import shutil
import subprocess
from pathlib import Path

import asyncpg
import pytest
import yaml

from scripts.scaleout import (
    AS_POSTGRES,
    AS_ROOT,
    PRIMARY_PORT,
    PRIMARY_SOCKETS,
    _own_folder,
    _stop_group,
    _wait_for_port,
    free_port,
)

from .conftest import needs

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_compose_runs_replicas_behind_an_official_proxy_image_through_pgbouncer():
    server = SERVICES["server"]
    assert int(server["deploy"]["replicas"].split(":-")[1].rstrip("}")) >= 2, server["deploy"]
    assert "ports" not in server, "only the proxy is published; servers are reached through it"
    env = server["environment"]
    assert "@pgbouncer:6432/" in env["DATABASE_URL"] and env["DATABASE_POOL_MODE"] == "transaction", env
    proxy = SERVICES["proxy"]
    assert proxy["image"].split(":")[0] in {"haproxy", "nginx", "caddy"}, proxy["image"]  # official images
    assert proxy["ports"] == ["8000:8000"]
    # The servers believe X-Forwarded-For from the proxy's fixed address only.
    assert proxy["networks"]["default"]["ipv4_address"] == env["DOORSTEP_TRUSTED_PROXIES"]
    # Migrations run once, before any server starts, straight to PostgreSQL.
    assert server["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "doorstep migrate" in " ".join(SERVICES["migrate"]["command"])
    assert "@db:5432/" in SERVICES["migrate"]["environment"]["DATABASE_URL"]
    assert "migrate" not in " ".join(server["command"])
    assert SERVICES["pgbouncer"]["build"] == "deploy/pgbouncer"


@needs("haproxy")
def test_haproxy_accepts_the_shipped_configuration():
    cfg = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
    checked = subprocess.run(["haproxy", "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    text = cfg.read_text()
    assert "option httpchk GET /health" in text and "option forwardfor" in text
    assert "server-template server " in text and "server:8000" in text  # every replica, found by name


@needs("pgbouncer")
async def test_the_shipped_pgbouncer_configuration_pools_in_transaction_mode_with_passwords(database_name):
    shipped = configparser.ConfigParser(inline_comment_prefixes=(";",))
    shipped.read(ROOT / "deploy" / "pgbouncer" / "pgbouncer.ini")
    assert shipped["pgbouncer"]["pool_mode"] == "transaction"
    assert shipped["pgbouncer"]["auth_type"] == "scram-sha-256"
    folder = _own_folder("pgbouncer-deploy-")
    port = free_port()
    # What the image's entrypoint writes from DB_USER and DB_PASSWORD.
    (folder / "userlist.txt").write_text('"doorstep" "a-long-deploy-password"\n')
    shipped["databases"] = {"doorstep": f"host={PRIMARY_SOCKETS} port={PRIMARY_PORT} dbname={database_name}"}
    shipped["pgbouncer"].update(listen_addr="127.0.0.1", listen_port=str(port), auth_file=str(folder / "userlist.txt"),
                                logfile=str(folder / "pgbouncer.log"))
    with (folder / "pgbouncer.ini").open("w") as f:
        shipped.write(f)
    if AS_ROOT:
        for path in folder.iterdir():
            shutil.chown(path, "postgres", "postgres")
    proc = subprocess.Popen(["pgbouncer", str(folder / "pgbouncer.ini")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, start_new_session=True, **AS_POSTGRES)
    try:
        _wait_for_port(port, proc, "PgBouncer", folder / "pgbouncer.log")
        dsn = {"host": "127.0.0.1", "port": port, "user": "doorstep", "database": "doorstep"}
        # The servers' way in: no statement cache (DATABASE_POOL_MODE=transaction).
        conn = await asyncpg.connect(**dsn, password="a-long-deploy-password", statement_cache_size=0)
        try:
            for _ in range(5):
                async with conn.transaction():
                    assert await conn.fetchval("SELECT count(*) >= 0 FROM operation")
            assert await conn.fetchval("SELECT current_database()") == database_name
        finally:
            await conn.close()
        for wrong in ("not-the-password", None):
            with pytest.raises((asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError,
                                asyncpg.ProtocolViolationError)):
                await asyncio.wait_for(asyncpg.connect(**dsn, password=wrong), 10)
    finally:
        _stop_group(proc)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose is not installed")
def test_docker_compose_accepts_the_file():
    env = dict(os.environ, DOORSTEP_SECRET_KEY="x" * 48)
    checked = subprocess.run(["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
