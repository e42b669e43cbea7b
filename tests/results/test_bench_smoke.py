"""bench/aggregate.py runs end to end on a tiny operation (the real run is `make bench`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from .world import ROOT

pytestmark = pytest.mark.slow


def test_the_aggregate_bench_runs_and_prints_every_figure(database_url):
    from sqlalchemy.engine import make_url

    # Named after this run's own database, so two test runs on one cluster do not collide.
    name = f"{make_url(database_url).database}_bench_agg"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    try:
        _run_and_check(name, env)
    finally:
        for db in (name, f"{name}_alone"):
            subprocess.run(["bash", "scripts/db.sh", "drop", db], cwd=ROOT, capture_output=True, timeout=60)


def _run_and_check(name: str, env: dict[str, str]) -> None:
    r = subprocess.run([sys.executable, "bench/aggregate.py", "--households", "400", "--visits", "2000",
                        "--others", "1", "--runs", "5", "--database", name],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert r.returncode in (0, 1), r.stderr[-3000:]  # 1: a target missed (fixed costs weigh more at this size)
    out = r.stdout
    assert "400 households, 2,000 visits" in out
    assert "beside 1x as much data" in out
    for figure in ("plain SQL group-by (ceiling)", "street-results query (asyncpg)", "GET .../streets (JSON, HTTP)",
                 "GET .../streets?format=geojson"):
        figures = re.findall(re.escape(figure) + r"\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", out)
        assert len(figures) == 2, (figure, out)
        assert all(float(x) > 0 for row in figures for x in row)
    assert out.count("within 20%") == 2
