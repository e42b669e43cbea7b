"""Fixtures of the contract test: its own server process, a few signed-in users and a sandbox to mutate.

The contract test fuzzes every route, including ones that change state (close an operation, replace a
routing table, re-form a pair) and the sign-in route with made-up usernames. So that none of that spills
over onto the rest of the suite:

- it runs its own uvicorn process (the same command as `live_server`), behind 127.0.0.1 as a trusted
  proxy, and says it forwards 198.51.100.77: the sign-in throttle's counts live in PostgreSQL, and a
  hundred failed sign-ins counted under 127.0.0.1 would make every later test's sign-in wait;
- routes that change an operation's set-up are aimed at a planned sandbox operation the test creates
  through the API, with a pair of two visitors the test creates;
- pushed records are aimed at an active sandbox operation with a few streets and households (made in
  SQL as tests/sync does), where the demo pair officer + councillor is on a team;
- the demo operation is only read (and gets one follow-up of our own).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests import factories
from tests.support import running_server

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "doorstep-demo"
SANDBOX_AREA = {"type": "Polygon", "coordinates": [[[-1.60, 53.70], [-1.59, 53.70], [-1.59, 53.71],
                                                    [-1.60, 53.71], [-1.60, 53.70]]]}


@pytest.fixture(scope="package")
def contract_server(database_url, demo):
    """The real server (uvicorn, `doorstep serve`) in its own process, against the test database.

    Stopped when the contract tests are done, and without the notification worker (interval 0), so it
    never claims another test's outbox rows."""
    with running_server(database_url, DOORSTEP_NOTIFY_INTERVAL_SECONDS="0",
                        DOORSTEP_TRUSTED_PROXIES="127.0.0.1") as base:
        yield base


@dataclass
class SyncSandbox:
    id: int
    street_ids: list[int]
    household_ids: list[int]
    team_id: int  # officer + councillor


@pytest.fixture(scope="package")
async def sync_sandbox(db_engine, demo) -> SyncSandbox:
    """An active operation with 3 streets and 12 households, run by `coordinator`, officer + councillor on it."""
    from server.db.engine import transaction
    from server.domain.operations.teams import save_team

    async with transaction(db_engine) as session:
        op_id, _ = await factories.operation(session, prefix="contract-sync", like=demo.operation_id)
        streets = await factories.streets(session, op_id, 3, prefix="C", name="Contract Street")
        homes = await factories.households(session, op_id, streets, 12, prefix="CH", street_name="Contract Street")
        users = await factories.users(session)
        team = await save_team(session, op_id, "Contract pair", [users["officer"], users["councillor"]], streets)
        return SyncSandbox(op_id, streets, homes, team.id)


@dataclass
class World:
    base: str
    tokens: dict[str, str]
    demo_operation: int
    demo_team_ids: set[int]
    demo_street_ids: set[int]
    demo_visitor_ids: set[int]
    sandbox_operation: int
    sandbox_team: int
    sandbox_visitors: list[int]
    sandbox_usernames: list[str]
    own_followup: uuid.UUID
    sync: SyncSandbox
    http: requests.Session = field(default_factory=requests.Session)

    def headers(self, username: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"} if username else {}

    def throwaway_token(self) -> str:
        """A new session of the coordinator's, for routes that end the session they come with."""
        r = self.http.post(f"{self.base}/api/v1/auth/token", json={"username": "coordinator", "password": PASSWORD})
        self.http.cookies.clear()
        return r.json()["access_token"]


def _ok(r: requests.Response, *codes: int) -> dict:
    assert r.status_code in (codes or (200,)), f"{r.request.method} {r.request.url}: {r.status_code} {r.text[:500]}"
    return r.json() if r.content else {}


@pytest.fixture(scope="package")
def world(contract_server, sync_sandbox):
    base = contract_server
    http = requests.Session()
    # The fuzzer's hundreds of wrong sign-ins are counted (in PostgreSQL, for every server process) under
    # an address of its own, as if through a proxy, not under 127.0.0.1 which the rest of the suite uses.
    http.headers["X-Forwarded-For"] = "198.51.100.77"
    tokens = {}
    for username in ("admin", "coordinator", "officer", "envhealth"):
        body = _ok(http.post(f"{base}/api/v1/auth/token", json={"username": username, "password": PASSWORD}))
        tokens[username] = body["access_token"]
        http.cookies.clear()

    def h(username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[username]}"}

    # The demo operation: the one the officer is on a pair in.
    ops = _ok(http.get(f"{base}/api/v1/operations", headers=h("officer")))["items"]
    demo_operation, pack = None, None
    for op in ops:
        pack = _ok(http.get(f"{base}/api/v1/operations/{op['id']}/pack", headers=h("officer")))
        if any(m["username"] == "officer" for t in pack["teams"] for m in t["members"]):
            demo_operation = op["id"]
            break
    assert demo_operation is not None, f"the officer is on no pair in {ops}"
    officer_team = next(t for t in pack["teams"] if any(m["username"] == "officer" for m in t["members"]))

    # The sandbox: an operation and a pair of two fresh visitors from two agencies.
    tag = uuid.uuid4().hex[:8]
    visitors, usernames = [], []
    for agency in ("police", "fire"):
        user = _ok(http.post(f"{base}/api/v1/users", headers=h("admin"), json={
            "username": f"contract-{agency}-{tag}", "password": f"contract-{tag}-pw",
            "display_name": f"Contract {agency}",
            "agency": agency, "roles": ["visitor"]}), 201)
        visitors.append(user["id"])
        usernames.append(user["username"])
    sandbox = _ok(http.post(f"{base}/api/v1/operations", headers=h("coordinator"), json={
        "name": f"Contract sandbox {tag}", "area": SANDBOX_AREA,
        "questionnaire_id": pack["operation"].get("questionnaire_id", "streetsafe-community-v1")}), 201)
    team = _ok(http.post(f"{base}/api/v1/operations/{sandbox['id']}/teams", headers=h("coordinator"),
                         json={"name": f"Contract pair {tag}", "member_ids": visitors, "street_ids": []}), 201)

    # One follow-up of our own in the demo operation, for the follow-up routes to work on.
    followup_id = uuid.uuid4()
    pushed = _ok(http.post(f"{base}/api/v1/sync/push", headers=h("officer"), json={
        "device_id": f"contract-{tag}",
        "records": [{"type": "followup", "id": str(followup_id), "operation_id": demo_operation,
                     "category": "graffiti", "priority": "normal", "description": "Contract test: tag on a wall",
                     "resident_consent": False, "raised_at": "2026-05-14T17:00:00Z",
                     "street_id": officer_team["street_ids"][0]}]}))
    assert pushed["results"][0]["status"] == "stored", pushed

    yield World(
        base=base, tokens=tokens, demo_operation=demo_operation,
        demo_team_ids={t["id"] for t in pack["teams"]},
        demo_street_ids={s["id"] for s in pack["streets"]},
        demo_visitor_ids={m["user_id"] for t in pack["teams"] for m in t["members"]},
        sandbox_operation=sandbox["id"], sandbox_team=team["id"], sandbox_visitors=visitors,
        sandbox_usernames=usernames, own_followup=followup_id, sync=sync_sandbox, http=http,
    )
    http.close()
