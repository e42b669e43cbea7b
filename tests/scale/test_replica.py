"""A streaming replica for reads (DATABASE_READ_URL): pg_basebackup of the project's cluster into a
second cluster of its own under .data/, run as a hot standby (scripts/scaleout.py).

The dashboard's figures, open data and the OGC API read from it, and say "as of" when they do; sync
(push, pull) stays on the primary. With the replica's replay paused, a push is at once in a pull
(the primary) but not in the dashboard (the replica, as of before the push); replay resumed, the
dashboard catches up; the replica stopped, every read is served by the primary, fresh, without an
error and without "as of".
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from scripts.scaleout import server_process, streaming_replica
from server.db.reads import AS_OF_HEADER, Position, as_of_for
from tests.support import eventually

from .conftest import needs

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "doorstep-demo"


def _in_a_thread(coro):
    """Run a coroutine on an event loop of its own (Playwright's sync API holds this thread's)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _operation(database_url: str, demo_operation: int):
    from server.db.engine import make_engine
    from tests.sync.conftest import make_operation

    engine = make_engine(database_url)
    try:
        return await make_operation(engine, type("Demo", (), {"operation_id": demo_operation})(), households=8)
    finally:
        await engine.dispose()


def _visits(op, count: int, start: int = 0) -> list[dict]:
    at = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
    return [{"type": "visit", "id": str(uuid.uuid4()), "operation_id": op.id, "household_id": op.household_ids[i],
             "team_id": op.team_a, "visited_at": at, "outcome": "no_answer"} for i in range(start, start + count)]


def _signed_in(base: str, username: str) -> httpx.Client:
    http = httpx.Client(base_url=base, timeout=30)
    r = http.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    http.cookies.clear()
    return http


def _as_of(response: httpx.Response) -> dt.datetime | None:
    value = response.headers.get(AS_OF_HEADER)
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


@needs("pgbouncer")  # the same set-up folder; pg_basebackup comes with PostgreSQL itself
@pytest.mark.timeout(300)
def test_dashboard_reads_come_from_the_replica_sync_from_the_primary_and_a_stopped_replica_degrades(
        database_url, database_name, demo, browser, screens_dir, tmp_path):
    from playwright.sync_api import expect

    op = _in_a_thread(_operation(database_url, demo.operation_id))
    with streaming_replica() as replica:
        env = dict(os.environ, DATABASE_URL=database_url, DATABASE_READ_URL=replica.url(database_name),
                   DOORSTEP_READ_MAX_LAG_SECONDS="600", DOORSTEP_NOTIFY_INTERVAL_SECONDS="0",
                   DOORSTEP_IMPORT_INTERVAL_SECONDS="0")
        with server_process(env, log=tmp_path / "server.log") as base:
            coordinator, officer, pcso = (_signed_in(base, u) for u in ("coordinator", "officer", "pcso"))
            streets = f"/api/v1/operations/{op.id}/streets"
            # A commit after the copy was taken, replayed: the replica has the operation and a replayed
            # transaction's time to give as "as of" once it falls behind.
            publish = coordinator.post(f"/api/v1/operations/{op.id}/publish")
            assert publish.status_code == 200, publish.text
            eventually(lambda: replica.psql(database_name, f"SELECT published_at IS NOT NULL FROM operation "
                                                           f"WHERE id = {op.id}") == "t",
                       timeout=30, what="the replica replaying the publication")
            eventually(lambda: _as_of(coordinator.get(streets)) is not None, timeout=15,
                       what="the dashboard reading the replica")

            # 1. The replica stops replaying; sync carries on against the primary.
            replica.psql(database_name, "SELECT pg_wal_replay_pause()")
            eventually(lambda: replica.psql(database_name, "SELECT pg_get_wal_replay_pause_state()") == "paused",
                       what="replay paused")
            paused_at = dt.datetime.now(dt.UTC)
            time.sleep(1.1)  # past the primary position each server process remembers for a second
            pushed = officer.post("/api/v1/sync/push", json={"device_id": "replica-test", "records": _visits(op, 3)})
            assert [r["status"] for r in pushed.json()["results"]] == ["stored"] * 3, pushed.text
            assert AS_OF_HEADER not in pushed.headers
            ids = {r["id"] for r in pushed.json()["results"]}

            def pulled() -> bool:  # a pull waits for older transactions anywhere in the cluster to end
                r = pcso.get("/api/v1/sync/pull", params={"operation_id": op.id})
                assert r.status_code == 200 and AS_OF_HEADER not in r.headers, r.text
                return {c.get("id") for c in r.json()["changes"]} >= ids

            eventually(pulled, timeout=20, what="the pull (on the primary) showing the pushes")

            # The dashboard's figures come from the replica: not yet the pushes, and "as of" before them.
            r = coordinator.get(streets)
            assert r.status_code == 200 and r.json()["totals"]["knocked"] == 0, r.text
            assert _as_of(r) is not None and _as_of(r) <= paused_at, (r.headers.get(AS_OF_HEADER), paused_at)
            for path in (f"/api/v1/operations/{op.id}/pairs", f"/api/v1/operations/{op.id}/results/version",
                         f"/api/v1/operations/{op.id}/streets?format=csv"):
                assert _as_of(coordinator.get(path)) is not None, path
            page = httpx.get(f"{base}/open-data/operations/{op.id}/")
            assert page.status_code == 200 and "as of" in page.text, page.text[:2000]
            ogc = httpx.get(f"{base}/ogc/collections/operation-{op.id}-streets/items")
            assert ogc.status_code == 200 and _as_of(ogc) is not None
            _dashboard_says_as_of(browser, base, op.id, screens_dir, expect)

            # 2. Replay resumed: the replica catches up, and so does the dashboard.
            replica.psql(database_name, "SELECT pg_wal_replay_resume()")
            eventually(lambda: coordinator.get(streets).json()["totals"]["knocked"] == 3, timeout=30,
                       what="the dashboard showing the pushes once the replica replayed them")

            # 3. The replica stopped: reads go to the primary, fresh, never an error, no "as of".
            replica.stop()
            more = officer.post("/api/v1/sync/push", json={"device_id": "replica-test", "records": _visits(op, 2, 3)})
            assert [r["status"] for r in more.json()["results"]] == ["stored"] * 2
            for _ in range(5):
                r = coordinator.get(streets)
                assert r.status_code == 200, r.text
                assert r.json()["totals"]["knocked"] == 5 and AS_OF_HEADER not in r.headers
            page = httpx.get(f"{base}/open-data/operations/{op.id}/")
            assert page.status_code == 200 and "as of" not in page.text
            ogc = httpx.get(f"{base}/ogc/collections/operation-{op.id}-streets/items")
            assert ogc.status_code == 200 and AS_OF_HEADER not in ogc.headers
            assert "read replica not answering" in (tmp_path / "server.log").read_text()


def _dashboard_says_as_of(browser, base: str, operation_id: int, screens_dir, expect) -> None:
    """The coordinator's page says its figures are as of the replica's moment."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{base}/dashboard/login?next=/dashboard/operations/{operation_id}")
        page.fill("#username", "coordinator")
        page.fill("#password", PASSWORD)
        page.click("#sign-in")
        expect(page.locator("#updated-at")).to_contain_text("as of")
        page.screenshot(path=str(screens_dir / "dashboard_read_replica_as_of.png"))
    finally:
        context.close()
    # The public page at a phone's width: the "as of" line above its figures.
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(f"{base}/open-data/operations/{operation_id}/")
        expect(page.locator(".as-of")).to_contain_text("Figures as of")
        page.screenshot(path=str(screens_dir / "open_data_read_replica_as_of_390.png"))
    finally:
        context.close()


@pytest.mark.parametrize(("standby", "caught_up", "replayed_ago", "expected"), [
    (True, True, 3600, "sampled"),   # replayed all the primary had written a moment ago: as of that moment
    (True, False, 5, "replayed"),    # behind: as of its last replayed transaction
    (True, False, 90, None),         # behind by more than the allowed lag: the primary
    (True, False, None, None),       # nothing replayed since it started, and behind: the primary
    (False, False, 0, None),         # not a standby (promoted, or a primary): never read
])
def test_which_database_a_read_goes_to(standby, caught_up, replayed_ago, expected):
    now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    sampled = now - dt.timedelta(seconds=0.5)
    replayed = None if replayed_ago is None else now - dt.timedelta(seconds=replayed_ago)
    got = as_of_for(Position(standby, caught_up, replayed, sampled, now), max_lag=60)
    assert got == {"sampled": sampled, "replayed": replayed, None: None}[expected]


def test_only_reads_take_the_read_session_and_sync_never_does(app):
    """Every route that may read a replica is a GET (writes stay on the primary), sync never reads one,
    and the figures, open data and the OGC API all do."""
    readers = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if "read_session" in handler.parsed_fn_signature.parameters:
                readers[route.path] = set(handler.http_methods)
    assert readers, "no route reads the replica"
    assert all(methods <= {"GET", "HEAD"} for methods in readers.values()), readers
    assert not [p for p in readers if p.startswith("/api/v1/sync") or p.endswith("/pack")], readers
    for expected in ("/api/v1/operations/{operation_id:int}/streets", "/api/v1/operations/{operation_id:int}/pairs",
                     "/open-data/operations/{operation_id:int}/streets.csv",
                     "/ogc/collections/{collection_id:str}/items"):
        assert expected in readers, (expected, sorted(readers))
