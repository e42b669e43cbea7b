"""Pull against the real PostGIS: scoped, paged, and never missing or repeating a change,
even while pushes run and a slow transaction commits late."""

from __future__ import annotations

import asyncio
import random
import uuid

import httpx
from sqlalchemy import text

from server.lib.passwords import hash_password
from tests.sync.conftest import followup, make_operation, visit


def _position(cursor: str) -> tuple[int, int]:
    return (0, 0) if not cursor else tuple(int(part) for part in cursor.split(".")[1:])  # type: ignore[return-value]


def _visits(changes: list[dict]) -> list[str]:
    return [c["id"] for c in changes if c["kind"] == "visit"]


async def test_other_pairs_visits_outcome_only_not_your_own(op, push, pull_all):
    _, start = await pull_all(op.id, "officer")
    theirs = [visit(op, team="b", household=i, outcome="answered", notes="Private note") for i in range(3)]
    mine = [visit(op, team="a", household=i) for i in range(2)]
    assert (await push(theirs, user="pcso")).status_code == 200
    assert (await push(mine, user="officer")).status_code == 200
    want = {r["id"] for r in theirs}
    changes, _ = await pull_all(op.id, "officer", since=start, until=lambda c: want <= set(_visits(c)))
    visits = sorted((c for c in changes if c["kind"] == "visit"), key=lambda c: c["id"])
    theirs.sort(key=lambda r: r["id"])  # rows of one push go in in id order (a fixed lock order)
    assert [v["id"] for v in visits] == [r["id"] for r in theirs]
    for change, record in zip(visits, theirs, strict=True):
        assert change == {"kind": "visit", "id": record["id"], "household_id": record["household_id"],
                          "team_id": op.team_b, "outcome": "answered", "visited_at": change["visited_at"]}
        assert "answers" not in change and "notes" not in change
    # A coordinator who is on no pair sees every team's visits.
    everyone = {r["id"] for r in theirs + mine}
    coordinator, _ = await pull_all(op.id, "coordinator", since=start, until=lambda c: everyone <= set(_visits(c)))
    assert set(_visits(coordinator)) == {r["id"] for r in theirs + mine}


async def test_pull_is_scoped_to_the_users_operations(op, push, pull_all, client, headers, tokens, db_engine, demo):
    other = await make_operation(db_engine, demo, households=3)
    ours = [visit(op, team="b")]
    elsewhere = [visit(other, team="b")]
    assert (await push(ours + elsewhere, user="pcso")).status_code == 200
    changes, _ = await pull_all(op.id, "officer", until=lambda c: ours[0]["id"] in _visits(c))
    assert elsewhere[0]["id"] not in _visits(changes)
    theirs, _ = await pull_all(other.id, "officer", until=lambda c: elsewhere[0]["id"] in _visits(c))
    assert ours[0]["id"] not in _visits(theirs)

    name = f"outsider-{uuid.uuid4().hex[:8]}"
    async with db_engine.begin() as conn:
        await conn.execute(text("INSERT INTO app_user (username, display_name, password_hash, agency_id, roles) "
                                "SELECT :u, 'Outsider', :h, id, ARRAY['visitor'] FROM agency WHERE code = 'police'"),
                           {"u": name, "h": hash_password("outsider-password")})
    outsider = {"Authorization": f"Bearer {await tokens(name, 'outsider-password')}"}
    r = await client.get("/api/v1/sync/pull", params={"operation_id": op.id}, headers=outsider)
    assert r.status_code == 403 and "not on a team" in r.json()["detail"]
    r = await client.get("/api/v1/sync/pull", params={"operation_id": op.id}, headers=await headers("envhealth"))
    assert r.status_code == 403
    r = await client.get("/api/v1/sync/pull", params={"operation_id": 2_000_000_000},
                         headers=await headers("officer"))
    assert r.status_code == 404


async def test_followup_status_changes_reach_the_pair_that_raised_it(op, push, pull_all, db_engine):
    _, start_a = await pull_all(op.id, "officer")
    _, start_b = await pull_all(op.id, "pcso")
    raised = followup(op, household_id=op.household_ids[0])
    assert (await push([raised], user="officer")).status_code == 200
    async with db_engine.begin() as conn:  # what the partners' status change writes
        await conn.execute(text(
            "INSERT INTO followup_event (followup_id, operation_id, from_status, to_status, agency_id, version, note) "
            "SELECT id, operation_id, 'open', 'acknowledged', agency_id, 2, 'We will clear it on Friday' "
            "FROM followup WHERE id = :id"), {"id": raised["id"]})
    def statuses_of(changes):
        return [c for c in changes if c["kind"] == "followup_status"]

    changes, _ = await pull_all(op.id, "officer", since=start_a, until=lambda c: len(statuses_of(c)) >= 2)
    statuses = statuses_of(changes)
    assert [(c["followup_id"], c["status"], c["version"]) for c in statuses] == [
        (raised["id"], "open", 1), (raised["id"], "acknowledged", 2)]
    assert statuses[1]["note"] == "We will clear it on Friday" and statuses[1]["agency"]
    other_pair, _ = await pull_all(op.id, "pcso", since=start_b)  # X only grows: the events are visible now
    assert not [c for c in other_pair if c["kind"] == "followup_status"]


async def test_team_changes(op, pull_all, db_engine):
    from server.db.engine import transaction
    from server.domain.operations.teams import save_team

    _, start = await pull_all(op.id, "officer")
    async with transaction(db_engine) as session:
        users = dict((await session.execute(text("SELECT username, id FROM app_user"))).all())
        await save_team(session, op.id, "B renamed", [users["pcso"], users["firefighter"]], op.street_ids[2:],
                        team_id=op.team_b)
    def renamed(changes):
        return [c for c in changes if c["kind"] == "team" and c["team_id"] == op.team_b and c["name"] == "B renamed"]

    changes, _ = await pull_all(op.id, "officer", since=start, until=renamed)
    # A team change carries the team as it is now; if the start cursor was read while another session
    # held the snapshot back, the team's creation event comes too, showing the same (current) team.
    assert all(c["kind"] == "team" for c in changes)
    team = renamed(changes)[-1]
    assert team["kind"] == "team" and team["team_id"] == op.team_b and team["name"] == "B renamed"
    assert team["street_ids"] == op.street_ids[2:] and not team["removed"]
    assert sorted(m["username"] for m in team["members"]) == ["firefighter", "pcso"]


async def test_paging_by_cursor_repeats_nothing_and_misses_nothing(op, push, pull_all, client, headers):
    _, start = await pull_all(op.id, "officer")
    records = [visit(op, team="b", household=i) for i in range(23)]
    assert (await push(records, user="pcso")).status_code == 200
    want = {r["id"] for r in records}
    await pull_all(op.id, "officer", since=start, until=lambda c: want <= set(_visits(c)))  # all visible now
    paged, since = [], start
    while True:
        r = await client.get("/api/v1/sync/pull", params={"operation_id": op.id, "since": since, "limit": 5},
                             headers=await headers("officer"))
        body = r.json()
        paged += body["changes"]
        assert _position(body["cursor"]) > _position(since)  # the cursor only moves forward
        since = body["cursor"]
        if not body["more"]:
            assert len(body["changes"]) < 5
            break
        assert len(body["changes"]) == 5
    # (The start cursor may sit before this operation's own team events if it was read while another
    # session's transaction held the snapshot back; those come too, once.)
    assert sorted(_visits(paged)) == sorted(want) and len(_visits(paged)) == 23
    changes, _ = await pull_all(op.id, "officer", since=start)
    assert _visits(changes) == sorted(r["id"] for r in records)  # one push: its rows go in in id order
    again, cursor = await pull_all(op.id, "officer", since=since)
    assert again == [] and cursor == since


async def test_bad_cursors(op, client, headers):
    h = await headers("officer")
    for garbage in ["abc", "v1.1", "v2.1.1", "v1.-1.2", "v1.99999999999999999999.1"]:
        r = await client.get("/api/v1/sync/pull", params={"operation_id": op.id, "since": garbage}, headers=h)
        assert r.status_code == 400, (garbage, r.text)
        assert r.json()["field"] == "since"
    r = await client.get("/api/v1/sync/pull", params={"operation_id": op.id, "since": "v1.900000000000.1"}, headers=h)
    assert r.status_code == 400 and "future" in r.json()["detail"]
    r = await client.get("/api/v1/sync/pull", params={"operation_id": "seven"}, headers=h)
    assert r.status_code in (400, 422) and "operation_id" in r.text
    r = await client.get("/api/v1/sync/pull", params={"operation_id": 99_999_999_999}, headers=h)
    assert r.status_code in (400, 422) and "operation_id" in r.text
    r = await client.get("/api/v1/operations/99999999999/pack", headers=h)
    assert r.status_code in (400, 404, 422)
    r = await client.get("/api/v1/sync/pull", params={"operation_id": op.id, "limit": 0}, headers=h)
    assert r.status_code in (400, 422) and "limit" in r.text


async def _insert_slowly(db_engine, op, started: asyncio.Event, release: asyncio.Event) -> str:
    """A transaction that writes a visit (to door 0) early and commits late (e.g. a slow push)."""
    vid = str(uuid.uuid4())
    async with db_engine.connect() as conn, conn.begin():
        await conn.execute(text(
            "INSERT INTO visit (id, operation_id, household_id, team_id, device_id, visited_at, outcome, "
            "content_hash) VALUES (:id, :op, :h, :t, 'slow', now(), 'no_answer', 'slow')"),
            {"id": vid, "op": op.id, "h": op.household_ids[0], "t": op.team_b})
        started.set()
        await release.wait()
    return vid


async def test_a_row_committed_late_is_not_missed(op, push, pull_all, db_engine):
    _, cursor = await pull_all(op.id, "officer")
    started, release = asyncio.Event(), asyncio.Event()
    slow = asyncio.create_task(_insert_slowly(db_engine, op, started, release))
    await started.wait()
    # Other doors than the slow one's: visits to one door wait for each other (the results summary row).
    later = [visit(op, team="b", household=i) for i in range(1, 6)]
    assert (await push(later, user="pcso")).status_code == 200  # commits before the slow one
    seen: list[str] = []
    changes, cursor = await pull_all(op.id, "officer", since=cursor)
    seen += _visits(changes)
    # Held back behind the open transaction: the later rows must wait, or the slow one would be skipped.
    assert seen == []
    release.set()
    slow_id = await slow
    want = {slow_id} | {r["id"] for r in later}
    changes, cursor = await pull_all(op.id, "officer", since=cursor, until=lambda c: want <= set(_visits(c)))
    seen += _visits(changes)
    assert sorted(seen) == sorted([slow_id] + [r["id"] for r in later])
    assert seen[0] == slow_id  # its transaction began first, so it comes first


async def test_pull_during_concurrent_pushes_misses_nothing_and_repeats_nothing(op, live_server, tokens, db_engine):
    """Pushers (real concurrent requests), a slow transaction, and a puller interleaving."""
    pcso = {"Authorization": f"Bearer {await tokens('pcso')}"}
    firefighter = {"Authorization": f"Bearer {await tokens('firefighter')}"}
    officer = {"Authorization": f"Bearer {await tokens('officer')}"}
    rng = random.Random(7)
    pushed: list[str] = []
    done = asyncio.Event()

    async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
        async def pull(since):
            r = await http.get("/api/v1/sync/pull", params={"operation_id": op.id, "since": since or "",
                                                            "limit": 7}, headers=officer)
            assert r.status_code == 200, r.text
            return r.json()

        start = await pull(None)
        while start["more"]:
            start = await pull(start["cursor"])

        async def pusher(headers, device):
            for _ in range(12):
                batch = [visit(op, team="b", household=rng.randrange(1, 12))  # door 0 is the slow writer's
                         for _ in range(rng.randrange(1, 15))]
                r = await http.post("/api/v1/sync/push", json={"device_id": device, "records": batch},
                                    headers=headers)
                assert r.status_code == 200, r.text
                pushed.extend(x["id"] for x in r.json()["results"] if x["status"] == "stored")
                await asyncio.sleep(rng.random() * 0.02)

        async def slow_writer():
            for _ in range(3):
                started, release = asyncio.Event(), asyncio.Event()
                task = asyncio.create_task(_insert_slowly(db_engine, op, started, release))
                await started.wait()
                await asyncio.sleep(0.15)
                release.set()
                pushed.append(await task)

        pulled: list[str] = []

        async def puller():
            cursor = start["cursor"]
            while not done.is_set():
                page = await pull(cursor)
                pulled.extend(c["id"] for c in page["changes"] if c["kind"] == "visit")
                cursor = page["cursor"]
                await asyncio.sleep(0.005)
            deadline = asyncio.get_running_loop().time() + 30
            while True:  # drain (a change shows once every older transaction in the cluster has ended)
                page = await pull(cursor)
                pulled.extend(c["id"] for c in page["changes"] if c["kind"] == "visit")
                cursor = page["cursor"]
                if not page["more"] and (set(pushed) <= set(pulled) or asyncio.get_running_loop().time() > deadline):
                    return
                await asyncio.sleep(0 if page["more"] else 0.05)

        async def writers():
            await asyncio.gather(pusher(pcso, "p1"), pusher(firefighter, "p2"), slow_writer())
            done.set()

        await asyncio.gather(writers(), puller())
    assert len(pushed) > 50
    assert len(pulled) == len(set(pulled)), "a change was pulled twice"
    assert set(pulled) == set(pushed), "a change was missed"


async def test_a_tablet_that_names_itself_gets_its_partners_visits_but_not_its_own(op, push, pull_all, client,
                                                                                  headers):
    _, start = await pull_all(op.id, "officer", device="tab-officer")
    mine = [visit(op, team="a", household=0)]
    partners = [visit(op, team="a", household=1, outcome="answered")]
    theirs = [visit(op, team="b", household=2)]
    assert (await push(mine, user="officer", device="tab-officer")).status_code == 200
    assert (await push(partners, user="councillor", device="tab-councillor")).status_code == 200
    assert (await push(theirs, user="pcso", device="tab-pcso")).status_code == 200
    want = {partners[0]["id"], theirs[0]["id"]}
    changes, _ = await pull_all(op.id, "officer", since=start, device="tab-officer",
                                until=lambda c: want <= set(_visits(c)))
    assert set(_visits(changes)) == want  # the partner's tablet's and the other pair's; never its own push
    partner = next(c for c in changes if c.get("id") == partners[0]["id"])
    assert partner["team_id"] == op.team_a and "answers" not in partner and "notes" not in partner
    # A tablet that does not name itself (an app before corrections): its pair's visits stay out, as before.
    old, _ = await pull_all(op.id, "officer", since=start, until=lambda c: theirs[0]["id"] in _visits(c))
    assert set(_visits(old)) == {theirs[0]["id"]}
    r = await client.get("/api/v1/sync/pull", params={"operation_id": op.id, "device_id": "tab\x00"},
                         headers=await headers("officer"))
    assert r.status_code == 400 and r.json()["field"] == "device_id"
    r = await client.get("/api/v1/sync/pull", params={"operation_id": op.id, "device_id": "x" * 201},
                         headers=await headers("officer"))
    assert r.status_code in (400, 422)
