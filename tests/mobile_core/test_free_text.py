"""Residents' free text leaves the tablet a day after the server has it: real SQLite files."""

from __future__ import annotations

import logging
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from mobile.store import Store
from mobile.store.records import ERASED_DESCRIPTION
from mobile.sync import SyncEngine
from shared_schemas.codes import Outcome
from shared_schemas.questionnaire import concerns
from shared_schemas.records import check_record, decode_record
from shared_schemas.sync import PushResult

from .builders import (
    OPERATION_ID,
    QUESTIONNAIRE,
    T0,
    VALID_ANSWERS,
    fix_for,
    followup_for,
    household_ids,
    visit,
)
from .fakes import FaultyNetwork
from .raw import decrypted_pages

DAY = timedelta(hours=24)
#: Not text: a scale counting toward a concern, a multiple choice, yes/no, a single choice.
KEPT_ANSWERS = {**VALID_ANSWERS, "feel_safe_after_dark": 2, "unsafe_reasons": ["poor_lighting", "other"]}


def doorstep_visit(pack, door: int = 0, *, minutes: int = 0, secret: str = "lives alone"):
    """An answered visit with a note and a text answer, its fix and follow-up, all holding `secret`."""
    v = visit(household_ids(pack)[door], Outcome.ANSWERED, minutes=minutes,
              answers={**KEPT_ANSWERS, "other_comments": f"Comment: {secret}"})
    v = msgspec.structs.replace(v, notes=f"Note: {secret}")
    fix = msgspec.structs.replace(fix_for(v), notes=f"Fix note: {secret}")
    followup = msgspec.structs.replace(followup_for(v), description=f"Fire safety visit: {secret}")
    return v, fix, followup


def acknowledge(store, *records, status="stored"):
    store.mark_pushed([PushResult(id=str(r.id), status=status) for r in records])


def body(store, record):
    return decode_record(store.record_body(record.id))


def on_disk(store) -> bytes:
    """The store's file and WAL as someone holding its key reads them: every page decrypted, free
    pages and old WAL frames included (the files themselves are encrypted: tests/mobile_core/raw.py)."""
    store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return decrypted_pages(store.path)


def test_acknowledged_records_older_than_a_day_lose_exactly_their_free_text(store, pack):
    v, fix, followup = doorstep_visit(pack)
    store.record_visit(v, fixes=[fix], followups=[followup])
    acknowledge(store, v, fix)
    acknowledge(store, followup, status="duplicate")  # the server had it already: acknowledged too
    before = store.household(OPERATION_ID, v.household_id)

    assert store.erase_acknowledged_text(now=T0 + DAY + timedelta(seconds=1)) == 3

    # Everything but the free text stays: outcome, times, ids, questionnaire, non-text answers.
    assert body(store, v) == msgspec.structs.replace(v, notes="", answers=KEPT_ANSWERS)
    assert body(store, fix) == msgspec.structs.replace(fix, notes="")
    erased = body(store, followup)
    assert erased == msgspec.structs.replace(followup, description=ERASED_DESCRIPTION, resident=None)
    assert check_record(erased) == []  # still a valid follow-up (a description is required)
    assert concerns(QUESTIONNAIRE, body(store, v).answers) == concerns(QUESTIONNAIRE, v.answers) != set()
    # What the screens read still works on erased records.
    assert store.household(OPERATION_ID, v.household_id) == before
    [shown] = store.visits_for_household(OPERATION_ID, v.household_id)
    assert shown.outcome is Outcome.ANSWERED and shown.notes == "" and "other_comments" not in shown.answers


def test_records_younger_than_a_day_keep_their_free_text(store, pack):
    v, fix, followup = doorstep_visit(pack)
    store.record_visit(v, fixes=[fix], followups=[followup])
    acknowledge(store, v, fix, followup)
    kept = {r.id: store.record_body(r.id) for r in (v, fix, followup)}
    assert store.erase_acknowledged_text(now=T0 + DAY - timedelta(seconds=1)) == 0
    assert store.erase_acknowledged_text(now=T0 + DAY) == 0  # exactly a day: not older yet
    assert {r.id: store.record_body(r.id) for r in (v, fix, followup)} == kept
    # `keep` is the age limit.
    assert store.erase_acknowledged_text(now=T0 + timedelta(hours=2), keep=timedelta(hours=1)) == 3
    assert body(store, v).notes == ""


def test_waiting_and_rejected_records_keep_everything_whatever_their_age(store, pack):
    waiting = doorstep_visit(pack, 0)
    rejected = doorstep_visit(pack, 1)
    for v, fix, followup in (waiting, rejected):
        store.record_visit(v, fixes=[fix], followups=[followup])
    store.mark_pushed([PushResult(id=str(r.id), status="rejected", reason="no") for r in rejected])
    records = [*waiting, *rejected]
    kept = {r.id: store.record_body(r.id) for r in records}
    payloads = [e.payload for e in store.outbox_waiting() + store.outbox_rejected()]

    assert store.erase_acknowledged_text(now=T0 + timedelta(days=3650)) == 0
    assert {r.id: store.record_body(r.id) for r in records} == kept
    assert [e.payload for e in store.outbox_waiting() + store.outbox_rejected()] == payloads
    for record in waiting:
        assert decode_record(store.record_body(record.id)) == record

    # Once corrected and acknowledged, a set-aside record is erased like any other.
    store.retry_rejected(rejected[0].id)
    acknowledge(store, *rejected)
    assert store.erase_acknowledged_text(now=T0 + 2 * DAY) == 3
    assert body(store, rejected[0]).notes == "" and body(store, waiting[0]).notes == waiting[0].notes


def test_erased_text_is_gone_from_the_files_on_disk(store, pack):
    secret = f"planted-{uuid.uuid4().hex}"
    v, fix, followup = doorstep_visit(pack, secret=secret)
    store.record_visit(v, fixes=[fix], followups=[followup])
    acknowledge(store, v, fix, followup)
    assert on_disk(store).count(secret.encode()) >= 4  # the test can see it while it is there
    assert store.erase_acknowledged_text(now=T0 + 2 * DAY) == 3
    raw = decrypted_pages(store.path)  # the store checkpointed by itself
    assert secret.encode() not in raw
    assert secret.encode() not in on_disk(store)


def test_erasing_twice_changes_nothing_more(store, pack):
    v, fix, followup = doorstep_visit(pack)
    plain = visit(household_ids(pack)[2], Outcome.NO_ANSWER)  # nothing to erase: only marked
    store.record_visit(v, fixes=[fix], followups=[followup])
    store.record_visit(plain)
    acknowledge(store, v, fix, followup, plain)
    assert store.erase_acknowledged_text(now=T0 + 2 * DAY) == 3
    after = {r.id: store.record_body(r.id) for r in (v, fix, followup, plain)}
    changes = store._conn.total_changes
    assert store.erase_acknowledged_text(now=T0 + 2 * DAY) == 0
    assert store.erase_acknowledged_text(now=T0 + 200 * DAY) == 0
    assert store._conn.total_changes == changes  # not a single row written again
    assert {r.id: store.record_body(r.id) for r in (v, fix, followup, plain)} == after
    assert decode_record(after[plain.id]) == plain


def test_a_visit_whose_questionnaire_left_the_tablet_loses_its_text_answers_when_it_is_back(store, pack):
    v, _, _ = doorstep_visit(pack)
    store.record_visit(v)
    acknowledge(store, v)
    store.forget_operation(OPERATION_ID)
    assert store.erase_acknowledged_text(now=T0 + 2 * DAY) == 1
    assert body(store, v) == msgspec.structs.replace(v, notes="")  # which answers are text is unknown
    store.save_pack(pack)
    assert store.erase_acknowledged_text(now=T0 + 2 * DAY) == 1
    assert body(store, v) == msgspec.structs.replace(v, notes="", answers=KEPT_ANSWERS)


def test_opening_the_store_erases_and_a_failure_there_still_opens_it(tmp_path, pack, monkeypatch, caplog):
    path = tmp_path / "tablet.db"
    with Store.open(path) as store:
        store.save_pack(pack)
        old, _, _ = doorstep_visit(pack, 0)
        recent = msgspec.structs.replace(doorstep_visit(pack, 1)[0], visited_at=datetime.now(UTC))
        store.record_visit(old)
        store.record_visit(recent)
        acknowledge(store, old, recent)
        monkeypatch.setattr("mobile.store.records.erase_acknowledged_text",
                            lambda *a: (_ for _ in ()).throw(sqlite3.OperationalError("disk I/O error")))
    with caplog.at_level(logging.ERROR), Store.open(path) as store:
        assert body(store, old).notes == old.notes
        assert "could not erase" in caplog.text and old.notes not in caplog.text
    monkeypatch.undo()
    with Store.open(path) as store:  # real time: T0 is long past, `recent` is not
        assert body(store, old).notes == "" and body(store, recent).notes == recent.notes


def test_a_push_erases_old_acknowledged_text_and_a_failure_never_stops_the_sync(store, pack, server, monkeypatch):
    old, fix, followup = doorstep_visit(pack, 0)
    recent = msgspec.structs.replace(doorstep_visit(pack, 1)[0], visited_at=datetime.now(UTC))
    store.record_visit(old, fixes=[fix], followups=[followup])
    store.record_visit(recent)
    outcome = SyncEngine(store, FaultyNetwork(server), batch_size=2).sync_once()
    assert outcome.ok and outcome.stored == 4 and store.outbox_waiting() == []
    assert body(store, old).notes == "" and body(store, followup).description == ERASED_DESCRIPTION
    assert body(store, recent) == recent
    assert decode_record(server.records[str(old.id)]).notes == old.notes  # the server keeps everything

    later = visit(household_ids(pack)[2], Outcome.ANSWERED)
    store.record_visit(msgspec.structs.replace(later, notes="old news"))
    monkeypatch.setattr(store, "erase_acknowledged_text", lambda *a, **k: 1 / 0)
    outcome = SyncEngine(store, FaultyNetwork(server)).sync_once()
    assert outcome.ok and outcome.stored == 1 and store.outbox_waiting() == []
    assert body(store, later).notes == "old news"


@pytest.mark.parametrize("status", ["stored", "duplicate"])
def test_contact_details_and_free_text_both_go(store, pack, status):
    v, _, followup = doorstep_visit(pack)
    store.record_visit(v, followups=[followup])
    acknowledge(store, v, followup, status=status)
    store.erase_acknowledged_text(now=T0 + 2 * DAY)
    assert b"Ada Resident" not in on_disk(store) and b"lives alone" not in on_disk(store)


def test_finding_what_is_due_reads_only_the_small_partial_index(store):
    plan = " ".join(row[3] for row in store._conn.execute(
        """
        EXPLAIN QUERY PLAN SELECT id FROM records
        WHERE origin = 'local' AND acknowledged_at IS NOT NULL AND text_erased_at IS NULL AND happened_at < ?
        """, ("2026",)))
    assert "USING INDEX records_text_to_erase" in plan
