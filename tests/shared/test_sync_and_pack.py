"""Sync messages and the offline pack: shapes, tags, limits, unknown fields."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
import pytest

from shared_schemas import (
    MAX_PUSH_RECORDS,
    FixCategory,
    FollowupCategory,
    FollowupStatusChange,
    Outcome,
    Pack,
    PackHousehold,
    PackMember,
    PackOperation,
    PackStreet,
    PackTeam,
    PullResponse,
    PushRequest,
    PushRequestError,
    PushResponse,
    PushResult,
    RecordError,
    TeamChange,
    VisitChange,
    decode_push_request,
    decode_record,
    default_categories,
    raw_record_id,
)

NOW = datetime(2026, 5, 14, 18, 3, tzinfo=UTC)


def test_push_keeps_records_raw_so_each_is_decoded_on_its_own():
    good = {
        "type": "fix", "id": str(uuid.uuid4()), "operation_id": 1, "category": "litter_picked",
        "done_at": "2026-05-14T18:03:00Z", "street_id": 4,
    }
    bad = {"type": "fix", "id": "not-a-uuid"}
    body = msgspec.json.encode({"device_id": "tablet-1", "records": [good, bad], "app_version": "9.9"})
    request = msgspec.json.decode(body, type=PushRequest)
    assert request.device_id == "tablet-1"
    assert all(isinstance(raw, msgspec.Raw) for raw in request.records)
    assert decode_record(request.records[0]).category is FixCategory.LITTER_PICKED
    with pytest.raises(RecordError):
        decode_record(request.records[1])


def test_a_rejected_record_can_still_be_named_by_its_id():
    body = b'{"device_id": "t", "records": [{"id": "abc", "type": "nope"}, {"id": 7}, {"type": "fix"}, [1], 5]}'
    records = decode_push_request(body).records
    assert [raw_record_id(raw) for raw in records] == ["abc", "7", "", "", ""]
    assert raw_record_id({"id": "d"}) == "d"


def test_push_is_limited_to_max_push_records():
    body = msgspec.json.encode({"device_id": "t", "records": [{}] * (MAX_PUSH_RECORDS + 1)})
    with pytest.raises(PushRequestError) as caught:
        decode_push_request(body)
    assert caught.value.path == "$.records"
    assert f"at most {MAX_PUSH_RECORDS} records" in caught.value.message
    body = msgspec.json.encode({"device_id": "t", "records": [{}] * MAX_PUSH_RECORDS})
    assert len(decode_push_request(body).records) == MAX_PUSH_RECORDS


def test_a_push_body_must_be_read_from_bytes_because_raw_records_need_json():
    body = {"device_id": "t", "records": [{"type": "fix"}, 5, "junk"]}
    request = decode_push_request(msgspec.json.encode(body))
    assert [bytes(raw) for raw in request.records] == [b'{"type":"fix"}', b"5", b'"junk"']
    with pytest.raises(msgspec.ValidationError, match="Expected `raw`"):
        msgspec.convert(body, PushRequest)


@pytest.mark.parametrize(
    ("body", "path", "words"),
    [
        (b'{"records": []}', "$", "device_id"),
        (b'{"device_id": "", "records": []}', "$.device_id", "length >= 1"),
        (b'{"device_id": "t", "records": {}}', "$.records", "array"),
        (b'{"device_id": "t", "records": [', "$", "not valid JSON"),
    ],
)
def test_an_unreadable_push_says_why(body, path, words):
    with pytest.raises(PushRequestError) as caught:
        decode_push_request(body)
    assert caught.value.path == path and words in caught.value.message


def test_push_response_shape():
    response = PushResponse(results=[
        PushResult(id="a", status="stored"),
        PushResult(id="b", status="rejected", reason="time zone missing", path="$.visited_at"),
    ])
    wire = msgspec.json.decode(msgspec.json.encode(response))
    assert wire["results"][0] == {"id": "a", "status": "stored", "reason": None, "path": None}
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"results": [{"id": "a", "status": "lost"}]}', type=PushResponse)


def test_pull_changes_are_tagged_on_kind_and_visits_carry_no_answers():
    response = PullResponse(
        changes=[
            VisitChange(id=uuid.uuid4(), household_id=3, team_id=2, outcome=Outcome.CARD_LEFT, visited_at=NOW),
            FollowupStatusChange(followup_id=uuid.uuid4(), status="resolved", version=3,
                                 note="Cleared", changed_at=NOW, agency="council"),
            TeamChange(team_id=2, name="Pair B",
                       members=[PackMember(user_id=5, username="pcso")], street_ids=[1, 2]),
        ],
        cursor="1234",
        more=True,
    )
    wire = msgspec.json.decode(msgspec.json.encode(response))
    assert [change["kind"] for change in wire["changes"]] == ["visit", "followup_status", "team"]
    assert "answers" not in wire["changes"][0] and "notes" not in wire["changes"][0]
    assert msgspec.json.decode(msgspec.json.encode(response), type=PullResponse) == response


def test_pull_ignores_unknown_fields_from_a_newer_server():
    body = (
        b'{"changes": [{"kind": "team", "team_id": 1, "removed": true, "colour": "red"}],'
        b' "cursor": "9", "more": false, "server_time": "now"}'
    )
    response = msgspec.json.decode(body, type=PullResponse)
    assert response.changes == [TeamChange(team_id=1, removed=True)]


def test_pack_round_trips_and_carries_every_category():
    pack = Pack(
        operation=PackOperation(id=1, name="StreetSafe BS5", status="active",
                                questionnaire_id="streetsafe-community-v1"),
        streets=[PackStreet(id=1, ref="USRN-1", name="Chelsea Road",
                            geometry={"type": "MultiLineString", "coordinates": [[[-2.56, 51.46], [-2.55, 51.46]]]})],
        households=[PackHousehold(id=10, ref="UPRN-10", address="1 Chelsea Road", house_number="1",
                                  street_id=1, lon=-2.56, lat=51.46, side="odd", door_order=1)],
        teams=[PackTeam(id=1, name="Pair A", members=[PackMember(user_id=1, username="officer",
               agency_code="police", agency_name="Avon and Somerset Police")], street_ids=[1])],
        routing={"graffiti": "council"},
        cursor="77",
    )
    decoded = msgspec.json.decode(msgspec.json.encode(pack), type=Pack)
    assert decoded == pack
    categories = default_categories()
    assert [c.code for c in categories.fix] == [c.value for c in FixCategory]
    assert [c.code for c in categories.followup] == [c.value for c in FollowupCategory]
    assert [c.code for c in categories.outcomes] == [c.value for c in Outcome]
    assert all(c.label for c in categories.fix + categories.followup + categories.outcomes + categories.priorities)
    with pytest.raises(msgspec.ValidationError, match=r"\$\.households\[0\]\.side"):
        msgspec.json.decode(
            msgspec.json.encode(pack).replace(b'"side":"odd"', b'"side":"left"'), type=Pack
        )


def test_a_device_id_with_a_nul_is_refused_naming_the_field():
    from shared_schemas.sync import PushRequestError, decode_push_request

    with pytest.raises(PushRequestError) as err:
        decode_push_request(b'{"device_id": "tab\\u0000let", "records": []}')
    assert err.value.path == "$.device_id"
    assert "NUL" in str(err.value)
    assert decode_push_request(b'{"device_id": "tablet", "records": []}').device_id == "tablet"
