"""Small runs of the sync benchmarks, so the scripts that `make bench` runs keep working.

They need the project's own database cluster (scripts/db.sh) to make databases of their own;
with an outside DATABASE_URL these are skipped. The figures they print are not checked here:
a smoke run is too small to say anything about speed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    str(ROOT / ".data" / "run") not in os.environ.get("DATABASE_URL", ""),
    reason="the benchmarks make their own databases in the project's cluster (scripts/db.sh)",
)


def _own_name(suffix: str) -> str:
    """A database name of this test run's own (two runs on one cluster must not share one)."""
    from sqlalchemy.engine import make_url

    return f"{make_url(os.environ['DATABASE_URL']).database}_{suffix}"[:63]


def _run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_ingest_bench_smoke():
    out = _run("bench/sync_ingest.py", "--visits", "1500", "--batch", "500", "--clients", "2", "--workers", "1",
               "--database", _own_name("bench_ingest"))
    assert "ceiling" in out and "visits/s" in out and "ratio to the ceiling" in out


def test_pull_bench_smoke():
    out = _run("bench/sync_pull.py", "--small", "500", "--large", "3000", "--changes", "100", "--repeats", "3",
               "--database", _own_name("bench_pull"))
    assert out.count("pull of 100 changes") == 2 and "large / small" in out
