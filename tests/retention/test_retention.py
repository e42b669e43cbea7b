"""Retention (issue 15): the clock moved past the organisation's time, a closed follow-up's resident,
free text and photos are gone from the server, the audit log says so, and the street results read the same."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json

from sqlalchemy import text

from server.db.engine import transaction
from tests.photos.test_photo_upload import camera_jpeg
from tests.support import doorstep


async def test_a_closed_follow_up_loses_its_residents_details_text_and_photos_and_nothing_else(
        client, headers, db_engine, demo_ids, raise_followup):
    op = demo_ids["operation_id"]
    coordinator = await headers("coordinator")
    resident = {"name": "Retained Q. Resident", "phone": "07911 123654"}
    old = await raise_followup("fly_tipping", consent=True, resident=resident, description="Planted old text")
    recent = await raise_followup("fly_tipping", consent=True, resident=resident, description="Planted new text")
    photo = camera_jpeg(seed=31)
    sha = hashlib.sha256(photo).hexdigest()
    r = await client.put(f"/api/v1/photos/{sha}", content=photo,
                         headers={**await headers("officer"), "Content-Type": "image/jpeg"})
    assert r.status_code == 201, r.text
    async with transaction(db_engine) as session:
        await session.execute(text("INSERT INTO record_photo (record_id, record_type, sha256, position) "
                                   "VALUES (:id, 'followup', :sha, 0)"), {"id": old, "sha": sha})
        await session.execute(text("UPDATE followup SET status = 'resolved', updated_at = now() - interval '100 days' "
                                   "WHERE id = :id"), {"id": old})
        await session.execute(text("UPDATE followup SET status = 'resolved', updated_at = now() - interval '10 days' "
                                   "WHERE id = :id"), {"id": recent})
    assert (await client.get(f"/api/v1/photos/{sha}", headers=await headers("admin"))).status_code == 200
    streets_before = (await client.get(f"/api/v1/operations/{op}/streets", headers=coordinator)).json()

    ran = await asyncio.to_thread(doorstep, "retention", "run")
    assert ran.exit_code == 0, ran.output
    assert "closed follow-up(s) cleared" in ran.output

    async with transaction(db_engine) as session:
        def one(sql, **kw):
            return session.execute(text(sql), kw)
        assert (await one("SELECT count(*) FROM followup_resident WHERE followup_id = :id", id=old)).scalar() == 0
        assert (await one("SELECT description FROM followup WHERE id = :id", id=old)).scalar() == ""
        assert (await one("SELECT count(*) FROM record_photo WHERE record_id = :id", id=old)).scalar() == 0
        assert (await one("SELECT count(*) FROM photo WHERE sha256 = :sha", sha=sha)).scalar() == 0
        # the one closed ten days ago keeps everything (90 days by default)
        assert (await one("SELECT count(*) FROM followup_resident WHERE followup_id = :id", id=recent)).scalar() == 1
        assert (await one("SELECT description FROM followup WHERE id = :id", id=recent)).scalar() == "Planted new text"
        audited = (await one("SELECT detail FROM audit_log WHERE action = 'retention.remove' ORDER BY id DESC "
                             "LIMIT 1")).scalar()
        # the follow-up itself stays (category, status, place): it still counts
        assert (await one("SELECT status FROM followup WHERE id = :id", id=old)).scalar() == "resolved"
    assert audited["followups"] >= 1 and audited["photos"] >= 1 and audited["followup_days"] == 90
    assert "Retained" not in json.dumps(audited) and "Planted" not in json.dumps(audited)
    assert (await client.get(f"/api/v1/photos/{sha}", headers=await headers("admin"))).status_code == 404
    streets_after = (await client.get(f"/api/v1/operations/{op}/streets", headers=coordinator)).json()
    assert streets_after == streets_before


def test_a_wrong_time_is_a_one_line_error():
    ran = doorstep("retention", "run", "--now", "next tuesday")
    assert ran.exit_code == 1 and "not a date and time" in ran.stderr


async def test_a_webhook_delivery_keeps_no_description_of_a_cleared_follow_up(
        db_engine, agency_operation, raise_followup):
    _code, _agency, op = await agency_operation(webhook_url="https://partner.example/hook", secret="s" * 32)
    fid = await raise_followup("graffiti", description="Planted webhook words", operation_id=op)
    async with transaction(db_engine) as session:
        bodies = (await session.execute(text("SELECT body FROM notification WHERE followup_id = :id AND "
                                             "channel = 'webhook'"), {"id": fid})).scalars().all()
        assert bodies and all("Planted webhook words" in b for b in bodies)
        await session.execute(text("UPDATE followup SET status = 'declined', updated_at = now() - interval '91 days' "
                                   "WHERE id = :id"), {"id": fid})
    ran = await asyncio.to_thread(doorstep, "retention", "run")
    assert ran.exit_code == 0, ran.output
    async with transaction(db_engine) as session:
        bodies = (await session.execute(text("SELECT body FROM notification WHERE followup_id = :id"),
                                        {"id": fid})).scalars().all()
    assert bodies and not any("Planted" in b for b in bodies)
    webhook = next(json.loads(b) for b in bodies if b.startswith("{"))
    assert webhook["description"] == "" and webhook["service_code"] == "graffiti"


async def test_the_command_waits_for_no_run_in_progress_and_says_so(db_engine):
    from server.lib.daily import DailyJob

    job = DailyJob(db_engine, "retention", "02:00")
    async with transaction(db_engine) as session:
        await session.execute(text("UPDATE scheduled_job SET claimed_until = NULL WHERE name = 'retention'"))
    claim = await job.claim(dt.datetime.now(dt.UTC), force=True)
    assert claim is not None
    try:
        ran = await asyncio.to_thread(doorstep, "retention", "run")
    finally:
        await job.release(claim)
    assert ran.exit_code == 1 and "under way in a server process" in ran.stderr
    ran = await asyncio.to_thread(doorstep, "retention", "run")
    assert ran.exit_code == 0, ran.output


async def test_a_definition_the_engine_cannot_load_still_loses_its_text_answers(db_engine, demo_ids):
    """One bad definition in the table (written by hand, or by a newer server) never stops the run."""
    import uuid

    qid = f"broken-{uuid.uuid4().hex[:8]}-v1"
    vid = uuid.uuid4()
    async with transaction(db_engine) as session:
        await session.execute(text(
            "INSERT INTO questionnaire_version (id, version, title, definition) VALUES (:id, 1, 'Broken', "
            "CAST(:d AS jsonb))"), {"id": qid, "d": json.dumps({"questions": [
                {"id": "comments", "type": "text"}, {"id": "safe", "type": "yes_no"}]})})
        await session.execute(text(
            "INSERT INTO visit (id, operation_id, household_id, team_id, device_id, visited_at, outcome, "
            "questionnaire_id, answers, content_hash) VALUES (:id, :op, :h, :t, 'test-device', "
            "now() - interval '200 days', 'answered', :q, CAST(:a AS jsonb), 'x')"),
            {"id": vid, "op": demo_ids["operation_id"], "h": demo_ids["household_id"], "t": demo_ids["team_id"],
             "q": qid, "a": json.dumps({"comments": "Planted broken words", "safe": True})})
    ran = await asyncio.to_thread(doorstep, "retention", "run")
    assert ran.exit_code == 0, ran.output
    async with transaction(db_engine) as session:
        answers = (await session.execute(text("SELECT answers FROM visit WHERE id = :id"), {"id": vid})).scalar_one()
    assert answers == {"safe": True}
