"""Push internals: the one decode gives the records decoding one by one gives; the GC pause nests."""

from __future__ import annotations

import uuid

import msgspec
import pytest

from server.domain.sync.ingest import read_push
from shared_schemas.records import decode_record
from shared_schemas.sync import PushRequestError, decode_push_request


def _visit(**changes):
    visit = {"type": "visit", "id": str(uuid.uuid4()), "operation_id": 1, "household_id": 2, "team_id": 3,
             "visited_at": "2026-05-14T18:03:00+01:00", "outcome": "answered", "questionnaire": "q",
             "answers": {"b": [1, "x"], "a": True}, "location": {"lon": -1.5, "lat": 53.8}, "unknown": {"x": 1}}
    visit.update(changes)
    return visit


def _fix():
    return {"type": "fix", "id": str(uuid.uuid4()), "operation_id": 1, "category": "fly_tipping_removed",
            "done_at": "2026-05-14T18:03:00Z", "street_id": 4}


def test_well_formed_records_decode_in_one_go_as_one_by_one():
    body = msgspec.json.encode({"device_id": "t", "records": [_visit(), _fix(), _visit(notes="gate"), _visit()]})
    push = read_push(body)
    one_by_one = [decode_record(raw) for raw in decode_push_request(body).records]
    assert push.device_id == "t" and list(push.records) == one_by_one
    assert not any(isinstance(record, msgspec.Raw) for record in push.records)


@pytest.mark.parametrize("body", [
    msgspec.json.encode({"device_id": "t", "records": [_visit(), _visit(outcome="x")]}),
    msgspec.json.encode({"device_id": "t", "records": [_visit(notes="a\x00b")]}),
    b'{"device_id": "t", "records": [{"type": "visit"}]}',
])
def test_one_bad_record_or_a_nul_sends_the_push_record_by_record(body):
    push = read_push(body)
    assert push.device_id == "t" and push.records and all(isinstance(r, msgspec.Raw) for r in push.records)


@pytest.mark.parametrize(("body", "path"), [
    (b'{"device_id": "t", "records": [', "$"),
    (b'{"records": []}', "$"),
    (msgspec.json.encode({"device_id": "t\x00", "records": []}), "$.device_id"),
    (msgspec.json.encode({"device_id": "t", "records": [{}] * 1001}), "$.records"),
])
def test_a_body_that_is_not_a_push_says_what_is_wrong(body, path):
    with pytest.raises(PushRequestError) as caught:
        read_push(body)
    assert caught.value.path == path


def test_the_cycle_collector_is_off_during_pushes_and_back_on_after_the_last():
    import gc

    from server.domain.sync import ingest

    assert gc.isenabled()
    with ingest.cyclic_gc_paused():
        assert not gc.isenabled()
        with ingest.cyclic_gc_paused():  # an overlapping push
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    try:
        with ingest.cyclic_gc_paused():
            raise RuntimeError("a failing push")
    except RuntimeError:
        pass
    assert gc.isenabled()


def test_the_cycle_collector_stays_off_when_it_was_off(monkeypatch):
    import gc

    from server.domain.sync import ingest

    gc.disable()
    try:
        with ingest.cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pushes_still_collect_now_and_then(monkeypatch):
    import gc

    from server.domain.sync import ingest

    collected = []
    monkeypatch.setattr(ingest, "GC_PAUSE_MAX_SECONDS", 0.0)
    monkeypatch.setattr(ingest.gc, "collect", lambda *a: collected.append(a) or 0)
    with ingest.cyclic_gc_paused():
        with ingest.cyclic_gc_paused():
            pass
        assert collected  # the inner push ended while the outer still ran: a full collection
    assert gc.isenabled()
