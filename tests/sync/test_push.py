"""Push against the real PostGIS: exactly once, per-record results, one transaction."""

from __future__ import annotations

import asyncio
import copy
import uuid

import httpx
from sqlalchemy import text

from shared_schemas.sync import MAX_PUSH_RECORDS
from tests.sync.conftest import ANSWERS, fix, followup, make_operation, visit


async def _count(db_engine, table: str, ids: list[str]) -> int:
    async with db_engine.connect() as conn:
        return (await conn.execute(text(f"SELECT count(*) FROM {table} WHERE id = ANY(CAST(:ids AS uuid[]))"),
                                   {"ids": ids})).scalar_one()


def _statuses(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["status"] for r in response.json()["results"]]


async def test_same_batch_pushed_three_times_is_stored_once(op, push, db_engine):
    batch = [visit(op, household=i, outcome="answered" if i % 2 else "no_answer") for i in range(6)]
    batch += [fix(op, household_id=op.household_ids[0]), followup(op, household_id=op.household_ids[1])]
    ids = [r["id"] for r in batch]
    first = await push(batch)
    assert _statuses(first) == ["stored"] * 8
    assert [r["id"] for r in first.json()["results"]] == ids
    for _ in range(2):
        assert _statuses(await push(batch)) == ["duplicate"] * 8
    assert await _count(db_engine, "visit", ids) == 6
    assert await _count(db_engine, "fix", ids) == 1
    assert await _count(db_engine, "followup", ids) == 1


async def test_same_record_with_another_offset_or_key_order_is_a_duplicate(op, push):
    record = visit(op, visited_at="2026-05-14T18:03:00+01:00", notes="Dog in garden")
    assert _statuses(await push([record])) == ["stored"]
    again = dict(reversed(list(record.items())))
    again["visited_at"] = "2026-05-14T17:03:00Z"  # the same instant in UTC
    assert _statuses(await push([again], device="another-tablet")) == ["duplicate"]


async def test_timestamps_are_stored_in_utc(op, push, db_engine):
    record = visit(op, visited_at="2026-05-14T18:03:00+01:00")
    assert _statuses(await push([record])) == ["stored"]
    async with db_engine.connect() as conn:
        stored = (await conn.execute(text("SELECT to_char(visited_at AT TIME ZONE 'UTC', 'HH24:MI') FROM visit "
                                          "WHERE id = :id"), {"id": record["id"]})).scalar_one()
    assert stored == "17:03"


async def test_every_field_is_stored_as_sent_whatever_its_characters(op, push, db_engine):
    """Visits travel to PostgreSQL as JSON arrays (ingest.py): quotes, backslashes, braces, commas,
    control characters, emoji and float digits must all arrive exactly as sent."""
    awkward = 'He said "no", then {left}\\ back\tslash;\nnew line \u0007 bell, 🏠 £5, ä, 中文, \u2028'
    answers = {**ANSWERS, "other_comments": awkward}
    records = [
        visit(op, outcome="answered", answers=answers, notes=awkward, visited_at="2026-05-14T23:59:59.123456+05:30",
              location={"lon": -1.5612345678901234, "lat": 53.80000000000001, "accuracy_m": 0.1}),
        visit(op, household=1, notes=""),  # no location, no answers, no questionnaire
    ]
    assert _statuses(await push(records)) == ["stored", "stored"]
    async with db_engine.connect() as conn:
        rows = {str(r.id): r for r in (await conn.execute(text(
            "SELECT id, household_id, team_id, outcome, questionnaire_id, answers, concerns, lon, lat, accuracy_m, "
            "notes, visited_at FROM visit WHERE id = ANY(CAST(:ids AS uuid[]))"),
            {"ids": [r["id"] for r in records]})).all()}
    first, second = rows[records[0]["id"]], rows[records[1]["id"]]
    assert first.notes == awkward and first.answers == answers
    assert (first.lon, first.lat, first.accuracy_m) == (-1.5612345678901234, 53.80000000000001, 0.1)
    assert first.visited_at.isoformat() == "2026-05-14T18:29:59.123456+00:00"
    assert first.questionnaire_id == op.questionnaire_id and first.outcome == "answered"
    assert sorted(first.concerns) == ["anti_social_behaviour", "feeling_unsafe", "street_lighting"]
    assert (second.household_id, second.team_id) == (op.household_ids[1], op.team_a)
    assert (second.lon, second.lat, second.accuracy_m, second.questionnaire_id, second.answers, second.concerns,
            second.notes) == (None, None, None, None, {}, [], "")


async def test_one_invalid_record_does_not_block_the_rest(op, push, db_engine):
    good = [visit(op, household=i) for i in range(4)]
    bad = visit(op, visited_at="2026-05-14T18:03:00")  # no time zone
    batch = good[:2] + [bad] + good[2:]
    response = await push(batch)
    assert _statuses(response) == ["stored", "stored", "rejected", "stored", "stored"]
    rejected = response.json()["results"][2]
    assert rejected["id"] == bad["id"]
    assert "time zone" in rejected["reason"] and rejected["path"] == "$.visited_at"
    assert await _count(db_engine, "visit", [r["id"] for r in batch]) == 4


async def test_same_id_with_other_content_is_rejected_and_the_first_kept(op, push, db_engine):
    record = visit(op, outcome="card_left")
    assert _statuses(await push([record])) == ["stored"]
    changed = dict(record, outcome="refused")
    response = await push([changed])
    result = response.json()["results"][0]
    assert result["status"] == "rejected" and "first version is kept" in result["reason"]
    async with db_engine.connect() as conn:
        outcome = (await conn.execute(text("SELECT outcome FROM visit WHERE id = :id"),
                                      {"id": record["id"]})).scalar_one()
    assert outcome == "card_left"


async def test_same_id_twice_in_one_push(op, push, db_engine):
    record = visit(op)
    other = dict(record, outcome="vacant")
    assert _statuses(await push([record, dict(record), other])) == ["stored", "duplicate", "rejected"]
    assert await _count(db_engine, "visit", [record["id"]]) == 1


async def test_rejections_name_their_reason_and_field(op, push, db_engine, demo):
    other_op = await make_operation(db_engine, demo, households=2)
    questionnaire_broken = visit(op, outcome="answered")
    questionnaire_broken["answers"] = {**questionnaire_broken["answers"], "feel_safe_after_dark": 9}
    cases = {
        "unknown household": (visit(op, household_id=2_000_000_000), "$.household_id", "unknown household"),
        "an id beyond any row": (visit(op, household_id=99_999_999_999), "$.household_id", "2147483647"),
        "other operation's household": (visit(op, household_id=other_op.household_ids[0]), "$.household_id",
                                        "is not in operation"),
        "team the user is not on": (visit(op, team="b"), "$.team_id", "is not your team"),
        "operation the user is not on": (visit(op, operation_id=demo.operation_id + 10_000_000), "$.operation_id",
                                         "no operation"),
        "unknown record type": ({"type": "selfie", "id": str(uuid.uuid4()), "operation_id": op.id}, "$.type",
                                "unknown record type"),
        "failed validation": (questionnaire_broken, "$.answers.feel_safe_after_dark", "1 to 5"),
        "answers without answered": (visit(op, outcome="no_answer", questionnaire=op.questionnaire_id,
                                           answers={"asb_seen": True}), None, "answers are kept only"),
        "wrong type": (visit(op, household_id="seven"), "$.household_id", "Expected `int`"),
        "fix without target": (fix(op), None, "give one of visit_id, household_id or street_id"),
        "fix on another operation's street": (fix(op, street_id=other_op.street_ids[0]), "$.street_id",
                                              "is not in operation"),
        "follow-up on an unknown visit": (followup(op, visit_id=str(uuid.uuid4())), "$.visit_id", "unknown visit"),
        "resident without consent": (followup(op, household_id=op.household_ids[0],
                                              resident={"name": "A Resident", "phone": "0113 000 0000"}),
                                     None, "without the resident's consent"),
        "follow-up for a team the user is not on": (followup(op, household_id=op.household_ids[0],
                                                             team_id=op.team_b), "$.team_id", "is not your team"),
    }
    keep = visit(op)
    records = [case[0] for case in cases.values()] + [keep]
    response = await push(records)
    results = response.json()["results"]
    assert response.status_code == 200
    for (name, (record, path, words)), result in zip(cases.items(), results, strict=False):
        assert result["status"] == "rejected", (name, result)
        assert result["id"] == record["id"], name
        assert words in result["reason"], (name, result["reason"])
        assert result["path"] == path, (name, result)
    assert results[-1]["status"] == "stored"
    # A visit for another operation the user IS on still goes through in the same batch.
    assert _statuses(await push([visit(other_op)])) == ["stored"]


async def test_visit_concerns_come_from_the_shared_engine(op, push, db_engine):
    from shared_schemas.questionnaire import concerns, load_questionnaire

    record = visit(op, outcome="answered")
    assert _statuses(await push([record])) == ["stored"]
    async with db_engine.connect() as conn:
        row = (await conn.execute(text("SELECT concerns, answers, questionnaire_id FROM visit WHERE id = :id"),
                                  {"id": record["id"]})).one()
        definition = (await conn.execute(text("SELECT definition FROM questionnaire_version WHERE id = :q"),
                                         {"q": op.questionnaire_id})).scalar_one()
    expected = concerns(load_questionnaire(definition, strict=False), record["answers"])
    assert expected and sorted(row.concerns) == sorted(expected)
    assert row.answers == record["answers"] and row.questionnaire_id == op.questionnaire_id


async def test_fixes_and_followups_get_their_street(op, push, db_engine):
    v = visit(op, household=4)
    by_visit = fix(op, visit_id=v["id"])
    by_household = followup(op, household_id=op.household_ids[5])
    by_street = fix(op, street_id=op.street_ids[2])
    assert _statuses(await push([v, by_visit, by_household, by_street])) == ["stored"] * 4
    async with db_engine.connect() as conn:
        streets = dict((await conn.execute(text(
            "SELECT id::text, street_id FROM fix WHERE id = ANY(CAST(:ids AS uuid[])) UNION ALL "
            "SELECT id::text, street_id FROM followup WHERE id = ANY(CAST(:ids AS uuid[]))"),
            {"ids": [by_visit["id"], by_household["id"], by_street["id"]]})).all())
        home_streets = dict((await conn.execute(text("SELECT id, street_id FROM household WHERE operation_id = :op"),
                                                {"op": op.id})).all())
    assert streets[by_visit["id"]] == home_streets[op.household_ids[4]]
    assert streets[by_household["id"]] == home_streets[op.household_ids[5]]
    assert streets[by_street["id"]] == op.street_ids[2]


async def test_followups_open_with_resident_only_with_consent_and_are_routed(op, push, db_engine):
    consented = followup(op, household_id=op.household_ids[0], resident_consent=True,
                         resident={"name": "A Resident", "phone": "0113 496 0000"})
    no_consent = followup(op, household_id=op.household_ids[1], category="graffiti")
    assert _statuses(await push([consented, no_consent])) == ["stored", "stored"]
    ids = [consented["id"], no_consent["id"]]
    async with db_engine.connect() as conn:
        rows = {r.id: r for r in (await conn.execute(text(
            "SELECT f.id::text AS id, f.status, f.version, f.agency_id, f.team_id, "
            "       (SELECT count(*) FROM followup_resident r WHERE r.followup_id = f.id) AS residents, "
            "       (SELECT count(*) FROM followup_event e WHERE e.followup_id = f.id) AS events "
            "  FROM followup f WHERE f.id = ANY(CAST(:ids AS uuid[]))"), {"ids": ids})).all()}
    assert {r.status for r in rows.values()} == {"open"} and {r.version for r in rows.values()} == {1}
    assert rows[consented["id"]].residents == 1 and rows[no_consent["id"]].residents == 0
    assert rows[consented["id"]].team_id == op.team_a  # the user's own pair, when the record names none
    # The follow-ups slice's hook ran in the same transaction: routed, with a first status event.
    assert all(r.events == 1 and r.agency_id is not None for r in rows.values())


async def test_a_server_failure_stores_nothing_of_the_batch(op, push, db_engine, monkeypatch):
    import server.domain.sync.ingest as ingest

    async def broken(*_):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(ingest, "on_followups_stored", broken)
    batch = [visit(op), visit(op), followup(op, household_id=op.household_ids[0])]
    response = await push(batch)
    assert response.status_code == 500
    assert await _count(db_engine, "visit", [r["id"] for r in batch]) == 0
    assert await _count(db_engine, "followup", [r["id"] for r in batch]) == 0


async def test_bad_bodies(op, client, headers):
    h = await headers("officer")
    r = await client.post("/api/v1/sync/push", content=b'{"device_id": "x", "records": [',
                          headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 400 and "not valid JSON" in r.json()["detail"]
    r = await client.post("/api/v1/sync/push", json={"device_id": "x", "records": "nope"}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "$.records"
    r = await client.post("/api/v1/sync/push", json={"records": []}, headers=h)
    assert r.status_code == 422 and "device_id" in r.json()["detail"]
    too_many = [visit(op) for _ in range(MAX_PUSH_RECORDS + 1)]
    r = await client.post("/api/v1/sync/push", json={"device_id": "x", "records": too_many}, headers=h)
    assert r.status_code == 413 and str(MAX_PUSH_RECORDS) in r.json()["detail"]
    r = await client.post("/api/v1/sync/push", json={"device_id": "x", "records": [visit(op)]},
                          headers=await headers("envhealth"))
    assert r.status_code == 403
    r = await client.post("/api/v1/sync/push", json={"device_id": "x", "records": [visit(op)]})
    assert r.status_code == 401
    r = await client.post("/api/v1/sync/push", json={"device_id": "x", "records": []}, headers=h)
    assert r.status_code == 200 and r.json() == {"results": []}


async def test_two_devices_pushing_overlapping_batches_concurrently_store_each_once(op, live_server, tokens,
                                                                                   db_engine):
    """Real concurrent requests to the real server process: each record stored exactly once."""
    records = [visit(op, household=i, outcome="answered" if i % 3 == 0 else "card_left") for i in range(300)]
    records += [followup(op, household_id=op.household_ids[i % 12]) for i in range(20)]
    tablet_1 = records[:200] + records[300:310]
    tablet_2 = list(reversed(records[100:300])) + records[305:320]  # overlap 100..199 and 305..309, other order
    auth = {"Authorization": f"Bearer {await tokens('officer')}"}
    auth_2 = {"Authorization": f"Bearer {await tokens('councillor')}"}

    async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
        async def send(batch, device, headers):
            r = await http.post("/api/v1/sync/push", json={"device_id": device, "records": batch}, headers=headers)
            assert r.status_code == 200, r.text
            return r.json()["results"]

        rounds = await asyncio.gather(*[send(copy.deepcopy(b), d, h) for _ in range(3)
                                        for b, d, h in ((tablet_1, "t1", auth), (tablet_2, "t2", auth_2))])
    stored: dict[str, int] = {}
    for results in rounds:
        for result in results:
            assert result["status"] in ("stored", "duplicate"), result
            stored[result["id"]] = stored.get(result["id"], 0) + (result["status"] == "stored")
    assert set(stored) == {r["id"] for r in records}
    assert all(count == 1 for count in stored.values()), "a record was reported stored more than once"
    ids = [r["id"] for r in records]
    assert await _count(db_engine, "visit", ids) == 300
    assert await _count(db_engine, "followup", ids) == 20
    async with db_engine.connect() as conn:
        events = (await conn.execute(text("SELECT count(*) FROM followup_event WHERE followup_id = "
                                          "ANY(CAST(:ids AS uuid[]))"), {"ids": ids})).scalar_one()
    assert events == 20  # the hook ran once per follow-up, not once per push
