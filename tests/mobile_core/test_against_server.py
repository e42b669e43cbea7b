"""The tablet's store and sync engine against the real server (uvicorn + PostGIS, demo data).

Needs DATABASE_URL (`make test` sets it); the pure mobile-core tests do not.
"""

from __future__ import annotations

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
