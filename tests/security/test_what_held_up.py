"""What held up in the review must keep holding (issue 11): SQL injection in the texts the API reads,
and a server killed with SIGKILL in the middle of a tablet's push. (JWT tampering: tests/server/test_auth.py;
agency and operation isolation: tests/server/test_access.py; body limits: tests/sync/test_push.py and
tests/addresses/test_uploads.py; cursors: tests/server/test_paging.py; logs: tests/followups/test_residents.py.)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import threading
import time
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from mobile.sync import SyncEngine
from shared_schemas.codes import Outcome
from shared_schemas.records import Visit
from tests.mobile_core.test_against_server import signed_in_tablet
from tests.support import free_port, start_server

#: What an attacker types where the server expects a word: quotes that close a literal, a stacked
#: statement, a tautology, and a query that would make the answer wait three seconds if it ran.
INJECTIONS = ["' OR '1'='1", "x'; DROP TABLE visit; --", "1) OR (1=1", "'; SELECT pg_sleep(3); --",
              "police' UNION SELECT password_hash FROM app_user --"]


@pytest.mark.parametrize("payload", INJECTIONS)
async def test_sql_in_a_text_the_api_reads_is_only_text(client, headers, payload):
    envhealth = await headers("envhealth")
    mine = (await client.get("/api/v1/followups", params={"limit": 500}, headers=envhealth)).json()["items"]
    started = time.perf_counter()
    for name in ("status", "category", "agency", "operation_id", "overdue", "cursor"):
        r = await client.get("/api/v1/followups", params={name: payload}, headers=envhealth)
        assert r.status_code in (200, 400, 422), (name, r.status_code, r.text[:300])
        if r.status_code == 200:  # a filter nothing matches: nothing more than the partner's own, never others'
            assert {i["id"] for i in r.json()["items"]} <= {i["id"] for i in mine}, name
    r = await client.get("/api/v1/followups.csv", params={"agency": payload}, headers=envhealth)
    assert r.status_code in (200, 400, 422) and "password" not in r.text.lower()
    r = await client.post("/api/v1/auth/token", json={"username": payload, "password": payload})
    assert r.status_code == 401
    r = await client.post("/api/v1/auth/token", json={"username": "admin' --", "password": "anything"})
    assert r.status_code == 401
    assert time.perf_counter() - started < 3.0  # pg_sleep never ran
    r = await client.get("/api/v1/followups", params={"limit": 500}, headers=envhealth)
    assert r.status_code == 200 and len(r.json()["items"]) == len(mine)  # and the table is still there


def test_a_server_killed_mid_push_loses_nothing_and_stores_nothing_twice(database_url, demo, tmp_path):
    port = free_port()
    env = {"DOORSTEP_NOTIFY_INTERVAL_SECONDS": "0"}
    server = start_server(database_url, port=port, **env)
    try:
        store, _, engine, op_id = signed_in_tablet(tmp_path / "tablet.db", server.base, "firefighter")
        team = store.team_for_user(op_id, "firefighter")
        doors = [d for s in store.streets_for_team(op_id, team.id) for d in store.households_on_street(op_id, s.id)]
        visits = [Visit(id=uuid.uuid4(), operation_id=op_id, household_id=doors[i % len(doors)].id, team_id=team.id,
                        visited_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=i), outcome=Outcome.NO_ANSWER)
                  for i in range(1500)]
        for v in visits:
            store.record_visit(v)
        ids = [str(v.id) for v in visits]

        async def stored() -> dict[str, int]:
            db = create_async_engine(database_url)  # this test's own loop: not the session's engine
            try:
                async with db.connect() as conn:
                    rows = await conn.execute(text("SELECT id::text, count(*) FROM visit WHERE id::text = ANY(:ids) "
                                                   "GROUP BY id"), {"ids": ids})
                    return dict(rows.tuples().all())
            finally:
                await db.dispose()

        async def kill_once_some_are_stored() -> None:
            """SIGKILL as soon as the first batch is in (the engine sends 100 at a time): the push is
            under way, most of it not yet sent. No shutdown, no goodbye."""
            db = create_async_engine(database_url)
            try:
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    async with db.connect() as conn:
                        n = (await conn.execute(text("SELECT count(*) FROM visit WHERE id::text = ANY(:ids)"),
                                                {"ids": ids})).scalar_one()
                    if n:
                        break
                    await asyncio.sleep(0.01)
            finally:
                await db.dispose()
            os.kill(server.proc.pid, signal.SIGKILL)

        outcomes = []
        pushing = threading.Thread(target=lambda: outcomes.append(engine.sync_once()))
        pushing.start()
        asyncio.run(kill_once_some_are_stored())
        server.proc.wait()
        pushing.join(timeout=120)
        assert outcomes, "the sync never returned after the server died"
        assert not outcomes[0].ok and outcomes[0].error_kind == "network", outcomes[0]  # killed during the sync
        before_restart = asyncio.run(stored())
        assert 0 < len(before_restart) < len(ids), len(before_restart)  # killed in the middle of the push

        server = start_server(database_url, port=port, **env)  # the same address: the tablet knows no other
        again = SyncEngine(store, engine.transport).sync_once()
        assert again.ok, again.error
        assert store.outbox_waiting(include_held=True) == []

        counts = asyncio.run(stored())
        assert set(counts) == set(ids) and set(counts.values()) == {1}, (len(counts), set(counts.values()))
    finally:
        server.stop()
