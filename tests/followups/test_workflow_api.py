"""The follow-up API: isolation between agencies, every transition, stale versions, reassignment, routing."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import text

from server.db.engine import transaction
from shared_schemas.codes import FOLLOWUP_TRANSITIONS, FollowupStatus

STATUSES = [s.value for s in FollowupStatus]
PATH_TO = {"open": [], "acknowledged": ["acknowledged"], "in_progress": ["in_progress"], "resolved": ["resolved"],
           "declined": ["declined"]}


async def _patch(client, headers, fid, **body):
    return await client.patch(f"/api/v1/followups/{fid}", json=body, headers=headers)


async def _drive(client, headers, fid, statuses) -> int:
    version = 1
    for s in statuses:
        body = {"status": s, "version": version, "note": f"to {s}"}
        if s == "declined":
            body["reason"] = "Not ours"
        r = await _patch(client, headers, fid, **body)
        assert r.status_code == 200, r.text
        version = r.json()["version"]
    return version


@pytest.mark.parametrize(("start", "target"), list(itertools.product(STATUSES, STATUSES)))
async def test_every_transition(start, target, client, headers, raise_followup, db_engine):
    h = await headers("envhealth")
    fid = await raise_followup("fly_tipping")
    version = await _drive(client, h, fid, PATH_TO[start])
    body = {"status": target, "version": version, "note": "checked"}
    if target == "declined":
        body["reason"] = "Private land: the landowner's job"
    r = await _patch(client, h, fid, **body)
    legal = FollowupStatus(target) in FOLLOWUP_TRANSITIONS[FollowupStatus(start)]
    if legal:
        assert r.status_code == 200, r.text
        out = r.json()
        assert (out["status"], out["version"]) == (target, version + 1)
        last = out["events"][-1]
        assert (last["from_status"], last["to_status"], last["actor"]) == (start, target, "Erin Health")
        assert "checked" in last["note"]
        if target == "declined":
            assert "Private land" in last["note"]
        async with transaction(db_engine) as s:
            ev = (await s.execute(text(
                "SELECT count(*), max(change_seq) FROM followup_event WHERE followup_id = :id"), {"id": fid})).one()
            audited = (await s.execute(text(
                "SELECT count(*) FROM audit_log WHERE entity_id = :id AND action = 'followup.status'"),
                {"id": str(fid)})).scalar_one()
        assert ev[0] == len(PATH_TO[start]) + 2 and ev[1] > 0
        assert audited == len(PATH_TO[start]) + 1
    else:
        assert r.status_code == 409, r.text
        allowed = sorted(s.value for s in FOLLOWUP_TRANSITIONS[FollowupStatus(start)])
        assert r.json()["extra"]["allowed"] == allowed
        again = await client.get(f"/api/v1/followups/{fid}", headers=h)
        assert again.json()["status"] == start and again.json()["version"] == version


async def test_stale_version_is_409_and_changes_nothing(client, headers, raise_followup):
    h = await headers("envhealth")
    fid = await raise_followup("graffiti")
    assert (await _patch(client, h, fid, status="acknowledged", version=1)).status_code == 200
    r = await _patch(client, h, fid, status="in_progress", version=1, note="from a stale page")
    assert r.status_code == 409 and r.json()["extra"]["version"] == 2
    detail = (await client.get(f"/api/v1/followups/{fid}", headers=h)).json()
    assert detail["status"] == "acknowledged" and len(detail["events"]) == 2


async def test_declined_needs_a_reason(client, headers, raise_followup):
    h = await headers("envhealth")
    fid = await raise_followup("graffiti")
    r = await _patch(client, h, fid, status="declined", version=1)
    assert r.status_code == 422 and r.json()["field"] == "reason"


async def test_unknown_status_and_category_are_422(client, headers, raise_followup):
    h = await headers("envhealth")
    fid = await raise_followup("graffiti")
    assert (await _patch(client, h, fid, status="closed", version=1)).status_code == 422
    r = await client.get("/api/v1/followups", params={"category": "potholes"}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "category"
    assert (await client.get("/api/v1/followups", params={"status": "done"}, headers=h)).status_code == 422


async def test_agencies_never_see_each_others_followups(client, headers, raise_followup):
    env, fire = await headers("envhealth"), await headers("firesafety")
    mine = await raise_followup("fly_tipping", description="Sofa dumped in the ginnel")
    theirs = await raise_followup("home_fire_safety_visit", description="Wants a smoke alarm check")
    env_ids = await _all_ids(client, env)
    fire_ids = await _all_ids(client, fire)
    assert str(mine) in env_ids and str(theirs) not in env_ids
    assert str(theirs) in fire_ids and str(mine) not in fire_ids
    for who, other in ((env, theirs), (fire, mine)):
        assert (await client.get(f"/api/v1/followups/{other}", headers=who)).status_code == 404
        r = await _patch(client, who, other, status="acknowledged", version=1)
        assert r.status_code == 404
    csv_env = (await client.get("/api/v1/followups.csv", headers=env)).text
    assert str(mine) in csv_env and str(theirs) not in csv_env
    assert "smoke alarm" not in csv_env
    # The coordinator of the operation sees both.
    coord_ids = await _all_ids(client, await headers("coordinator"))
    assert {str(mine), str(theirs)} <= coord_ids


async def test_visitors_cannot_use_the_inbox_api(client, headers):
    r = await client.get("/api/v1/followups", headers=await headers("officer"))
    assert r.status_code == 403


async def _all_ids(client, h, **params) -> set[str]:
    ids: set[str] = set()
    cursor = None
    while True:
        q = {"limit": 200, **params, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/followups", params=q, headers=h)).json()
        ids |= {i["id"] for i in page["items"]}
        cursor = page["next"]
        if not cursor:
            return ids


async def test_keyset_pagination_and_filters(client, headers, raise_followup):
    h = await headers("envhealth")
    made = [await raise_followup("abandoned_vehicle", priority="urgent") for _ in range(5)]
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        q = {"limit": 2, "category": "abandoned_vehicle", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/followups", params=q, headers=h)).json()
        assert len(page["items"]) <= 2
        seen += [i["id"] for i in page["items"]]
        cursor = page["next"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) and {str(m) for m in made} <= set(seen)
    await _patch(client, h, made[0], status="acknowledged", version=1)
    acked = await _all_ids(client, h, status="acknowledged", category="abandoned_vehicle")
    assert str(made[0]) in acked and str(made[1]) not in acked


async def test_overdue_filter(client, headers, raise_followup):
    import datetime as dt
    h = await headers("envhealth")
    late = await raise_followup("graffiti", priority="urgent",
                                raised_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    fresh = await raise_followup("graffiti", priority="urgent")
    overdue = await _all_ids(client, h, overdue="true", category="graffiti")
    assert str(late) in overdue and str(fresh) not in overdue
    detail = (await client.get(f"/api/v1/followups/{late}", headers=h)).json()
    assert detail["overdue"] is True
    await _patch(client, h, late, status="resolved", version=1, note="Cleaned")
    assert str(late) not in await _all_ids(client, h, overdue="true", category="graffiti")


async def test_reassign_is_for_coordinators_and_notifies_the_new_agency(client, headers, raise_followup, db_engine):
    env, coord = await headers("envhealth"), await headers("coordinator")
    fid = await raise_followup("fly_tipping")
    r = await _patch(client, env, fid, version=1, agency="fire-safety")
    assert r.status_code == 403
    r = await _patch(client, env, fid, status="declined", version=1, reason="Inside a house: fire risk")
    assert r.status_code == 200
    r = await _patch(client, coord, fid, version=2, agency="fire-safety", note="Fire service to look")
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["status"], out["agency"], out["version"]) == ("open", "fire-safety", 3)
    assert out["events"][-1]["agency"] == "fire-safety"
    # The old agency loses sight of it; the new one has it.
    assert (await client.get(f"/api/v1/followups/{fid}", headers=env)).status_code == 404
    assert (await client.get(f"/api/v1/followups/{fid}", headers=await headers("firesafety"))).status_code == 200
    async with transaction(db_engine) as s:
        targets = (await s.execute(text(
            "SELECT target, subject FROM notification WHERE followup_id = :id ORDER BY id"), {"id": fid})).all()
    assert targets[0].target == "envhealth@council.example"
    assert targets[-1].target == "community.safety@fire.example" and "reassigned" in targets[-1].subject
    r = await _patch(client, coord, fid, version=3, agency="no-such-agency")
    assert r.status_code == 422


async def test_routing_table_view_and_change(client, headers, demo_ids, raise_followup):
    coord = await headers("coordinator")
    op = demo_ids["operation_id"]
    r = await client.get(f"/api/v1/operations/{op}/routing", headers=coord)
    assert r.status_code == 200 and r.json()["routing"]["fly_tipping"] == "council-envhealth"
    original = r.json()["routing"]
    assert (await client.get(f"/api/v1/operations/{op}/routing", headers=await headers("envhealth"))).status_code == 403
    bad = await client.put(f"/api/v1/operations/{op}/routing", json={"routing": {"potholes": "council"}}, headers=coord)
    assert bad.status_code == 422 and "potholes" in bad.json()["field"]
    bad = await client.put(f"/api/v1/operations/{op}/routing", json={"routing": {"graffiti": "nobody"}}, headers=coord)
    assert bad.status_code == 422
    try:
        changed = {**original, "abandoned_vehicle": "police"}
        r = await client.put(f"/api/v1/operations/{op}/routing", json={"routing": changed}, headers=coord)
        assert r.status_code == 200 and r.json()["routing"]["abandoned_vehicle"] == "police"
        fid = await raise_followup("abandoned_vehicle")
        detail = (await client.get(f"/api/v1/followups/{fid}", headers=coord)).json()
        assert detail["agency"] == "police"
    finally:
        r = await client.put(f"/api/v1/operations/{op}/routing", json={"routing": original}, headers=coord)
        assert r.status_code == 200


async def test_two_partners_racing_on_one_version_one_wins(client, headers, raise_followup, db_engine):
    """Both read version 1 and send at once: the row lock serialises them, the loser gets 409."""
    import asyncio
    h = await headers("envhealth")
    fid = await raise_followup("graffiti")
    first, second = await asyncio.gather(
        _patch(client, h, fid, status="acknowledged", version=1, note="me first"),
        _patch(client, h, fid, status="in_progress", version=1, note="no, me"))
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    async with transaction(db_engine) as s:
        events = (await s.execute(text(
            "SELECT count(*) FROM followup_event WHERE followup_id = :id"), {"id": fid})).scalar_one()
        version = (await s.execute(text("SELECT version FROM followup WHERE id = :id"), {"id": fid})).scalar_one()
    assert events == 2 and version == 2
