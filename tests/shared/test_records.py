"""The wire contract for pushed records: tags, round trips, errors a person can act on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from shared_schemas import (
    CLOSING_OUTCOMES,
    Fix,
    FixCategory,
    Followup,
    FollowupCategory,
    Location,
    Outcome,
    Priority,
    RecordError,
    ResidentContact,
    Visit,
    check_record,
    decode_record,
    encode_record,
)

NOW = datetime(2026, 5, 14, 18, 3, tzinfo=UTC)


def a_visit(**changes) -> Visit:
    fields = {
        "id": uuid.uuid4(),
        "operation_id": 1,
        "household_id": 42,
        "team_id": 7,
        "visited_at": NOW,
        "outcome": Outcome.ANSWERED,
        "questionnaire": "streetsafe-community-v1",
        "answers": {"feel_safe_after_dark": 2, "asb_seen": True},
        "location": Location(lon=-2.56, lat=51.47, accuracy_m=8.5),
        "notes": "Dog in garden",
    }
    fields.update(changes)
    return Visit(**fields)


def a_fix(**changes) -> Fix:
    fields = {
        "id": uuid.uuid4(), "operation_id": 1, "team_id": 7, "category": FixCategory.GRAFFITI_REMOVED,
        "done_at": NOW, "street_id": 3,
    }
    fields.update(changes)
    return Fix(**fields)


def a_followup(**changes) -> Followup:
    fields = {
        "id": uuid.uuid4(), "operation_id": 1, "team_id": 7, "category": FollowupCategory.HOME_FIRE_SAFETY_VISIT,
        "priority": Priority.HIGH, "description": "Resident asked for a fire safety visit",
        "resident_consent": True, "resident": ResidentContact(name="A. Resident", phone="0117 000 0000"),
        "raised_at": NOW, "household_id": 42,
    }
    fields.update(changes)
    return Followup(**fields)


def as_dict(record) -> dict:
    return msgspec.json.decode(encode_record(record))


@pytest.mark.parametrize("record", [a_visit(), a_fix(), a_followup()], ids=["visit", "fix", "followup"])
def test_each_record_round_trips_through_json_and_through_a_dict(record):
    assert decode_record(encode_record(record)) == record
    assert decode_record(as_dict(record)) == record
    assert check_record(record) == []


def test_tags_are_explicit_strings_on_the_type_field():
    assert as_dict(a_visit())["type"] == "visit"
    assert as_dict(a_fix())["type"] == "fix"
    assert as_dict(a_followup())["type"] == "followup"


def test_wire_field_names_match_the_design():
    assert set(as_dict(a_visit())) == {
        "type", "id", "operation_id", "household_id", "team_id", "visited_at", "outcome",
        "questionnaire", "answers", "location", "notes", "communication", "card_code",
    }
    assert {"category", "done_at", "visit_id", "household_id", "street_id"} <= set(as_dict(a_fix()))
    assert {
        "category", "priority", "description", "resident_consent", "raised_at",
        "visit_id", "household_id", "street_id",
    } <= set(as_dict(a_followup()))


def test_a_newer_tablets_extra_fields_are_ignored():
    raw = as_dict(a_visit())
    raw["weather"] = "rain"
    raw["location"]["altitude_m"] = 40
    visit = decode_record(raw)
    assert visit.household_id == 42
    assert visit.location == Location(lon=-2.56, lat=51.47, accuracy_m=8.5)


def test_an_older_tablet_may_leave_out_fields_with_defaults():
    raw = {
        "type": "visit", "id": str(uuid.uuid4()), "operation_id": 1, "household_id": 5,
        "team_id": 2, "visited_at": "2026-05-14T18:03:00+01:00", "outcome": "no_answer",
    }
    visit = decode_record(raw)
    assert visit.answers == {} and visit.location is None and visit.notes == "" and visit.questionnaire is None
    assert visit.visited_at.utcoffset() == timedelta(hours=1)
    followup = decode_record({
        "type": "followup", "id": str(uuid.uuid4()), "operation_id": 1, "category": "graffiti",
        "description": "Tag on the bus shelter", "raised_at": "2026-05-14T17:00:00Z", "street_id": 9,
    })
    assert followup.priority is Priority.NORMAL and followup.resident_consent is False


def test_unknown_type_names_the_known_types():
    with pytest.raises(RecordError) as caught:
        decode_record({"type": "survey", "id": str(uuid.uuid4())})
    assert caught.value.path == "$.type"
    assert "'survey'" in caught.value.message
    for tag in ("visit", "fix", "followup"):
        assert repr(tag) in caught.value.message


def test_missing_type_names_the_known_types():
    with pytest.raises(RecordError) as caught:
        decode_record(b'{"id": "x"}')
    assert caught.value.path == "$.type"
    assert "'visit'" in caught.value.message


def test_naive_datetime_is_rejected_with_a_clear_message():
    raw = as_dict(a_visit())
    raw["visited_at"] = "2026-05-14T18:03:00"
    with pytest.raises(RecordError) as caught:
        decode_record(raw)
    assert caught.value.path == "$.visited_at"
    assert "time zone" in caught.value.message


def test_wrong_type_names_the_field_path():
    raw = as_dict(a_visit())
    raw["household_id"] = "forty-two"
    with pytest.raises(RecordError) as caught:
        decode_record(msgspec.json.encode(raw))
    assert caught.value.path == "$.household_id"
    assert "int" in caught.value.message
    assert "$.household_id" in str(caught.value)


def test_nested_paths_and_ranges():
    raw = as_dict(a_visit())
    raw["location"]["lat"] = 123.0
    with pytest.raises(RecordError) as caught:
        decode_record(raw)
    assert caught.value.path == "$.location.lat"


def test_missing_required_field_names_it():
    raw = as_dict(a_fix())
    del raw["done_at"]
    with pytest.raises(RecordError) as caught:
        decode_record(raw)
    assert caught.value.path == "$.done_at"
    assert "missing" in caught.value.message


def test_unknown_code_is_rejected_at_its_path():
    raw = as_dict(a_visit())
    raw["outcome"] = "out"
    with pytest.raises(RecordError) as caught:
        decode_record(raw)
    assert caught.value.path == "$.outcome"
    assert "'out'" in caught.value.message
    assert "expected one of answered, no_answer, card_left" in caught.value.message


def test_a_category_from_the_wrong_family_lists_the_right_ones():
    raw = as_dict(a_fix())
    raw["category"] = "graffiti"  # a follow-up category, not a fix
    with pytest.raises(RecordError) as caught:
        decode_record(raw)
    assert caught.value.path == "$.category"
    assert "graffiti_removed" in caught.value.message and "litter_picked" in caught.value.message


def test_malformed_json():
    with pytest.raises(RecordError) as caught:
        decode_record(b'{"type": "visit",')
    assert caught.value.path == "$"
    assert "JSON" in caught.value.message


def test_a_fix_or_followup_belongs_to_exactly_one_place():
    assert check_record(a_fix(street_id=None)) == [
        "say where this belongs: give one of visit_id, household_id or street_id"
    ]
    problems = check_record(a_followup(visit_id=uuid.uuid4()))
    assert len(problems) == 1 and "visit_id and household_id" in problems[0]


def test_resident_details_need_consent():
    problems = check_record(a_followup(resident_consent=False))
    assert len(problems) == 1 and "consent" in problems[0]
    assert check_record(a_followup(resident_consent=False, resident=None)) == []


def test_description_must_say_something():
    problems = check_record(a_followup(description="   "))
    assert len(problems) == 1 and "description" in problems[0]


def test_check_record_catches_naive_datetimes_built_in_python():
    problems = check_record(a_visit(visited_at=datetime(2026, 5, 14, 18, 3)))
    assert len(problems) == 1 and "visited_at" in problems[0] and "time zone" in problems[0]
    assert any("done_at" in p for p in check_record(a_fix(done_at=datetime(2026, 5, 14))))


def test_times_the_database_cannot_store_are_refused_per_record():
    """RFC 3339 allows offsets up to 23:59, PostgreSQL reads at most 15:59; and an offset at the edge of
    the years 1 to 9999 takes the time in UTC out of them. Both once made a push answer 500."""
    far_east = timezone(timedelta(hours=17, minutes=44))
    problems = check_record(a_visit(visited_at=datetime(2026, 5, 14, 18, 3, tzinfo=far_east)))
    assert len(problems) == 1 and "visited_at" in problems[0] and "+17:44" in problems[0]
    assert check_record(a_fix(done_at=datetime(2026, 5, 14, tzinfo=timezone(-timedelta(hours=16))))) != []
    edge = timezone(timedelta(hours=15, minutes=59))
    assert check_record(a_visit(visited_at=datetime(2026, 5, 14, tzinfo=edge))) == []
    problems = check_record(a_followup(raised_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=10)))))
    assert len(problems) == 1 and "raised_at" in problems[0] and "out of range" in problems[0]
    assert check_record(a_followup(raised_at=datetime(9999, 12, 31, 23, tzinfo=timezone(-timedelta(hours=1))))) != []
    assert check_record(a_followup(raised_at=datetime(1, 1, 1, tzinfo=timezone(-timedelta(hours=10))))) == []


def test_answers_belong_to_an_answered_visit_with_a_questionnaire():
    assert "answered" in check_record(a_visit(outcome=Outcome.REFUSED))[0]
    assert "questionnaire" in check_record(a_visit(questionnaire=None))[0]
    assert check_record(a_visit(outcome=Outcome.NO_ANSWER, answers={})) == []


def test_check_record_returns_every_problem():
    followup = a_followup(
        raised_at=datetime(2026, 5, 14), household_id=None, description="", resident_consent=False
    )
    assert len(check_record(followup)) == 4


def test_closing_outcomes_follow_the_design():
    assert {"answered", "answered_online", "refused", "vacant", "do_not_visit"} == CLOSING_OUTCOMES
    assert {o.value for o in Outcome} - CLOSING_OUTCOMES == {
        "no_answer", "card_left", "come_back_later", "inaccessible"
    }


def test_an_id_past_the_servers_integer_range_is_refused_with_its_path():
    from shared_schemas.records import MAX_ID, RecordError, decode_record

    body = {"type": "visit", "id": str(uuid.uuid4()), "operation_id": 1, "household_id": MAX_ID + 1,
            "team_id": 1, "visited_at": "2026-05-14T17:00:00Z", "outcome": "no_answer"}
    with pytest.raises(RecordError) as err:
        decode_record(msgspec.Raw(msgspec.json.encode(body)))
    assert err.value.path == "$.household_id"
    body["household_id"] = MAX_ID
    assert decode_record(msgspec.json.encode(body)).household_id == MAX_ID


@pytest.mark.parametrize("where", ["notes", "answers"])
def test_a_nul_character_in_text_is_refused_with_its_path(where):
    from shared_schemas.records import RecordError, decode_record

    body = {"type": "visit", "id": str(uuid.uuid4()), "operation_id": 1, "household_id": 1, "team_id": 1,
            "visited_at": "2026-05-14T17:00:00Z", "outcome": "answered", "questionnaire": "q"}
    if where == "notes":
        body["notes"] = "a\u0000b"
    else:
        body["answers"] = {"worries": "x\u0000"}
    raw = msgspec.Raw(msgspec.json.encode(body))
    with pytest.raises(RecordError) as err:
        decode_record(raw)
    assert err.value.path == ("$.notes" if where == "notes" else "$.answers.worries")
    assert "NUL" in str(err.value)
    with pytest.raises(RecordError):
        decode_record(body)
