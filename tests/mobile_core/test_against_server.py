"""The tablet's store and sync engine against the real server (uvicorn + PostGIS, demo data).

Needs DATABASE_URL (`make test` sets it); the pure mobile-core tests do not.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import msgspec
import pytest

from mobile.store import HouseholdStatus, Store
from mobile.sync import HttpTransport, SyncEngine, sign_in
from shared_schemas.codes import Outcome
from shared_schemas.records import Fix, Followup, ResidentContact, Visit, decode_record
from shared_schemas.sync import PushRequest

from .builders import VALID_ANSWERS

PASSWORD = "doorstep-demo"


def signed_in_tablet(path, url: str, username: str) -> tuple[Store, HttpTransport, SyncEngine, int]:
    """A tablet as the app sets it up: sign in, download the demo operation's pack."""
    store = Store.open(path)
    transport = HttpTransport(url)
    result = sign_in(store, transport, username, PASSWORD)
    assert result.ok and not result.offline, result.error
    operations = transport.list_operations()
    engine = SyncEngine(store, transport)
    for operation in operations:
        fractions: list[float] = []
        assert engine.download_pack(operation.id, progress=fractions.append).ok
        assert fractions[-1] == 1.0 and fractions == sorted(fractions)
        if store.team_for_user(operation.id, username) is not None:
            return store, transport, engine, operation.id
    pytest.fail(f"{username} is on no pair in {operations}")


def test_a_tablet_syncs_with_the_real_server(live_server, tmp_path):
    store, transport, engine, op_id = signed_in_tablet(tmp_path / "officer.db", live_server, "officer")
    pack = store.current_pack(op_id)
    assert store.pack_etag(op_id) and len(pack.households) > 0
    assert engine.download_pack(op_id).ok  # If-None-Match: 304 or a fresh pack, never an error

    team = store.team_for_user(op_id, "officer")
    streets = store.streets_for_team(op_id, team.id)
    doors = store.households_on_street(op_id, streets[0].id)
    now = datetime.now(UTC)
    visit = Visit(id=uuid.uuid4(), operation_id=op_id, household_id=doors[0].id, team_id=team.id, visited_at=now,
                  outcome=Outcome.ANSWERED, questionnaire=pack.questionnaire.id, answers=dict(VALID_ANSWERS))
    fix = Fix(id=uuid.uuid4(), operation_id=op_id, team_id=team.id, category="smoke_alarm_fitted", done_at=now,
              visit_id=visit.id)
    followup = Followup(id=uuid.uuid4(), operation_id=op_id, team_id=team.id, category="home_fire_safety_visit",
                        description="Wants a home fire safety visit", resident_consent=True,
                        resident=ResidentContact(name="Test Resident", phone="07911 123999"), raised_at=now,
                        visit_id=visit.id)
    store.record_visit(visit, fixes=[fix], followups=[followup])
    stray = Visit(id=uuid.uuid4(), operation_id=op_id, household_id=2_000_000_000, team_id=team.id,
                  visited_at=now, outcome=Outcome.NO_ANSWER)
    store.record_visit(stray)

    outcome = engine.sync_once()
    assert outcome.stored == 3 and outcome.rejected == 1, outcome
    [rejected] = store.outbox_rejected()
    assert rejected.record_id == str(stray.id) and rejected.reason
    assert store.outbox_waiting() == []
    assert decode_record(store.record_body(followup.id)).resident is None
    assert store.household(op_id, doors[0].id).status is HouseholdStatus.DONE

    # The same records again (a lost answer): the server keeps one copy and says so.
    again = transport.push(PushRequest(device_id=store.device_id, records=[
        msgspec.Raw(msgspec.json.encode(r)) for r in (visit, fix)]))
    assert [r.status for r in again.results] == ["duplicate", "duplicate"]

    # The other pair's tablet sees the visit (outcome only) after a pull.
    other, _, other_engine, _ = signed_in_tablet(tmp_path / "pcso.db", live_server, "pcso")
    assert other_engine.sync_once().ok
    seen = other.household(op_id, doors[0].id)
    assert seen.other_team_visits >= 1 and seen.status is HouseholdStatus.DONE
    assert all(v.answers == {} for v in other.visits_for_household(op_id, doors[0].id))
    other.close()

    # An expired token: sign in again, nothing lost.
    transport.set_token("not-a-token")
    store.record_visit(Visit(id=uuid.uuid4(), operation_id=op_id, household_id=doors[1].id, team_id=team.id,
                             visited_at=now, outcome=Outcome.CARD_LEFT))
    expired = engine.sync_once()
    assert expired.needs_sign_in and len(store.outbox_waiting()) == 1
    assert sign_in(store, transport, "officer", PASSWORD).ok
    assert engine.sync_once().stored == 1

    # No server at all: the next sign-in works offline.
    store.sign_out()
    unreachable = HttpTransport("http://127.0.0.1:9", timeout=2)
    offline = sign_in(store, unreachable, "officer", PASSWORD)
    assert offline.ok and offline.offline
    assert not sign_in(store, transport, "officer", "wrong-password").ok
    store.close()


def test_the_two_tablets_of_a_pair_see_each_others_visits_and_corrections(live_server, tmp_path):
    """The officer's tablet and the councillor's (one pair): each sees the other's visits at a door,
    neither gets its own pushes back, and a correction made on one replaces the visit on both."""
    officer, _, officer_sync, op_id = signed_in_tablet(tmp_path / "officer.db", live_server, "officer")
    councillor, _, councillor_sync, _ = signed_in_tablet(tmp_path / "councillor.db", live_server, "councillor")
    team = officer.team_for_user(op_id, "officer")
    assert councillor.team_for_user(op_id, "councillor").id == team.id
    street = officer.streets_for_team(op_id, team.id)[-1]
    door = next(d for d in officer.households_on_street(op_id, street.id)
                if d.status is HouseholdStatus.NOT_KNOCKED)
    knock = Visit(id=uuid.uuid4(), operation_id=op_id, household_id=door.id, team_id=team.id,
                  visited_at=datetime.now(UTC), outcome=Outcome.NO_ANSWER)
    officer.record_visit(knock)
    assert officer_sync.sync_once().stored == 1
    assert officer_sync.sync_once().ok  # its own push never comes back as a pulled copy
    assert [(a.record_id, a.origin) for a in officer.attempts(op_id, door.id)] == [(str(knock.id), "local")]

    def synced(store, engine, want):
        deadline = time.monotonic() + 30
        while True:
            assert engine.sync_once().ok
            found = store.attempts(op_id, door.id)
            if want(found) or time.monotonic() > deadline:
                return found
            time.sleep(0.2)

    seen = synced(councillor, councillor_sync, lambda found: len(found) == 1)
    assert [(a.record_id, a.origin, a.team_id, a.outcome) for a in seen] == [
        (str(knock.id), "remote", team.id, "no_answer")]
    assert councillor.household(op_id, door.id).status is HouseholdStatus.TO_REVISIT

    # The councillor's tablet corrects it: the resident had refused, after all.
    fixed = Visit(id=uuid.uuid4(), operation_id=op_id, household_id=door.id, team_id=team.id,
                  visited_at=knock.visited_at, outcome=Outcome.REFUSED, supersedes=knock.id)
    councillor.record_visit(fixed)
    assert councillor_sync.sync_once().stored == 1
    mine = councillor.attempts(op_id, door.id)
    assert [(a.record_id, a.superseded_by) for a in mine] == [(str(fixed.id), None), (str(knock.id), str(fixed.id))]
    assert councillor.household(op_id, door.id).status is HouseholdStatus.DONE

    # The officer's tablet pulls the correction: its own visit is now the corrected one.
    found = synced(officer, officer_sync, lambda found: len(found) == 2)
    assert [(a.record_id, a.origin, a.supersedes, a.superseded_by) for a in found] == [
        (str(fixed.id), "remote", str(knock.id), None), (str(knock.id), "local", None, str(fixed.id))]
    row = officer.household(op_id, door.id)
    assert (row.status, row.visits, row.last_outcome) == (HouseholdStatus.DONE, 1, "refused")
    # Nothing echoed: each tablet holds each visit once.
    assert len(officer.attempts(op_id, door.id)) == len(councillor.attempts(op_id, door.id)) == 2
