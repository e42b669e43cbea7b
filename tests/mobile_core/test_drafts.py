"""Visits in progress (drafts) and a visit's Undo window, in the real SQLite store."""

from __future__ import annotations

from datetime import timedelta

from mobile.store import Store
from shared_schemas.codes import Outcome

from .builders import OPERATION_ID, fix_for, household_ids, make_pack, visit


def _store(tmp_path):
    store = Store.open(tmp_path / "store.sqlite3")
    store.save_pack(make_pack())
    return store


def test_a_draft_survives_closing_the_store_and_saving_the_visit_removes_it(tmp_path):
    store = _store(tmp_path)
    door = household_ids(make_pack())[0]
    store.save_draft(OPERATION_ID, door, b'{"outcome": "answered"}', "officer")
    store.save_draft(OPERATION_ID, door, b'{"outcome": "answered", "answers": {"asb_seen": true}}', "officer")
    store.close()  # the app killed: the next start opens the same file

    store = Store.open(tmp_path / "store.sqlite3")
    draft = store.draft(OPERATION_ID, door)
    assert draft.body == b'{"outcome": "answered", "answers": {"asb_seen": true}}' and draft.username == "officer"
    assert store.sync_state().drafts == 1 and [d.household_id for d in store.drafts(OPERATION_ID)] == [door]

    store.record_visit(visit(door, Outcome.ANSWERED))  # the draft became this visit: one transaction
    assert store.draft(OPERATION_ID, door) is None and store.sync_state().drafts == 0
    store.close()


def test_discarding_a_draft(tmp_path):
    store = _store(tmp_path)
    door = household_ids(make_pack())[1]
    store.save_draft(OPERATION_ID, door, b"{}")
    store.discard_draft(OPERATION_ID, door)
    assert store.draft(OPERATION_ID, door) is None
    store.close()


def test_a_held_visit_is_not_sent_and_can_be_undone_until_its_hold_ends(tmp_path):
    store = _store(tmp_path)
    doors = household_ids(make_pack())
    held = visit(doors[0])
    fix = fix_for(held)
    store.record_visit(held, [fix], hold=timedelta(seconds=30))
    assert store.outbox_waiting() == []                       # the engine never sees it while held
    assert len(store.outbox_waiting(include_held=True)) == 2  # the sync page does
    assert store.undo_visit(held.id)
    assert store.outbox_waiting(include_held=True) == [] and store.visits_for_household(OPERATION_ID, doors[0]) == []

    gone = visit(doors[1])
    store.record_visit(gone, hold=timedelta(seconds=-1))      # its hold is over: it may be on its way
    assert [e.record_id for e in store.outbox_waiting()] == [str(gone.id)]
    assert not store.undo_visit(gone.id)
    assert len(store.visits_for_household(OPERATION_ID, doors[1])) == 1
    store.close()
