"""The nightly retention run (issue 15, build 5; issue 18: any number of servers).

A fake clock drives two workers at once, each with its own connection pool as two server processes
would have: the day's run happens once, not twice, and a day missed while every server was down is
caught up once. Records pushed through the real sync API with planted residents' details, notes,
text answers, descriptions and photos are then moved past their time by the clock: afterwards no
planted word is anywhere in the database, no photo of theirs is in the photo store, and the street
results, answer counts, follow-up summary and open-data file read exactly as before.

The fake clock runs years in the past, and the workers use a job row of their own, so the other
tests' records (made with today's dates) and the real job's day are left alone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import random
import uuid
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from server.db.engine import make_engine, transaction
from server.domain.photos.storage import S3Store, photo_key, photo_store
from server.domain.retention.service import remove_queued_photos
from server.domain.retention.worker import RetentionWorker
from server.lib.daily import DailyJob, LeaseLost, due_day
from server.settings import get_settings
from tests.photos.test_photo_upload import camera_jpeg
from tests.results.world import build_world, make_fixes_and_followups, make_visits, push
from tests.support import start_server

LONDON = ZoneInfo("Europe/London")


def london(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


class FakeClock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


async def _job_of_its_own(db_engine) -> str:
    name = f"retention-test-{uuid.uuid4().hex[:12]}"
    async with transaction(db_engine) as session:
        await session.execute(text("INSERT INTO scheduled_job (name) VALUES (:n)"), {"n": name})
    return name


async def _last_audit_id(db_engine) -> int:
    async with transaction(db_engine) as session:
        return (await session.execute(text("SELECT coalesce(max(id), 0) FROM audit_log"))).scalar_one()


@pytest.fixture
async def two_servers(database_url):
    """Two engines, as two server processes have."""
    engines = [make_engine(database_url, pool_size=2, max_overflow=0) for _ in range(2)]
    yield engines
    for engine in engines:
        await engine.dispose()


def test_the_due_day_is_the_last_local_day_whose_hour_has_come():
    assert due_day(london(2025, 6, 10, 1, 59), "02:00") == dt.date(2025, 6, 9)
    assert due_day(london(2025, 6, 10, 2, 0), "02:00") == dt.date(2025, 6, 10)
    # Local time, not UTC: 01:30 UTC in summer is 02:30 in London.
    assert due_day(dt.datetime(2025, 6, 10, 1, 30, tzinfo=dt.UTC), "02:00") == dt.date(2025, 6, 10)
    assert due_day(dt.datetime(2025, 1, 10, 1, 30, tzinfo=dt.UTC), "02:00") == dt.date(2025, 1, 9)
    # The nights the clocks change: 02:00 comes once each (spring: 01:00 GMT is 02:00 BST).
    assert due_day(dt.datetime(2026, 3, 29, 0, 59, tzinfo=dt.UTC), "02:00") == dt.date(2026, 3, 28)
    assert due_day(dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC), "02:00") == dt.date(2026, 3, 29)
    assert due_day(dt.datetime(2026, 10, 25, 0, 59, tzinfo=dt.UTC), "02:00") == dt.date(2026, 10, 24)
    assert due_day(dt.datetime(2026, 10, 25, 2, 0, tzinfo=dt.UTC), "02:00") == dt.date(2026, 10, 25)
    assert due_day(london(2025, 6, 10, 23, 59), "23:30") == dt.date(2025, 6, 10)


async def test_two_servers_run_the_night_once_and_catch_up_a_missed_one(db_engine, two_servers):
    name = await _job_of_its_own(db_engine)
    audited_before = await _last_audit_id(db_engine)
    settings = get_settings()
    clock = FakeClock(london(2021, 3, 10, 1, 0))
    store = photo_store(settings)
    workers = [RetentionWorker(engine, settings, store, clock=clock, job_name=name) for engine in two_servers]

    async def night() -> int:
        """Both workers look at the same moment; how many ran."""
        reports = await asyncio.gather(*(w.run_once() for w in workers))
        return sum(r is not None for r in reports)

    async def done_for() -> dt.date | None:
        async with transaction(db_engine) as session:
            return (await session.execute(text("SELECT done_for FROM scheduled_job WHERE name = :n"),
                                          {"n": name})).scalar_one()

    # Never run yet: the day before's run is due at once (01:00 is before today's 02:00), and runs once.
    assert await night() == 1 and await done_for() == dt.date(2021, 3, 9)
    assert await night() == 0  # still 01:00: nothing due
    clock.now = london(2021, 3, 10, 1, 59)
    assert await night() == 0
    clock.now = london(2021, 3, 10, 2, 0)
    assert await night() == 1 and await done_for() == dt.date(2021, 3, 10)
    for minutes in (5, 300, 1300):  # every look after, that day: nothing
        clock.now = london(2021, 3, 10, 2, 0) + dt.timedelta(minutes=minutes)
        assert await night() == 0
    # Every server down from the evening of the 10th until 09:00 on the 14th: one run when they come back.
    clock.now = london(2021, 3, 14, 9, 0)
    assert await night() == 1 and await done_for() == dt.date(2021, 3, 14)
    assert await night() == 0
    # A look that finds no run due is cheap and each run is audited once, by the server, with counts.
    async with transaction(db_engine) as session:
        runs = (await session.execute(text(
            "SELECT entity_id, actor_user_id, detail FROM audit_log WHERE action = 'retention.remove' "
            "AND entity_id LIKE '2021-03-%' AND id > :before ORDER BY id"), {"before": audited_before})).all()
    assert [r.entity_id[:16] for r in runs] == ["2021-03-10T01:00", "2021-03-10T02:00", "2021-03-14T09:00"]
    assert all(r.actor_user_id is None and r.detail["trigger"] == "nightly" for r in runs)


async def test_a_lease_taken_over_changes_nothing(db_engine, two_servers):
    name = await _job_of_its_own(db_engine)
    first, second = (DailyJob(engine, name, "02:00") for engine in two_servers)
    now = london(2021, 5, 1, 3, 0)
    claim = await first.claim(now)
    assert claim is not None and claim.day == dt.date(2021, 5, 1)
    assert await second.claim(now) is None  # held
    assert await second.busy_until() == claim.token
    # The first process stalls past its lease; the second takes the job over and does the day.
    async with transaction(db_engine) as session:
        await session.execute(text("UPDATE scheduled_job SET claimed_until = now() - interval '1 second' "
                                   "WHERE name = :n"), {"n": name})
    taken = await second.claim(now)
    assert taken is not None
    async with transaction(two_servers[1]) as session:
        await second.mark_done(session, taken)
    await second.release(taken)
    # The first one wakes up: its mark is refused (its run's transaction rolls back), its release is a no-op.
    with pytest.raises(LeaseLost):
        async with transaction(two_servers[0]) as session:
            await first.mark_done(session, claim)
    await first.release(claim)
    assert await first.claim(now) is None  # done for the day


def _planted() -> dict[str, str]:
    token = uuid.uuid4().hex[:10]
    phone = f"07911 1{random.randint(40000, 99999)}"  # every 07911 1xxxxx is a valid number
    return {"name": f"Wilhelmina Plantagenet {token}", "phone": phone,
            "email": f"planted.{token}@resident.example", "note": f"keysafe {token} under the pot",
            "answer": f"my neighbour {token} deals from number 9", "description": f"dumped by {token} again",
            "history": f"spoke to {token} on the doorstep", "fix": f"gate code {token}"}


def _unique_photo() -> tuple[bytes, str]:
    data = camera_jpeg(width=random.randint(400, 900), height=random.randint(200, 400),
                       seed=random.randint(0, 10_000))
    return data, hashlib.sha256(data).hexdigest()


async def _aggregates(client, headers, op: int) -> dict[str, object]:
    coordinator = await headers("coordinator")
    out: dict[str, object] = {}
    for path in ("streets", "answers", "followup-summary", "pairs"):
        r = await client.get(f"/api/v1/operations/{op}/{path}", headers=coordinator)
        assert r.status_code == 200, (path, r.text)
        out[path] = r.json()
    r = await client.get(f"/open-data/operations/{op}/streets.csv", headers=coordinator)
    assert r.status_code == 200, r.text
    out["open data"] = r.text
    return out


async def _where_found(session, needles: list[str]) -> list[str]:
    """Every table (and column-less row text) of the database that holds one of ``needles``."""
    tables = (await session.execute(text(
        "SELECT quote_ident(table_name) FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"))).scalars().all()
    found = []
    for table in tables:
        hits = (await session.execute(text(
            f"SELECT count(*) FROM {table} AS t WHERE t::text ILIKE ANY(:patterns)"),  # noqa: S608 (catalogue names)
            {"patterns": [f"%{n}%" for n in needles]})).scalar_one()
        if hits:
            found.append(f"{table}: {hits}")
    return found


async def test_old_records_lose_every_planted_detail_and_the_results_stay_the_same(
        client, headers, db_engine, app, two_servers):
    planted = _planted()
    world = await build_world(db_engine, f"retention {uuid.uuid4().hex[:6]}")
    t0 = dt.datetime(2022, 2, 1, 10, 0, tzinfo=dt.UTC)
    doors = [h for h, street in world.households.items()]
    visits = make_visits(world, doors, per_door=(1, 2), start=t0)
    for v in visits:
        v["notes"] = f"{planted['note']}; spoke to {planted['name']} on {planted['phone']}"
        if "answers" in v:
            v["answers"]["other_comments"] = planted["answer"]
    assert any("answers" in v for v in visits)
    await push(client, headers, world, visits)

    officer = {**await headers("officer"), "Content-Type": "image/jpeg"}
    old_photo, old_sha = _unique_photo()
    shared_photo, shared_sha = _unique_photo()  # also on a follow-up still open: it stays
    fix_photo, fix_sha = _unique_photo()
    for data, sha in ((old_photo, old_sha), (shared_photo, shared_sha), (fix_photo, fix_sha)):
        r = await client.put(f"/api/v1/photos/{sha}", content=data, headers=officer)
        assert r.status_code == 201, r.text
    records = make_fixes_and_followups(world, n=6)
    for i, r in enumerate(records):
        at = (t0 + dt.timedelta(days=1, minutes=i)).isoformat()
        if r["type"] == "fix":
            r.update(done_at=at, notes=planted["fix"], photos=[{"sha256": fix_sha, "stage": "before"}])
        else:  # routed to the environmental health partner, who closes them below
            r.update(raised_at=at, category="fly_tipping", description=planted["description"],
                     resident={"name": planted["name"], "phone": planted["phone"], "email": planted["email"]},
                     photos=[{"sha256": old_sha}, {"sha256": shared_sha}])
    still_open = {"type": "followup", "id": str(uuid.uuid4()), "operation_id": world.operation_id,
                  "team_id": world.teams["A"], "category": "fly_tipping", "priority": "normal",
                  "description": "Bags by the bins", "street_id": world.street_ids[0],
                  "raised_at": (t0 + dt.timedelta(days=2)).isoformat(), "photos": [{"sha256": shared_sha}]}
    await push(client, headers, world, [*records, still_open])
    closed = [r["id"] for r in records if r["type"] == "followup"]
    # The partner reads each one (its resident's details: audited) and closes it with a note, through the
    # API; the close is then dated soon after the visit, as the clock would have had it.
    partner = await headers("envhealth")
    for i, fid in enumerate(closed):
        seen = await client.get(f"/api/v1/followups/{fid}", headers=partner)
        assert seen.status_code == 200 and planted["name"] in seen.text, seen.text
        change = {"status": ("resolved", "declined")[i % 2], "version": seen.json()["version"],
                  "note": planted["history"]}
        if change["status"] == "declined":
            change["reason"] = f"{planted['history']} (not ours)"
        r = await client.patch(f"/api/v1/followups/{fid}", json=change, headers=partner)
        assert r.status_code == 200, r.text
    async with transaction(db_engine) as session:
        await session.execute(text("UPDATE followup SET updated_at = :at WHERE id = ANY(CAST(:ids AS uuid[]))"),
                              {"ids": closed, "at": t0 + dt.timedelta(days=3)})
    secrets = [planted[k] for k in ("name", "phone", "email", "note", "answer", "description", "history", "fix")]
    async with transaction(db_engine) as session:
        assert len(await _where_found(session, secrets)) >= 5  # the scan does find them while they are there
    before = await _aggregates(client, headers, world.operation_id)

    store = photo_store(get_settings())
    name = await _job_of_its_own(db_engine)
    clock = FakeClock(t0 + dt.timedelta(days=30))
    workers = [RetentionWorker(engine, get_settings(), store, clock=clock, job_name=name) for engine in two_servers]
    # A month on, nothing of theirs is past its time yet.
    reports = await asyncio.gather(*(w.run_once() for w in workers))
    assert sum(r is not None for r in reports) == 1
    async with transaction(db_engine) as session:
        assert len(await _where_found(session, secrets)) >= 5
    # 200 days on: the follow-ups were closed more than 90 days ago and the visits are older than 180.
    clock.now = t0 + dt.timedelta(days=200)
    reports = await asyncio.gather(*(w.run_once() for w in workers))
    ran = [r for r in reports if r is not None]
    assert len(ran) == 1, reports
    report = ran[0]
    assert report.followups >= len(closed) and report.residents >= len(closed)
    assert report.visit_notes >= len(visits) and report.visit_answers >= 1
    assert report.fix_notes >= len(closed) and report.photos >= 2 and report.photo_objects >= 2

    async with transaction(db_engine) as session:
        assert await _where_found(session, secrets) == []
        kept = set((await session.execute(text(
            "SELECT sha256 FROM photo WHERE sha256 = ANY(:h) UNION ALL "
            "SELECT sha256 FROM record_photo WHERE sha256 = ANY(:h) UNION ALL "
            "SELECT sha256 FROM photo_removal WHERE sha256 = ANY(:h)"), {"h": [old_sha, fix_sha]})).scalars())
        assert kept == set()
        assert (await session.execute(text("SELECT count(*) FROM record_photo WHERE sha256 = :h AND record_id = :id"),
                                      {"h": shared_sha, "id": still_open["id"]})).scalar_one() == 1
        audited = (await session.execute(text(
            "SELECT detail FROM audit_log WHERE action = 'retention.remove' AND entity_id = :at ORDER BY id DESC "
            "LIMIT 1"),
            {"at": clock.now.isoformat()})).scalar_one()
    assert audited["followups"] == report.followups and audited["trigger"] == "nightly"
    # The photo store: the old ones' files are gone, the one a kept record refers to is there.
    files = {p.name for p in store.root.rglob("*") if p.is_file()}  # type: ignore[attr-defined]
    assert f"{old_sha}.jpg" not in files and f"{fix_sha}.jpg" not in files
    assert f"{shared_sha}.jpg" in files
    assert (await client.get(f"/api/v1/photos/{old_sha}", headers=await headers("admin"))).status_code == 404
    assert (await client.get(f"/api/v1/photos/{shared_sha}", headers=await headers("admin"))).status_code == 200
    # The still-open follow-up keeps its description; every aggregate reads the same.
    async with transaction(db_engine) as session:
        assert (await session.execute(text("SELECT description FROM followup WHERE id = :id"),
                                      {"id": still_open["id"]})).scalar_one() == "Bags by the bins"
    assert await _aggregates(client, headers, world.operation_id) == before


async def test_a_queued_photo_leaves_an_s3_store_unless_it_came_back(client, headers, db_engine, app, moto_s3):
    s3 = S3Store("doorstep-photos", prefix="retention", client=moto_s3)
    before = getattr(app.state, "photo_store", None)
    app.state.photo_store = s3
    try:
        officer = {**await headers("officer"), "Content-Type": "image/jpeg"}
        gone, gone_sha = _unique_photo()
        back, back_sha = _unique_photo()
        for data, sha in ((gone, gone_sha), (back, back_sha)):
            assert (await client.put(f"/api/v1/photos/{sha}", content=data, headers=officer)).status_code == 201
        # As retention leaves them: both rows taken out and queued; then one is uploaded again
        # before its object went (a tablet's late retry): that one keeps its object.
        async with transaction(db_engine) as session:
            await session.execute(text("DELETE FROM photo WHERE sha256 = ANY(:h)"), {"h": [gone_sha, back_sha]})
            await session.execute(text("INSERT INTO photo_removal (sha256) SELECT unnest(CAST(:h AS text[]))"),
                                  {"h": [gone_sha, back_sha]})
        assert (await client.put(f"/api/v1/photos/{back_sha}", content=back, headers=officer)).status_code == 201
        assert await remove_queued_photos(db_engine, s3) >= 1
        assert s3.get(photo_key(gone_sha)) is None
        assert s3.get(photo_key(back_sha)) is not None
        async with transaction(db_engine) as session:
            left = (await session.execute(text("SELECT count(*) FROM photo_removal WHERE sha256 = ANY(:h)"),
                                          {"h": [gone_sha, back_sha]})).scalar_one()
        assert left == 0
    finally:
        app.state.photo_store = before


async def test_two_real_server_processes_run_the_real_job_once(db_engine, database_url):
    """The worker as the app starts it: two `doorstep serve` processes on one database, each looking every
    0.2 s, with the day's run due (at 00:00 London, not done today): one run, by one of them."""
    async with transaction(db_engine) as session:
        await session.execute(text("UPDATE scheduled_job SET done_for = NULL, claimed_until = NULL "
                                   "WHERE name = 'retention'"))
    audited_before = await _last_audit_id(db_engine)
    settings = {"DOORSTEP_RETENTION_CHECK_SECONDS": "0.2", "DOORSTEP_RETENTION_AT": "00:00",
                # only this worker: the other tests' notifications and uploads are theirs to send and run
                "DOORSTEP_NOTIFY_INTERVAL_SECONDS": "0", "DOORSTEP_IMPORT_INTERVAL_SECONDS": "0"}
    servers = [await asyncio.to_thread(start_server, database_url, **settings) for _ in range(2)]
    try:
        async def done_for() -> dt.date | None:
            async with transaction(db_engine) as session:
                return (await session.execute(text(
                    "SELECT done_for FROM scheduled_job WHERE name = 'retention'"))).scalar_one()

        today = dt.datetime.now(LONDON).date()
        for _ in range(600):  # a minute at most: the run covers the whole test database
            if await done_for() == today:
                break
            await asyncio.sleep(0.1)
        assert await done_for() == today
        await asyncio.sleep(1.5)  # both keep looking, several times each
    finally:
        for server in servers:
            server.stop()
    async with transaction(db_engine) as session:
        runs = (await session.execute(text(
            "SELECT detail ->> 'trigger' FROM audit_log WHERE action = 'retention.remove' AND id > :before"),
            {"before": audited_before})).scalars().all()
    assert runs == ["nightly"]


async def test_a_run_on_demand_leaves_the_nightly_schedule_as_it_was(db_engine):
    """`doorstep retention run --now …` runs at once, under the lease, and does not count as a night: one
    run "as if it were" next year must not put the nightly runs off until then."""
    from server.domain.retention.service import run_retention

    name = await _job_of_its_own(db_engine)
    settings = get_settings()
    report = await run_retention(db_engine, settings, photo_store(settings), london(2020, 6, 1, 12, 0), force=True,
                                 job_name=name)
    assert report is not None
    async with transaction(db_engine) as session:
        row = (await session.execute(text("SELECT done_for, claimed_until, finished_at FROM scheduled_job "
                                          "WHERE name = :n"), {"n": name})).one()
    assert row.done_for is None and row.claimed_until is None and row.finished_at is not None
    # The night of that day is still due for the nightly worker.
    nightly = RetentionWorker(db_engine, settings, photo_store(settings), clock=FakeClock(london(2020, 6, 1, 12, 0)),
                              job_name=name)
    assert await nightly.run_once() is not None
