"""The per-door summary (household_result, kept by triggers on visit) against a recount from the visits."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from server.db.engine import transaction
from server.domain.results.services import CONCERN_BITS, OTHER_CONCERN_BIT, OUTCOME_RANK, doors
from shared_schemas.codes import Concern, Outcome
from shared_schemas.doors import door_status
from shared_schemas.questionnaire import concerns

from .world import QUESTIONNAIRE, World, build_world, expected_streets, make_visits, push

RECOUNT = """
SELECT v.household_id, count(*) AS attempts,
       max(CASE v.outcome WHEN 'answered' THEN 4 WHEN 'refused' THEN 3 WHEN 'do_not_visit' THEN 2
                          WHEN 'vacant' THEN 1 ELSE 0 END) AS closing_rank,
       ARRAY(SELECT DISTINCT c FROM visit v2, unnest(v2.concerns) c WHERE v2.household_id = v.household_id
             ORDER BY c) AS concerns,
       max(v.visited_at) AS last_visited_at
FROM visit v WHERE v.operation_id = :op GROUP BY v.household_id ORDER BY v.household_id
"""
SUMMARY = """SELECT household_id, attempts, closing_rank, concerns, last_visited_at FROM household_result
WHERE operation_id = :op ORDER BY household_id"""
MASKS = """SELECT concern_mask, concerns FROM household_result WHERE operation_id = :op"""


@pytest.fixture(scope="module")
async def sworld(db_engine, demo, client, headers) -> World:
    w = await build_world(db_engine, "summary")
    await push(client, headers, w, make_visits(w, list(w.households), per_door=(1, 3)))
    return w


async def _same(db_engine, op: int) -> int:
    async with transaction(db_engine) as s:
        summary = (await s.execute(text(SUMMARY), {"op": op})).all()
        recount = (await s.execute(text(RECOUNT), {"op": op})).all()
        masks = (await s.execute(text(MASKS), {"op": op})).all()
    assert [tuple(r) for r in summary] == [tuple(r) for r in recount]
    for mask, codes in masks:  # the bits say the same as the arrays
        expected = 0
        for code in codes:
            expected |= 1 << (CONCERN_BITS.index(code) if code in CONCERN_BITS else OTHER_CONCERN_BIT)
        assert mask == expected, (mask, codes)
    return len(summary)


async def test_the_sql_rank_is_the_python_precedence(db_engine):
    async with transaction(db_engine) as s:
        for outcome in Outcome:
            rank = (await s.execute(text("SELECT doorstep_closing_rank(:o)"), {"o": outcome.value})).scalar()
            assert rank == OUTCOME_RANK.get(outcome.value, 0), outcome


async def test_the_sql_concern_bits_are_the_concern_codes(db_engine):
    """Extending shared_schemas.codes.Concern needs a migration re-creating doorstep_concern_bit."""
    assert tuple(c.value for c in Concern) == CONCERN_BITS
    async with transaction(db_engine) as s:
        for bit, code in enumerate(CONCERN_BITS):
            assert (await s.execute(text("SELECT doorstep_concern_bit(:c)"), {"c": code})).scalar() == bit, code
        assert (await s.execute(text("SELECT doorstep_concern_bit('not_a_code')"))).scalar() == OTHER_CONCERN_BIT


async def test_summary_matches_a_recount_after_pushes(sworld, db_engine):
    assert await _same(db_engine, sworld.operation_id) == len({v["household_id"] for v in sworld.visits})


async def test_summary_follows_edits_and_deletes_of_visits(sworld, db_engine, client, headers):
    w = sworld
    answered = [v for v in w.visits if v["outcome"] == "answered"]
    gone = answered[:3]
    changed = [v for v in w.visits if v["outcome"] == "no_answer"][:2]
    async with transaction(db_engine) as s:
        await s.execute(text("DELETE FROM visit WHERE id = ANY(CAST(:ids AS uuid[]))"),
                        {"ids": [v["id"] for v in gone]})
        await s.execute(text("UPDATE visit SET outcome = 'refused' WHERE id = ANY(CAST(:ids AS uuid[]))"),
                        {"ids": [v["id"] for v in changed]})
    for v in gone:
        w.visits.remove(v)
    for v in changed:
        v["outcome"] = "refused"
    await _same(db_engine, w.operation_id)
    expected = expected_streets(w)
    items = {i["street_id"]: i for i in (await client.get(f"/api/v1/operations/{w.operation_id}/streets",
                                                          headers=await headers("coordinator"))).json()["items"]}
    for sid in w.street_ids:
        for k in ("knocked", "closed", "answered", "refused", "to_revisit"):
            assert items[sid][k] == expected[sid][k], (sid, k)


async def test_a_concern_code_the_bits_do_not_know_is_still_counted(db_engine, demo, client, headers):
    w = await build_world(db_engine, "unknown-concern")
    await push(client, headers, w, make_visits(w, list(w.households), per_door=(1, 2)))
    door = next(h for h, s in w.households.items() if s == w.street_ids[1])
    async with transaction(db_engine) as s:  # as a newer questionnaire's code would arrive
        await s.execute(text(
            "INSERT INTO visit (id, operation_id, household_id, team_id, device_id, visited_at, outcome, concerns, "
            "content_hash) VALUES (gen_random_uuid(), :op, :h, :t, 'test', now(), 'answered', "
            "ARRAY['noise_nuisance', 'drugs'], 'x')"), {"op": w.operation_id, "h": door, "t": w.teams["A"]})
        # and a fix category and a follow-up status newer than this server's codes
        await s.execute(text(
            "INSERT INTO fix (id, operation_id, device_id, category, done_at, street_id, content_hash) "
            "VALUES (gen_random_uuid(), :op, 'test', 'bins_emptied', now(), :s, 'x')"),
            {"op": w.operation_id, "s": w.street_ids[2]})
        await s.execute(text(
            "INSERT INTO followup (id, operation_id, device_id, category, priority, description, raised_at, "
            "street_id, status, content_hash) VALUES (gen_random_uuid(), :op, 'test', 'other', 'low', 'x', now(), "
            ":s, 'on_hold', 'x')"), {"op": w.operation_id, "s": w.street_ids[2]})
    await _same(db_engine, w.operation_id)
    expected = expected_streets(w)
    expected[w.street_ids[1]]["concerns"]["noise_nuisance"] = 1
    drugs_before = any("drugs" in concerns(QUESTIONNAIRE, v["answers"]) for v in w.visits
                       if v["household_id"] == door and v["outcome"] == "answered")
    if not drugs_before:
        expected[w.street_ids[1]]["concerns"]["drugs"] = expected[w.street_ids[1]]["concerns"].get("drugs", 0) + 1
    try:
        body = (await client.get(f"/api/v1/operations/{w.operation_id}/streets",
                                 headers=await headers("coordinator"))).json()
    finally:  # codes this server does not know must not linger for other tests (the follow-up list reads them)
        async with transaction(db_engine) as s:
            await s.execute(text("DELETE FROM fix WHERE operation_id = :op AND category = 'bins_emptied'"),
                            {"op": w.operation_id})
            await s.execute(text("DELETE FROM followup WHERE operation_id = :op AND status = 'on_hold'"),
                            {"op": w.operation_id})
    items = {i["street_id"]: i for i in body["items"]}
    for sid in w.street_ids:
        assert {k: v for k, v in items[sid]["concerns"].items() if v} == expected[sid]["concerns"], sid
    assert body["totals"]["concerns"]["noise_nuisance"] == 1
    assert items[w.street_ids[2]]["fixes"]["bins_emptied"] == 1 and body["totals"]["fixes"]["bins_emptied"] == 1
    assert items[w.street_ids[2]]["followups"]["on_hold"] == 1 and body["totals"]["followups"]["on_hold"] == 1
    assert items[w.street_ids[0]]["followups"] == {"open": 0, "acknowledged": 0, "in_progress": 0, "resolved": 0,
                                                   "declined": 0}


async def test_the_server_gives_each_door_the_shared_door_status(sworld, db_engine):
    """The coordinators' door list (SQL over the summary) and the tablet (shared_schemas.doors) agree."""
    outcomes: dict[int, list[str]] = {hid: [] for hid in sworld.households}
    for v in sworld.visits:
        outcomes[v["household_id"]].append(v["outcome"])
    async with transaction(db_engine) as s:
        page = await doors(s, sworld.operation_id, limit=1000)
    assert page.next is None and len(page.items) == len(outcomes)
    assert {d.household_id: d.status for d in page.items} == {
        hid: door_status(seen).value for hid, seen in outcomes.items()}
    assert {d.status for d in page.items} >= {"to_revisit", "answered", "refused", "do_not_visit", "vacant"}
