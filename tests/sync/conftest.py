"""Fixtures for the sync tests: an operation of their own (so no test depends on leftovers of
another), record builders, and push/pull helpers."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from server.db.models import Operation
from tests import factories

_counter = itertools.count(1)

ANSWERS = {
    "feel_safe_after_dark": 2,
    "unsafe_reasons": ["poor_lighting"],
    "asb_seen": True,
    "asb_types": ["noise"],
    "drug_dealing": False,
    "smoke_alarm": True,
    "hear_back": "online",
}


@dataclass
class SyncOperation:
    id: int
    name: str
    street_ids: list[int]
    household_ids: list[int]
    team_a: int  # officer + councillor
    team_b: int  # pcso + firefighter
    questionnaire_id: str


async def make_operation(db_engine, demo, households: int = 12) -> SyncOperation:
    """A fresh operation with 3 streets, `households` households and the two demo pairs on it."""
    from server.db.engine import transaction
    from server.domain.operations.teams import save_team

    async with transaction(db_engine) as session:
        op_id, name = await factories.operation(session, prefix="sync-test", like=demo.operation_id)
        streets = await factories.streets(session, op_id, 3)
        homes = await factories.households(session, op_id, streets, households)
        users = await factories.users(session)
        questionnaire_id = (await session.get(Operation, op_id)).questionnaire_id
        a = await save_team(session, op_id, "A", [users["officer"], users["councillor"]], streets[:2])
        b = await save_team(session, op_id, "B", [users["pcso"], users["firefighter"]], streets[2:])
        return SyncOperation(op_id, name, streets, homes, a.id, b.id, questionnaire_id)


@pytest.fixture
async def op(db_engine, demo) -> SyncOperation:
    return await make_operation(db_engine, demo)


def now(offset_minutes: int = 0) -> str:
    return (dt.datetime(2026, 5, 14, 17, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=offset_minutes + next(_counter))
            ).isoformat().replace("+00:00", "Z")


def visit(op: SyncOperation, *, team: str = "a", household: int = 0, outcome: str = "no_answer",
          **extra: Any) -> dict[str, Any]:
    record = {
        "type": "visit", "id": str(uuid.uuid4()), "operation_id": op.id,
        "household_id": op.household_ids[household % len(op.household_ids)],
        "team_id": op.team_a if team == "a" else op.team_b,
        "visited_at": now(), "outcome": outcome,
    }
    if outcome == "answered":
        record["questionnaire"] = op.questionnaire_id
        record["answers"] = dict(ANSWERS)
    record.update(extra)
    return record


def fix(op: SyncOperation, **target: Any) -> dict[str, Any]:
    return {"type": "fix", "id": str(uuid.uuid4()), "operation_id": op.id, "category": "graffiti_removed",
            "done_at": now(), **target}


def followup(op: SyncOperation, **extra: Any) -> dict[str, Any]:
    return {"type": "followup", "id": str(uuid.uuid4()), "operation_id": op.id, "category": "fly_tipping",
            "priority": "high", "description": "Mattress dumped in the back alley", "raised_at": now(), **extra}


@pytest.fixture
async def push(client, headers):
    """push(records, user="officer", device="tab-1") -> the response (status checked by the caller)."""

    async def send(records: list[dict], user: str = "officer", device: str = "tab-1"):
        return await client.post("/api/v1/sync/push", json={"device_id": device, "records": records},
                                 headers=await headers(user))

    return send


@pytest.fixture
async def pull_all(client, headers):
    """pull_all(op_id, user, since, limit, until=None, device=None) -> (changes, cursor): follows `more` to
    the end (`device`: the tablet asking, whose own pushes are left out).

    A pull shows a change only once every transaction older than it has ended, anywhere in the
    database cluster (cursor.py). Other test sessions share the cluster, so a change may show a
    moment late: with `until` (a test on the changes so far), pull again until it holds.
    """

    async def run(op_id: int, user: str = "pcso", since: str | None = None, limit: int = 1000,
                  until=None, timeout: float = 30.0, device: str | None = None):
        changes: list[dict] = []
        deadline = time.monotonic() + timeout
        while True:
            params: dict[str, Any] = {"operation_id": op_id, "limit": limit}
            if since:
                params["since"] = since
            if device:
                params["device_id"] = device
            r = await client.get("/api/v1/sync/pull", params=params, headers=await headers(user))
            assert r.status_code == 200, r.text
            body = r.json()
            changes += body["changes"]
            since = body["cursor"]
            if body["more"]:
                continue
            if until is None or until(changes):
                return changes, since
            if time.monotonic() > deadline:
                raise AssertionError(f"the expected changes did not arrive in {timeout}s; got {changes}")
            await asyncio.sleep(0.05)

    return run
