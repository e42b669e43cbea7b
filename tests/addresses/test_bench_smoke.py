"""bench/addresses.py runs end to end on a small list (the real run is `make bench`: 100,000 rows)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_the_address_bench_runs_and_prints_every_figure(database_url):
    from sqlalchemy.engine import make_url

    name = f"{make_url(database_url).database}_bench_addresses"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    try:
        r = subprocess.run([sys.executable, "bench/addresses.py", "--rows", "2000", "--streets", "20",
                            "--database", name], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    finally:
        subprocess.run(["bash", "scripts/db.sh", "drop", name], cwd=ROOT, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    for figure in ("reading (CSV, checks, OSTN15)", "database transaction", "import-addresses, whole",
                   "import-addresses again (all updates)", "plain COPY of the same rows (ceiling)"):
        assert figure in r.stdout, figure
    assert "stored 2,000 doors; second upload: 2,000 updated, 0 new" in r.stdout
    assert "target: 2,000 rows in" in r.stdout and ": yes" in r.stdout
