"""Records made on a tablet and pushed to the server: visit, fix, follow-up.

A tagged union on ``"type"`` with explicit string tags, so renaming a class
never changes the wire. Schemas only grow: a new field gets a default, and
unknown fields are ignored so a newer tablet still talks to an older server.

Two layers of checks:

* ``decode_record`` checks shapes and types (msgspec, with the field path);
* ``check_record`` checks rules across fields that types cannot say.

Questionnaire answers are checked separately with
``questionnaire.validate_answers``, because that needs the questionnaire.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType

from . import fields
from .cards import CODE_PATTERN
from .codes import ANSWERED_OUTCOMES, FixCategory, FollowupCategory, Outcome, Priority
from .communication import CommunicationNeeds, ContactMethod, contact_problems, needs_problems
from .photos import MAX_PHOTOS_PER_RECORD, PhotoRef
from .questionnaire.definition import LanguageCode

#: Largest id the server's tables hold (PostgreSQL integer).
MAX_ID = 2_147_483_647
#: Database ids are positive and fit the server's integer columns.
Id = Annotated[int, Meta(ge=1, le=MAX_ID)]
#: A datetime with a time zone; naive datetimes are ambiguous and refused.
AwareDatetime = Annotated[
    datetime,
    Meta(tz=True, description="ISO 8601 with a time zone, e.g. 2026-05-14T18:03:00Z"),
]
# Free-text limits come from shared_schemas.fields (the tablet's counters and checks use the same).
Notes = Annotated[str, Meta(max_length=fields.LIMITS["visit.notes"].max_length)]

RECORD_TAG_FIELD = "type"


class Location(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    """Where the tablet was, in WGS84 degrees."""

    lon: Annotated[float, Meta(ge=-180, le=180)]
    lat: Annotated[float, Meta(ge=-90, le=90)]
    accuracy_m: Annotated[float, Meta(ge=0)] | None = None


class ResidentContact(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    """A resident's contact details; only ever sent with their consent."""

    name: Annotated[str, Meta(max_length=fields.LIMITS["resident.name"].max_length)] = ""
    #: A UK phone number (fields.check_phone), checked by check_record.
    phone: Annotated[str, Meta(max_length=fields.LIMITS["resident.phone"].max_length)] | None = None
    #: An e-mail address (fields.check_email), checked by check_record.
    email: Annotated[str, Meta(max_length=fields.LIMITS["resident.email"].max_length)] | None = None
    #: How the resident wants the partner agency to get in touch (communication.ContactMethod).
    contact_method: ContactMethod | None = None
    #: The language to get in touch in (BCP 47; "bfi" for BSL).
    language: LanguageCode | None = None


class Record(msgspec.Struct, tag_field=RECORD_TAG_FIELD, forbid_unknown_fields=False, kw_only=True):
    """Base of every pushed record. The tablet makes the UUID; it decides identity."""

    id: uuid.UUID
    operation_id: Id


class Visit(Record, tag="visit", kw_only=True):
    household_id: Id
    team_id: Id
    visited_at: AwareDatetime
    outcome: Outcome
    #: The questionnaire id, e.g. "streetsafe-community-v1"; None when nothing was asked.
    questionnaire: str | None = None
    #: Question id -> answer; validated against the questionnaire on both sides.
    answers: dict[str, Any] = {}
    location: Location | None = None
    notes: Notes = ""
    #: How an answered visit was held: language, interpreter, adjustments (communication.py).
    communication: CommunicationNeeds | None = None
    #: A card_left visit's code (cards.py): the resident answers online with it at /respond.
    card_code: Annotated[str, Meta(pattern=CODE_PATTERN)] | None = None
    #: The id of an earlier visit at this door that this one corrects (a sent visit put right): the
    #: server keeps both and counts this one. Left out, never null, when it corrects nothing, so
    #: every record made before corrections existed keeps its content hash.
    supersedes: uuid.UUID | UnsetType = UNSET


#: A record's photos, in the order taken (shared_schemas.photos).
Photos = Annotated[list[PhotoRef], Meta(max_length=MAX_PHOTOS_PER_RECORD)]


class Fix(Record, tag="fix", kw_only=True):
    team_id: Id | None = None
    category: FixCategory
    done_at: AwareDatetime
    # Exactly one of these says where the fix was made.
    visit_id: uuid.UUID | None = None
    household_id: Id | None = None
    street_id: Id | None = None
    notes: Notes = ""
    #: Before and after, by hash; each photo is uploaded apart (PUT /api/v1/photos/{sha256}).
    photos: Photos = msgspec.field(default_factory=list)


class Followup(Record, tag="followup", kw_only=True):
    team_id: Id | None = None
    category: FollowupCategory
    priority: Priority = Priority.NORMAL
    description: Annotated[str, Meta(max_length=fields.LIMITS["followup.description"].max_length)]
    resident_consent: bool = False
    #: Allowed only when resident_consent is true.
    resident: ResidentContact | None = None
    raised_at: AwareDatetime
    # Exactly one of these says what the follow-up is about.
    visit_id: uuid.UUID | None = None
    household_id: Id | None = None
    street_id: Id | None = None
    #: The scene, by hash; each photo is uploaded apart (PUT /api/v1/photos/{sha256}).
    photos: Photos = msgspec.field(default_factory=list)


AnyRecord = Visit | Fix | Followup
RECORD_TYPES: dict[str, type[Record]] = {
    "visit": Visit,
    "fix": Fix,
    "followup": Followup,
}


class RecordError(ValueError):
    """A record that cannot be decoded; ``path`` is a JSON path like ``$.visited_at``."""

    def __init__(self, message: str, path: str = "$") -> None:
        super().__init__(message if path == "$" else f"{message} (at {path})")
        self.message = message
        self.path = path


_json_decoder = msgspec.json.Decoder(AnyRecord)
_json_encoder = msgspec.json.Encoder()

_AT_PATH = re.compile(r"^(?P<message>.*?) - at `(?P<path>\$[^`]*)`$", re.DOTALL)
_MISSING_FIELD = re.compile(r"^Object missing required field `(?P<field>[^`]+)`$")
_DATETIME_HINT = "a date and time with a time zone, e.g. 2026-05-14T18:03:00Z"


def decode_record(raw: bytes | bytearray | memoryview | msgspec.Raw | dict[str, Any]) -> AnyRecord:
    """Decode one record from JSON bytes (or an already parsed dict).

    Raises RecordError with a message a person can act on and the field path.
    """
    try:
        record = msgspec.convert(raw, AnyRecord) if isinstance(raw, dict) else _json_decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise _record_error(str(exc), raw) from None
    except msgspec.DecodeError as exc:
        raise RecordError(f"not valid JSON: {exc}") from None
    # PostgreSQL text and jsonb cannot hold NUL; JSON can. The cheap byte test keeps the
    # exact walk off the hot path.
    if isinstance(raw, dict) or b"\\u0000" in bytes(raw):
        path = _nul_path(msgspec.to_builtins(record), "$")
        if path:
            raise RecordError("text must not contain the NUL character (\\u0000); remove it and send again", path)
    return record


def _nul_path(value: Any, path: str) -> str | None:
    """The JSON path of the first string (or key) holding a NUL character, if any.

    Walks with a stack of its own, not by recursion: a record can nest hundreds of levels deep
    (msgspec decodes that far), and Python's recursion limit is not a rule of the contract."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where
        elif isinstance(item, dict):
            if any("\x00" in str(key) for key in item):
                return where
            stack.extend(reversed([(v, f"{where}.{k}") for k, v in item.items()]))
        elif isinstance(item, list):
            stack.extend(reversed([(v, f"{where}[{i}]") for i, v in enumerate(item)]))
    return None


class _IdOnly(msgspec.Struct):
    id: Any = None


_id_decoder = msgspec.json.Decoder(_IdOnly)


def raw_record_id(raw: bytes | bytearray | memoryview | msgspec.Raw | dict[str, Any]) -> str:
    """The "id" of a record as sent, even one that does not decode, so the
    server can still name it in a rejection; "" when there is none."""
    try:
        value = raw.get("id") if isinstance(raw, dict) else _id_decoder.decode(raw).id
    except (msgspec.ValidationError, msgspec.DecodeError):
        return ""
    return value if isinstance(value, str) else ("" if value is None else msgspec.json.encode(value).decode())


def encode_record(record: Record) -> bytes:
    return _json_encoder.encode(record)


def _record_error(text: str, raw: Any) -> RecordError:
    match = _AT_PATH.match(text)
    message, path = (match["message"], match["path"]) if match else (text, "$")
    missing = _MISSING_FIELD.match(message)
    if missing:
        field = missing["field"]
        child = f"{path}.{field}"
        if child == f"$.{RECORD_TAG_FIELD}":
            return RecordError(f'missing "{RECORD_TAG_FIELD}"; expected one of {_known_types()}', child)
        return RecordError(f"missing required field `{field}`", child)
    if path == f"$.{RECORD_TAG_FIELD}":
        return RecordError(
            f"unknown record type {_type_of(raw)!r}; expected one of {_known_types()}", path
        )
    if "with a timezone component" in message:
        return RecordError(
            f"time zone missing: expected {_DATETIME_HINT}; the server stores UTC", path
        )
    if message.startswith("Invalid RFC3339 encoded datetime"):
        return RecordError(f"not a valid date and time: expected {_DATETIME_HINT}", path)
    if message.startswith("Expected `str` of length <="):
        key = fields.PATHS.get((_type_of(raw), path))
        value = _value_at(raw, path)
        if key is not None and isinstance(value, str):
            return RecordError(fields.too_long(key, len(value)), path)
    if message.startswith("Invalid enum value"):
        codes = _ENUM_FIELDS.get((_type_of(raw), path))
        if codes is not None:
            return RecordError(f"{message}; expected one of {', '.join(code.value for code in codes)}", path)
    return RecordError(message, path)


#: Which codes each coded field takes, to list them when a value is not one of them.
_ENUM_FIELDS: dict[tuple[str, str], type[StrEnum]] = {
    ("visit", "$.outcome"): Outcome,
    ("fix", "$.category"): FixCategory,
    ("followup", "$.category"): FollowupCategory,
    ("followup", "$.priority"): Priority,
}


def _value_at(raw: Any, path: str) -> Any:
    """The value at a simple ``$.a.b`` path of a raw record, or None."""
    try:
        value = raw if isinstance(raw, dict) else msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return None
    for part in path.removeprefix("$.").split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _known_types() -> str:
    return ", ".join(repr(tag) for tag in RECORD_TYPES)


def _type_of(raw: Any) -> Any:
    if isinstance(raw, dict):
        return raw.get(RECORD_TAG_FIELD)
    try:
        return msgspec.json.decode(raw).get(RECORD_TAG_FIELD)
    except (msgspec.DecodeError, AttributeError):
        return None


def check_record(record: Record) -> list[str]:
    """Rules across fields that types cannot say. Returns every problem found.

    Also re-checks what decoding already guarantees (time zones) because a
    tablet builds records in Python without decoding them, and refuses times
    the server cannot store (an offset beyond PostgreSQL's +-15:59, or one
    that moves the time in UTC out of the years 1 to 9999).
    """
    problems: list[str] = []
    match record:
        case Visit():
            problems += _aware("visited_at", record.visited_at)
            if record.answers and record.outcome not in ANSWERED_OUTCOMES:
                problems.append(
                    f"answers were given but the outcome is {record.outcome.value!r}; "
                    "answers are kept only when the outcome is 'answered'"
                )
            if record.answers and not record.questionnaire:
                problems.append("answers were given without the questionnaire id they answer")
            if record.communication is not None:
                if record.outcome not in ANSWERED_OUTCOMES:
                    problems.append(f"communication needs belong to an answered visit, not {record.outcome.value!r}")
                problems += needs_problems(record.communication)
            if record.card_code is not None and record.outcome != Outcome.CARD_LEFT:
                problems.append(f"a card code belongs to a 'card_left' visit, not {record.outcome.value!r}")
            if record.supersedes == record.id:
                problems.append("the visit names itself in supersedes: give the id of the earlier visit it corrects")
        case Fix():
            problems += _aware("done_at", record.done_at)
            problems += _one_target(record.visit_id, record.household_id, record.street_id)
        case Followup():
            problems += _aware("raised_at", record.raised_at)
            problems += _one_target(record.visit_id, record.household_id, record.street_id)
            if not record.description.strip():
                problems.append("description is empty: say what the partner agency should do")
            if record.resident is not None and not record.resident_consent:
                problems.append(
                    "resident contact details were given without the resident's consent; "
                    "ask for consent or remove the details"
                )
            if record.resident is not None:
                problems += [p for p in (fields.check_phone(record.resident.phone),
                                         fields.check_email(record.resident.email)) if p]
                problems += contact_problems(record.resident.contact_method, record.resident.phone,
                                             record.resident.email)
    return problems


#: Largest time zone offset PostgreSQL reads (RFC 3339 allows up to 23:59; real zones stay within 14:00).
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59, seconds=59)


def _aware(field: str, value: datetime) -> list[str]:
    offset = value.utcoffset() if value.tzinfo is not None else None
    if offset is None:
        return [f"{field} has no time zone: give {_DATETIME_HINT}"]
    if abs(offset) > MAX_UTC_OFFSET:
        minutes = int(abs(offset).total_seconds()) // 60
        shown = f"{'-' if offset < timedelta(0) else '+'}{minutes // 60:02d}:{minutes % 60:02d}"
        return [(f"{field} has the time zone offset {shown}, beyond the -15:59 to +15:59 the server can store: "
                 "give the time in UTC, e.g. 2026-05-14T18:03:00Z")]
    if value.year in (1, 9999):  # only there can the time in UTC leave the years 1 to 9999
        try:
            value.astimezone(UTC)
        except OverflowError:
            return [f"{field} is out of range: in UTC it falls outside the years 1 to 9999"]
    return []


def _one_target(visit_id: Any, household_id: Any, street_id: Any) -> list[str]:
    given = [
        name
        for name, value in (("visit_id", visit_id), ("household_id", household_id), ("street_id", street_id))
        if value is not None
    ]
    if len(given) == 1:
        return []
    if not given:
        return ["say where this belongs: give one of visit_id, household_id or street_id"]
    return [f"give exactly one of visit_id, household_id or street_id, not {' and '.join(given)}"]
