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


def test_fields_added_later_leave_the_hash_of_an_older_tablets_record_as_it_was():
    """A record stored before `communication`, `card_code` and the resident's `contact_method` and
    `language` existed, sent again by its tablet, is a duplicate: its hash is the one it was stored with
    (pinned here as the server before issue 16 computed it)."""
    import datetime as dt
    import uuid

    from server.domain.sync.ingest import content_hash
    from shared_schemas.records import Followup, Location, ResidentContact, Visit

    visit = Visit(id=uuid.UUID("00000000-0000-4000-8000-000000000016"), operation_id=1, household_id=2, team_id=3,
                  visited_at=dt.datetime(2026, 5, 14, 18, 3, tzinfo=dt.timezone(dt.timedelta(hours=1))),
                  outcome="answered", questionnaire="streetsafe-community-v2", answers={"b": 1, "a": True},
                  location=Location(lon=-1.5, lat=53.8), notes="Bins")
    followup = Followup(id=uuid.UUID("00000000-0000-4000-8000-000000000017"), operation_id=1, team_id=3,
                        category="graffiti", description="Wall", resident_consent=True,
                        resident=ResidentContact(name="A", phone="+447911123456"),
                        raised_at=dt.datetime(2026, 5, 14, 18, 3, tzinfo=dt.UTC), visit_id=visit.id)
    assert content_hash(visit) == "23b0cf3c0c8f8a745fc0f393b12301866b06a522c3f8a6474f8c226fc214fa8b"
    assert content_hash(followup) == "7761d9927df2e3019894938af5ea583d34dcb1b8ff758c57180abce2980640ff"
    # the new fields, once used, are part of it
    from shared_schemas.communication import CommunicationNeeds

    with_needs = Visit(**{**{f: getattr(visit, f) for f in visit.__struct_fields__},
                          "communication": CommunicationNeeds(language="pl")})
    assert content_hash(with_needs) != content_hash(visit)
