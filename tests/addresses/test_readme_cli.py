"""The README's command-line lines run as written after `make run`: the real scripts/run.sh serves a fresh
database of the project's cluster, and the commands, with DATABASE_URL unset, find it by themselves."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def readme_planning_commands() -> list[str]:
    """The `doorstep import-…` lines of the README's command-line section's second block."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## The command line", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    lines = [line for block in blocks for line in block.splitlines() if line.startswith("doorstep import-")
             and "--create" in line or line.startswith("doorstep import-addresses fixtures/")]
    return lines


def test_the_readme_cli_lines_run_verbatim_after_make_run(tmp_path):
    commands = readme_planning_commands()
    assert len(commands) == 2 and "--create" in commands[0], commands
    name = f"doorstep_readme_{os.getpid()}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DOORSTEP_SECRET_KEY")}
    env.update(DOORSTEP_DB_NAME=name, PORT=str(port), PATH=f"{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}",
               DOORSTEP_NOTIFY_INTERVAL_SECONDS="0")
    subprocess.run(["bash", "scripts/db.sh", "drop", name], cwd=ROOT, check=True, timeout=60)
    server = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert server.poll() is None, server.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "make run did not start"
            time.sleep(0.5)
        for command in commands:
            done = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True,
                                  timeout=300)
            assert done.returncode == 0, (command, done.stderr)
        assert "Woodhouse from the council list" in done.stdout
        assert re.search(r"doors imported\s+│\s+2\d\d \(2\d\d new", done.stdout), done.stdout
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
        subprocess.run(["bash", "scripts/db.sh", "drop", name], cwd=ROOT, timeout=60)
