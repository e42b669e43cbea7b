"""The README's first command: `make run` sets everything up and serves the demo; /health answers ok."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_make_run_serves_the_demo_and_health_is_ok(tmp_path):
    from tests.support import free_port as _free_port

    port = _free_port()
    # make run's own database in the project's cluster, not the test database.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DOORSTEP_SECRET_KEY")}
    env["PORT"] = str(port)
    log = (tmp_path / "make-run.log").open("w")
    proc = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        body = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    body = json.loads(r.read())
                    break
            except OSError:
                time.sleep(0.5)
        output = (tmp_path / "make-run.log").read_text()
        assert body == {"status": "ok", "database": "ok"}, output[-3000:]
        assert "Demo logins" in output and f"http://127.0.0.1:{port}/dashboard" in output
        token_req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/auth/token", method="POST",
            data=json.dumps({"username": "coordinator", "password": "doorstep-demo"}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(token_req, timeout=10) as r:
            token = json.loads(r.read())["access_token"]
        ops_req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/operations",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(ops_req, timeout=10) as r:
            names = [o["name"] for o in json.loads(r.read())["items"]]
        assert "Woodhouse StreetSafe" in names
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
