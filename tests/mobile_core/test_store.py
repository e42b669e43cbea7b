"""The offline store against real SQLite files: packs, street views, records with outbox rows."""

from __future__ import annotations

import uuid
from contextlib import closing

import msgspec
import pytest
from sqlcipher3 import dbapi2 as sqlcipher

from mobile.store import (
    HouseholdStatus,
    OutboxState,
    RecordInvalidError,
    StorageFullError,
    Store,
    StoreError,
    UnknownRecordError,
)
from mobile.store.schema import MIGRATIONS
from shared_schemas.codes import Outcome
from shared_schemas.records import Followup, decode_record
from shared_schemas.sync import FollowupStatusChange, PullResponse, PushResult, TeamChange, VisitChange

from .builders import OPERATION_ID, T0, TEAM_A, TEAM_B, fix_for, followup_for, household_ids, make_pack, visit
from .raw import raw_connect, raw_rows

# ---- opening and migrations -----------------------------------------------------------

def test_a_new_store_is_wal_full_sync_and_fully_migrated(tmp_path):
    path = tmp_path / "new.db"
    with Store.open(path) as store:
        conn = store._conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        device_id = store.device_id
    with Store.open(path) as reopened:
        assert reopened.device_id == device_id
        uuid.UUID(device_id)


def test_a_closed_store_refuses_calls_with_a_message(tmp_path, pack):
    store = Store.open(tmp_path / "closed.db")
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closing"):
        store.record_visit(visit(household_ids(pack)[0]))
    with pytest.raises(StoreError):
        store.sync_state()


def test_a_store_from_a_newer_app_is_refused_not_damaged(tmp_path):
    path = tmp_path / "newer.db"
    Store.open(path).close()
    with closing(raw_connect(path)) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(RuntimeError, match="newer app"):
        Store.open(path)
    assert raw_rows(path, "SELECT count(*) FROM meta WHERE key = 'device_id'") == [(1,)]


def test_a_new_migration_runs_once_on_an_existing_store_and_keeps_its_data(tmp_path, monkeypatch, pack):
    path = tmp_path / "old.db"
    with Store.open(path) as store:
        store.save_pack(pack)
        store.record_visit(visit(household_ids(pack)[0]))
    monkeypatch.setattr("mobile.store.schema.MIGRATIONS", [*MIGRATIONS, "ALTER TABLE records ADD COLUMN photo BLOB;"])
    with Store.open(path) as store:
        assert store._conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) + 1
        assert len(store.outbox_waiting()) == 1
    with Store.open(path) as store:  # and not again
        assert "photo" in {r[1] for r in store._conn.execute("PRAGMA table_info(records)")}


def test_a_failing_migration_leaves_the_store_at_the_last_good_version(tmp_path, monkeypatch):
    path = tmp_path / "half.db"
    Store.open(path).close()
    broken = "CREATE TABLE photos (id TEXT PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);"
    monkeypatch.setattr("mobile.store.schema.MIGRATIONS", [*MIGRATIONS, broken])
    with pytest.raises(sqlcipher.OperationalError, match="no_such_table"):
        Store.open(path)
    assert raw_rows(path, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    assert raw_rows(path, "SELECT name FROM sqlite_master WHERE name = 'photos'") == []


# ---- packs --------------------------------------------------------------------------

def test_pack_round_trip_and_summary(store, pack):
    assert store.current_pack(OPERATION_ID) == pack
    assert store.pack_etag(OPERATION_ID) == '"v1"'
    [summary] = store.downloaded_operations()
    assert (summary.id, summary.name, summary.streets, summary.households) == (
        OPERATION_ID, pack.operation.name, len(pack.streets), len(pack.households))
    assert store.questionnaire(OPERATION_ID) == pack.questionnaire
    assert store.current_pack(999) is None


def test_replacing_a_pack_keeps_records_outbox_and_a_newer_cursor(store, pack):
    door = household_ids(pack)[0]
    store.record_visit(visit(door, Outcome.NO_ANSWER))
    store.apply_changes(OPERATION_ID, PullResponse(changes=[], cursor="42"))
    store.save_pack(make_pack(cursor="5"), etag='"v2"')
    assert store.pull_cursor(OPERATION_ID) == "42"
    assert len(store.outbox_waiting()) == 1
    assert store.household(OPERATION_ID, door).status is HouseholdStatus.TO_REVISIT
    assert store.pack_etag(OPERATION_ID) == '"v2"'


def test_forgetting_an_operation_keeps_what_was_recorded(store, pack):
    v = visit(household_ids(pack)[0], Outcome.ANSWERED)
    store.record_visit(v)
    store.forget_operation(OPERATION_ID)
    assert store.downloaded_operations() == []
    assert store.streets_for_team(OPERATION_ID, TEAM_A) == []
    assert [e.record_id for e in store.outbox_waiting()] == [str(v.id)]


def test_teams_and_the_users_pair(store):
    pair = store.team_for_user(OPERATION_ID, "councillor")
    assert pair.id == TEAM_A and {m.agency_code for m in pair.members} == {"police", "council"}
    assert store.team_for_user(OPERATION_ID, "nobody") is None


# ---- what the screens read ----------------------------------------------------------

def test_streets_for_team_count_knocked_and_closed(store, pack):
    doors = household_ids(pack, 0)
    store.record_visit(visit(doors[0], Outcome.NO_ANSWER))
    store.record_visit(visit(doors[0], Outcome.NO_ANSWER, minutes=30))  # same door twice: knocked once
    store.record_visit(visit(doors[1], Outcome.ANSWERED))
    store.record_visit(visit(doors[2], Outcome.DO_NOT_VISIT))
    streets = store.streets_for_team(OPERATION_ID, TEAM_A)
    assert [s.id for s in streets] == [s.id for s in pack.streets[:-1]]
    first = streets[0]
    assert (first.households, first.knocked, first.closed) == (len(doors), 3, 2)
    assert all((s.knocked, s.closed) == (0, 0) for s in streets[1:])
    assert [s.id for s in store.streets_for_team(OPERATION_ID, TEAM_B)] == [pack.streets[-1].id]


def test_households_on_a_street_in_door_and_side_order(store, pack):
    street = pack.streets[0].id
    by_door = store.households_on_street(OPERATION_ID, street, order="door")
    by_side = store.households_on_street(OPERATION_ID, street, order="side")
    assert [h.house_number for h in by_door] == ["1", "2", "3", "4", "5", "6"]
    assert [h.house_number for h in by_side] == ["1", "3", "5", "2", "4", "6"]
    with pytest.raises(ValueError):
        store.households_on_street(OPERATION_ID, street, order="alphabetical")


def test_household_status_from_our_visits_and_other_pairs(store, pack):
    doors = household_ids(pack, 0)
    store.record_visit(visit(doors[0], Outcome.NO_ANSWER))
    store.record_visit(visit(doors[0], Outcome.CARD_LEFT, minutes=60))
    store.record_visit(visit(doors[1], Outcome.NO_ANSWER))
    store.record_visit(visit(doors[1], Outcome.ANSWERED, minutes=90))
    store.record_visit(visit(doors[2], Outcome.DO_NOT_VISIT))
    other = uuid.uuid4()
    store.apply_changes(OPERATION_ID, PullResponse(cursor="1", changes=[
        VisitChange(id=other, household_id=doors[3], team_id=TEAM_B, outcome=Outcome.REFUSED, visited_at=T0)]))
    rows = {h.id: h for h in store.households_on_street(OPERATION_ID, pack.streets[0].id)}
    assert (rows[doors[0]].status, rows[doors[0]].no_answers, rows[doors[0]].last_outcome) == (
        HouseholdStatus.TO_REVISIT, 2, "card_left")
    assert (rows[doors[1]].status, rows[doors[1]].visits, rows[doors[1]].last_outcome) == (
        HouseholdStatus.DONE, 2, "answered")
    assert rows[doors[2]].status is HouseholdStatus.DO_NOT_VISIT
    assert (rows[doors[3]].status, rows[doors[3]].other_team_visits) == (HouseholdStatus.DONE, 1)
    assert rows[doors[4]].status is HouseholdStatus.NOT_KNOCKED and rows[doors[4]].visits == 0
    # One precedence with the server (shared_schemas.doors): a door that answered is done, even if
    # it was marked "do not visit" later.
    store.record_visit(visit(doors[1], Outcome.DO_NOT_VISIT, minutes=120))
    store.record_visit(visit(doors[0], Outcome.DO_NOT_VISIT, minutes=120))
    rows = {h.id: h for h in store.households_on_street(OPERATION_ID, pack.streets[0].id)}
    assert rows[doors[1]].status is HouseholdStatus.DONE
    assert rows[doors[0]].status is HouseholdStatus.DO_NOT_VISIT
    [pulled] = store.visits_for_household(OPERATION_ID, doors[3])
    assert pulled.id == other and pulled.answers == {}


# ---- writing records --------------------------------------------------------------------

def test_a_visit_its_fix_and_followup_and_their_outbox_rows_are_saved_together(store, pack):
    v = visit(household_ids(pack)[0], Outcome.ANSWERED)
    fix, followup = fix_for(v), followup_for(v)
    store.record_visit(v, fixes=[fix], followups=[followup])
    waiting = store.outbox_waiting()
    assert [(e.record_id, e.record_type) for e in waiting] == [
        (str(v.id), "visit"), (str(fix.id), "fix"), (str(followup.id), "followup")]
    assert decode_record(waiting[0].payload) == v
    assert [w.seq for w in waiting] == sorted(w.seq for w in waiting)
    assert store.sync_state().waiting == 3


def test_saving_the_same_record_twice_queues_it_once(store, pack):
    v = visit(household_ids(pack)[0])
    store.record_visit(v)
    store.record_visit(v)
    assert len(store.outbox_waiting()) == 1
    assert store.household(OPERATION_ID, v.household_id).visits == 1


def test_a_bad_followup_stops_the_whole_visit_from_saving(store, pack):
    v = visit(household_ids(pack)[0], Outcome.ANSWERED)
    no_consent = msgspec.structs.replace(followup_for(v), resident_consent=False)
    with pytest.raises(RecordInvalidError, match="consent"):
        store.record_visit(v, followups=[no_consent])
    assert store.outbox_waiting() == []
    assert store.household(OPERATION_ID, v.household_id).visits == 0


def test_answers_are_checked_against_the_packs_questionnaire(store, pack):
    bad = visit(household_ids(pack)[0], Outcome.ANSWERED, answers={"feel_safe_after_dark": 9})
    with pytest.raises(RecordInvalidError, match="feel_safe_after_dark"):
        store.record_visit(bad)
    assert store.outbox_waiting() == []


def test_street_level_fix_and_followup(store, pack):
    street = pack.streets[0].id
    followup = Followup(id=uuid.uuid4(), operation_id=OPERATION_ID, category="fly_tipping",
                        description="Mattress dumped by the garages", raised_at=T0, street_id=street)
    store.record_followup(followup)
    v = visit(household_ids(pack)[0])
    fix = msgspec.structs.replace(fix_for(v), visit_id=None, street_id=street, category="litter_picked")
    store.record_fix(fix)
    assert [e.record_type for e in store.outbox_waiting()] == ["followup", "fix"]


def test_a_full_disk_is_a_clear_error_and_loses_nothing(store, pack):
    doors = household_ids(pack)
    saved = visit(doors[0], Outcome.ANSWERED)
    store.record_visit(saved)
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own SQLITE_FULL, as on a full disk
    big = msgspec.structs.replace(visit(doors[1], Outcome.ANSWERED), notes="x" * 4000)
    for attempt in range(20):  # noqa: B007 - read after the loop: the saves made before the disk filled
        try:
            store.record_visit(msgspec.structs.replace(big, id=uuid.uuid4()))
        except StorageFullError as exc:
            assert "storage is full" in exc.message and "Free some space" in exc.message
            break
    else:
        pytest.fail("the store never reported a full disk")
    assert not store._conn.in_transaction
    assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ids = {e.record_id for e in store.outbox_waiting()}
    assert str(saved.id) in ids and len(ids) == attempt + 1
    store._conn.execute("PRAGMA max_page_count = 1073741823")
    store.record_visit(visit(doors[2]))
    assert len(store.outbox_waiting()) == attempt + 2


# ---- acknowledgements and rejections ----------------------------------------------------

def test_acknowledged_records_leave_the_outbox_and_lose_contact_details(store, pack):
    v = visit(household_ids(pack)[0], Outcome.ANSWERED)
    followup = followup_for(v)
    store.record_visit(v, followups=[followup])
    assert b"07911 123123" in store.record_body(followup.id)
    counts = store.mark_pushed([PushResult(id=str(followup.id).upper(), status="stored")])
    assert counts == (1, 0, 0)
    assert [e.record_id for e in store.outbox_waiting()] == [str(v.id)]  # not named: still waiting
    body = decode_record(store.record_body(followup.id))
    assert body.resident is None and body.description == followup.description
    store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    on_disk = store.path.read_bytes() + store.path.with_name(store.path.name + "-wal").read_bytes()
    assert b"07911 123123" not in on_disk and b"Ada Resident" not in on_disk


def test_a_rejected_record_is_set_aside_with_its_reason_and_can_be_corrected(store, pack):
    doors = household_ids(pack)
    first, second = visit(doors[0]), visit(doors[1])
    store.record_visit(first)
    store.record_visit(second)
    store.mark_pushed([
        PushResult(id=str(first.id), status="rejected", reason="household is closed", path="$.household_id"),
        PushResult(id=str(second.id), status="duplicate"),
        PushResult(id=str(uuid.uuid4()), status="stored"),  # not ours: ignored
    ])
    [rejected] = store.outbox_rejected()
    assert rejected.record_id == str(first.id) and rejected.state is OutboxState.REJECTED
    assert rejected.reason == "household is closed (field $.household_id)"
    assert store.outbox_waiting() == []
    assert store.sync_state().rejected == 1
    corrected = msgspec.structs.replace(first, household_id=doors[2])
    store.retry_rejected(first.id, corrected)
    [again] = store.outbox_waiting()
    assert decode_record(again.payload).household_id == doors[2]
    assert store.household(OPERATION_ID, doors[2]).visits == 1
    with pytest.raises(UnknownRecordError):
        store.retry_rejected(first.id)
    store.mark_pushed([PushResult(id=str(first.id), status="rejected", reason="again")])
    with pytest.raises(RecordInvalidError, match="keep the record's id"):
        store.retry_rejected(first.id, msgspec.structs.replace(first, id=uuid.uuid4()))


# ---- pulled changes ---------------------------------------------------------------------

def test_pulled_changes_apply_once_and_move_the_cursor(store, pack):
    followup_id = uuid.uuid4()
    street = pack.streets[0].id
    page = PullResponse(cursor="9", changes=[
        VisitChange(id=uuid.uuid4(), household_id=household_ids(pack)[0], team_id=TEAM_B,
                    outcome=Outcome.NO_ANSWER, visited_at=T0),
        FollowupStatusChange(followup_id=followup_id, status="in_progress", version=3, changed_at=T0),
        TeamChange(team_id=TEAM_B, name="Pair B", street_ids=[street]),
    ])
    assert store.apply_changes(OPERATION_ID, page) == 3
    assert store.apply_changes(OPERATION_ID, page) == 1  # only the team change rewrites (same content)
    assert store.pull_cursor(OPERATION_ID) == "9"
    assert store.household(OPERATION_ID, household_ids(pack)[0]).visits == 1
    assert store.followup_status(followup_id) == "in_progress"
    older = FollowupStatusChange(followup_id=followup_id, status="open", version=1, changed_at=T0)
    store.apply_changes(OPERATION_ID, PullResponse(cursor="10", changes=[older]))
    assert store.followup_status(followup_id) == "in_progress"
    assert [s.id for s in store.streets_for_team(OPERATION_ID, TEAM_B)] == [street]
    store.apply_changes(OPERATION_ID, PullResponse(cursor="11", changes=[TeamChange(team_id=TEAM_B, removed=True)]))
    assert store.streets_for_team(OPERATION_ID, TEAM_B) == []


def test_our_own_visit_pulled_back_keeps_its_answers(store, pack):
    v = visit(household_ids(pack)[0], Outcome.ANSWERED)
    store.record_visit(v)
    store.apply_changes(OPERATION_ID, PullResponse(cursor="1", changes=[
        VisitChange(id=v.id, household_id=v.household_id, team_id=v.team_id, outcome=v.outcome,
                    visited_at=v.visited_at)]))
    [kept] = store.visits_for_household(OPERATION_ID, v.household_id)
    assert kept.answers == v.answers


def test_retrying_a_rejected_visit_retries_its_fix_and_followup_after_it(store, pack):
    v = visit(household_ids(pack)[0], Outcome.ANSWERED)
    fix, followup = fix_for(v), followup_for(v)
    other = visit(household_ids(pack)[1])
    store.record_visit(v, fixes=[fix], followups=[followup])
    store.record_visit(other)
    store.mark_pushed([
        PushResult(id=str(v.id), status="rejected", reason="answers do not fit"),
        PushResult(id=str(fix.id), status="rejected", reason="the visit it belongs to was rejected"),
        PushResult(id=str(followup.id), status="rejected", reason="the visit it belongs to was rejected"),
    ])
    assert len(store.outbox_rejected()) == 3
    store.retry_rejected(v.id)
    assert store.outbox_rejected() == []
    assert [e.record_id for e in store.outbox_waiting()] == [str(other.id), str(v.id), str(fix.id), str(followup.id)]


# ---- corrections of sent visits ----------------------------------------------------------

def _correction(earlier, outcome: Outcome, **changes):
    answers = changes.pop("answers", None)
    return msgspec.structs.replace(earlier, id=uuid.uuid4(), outcome=outcome, supersedes=earlier.id,
                                   answers=answers or {}, questionnaire=earlier.questionnaire if answers else None,
                                   **changes)


def _ack(store, *records):
    store.mark_pushed([PushResult(id=str(r.id), status="stored") for r in records])


def test_a_correction_counts_instead_of_the_visit_it_replaces(store, pack):
    door = household_ids(pack)[0]
    first = visit(door, Outcome.ANSWERED)
    store.record_visit(first)
    _ack(store, first)
    fixed = _correction(first, Outcome.NO_ANSWER)
    store.record_visit(fixed)
    row = store.household(OPERATION_ID, door)
    assert (row.status, row.visits, row.last_outcome) == (HouseholdStatus.TO_REVISIT, 1, "no_answer")
    [street] = [s for s in store.streets_for_team(OPERATION_ID, TEAM_A) if s.id == pack.streets[0].id]
    assert (street.knocked, street.closed) == (1, 0)
    attempts = store.attempts(OPERATION_ID, door)
    assert [(a.record_id, a.state, a.supersedes, a.superseded_by) for a in attempts] == [
        (str(fixed.id), "waiting", str(first.id), None), (str(first.id), "sent", None, str(fixed.id))]
    assert decode_record(store.outbox_waiting()[0].payload).supersedes == first.id


def test_a_refused_correction_gives_the_door_back_its_visit(store, pack):
    door = household_ids(pack)[1]
    first = visit(door, Outcome.REFUSED)
    store.record_visit(first)
    _ack(store, first)
    fixed = _correction(first, Outcome.NO_ANSWER)
    store.record_visit(fixed)
    store.mark_pushed([PushResult(id=str(fixed.id), status="rejected", reason="visit … was corrected already")])
    row = store.household(OPERATION_ID, door)
    assert (row.status, row.last_outcome) == (HouseholdStatus.DONE, "refused")  # the first one counts again
    assert [(a.state, a.superseded_by) for a in store.attempts(OPERATION_ID, door)] == [
        ("refused", None), ("sent", None)]


def test_a_pulled_correction_replaces_the_visit_here_too(store, pack):
    door = household_ids(pack)[2]
    mine = visit(door, Outcome.NO_ANSWER)
    store.record_visit(mine)
    _ack(store, mine)
    theirs = uuid.uuid4()  # the partner's tablet corrected it
    page = PullResponse(cursor="5", changes=[VisitChange(id=theirs, household_id=door, team_id=TEAM_A,
                                                         outcome=Outcome.CARD_LEFT, visited_at=mine.visited_at,
                                                         supersedes=mine.id)])
    store.apply_changes(OPERATION_ID, page)
    store.apply_changes(OPERATION_ID, page)  # twice: still once
    attempts = store.attempts(OPERATION_ID, door)
    assert [(a.record_id, a.origin, a.superseded_by) for a in attempts] == [
        (str(theirs), "remote", None), (str(mine.id), "local", str(theirs))]
    row = store.household(OPERATION_ID, door)
    assert (row.visits, row.last_outcome) == (1, "card_left")


def test_correcting_a_visit_still_held_for_undo_lets_it_go_first(store, pack):
    from datetime import timedelta

    door = household_ids(pack)[3]
    first = visit(door, Outcome.NO_ANSWER)
    store.record_visit(first, hold=timedelta(minutes=5))
    assert store.outbox_waiting() == []  # held for Undo
    assert [a.state for a in store.attempts(OPERATION_ID, door)] == ["held"]
    store.record_visit(_correction(first, Outcome.CARD_LEFT))
    assert [e.record_id for e in store.outbox_waiting()][0] == str(first.id)  # the visit before its correction


def test_store_migration_5_pulls_again_from_the_start(tmp_path, pack):
    path = tmp_path / "old.db"
    with Store.open(path) as store:
        store.save_pack(pack)
        store.apply_changes(OPERATION_ID, PullResponse(cursor="42", changes=[]))
        store._conn.execute("PRAGMA user_version = 4")  # as a store before corrections left it
        store._conn.execute("DROP INDEX records_supersedes")
        store._conn.execute("ALTER TABLE records DROP COLUMN supersedes")
        store._conn.execute("ALTER TABLE households DROP COLUMN source")  # migration 6's
        store._conn.execute("DROP TABLE photo_uploads")  # migration 7's
        store._conn.execute("DROP TABLE settings")  # migration 8's
    with Store.open(path) as store:
        assert store.pull_cursor(OPERATION_ID) is None  # the partner's visits, left out before, come now
        assert raw_rows(path, "PRAGMA user_version")[0][0] == len(MIGRATIONS)


def test_store_migration_6_keeps_doors_and_learns_their_source_at_the_next_pack(tmp_path, pack):
    path = tmp_path / "old.db"
    with Store.open(path) as store:
        store.save_pack(pack)
        store._conn.execute("PRAGMA user_version = 5")  # as a store before migration 6 left it
        store._conn.execute("ALTER TABLE households DROP COLUMN source")
        store._conn.execute("DROP TABLE photo_uploads")  # migration 7's
        store._conn.execute("DROP TABLE settings")  # migration 8's
    with Store.open(path) as store:
        before = raw_rows(path, "SELECT count(*), count(source) FROM households")[0]
        assert before[0] == len(pack.households) and before[1] == 0  # kept, source not said yet
        sourced = msgspec.structs.replace(pack, households=[
            msgspec.structs.replace(h, source="generated" if i % 2 else "address_list")
            for i, h in enumerate(pack.households)])
        store.save_pack(sourced)
        assert raw_rows(path, "SELECT count(*), count(source) FROM households")[0] == (len(pack.households),) * 2
        street_id = pack.households[1].street_id
        rows = store.households_on_street(OPERATION_ID, street_id, order="door")
        assert {h.id: h.generated for h in rows} == {
            h.id: i % 2 == 1 for i, h in enumerate(pack.households) if h.street_id == street_id}


def test_store_migration_7_keeps_records_and_queues_photos_from_then_on(tmp_path, pack):
    path = tmp_path / "old.db"
    with Store.open(path) as store:
        store.save_pack(pack)
        door = pack.households[0].id
        store.record_visit(visit(door, Outcome.NO_ANSWER))
        store._conn.execute("PRAGMA user_version = 6")  # as a store before photos left it
        store._conn.execute("DROP TABLE photo_uploads")
        store._conn.execute("DROP TABLE settings")  # migration 8's
    with Store.open(path) as store:
        assert raw_rows(path, "PRAGMA user_version")[0][0] == len(MIGRATIONS)
        assert len(store.outbox_waiting()) == 1 and store.sync_state().photos_waiting == 0


def test_store_migration_8_keeps_everything_and_remembers_settings_across_opening(tmp_path, pack):
    path = tmp_path / "old.db"
    with Store.open(path) as store:
        store.save_pack(pack)
        store._conn.execute("PRAGMA user_version = 7")  # as a store before the settings table left it
        store._conn.execute("DROP TABLE settings")
    with Store.open(path) as store:
        assert raw_rows(path, "SELECT count(*) FROM households")[0][0] == len(pack.households)
        assert store.setting("interface_language") is None
        store.set_setting("interface_language", "cy")
        store.set_setting("interface_language", "en")
        store.set_setting("interface_language", "cy")
    with Store.open(path) as store:  # the app started again
        assert store.setting("interface_language") == "cy"
        assert raw_rows(path, "PRAGMA user_version")[0][0] == len(MIGRATIONS) == 8
