"""The field rules both sides apply (shared_schemas.fields): limits, counters, phone and e-mail checks."""

import uuid

import msgspec
import pytest

from shared_schemas import fields
from shared_schemas.records import Followup, RecordError, ResidentContact, Visit, check_record, decode_record


def _visit(**extra):
    return {"type": "visit", "id": str(uuid.uuid4()), "operation_id": 1, "household_id": 1, "team_id": 1,
            "visited_at": "2026-05-14T18:03:00Z", "outcome": "no_answer", **extra}


def test_the_record_types_take_their_limits_from_the_field_rules():
    # One source: the msgspec types the server decodes with carry exactly fields.LIMITS.
    from msgspec import inspect

    from shared_schemas.records import Fix

    def max_length(struct, name):
        [field] = [f for f in inspect.type_info(struct).fields if f.name == name]
        kind = field.type
        if isinstance(kind, inspect.UnionType):  # str | None
            kind = next(t for t in kind.types if isinstance(t, inspect.StrType))
        return kind.max_length

    for key, (struct, name) in {"visit.notes": (Visit, "notes"), "fix.notes": (Fix, "notes"),
                                "followup.description": (Followup, "description"),
                                "resident.name": (ResidentContact, "name"),
                                "resident.phone": (ResidentContact, "phone"),
                                "resident.email": (ResidentContact, "email")}.items():
        assert max_length(struct, name) == fields.LIMITS[key].max_length, key


def test_an_over_long_note_is_refused_in_plain_words():
    with pytest.raises(RecordError) as caught:
        decode_record(msgspec.json.encode(_visit(notes="x" * 4500)))
    assert caught.value.message == "The note is 4,500 characters; the limit is 4,000. Shorten it by 500."
    assert caught.value.path == "$.notes"
    assert "Expected" not in caught.value.message  # never the library's words


def test_counter_and_check():
    assert fields.counter("visit.notes", "x" * 120) == "120 / 4,000"
    assert fields.check("visit.notes", "x" * 4000) is None
    assert fields.check("visit.notes", "x" * 4001).startswith("The note is 4,001 characters; the limit is 4,000")
    assert fields.check("followup.description", "  ") == "The description is empty: write it before saving."


@pytest.mark.parametrize("number", ["07911 123456", "0113 245 6789", "+44 113 245 6789", "07911123456"])
def test_uk_phone_numbers_pass(number):
    assert fields.check_phone(number) is None


@pytest.mark.parametrize("number", ["call after 6pm", "0123", "07700 900456", "999"])
def test_not_phone_numbers_are_refused_without_repeating_them(number):
    message = fields.check_phone(number)
    assert message and message.startswith("The phone number is not")
    assert number not in message


def test_phone_numbers_are_normalised():
    assert fields.normalise_phone("07911 123456") == "+447911123456"
    assert fields.normalise_phone("not one") == "not one"


@pytest.mark.parametrize("address,ok", [("pat@example.org", True), ("pat.example.org", False),
                                        ("pat@", False), ("pat@@example.org", False), ("", True)])
def test_email_addresses(address, ok):
    assert (fields.check_email(address) is None) is ok


def test_check_record_refuses_a_bad_phone_or_email_on_both_sides():
    from datetime import UTC, datetime

    def followup(**contact):
        return Followup(id=uuid.uuid4(), operation_id=1, category="home_fire_safety_visit",
                        description="Wants a visit", resident_consent=True,
                        resident=ResidentContact(name="A Resident", **contact),
                        raised_at=datetime.now(UTC), household_id=1)

    assert check_record(followup(phone="07911 123456")) == []
    [problem] = check_record(followup(phone="call after 6pm"))
    assert "phone number" in problem and "call after 6pm" not in problem
    [problem] = check_record(followup(email="nobody-at-all"))
    assert "e-mail address" in problem
