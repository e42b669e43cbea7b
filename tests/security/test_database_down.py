"""The database stopped and started (issue 11): 503 with Retry-After while it is away, and the
first request after it is back works (the pool tests a connection before use).

The review saw 500s with the database down and a failed first request after a restart. This
test stops a cluster of its own (a throwaway copy of scripts/db.sh's, under tmp), never the
cluster the rest of the suite shares.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support import running_server

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a-long-enough-password"


class Cluster:
    def __init__(self, root: Path) -> None:
        self.script = root / "scripts" / "db.sh"
        self.script.parent.mkdir(parents=True)
        # The project's own script, run from another folder: its cluster lives in root/.data.
        self.script.write_text((ROOT / "scripts" / "db.sh").read_text()
                               .replace("shared_buffers = 512MB", "shared_buffers = 32MB"))

    def __call__(self, *args: str) -> str:
        return subprocess.run(["bash", str(self.script), *args], check=True, capture_output=True, text=True,
                              timeout=180).stdout.strip()

    def running(self) -> bool:
        bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        data = self.script.parent.parent / ".data" / "pg"
        return subprocess.run(["runuser", "-u", "postgres", "--", str(bindir / "pg_ctl"), "-D", str(data), "status"],
                              capture_output=True).returncode == 0

    def stop(self) -> None:
        self("stop")
        assert not self.running(), "the throwaway cluster did not stop"

    def start(self) -> None:
        self("start")
        assert self.running()


def _cli(url: str, *args: str) -> None:
    r = subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, capture_output=True, text=True,
                       env={**os.environ, "DATABASE_URL": url}, timeout=180)
    assert r.returncode == 0, r.stderr


@pytest.fixture
def cluster(tmp_path):
    cluster = Cluster(tmp_path / "throwaway")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def test_a_database_stopped_and_started(cluster):
    cluster("ensure", "down")
    url = cluster("url", "down")
    _cli(url, "migrate")
    subprocess.run(["bash", "-c", f"""{_psql(cluster)} -d down -c "INSERT INTO agency (code, name, kind)
                    VALUES ('police', 'Police', 'police')" """], check=True, capture_output=True)
    _cli(url, "user", "add", "keeper", "--agency", "police", "--role", "admin", "--password", PASSWORD)
    # Every request checks its session in the database (no memory of it), to be sure the check meets the outage.
    with running_server(url, DOORSTEP_SESSION_CHECK_SECONDS="0", DOORSTEP_NOTIFY_INTERVAL_SECONDS="0") as base:
        token = httpx.post(f"{base}/api/v1/auth/token", json={"username": "keeper", "password": PASSWORD}).json()
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        assert httpx.get(f"{base}/api/v1/devices", headers=bearer).status_code == 200

        # Stopped and started while nothing asks: every pooled connection is now dead, and the pool
        # has not heard. The first request after the restart still works: the connection is
        # tested before use and replaced.
        cluster.stop()
        cluster.start()
        first = httpx.get(f"{base}/api/v1/devices", headers=bearer, timeout=60)
        assert first.status_code == 200, first.text

        # Stopped while requests come: 503 with Retry-After, never a 500.
        cluster.stop()
        for method, path, kwargs in (("GET", "/api/v1/devices", {"headers": bearer}),
                                     ("GET", "/api/v1/operations", {"headers": bearer}),
                                     ("POST", "/api/v1/auth/token",
                                      {"json": {"username": "keeper", "password": PASSWORD}})):
            r = httpx.request(method, base + path, timeout=60, **kwargs)
            assert r.status_code == 503, (path, r.status_code, r.text)
            assert r.headers["retry-after"] == "5" and "not answering" in r.json()["detail"]
        health = httpx.get(f"{base}/health", timeout=60)
        assert health.status_code == 503 and health.json()["status"] != "ok"

        cluster.start()
        assert httpx.get(f"{base}/api/v1/devices", headers=bearer, timeout=60).status_code == 200
        assert httpx.get(f"{base}/health").json() == {"status": "ok", "database": "ok"}


def _psql(cluster: Cluster) -> str:
    bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    url = cluster("url", "down")
    socket = url.split("host=")[1].split("&")[0]
    port = url.split("port=")[1]
    return f"{bindir}/psql -h {socket} -p {port} -U doorstep -v ON_ERROR_STOP=1 -qAt"
