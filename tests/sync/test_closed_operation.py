"""A closed operation: records made before the close still arrive and count (a tablet may have been
offline); records made after it are refused, each with a reason the tablet shows; reopening lets them in."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from .conftest import fix, followup, visit


def at(when: dt.datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


async def test_records_made_after_the_close_are_refused_with_a_reason(op, push, client, headers, db_engine):
    from server.db.engine import transaction

    closed_at = dt.datetime(2026, 5, 15, 12, 0, tzinfo=dt.UTC)
    async with transaction(db_engine) as session:
        await session.execute(text("UPDATE operation SET status = 'closed', closed_at = :at WHERE id = :op"),
                              {"at": closed_at, "op": op.id})
    before = visit(op, visited_at=at(closed_at - dt.timedelta(hours=3)))
    after = visit(op, household=1, visited_at=at(closed_at + dt.timedelta(minutes=5)))
    late_fix = fix(op, street_id=op.street_ids[0], done_at=at(closed_at + dt.timedelta(hours=1)))
    early_followup = followup(op, street_id=op.street_ids[0], raised_at=at(closed_at - dt.timedelta(minutes=1)))
    r = await push([before, after, late_fix, early_followup])
    assert r.status_code == 200, r.text
    results = {x["id"]: x for x in r.json()["results"]}
    assert results[before["id"]]["status"] == "stored"
    assert results[early_followup["id"]]["status"] == "stored"
    for record, field in ((after, "$.visited_at"), (late_fix, "$.done_at")):
        refused = results[record["id"]]
        assert refused["status"] == "rejected"
        assert "was closed at 2026-05-15 12:00 UTC" in refused["reason"] and "reopen" in refused["reason"]
        assert refused["path"] == field
    # The visit made before the close counts in the results.
    streets = (await client.get(f"/api/v1/operations/{op.id}/streets", headers=await headers("coordinator"))).json()
    assert streets["totals"]["knocked"] == 1

    # Reopened, the late visit goes in.
    r = await client.post(f"/api/v1/operations/{op.id}/reopen", headers=await headers("coordinator"))
    assert r.status_code == 200, r.text
    r = await push([after])
    assert r.json()["results"][0]["status"] == "stored"
