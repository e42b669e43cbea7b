"""Corrections of sent visits against the real PostGIS: a new visit supersedes an earlier one at the
same door; the server keeps both, counts the latest (the per-door summary, the doors and street
results, the pairs), shows the history, and refuses what cannot be a correction with a reason."""

from __future__ import annotations

import asyncio
import json
import uuid

import msgspec
import pytest
from sqlalchemy import text

from server.domain.sync.ingest import content_hash
from shared_schemas.records import decode_record
from tests.sync.conftest import visit

pytestmark = pytest.mark.asyncio


def _results(response) -> list[dict]:
    assert response.status_code == 200, response.text
    return response.json()["results"]


def _statuses(response) -> list[str]:
    return [r["status"] for r in _results(response)]


async def _summary(db_engine, household_id: int) -> tuple:
    async with db_engine.connect() as conn:
        row = (await conn.execute(text(
            "SELECT attempts, closing_rank, concerns, corrected FROM household_result WHERE household_id = :h"),
            {"h": household_id})).one()
    return tuple(row)


async def _door(client, headers, op, household_id: int) -> dict:
    r = await client.get(f"/api/v1/operations/{op.id}/households", params={"limit": 1000},
                         headers=await headers("coordinator"))
    assert r.status_code == 200, r.text
    return next(d for d in r.json()["items"] if d["household_id"] == household_id)


def correction(earlier: dict, **changes) -> dict:
    """A new visit at the same door, the same time, in place of `earlier`."""
    record = {**earlier, "id": str(uuid.uuid4()), "supersedes": earlier["id"], **changes}
    if record["outcome"] != "answered":
        record.pop("answers", None)
        record.pop("questionnaire", None)
    return record


async def test_a_correction_counts_instead_of_the_visit_it_replaces(op, push, db_engine, client, headers):
    household = op.household_ids[0]
    answered = visit(op, household=0, outcome="answered")  # feeling unsafe, ASB seen: concerns
    assert _statuses(await push([answered])) == ["stored"]
    assert (await _summary(db_engine, household))[:2] == (1, 4)
    # It was a no answer after all: the door is to knock again, its concerns gone, nothing counted twice.
    fixed = correction(answered, outcome="no_answer")
    assert _statuses(await push([fixed])) == ["stored"]
    assert await _summary(db_engine, household) == (1, 0, [], 1)
    door = await _door(client, headers, op, household)
    assert (door["status"], door["attempts"], door["last_outcome"], door["corrected"]) == ("to_revisit", 1,
                                                                                        "no_answer", 1)
    # Corrected again (a chain): the latest counts, both earlier ones are kept.
    again = correction(fixed, outcome="refused")
    assert _statuses(await push([again], device="tab-2", user="councillor")) == ["stored"]
    assert await _summary(db_engine, household) == (1, 3, [], 2)
    async with db_engine.connect() as conn:
        rows = dict((await conn.execute(text(
            "SELECT id::text, superseded_by::text FROM visit WHERE household_id = :h"), {"h": household})).all())
    assert rows == {answered["id"]: fixed["id"], fixed["id"]: again["id"], again["id"]: None}


async def test_the_history_shows_every_visit_with_its_correction(op, push, client, headers):
    first = visit(op, household=1, outcome="refused")
    later = correction(first, outcome="answered", questionnaire=op.questionnaire_id,
                       answers={"feel_safe_after_dark": 5, "asb_seen": False, "drug_dealing": False,
                                "smoke_alarm": True, "hear_back": "online"})
    assert _statuses(await push([first])) == ["stored"]
    assert _statuses(await push([later])) == ["stored"]
    r = await client.get(f"/api/v1/operations/{op.id}/visits",
                         params={"household_id": op.household_ids[1]}, headers=await headers("coordinator"))
    assert r.status_code == 200, r.text
    items = {i["id"]: i for i in r.json()["items"]}
    assert set(items) == {first["id"], later["id"]}
    assert items[first["id"]]["superseded_by"] == later["id"] and items[first["id"]]["supersedes"] is None
    assert items[later["id"]]["supersedes"] == first["id"] and items[later["id"]]["superseded_by"] is None
    assert all(i["team_id"] == op.team_a and i["received_at"] for i in items.values())
    pairs = (await client.get(f"/api/v1/operations/{op.id}/pairs", headers=await headers("coordinator"))).json()
    pair = next(p for p in pairs["items"] if p["team_id"] == op.team_a)
    assert (pair["visits"], pair["answered"]) == (1, 1)  # the refusal it replaced is not an attempt any more
    # The figures read from the visits themselves agree: one attempt that day, answered.
    days = (await client.get(f"/api/v1/operations/{op.id}/progress", headers=await headers("coordinator"))).json()
    assert (sum(d["visits"] for d in days["days"]), sum(d["answered"] for d in days["days"])) == (1, 1)


async def test_a_visit_with_supersedes_left_out_keeps_its_old_content_hash(op):
    # Records made before corrections existed hash as they did: "supersedes" is left out, never null.
    record = visit(op, outcome="no_answer")
    decoded = decode_record(json.dumps(record).encode())
    assert b"supersedes" not in msgspec.json.encode(decoded)
    assert content_hash(decoded) == content_hash(decode_record(json.dumps({**record, "notes": ""}).encode()))
    corrected = decode_record(json.dumps({**record, "id": str(uuid.uuid4()), "supersedes": record["id"]}).encode())
    assert b'"supersedes"' in msgspec.json.encode(corrected)


async def test_what_cannot_be_corrected_is_refused_with_a_reason(op, push, db_engine):
    theirs = visit(op, team="b", household=9)  # pair B's street
    mine = visit(op, household=2, outcome="no_answer")
    elsewhere = visit(op, household=3)
    assert _statuses(await push([theirs], user="pcso")) == ["stored"]
    assert _statuses(await push([mine, elsewhere])) == ["stored", "stored"]
    records = [
        correction(mine, household_id=op.household_ids[3]),            # another door
        correction(theirs, team_id=op.team_a),                          # another pair's visit
        {**visit(op, household=2), "supersedes": str(uuid.uuid4())},    # a visit the server never had
        {**visit(op, household=2), "supersedes": "not-a-uuid"},
    ]
    itself = visit(op, household=2)
    records.append({**itself, "supersedes": itself["id"]})
    results = _results(await push(records))
    assert [r["status"] for r in results] == ["rejected"] * 5
    reasons = [r["reason"] for r in results]
    assert "at another door" in reasons[0] and results[0]["path"] == "$.supersedes"
    assert "recorded by another pair; only the pair that made a visit may correct it" in reasons[1]
    assert "is not on the server: send that visit first" in reasons[2]
    assert results[3]["path"] == "$.supersedes"
    assert "names itself" in reasons[4]
    # Nothing of it counted, and the visit stays as it was.
    assert (await _summary(db_engine, op.household_ids[2]))[:1] == (1,)


async def test_a_correction_before_its_visit_is_refused_then_goes_once_the_visit_is_there(op, push, db_engine):
    earlier = visit(op, household=4, outcome="no_answer")
    fixed = correction(earlier, outcome="card_left")
    first = _results(await push([fixed, earlier]))  # out of order in one push
    assert [r["status"] for r in first] == ["rejected", "stored"]
    assert "send that visit first" in first[0]["reason"]
    assert _statuses(await push([fixed])) == ["stored"]  # sent again: now it goes
    assert _statuses(await push([fixed])) == ["duplicate"]  # and again: once
    assert (await _summary(db_engine, op.household_ids[4]))[:1] == (1,)
    # A visit and its correction in one push, in order, go together.
    other = visit(op, household=5, outcome="answered")
    both = [other, correction(other, outcome="refused")]
    assert _statuses(await push(both)) == ["stored", "stored"]
    assert (await _summary(db_engine, op.household_ids[5]))[:2] == (1, 3)


async def test_a_second_correction_of_the_same_visit_is_refused(op, push, db_engine):
    earlier = visit(op, household=6, outcome="no_answer")
    assert _statuses(await push([earlier])) == ["stored"]
    one, two = correction(earlier, outcome="card_left"), correction(earlier, outcome="come_back_later")
    results = _results(await push([one, two]))
    assert [r["status"] for r in results] == ["stored", "rejected"]
    assert f"corrected already (by visit {one['id']})" in results[1]["reason"]
    later = _results(await push([two], device="tab-2", user="councillor"))
    assert later[0]["status"] == "rejected" and "correct the latest visit" in later[0]["reason"]
    assert (await _summary(db_engine, op.household_ids[6])) == (1, 0, [], 1)


async def test_two_tablets_correcting_the_same_visit_at_once_store_one(op, push, db_engine):
    earlier = visit(op, household=7, outcome="no_answer")
    assert _statuses(await push([earlier])) == ["stored"]
    one, two = correction(earlier, outcome="card_left"), correction(earlier, outcome="refused")
    answers = await asyncio.gather(push([one], device="tab-1", user="officer"),
                                   push([two], device="tab-2", user="councillor"))
    statuses = sorted(_statuses(a)[0] for a in answers)
    assert statuses == ["rejected", "stored"]
    loser = next(_results(a)[0] for a in answers if _results(a)[0]["status"] == "rejected")
    assert "corrected" in loser["reason"] and loser["path"] == "$.supersedes"
    attempts, _, _, corrected = await _summary(db_engine, op.household_ids[7])
    assert (attempts, corrected) == (1, 1)


async def test_the_pull_carries_a_correction_and_what_it_replaces(op, push, pull_all):
    _, start = await pull_all(op.id, "pcso")
    earlier = visit(op, household=8, outcome="answered")
    fixed = correction(earlier, outcome="refused")
    assert _statuses(await push([earlier])) == ["stored"]
    assert _statuses(await push([fixed])) == ["stored"]
    changes, _ = await pull_all(op.id, "pcso", since=start,
                                until=lambda c: fixed["id"] in [x.get("id") for x in c])
    by_id = {c["id"]: c for c in changes if c["kind"] == "visit"}
    assert by_id[fixed["id"]]["supersedes"] == earlier["id"]
    assert "supersedes" not in by_id[earlier["id"]]
