"""PgBouncer in transaction mode (DATABASE_POOL_MODE=transaction): the sync and results tests
pass through it, and the check itself is shown able to fail.

The PgBouncer here forgets every server connection's state after each transaction (DISCARD ALL,
``server_reset_query_always``) and shares few server connections among many clients, so anything
that leaned on session state (a named prepared statement, a SET, a temporary table, a session
advisory lock, LISTEN) would fail every time rather than now and then.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from scripts.scaleout import pgbouncer
from server.db.engine import make_engine

from .conftest import needs

ROOT = Path(__file__).resolve().parents[2]
pytestmark = needs("pgbouncer")

#: The sync and results tests, without the benchmarks' smoke runs (they make databases of their
#: own in the cluster, not through a pooler) and the browser ones (the same API under a page).
CORE = ["tests/sync", "tests/results",
        "--ignore=tests/sync/test_bench_smoke.py", "--ignore=tests/results/test_bench_smoke.py",
        "--ignore=tests/results/test_dashboard_browser.py", "--ignore=tests/results/test_setup_browser.py"]


@pytest.mark.timeout(900)
def test_the_sync_and_results_tests_pass_through_pgbouncer_in_transaction_mode(database_name):
    with pgbouncer(pool_mode="transaction", pool_size=6, forget_state=True) as bouncer:
        env = dict(os.environ, DATABASE_URL=bouncer.url(database_name), DATABASE_POOL_MODE="transaction")
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *CORE],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=840)
        summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
        passed = int(re.search(r"(\d+) passed", summary)[1])
        assert passed >= 70, summary
        # They did go through PgBouncer, sharing its few server connections.
        stats = {row["database"]: row for row in bouncer.show("STATS")}[database_name]
        assert int(stats["total_xact_count"]) > 500, stats
        pool = {row["database"]: row for row in bouncer.show("POOLS")}[database_name]
        assert pool["pool_mode"] == "transaction"


async def test_a_client_that_keeps_session_state_fails_behind_this_pgbouncer(database_name):
    """The control: the same PgBouncer breaks a client set up for a direct connection (SQLAlchemy
    and asyncpg caching named prepared statements), at its second transaction."""
    statement = text("SELECT count(*) FROM operation WHERE id > :n")
    with pgbouncer(pool_mode="transaction", pool_size=2, forget_state=True) as bouncer:
        for mode, fails in (("session", True), ("transaction", False)):
            engine = make_engine(bouncer.url(database_name), pool_mode=mode)
            try:
                failure = None
                for n in range(3):
                    try:
                        async with engine.connect() as conn:
                            await conn.execute(statement, {"n": n})
                    except Exception as exc:  # noqa: BLE001 - the failure is what this test looks for
                        failure = exc
                        break
                if fails:
                    assert failure is not None and "prepared statement" in str(failure), failure
                else:
                    assert failure is None, failure
            finally:
                await engine.dispose()


def test_an_unknown_pool_mode_is_refused_with_the_choices(monkeypatch):
    from server.settings import SettingsError, from_env

    monkeypatch.setenv("DATABASE_POOL_MODE", "statement")
    with pytest.raises(SettingsError, match="use session .* or transaction"):
        from_env()
    monkeypatch.setenv("DATABASE_POOL_MODE", " Transaction ")
    assert from_env().database_pool_mode == "transaction"
