"""Push: store each record exactly once, and answer for every record.

The rules (DESIGN.md "Sync rules", STYLE.md "Offline sync"):

* The record's UUID decides identity. Rows go in with ``INSERT … ON CONFLICT (id) DO NOTHING
  RETURNING id`` (insert-or-skip, never check-then-insert), so two devices pushing the same
  record at the same moment store it once; the loser of the race waits for the winner's
  transaction and then skips.
* An id that was skipped is a ``duplicate`` when the stored row has the same content hash,
  and ``rejected`` when it has other content: the first version is kept.
* A record made after its operation was closed is ``rejected`` with the close time (one made
  before still counts: the tablet may have been offline); see operations/lifecycle.py.
* A correction (a visit whose ``supersedes`` names an earlier visit) is stored like any visit, and
  the earlier one is marked ``superseded_by`` it in the same transaction, so the per-door summary
  counts the latest (migration 0014). Only a visit already stored (or earlier in the same push) of
  the same door, operation and pair, not corrected already, may be corrected; otherwise the
  correction alone is ``rejected`` with the reason. One correction per visit is also a unique
  index, so two tablets correcting the same visit at once store one and the other is rejected.
* A record that fails a check is ``rejected`` with a reason a person can act on; the rest
  of the batch is stored. The whole batch is one transaction (the request's): a failure of
  the server itself stores nothing.
* Set-based: one query per lookup for the whole batch (operations, the user's teams,
  households, streets, referenced visits), one multi-row insert per table (visits: one JSON
  array per column; fixes and follow-ups: ``unnest`` of binary arrays), rows sorted by id so
  concurrent pushes of overlapping batches take their locks in the same order and cannot
  deadlock.

Residents' details never reach a log: reasons name fields and ids, never values.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import msgspec
from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.driver import driver_connection
from server.domain.followups.hooks import on_followups_stored
from server.domain.operations.lifecycle import closed_reason
from server.domain.questionnaires.repository import published_versions
from server.lib.auth import CurrentUser
from server.settings import Settings
from shared_schemas.cards import code_hash
from shared_schemas.codes import Outcome
from shared_schemas.questionnaire import Questionnaire, check_answers
from shared_schemas.records import (
    AnyRecord,
    Fix,
    Followup,
    RecordError,
    Visit,
    check_record,
    decode_record,
    raw_record_id,
)
from shared_schemas.sync import MAX_PUSH_RECORDS, PushResult, PushStatus, TypedPushRequest, decode_push_request

__all__ = ["MAX_PUSH_RECORDS", "Push", "content_hash", "cyclic_gc_paused", "ingest", "read_push"]

UTC = dt.UTC
_ZERO = dt.timedelta(0)
_hash_encoder = msgspec.json.Encoder(order="deterministic")
_json = msgspec.json.Encoder()


# ---------------------------------------------------------------- identity of content


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(UTC)


def normalise(record: Visit | Fix | Followup) -> Visit | Fix | Followup:
    """The record with its timestamps in UTC: the form that is hashed and stored."""
    when = record.visited_at if isinstance(record, Visit) else record.done_at if isinstance(record, Fix) \
        else record.raised_at
    if when.utcoffset() == _ZERO:
        return record
    match record:
        case Visit():
            return msgspec.structs.replace(record, visited_at=_utc(record.visited_at))
        case Fix():
            return msgspec.structs.replace(record, done_at=_utc(record.done_at))
        case Followup():
            return msgspec.structs.replace(record, raised_at=_utc(record.raised_at))
    raise TypeError(type(record).__name__)  # pragma: no cover


#: Fields added after the records first shipped, as msgspec writes them at their default (null): a
#: struct's fields go out in definition order and these were added last to theirs, so each group ends
#: its object. They are cut from the hashed bytes while at their default, so a record an older tablet
#: sent, stored with the hash of the fields it had, and sent again has the same hash (a "duplicate",
#: not a "rejected"). Inside a JSON string a quote is escaped, so these bytes can only be the fields.
#: Add a group here when a field is added to a record (or to its resident's contact details).
_GROWN_AT_DEFAULT = (b',"communication":null,"card_code":null}', b',"contact_method":null,"language":null}',
                     b',"photos":[]}')  # a fix's or follow-up's photos (issue 15), last of its fields


def content_hash(record: Visit | Fix | Followup) -> str:
    """sha256 of the canonical record (sorted keys, UTC times, defaults filled in).

    The same record sent again, with its keys in another order, another time-zone offset
    for the same instant, or without fields left at their default, has the same hash.
    Fields this server does not know are not part of it, nor fields added later while at their
    default (``_GROWN_AT_DEFAULT``).
    """
    data = _hash_encoder.encode(normalise(record))
    for grown in _GROWN_AT_DEFAULT:
        if grown in data:
            data = data.replace(grown, b"}")
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- decoding


_push_decoder = msgspec.json.Decoder(TypedPushRequest)


class Push(NamedTuple):
    device_id: str
    #: Every record decoded (the common case), or every record still raw when one of them does not
    #: decode, so that each is decoded on its own and a bad one is answered alone.
    records: Sequence[AnyRecord] | Sequence[msgspec.Raw]


def read_push(body: bytes) -> Push:
    """A push body, decoded once when every record is well formed.

    One typed msgspec call for the whole body costs ~1.7 us per visit against ~7 us decoding each
    ``msgspec.Raw`` on its own; both use the same types, so they give the same records. When the
    typed decode fails, the body is read again with raw records: ``decode_push_request`` raises
    ``PushRequestError`` for a body that is not a push, and otherwise each record is decoded on its
    own in ``ingest``, naming each bad record's problem and path. A body with an escaped NUL always
    goes record by record (``decode_record`` refuses NUL in text, and so does the device id check).
    """
    if b"\\u0000" not in body:
        try:
            typed = _push_decoder.decode(body)
        except (msgspec.ValidationError, msgspec.DecodeError):
            pass
        else:
            return Push(typed.device_id, typed.records)
    request = decode_push_request(body)
    return Push(request.device_id, request.records)


# ---------------------------------------------------------------- garbage collection

_gc_pauses = 0  # pushes in progress in this process (one event loop, one thread)
_gc_was_enabled = False
_gc_paused_since = 0.0
#: Pushes that overlap without a gap keep the collector off; then one full collection this
#: often (at the end of a push) still frees any cycles other code made meanwhile.
GC_PAUSE_MAX_SECONDS = 5.0


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Python's cycle collector off while pushes are being handled, back on after the last.

    A push of 1,000 visits allocates tens of thousands of objects that live for the whole
    request, so the collector ran dozens of times per push, walking them and the rest of the
    heap each time: about a third of the worker's CPU (perf, 1,000-visit pushes). Nothing a
    push makes forms a cycle; it is all freed by reference counting when the request ends.
    Pushes overlap (one event loop), so the collector comes back when none is left, and only
    if it was on before the first.
    """
    global _gc_pauses, _gc_was_enabled, _gc_paused_since
    if _gc_pauses == 0:
        _gc_was_enabled = gc.isenabled()
        _gc_paused_since = time.monotonic()
        gc.disable()
    _gc_pauses += 1
    try:
        yield
    finally:
        _gc_pauses -= 1
        if _gc_pauses == 0:
            if _gc_was_enabled:
                gc.enable()
        elif _gc_was_enabled and time.monotonic() - _gc_paused_since > GC_PAUSE_MAX_SECONDS:
            gc.collect()
            _gc_paused_since = time.monotonic()


# ---------------------------------------------------------------- per-request context

@dataclass
class _Context:
    operations: dict[int, str]  # id -> name
    closed_at: dict[int, dt.datetime]  # id -> when it was closed, for the closed ones
    operation_questionnaire: dict[int, str]
    my_teams: dict[int, list[int]]  # operation id -> the user's team ids on it (sorted)
    households: dict[int, tuple[int, int | None]]  # id -> (operation id, street id)
    streets: dict[int, int]  # id -> operation id
    questionnaires: dict[str, Questionnaire] = field(default_factory=dict)


class _Reject(Exception):
    def __init__(self, reason: str, path: str | None = None):
        self.reason = reason
        self.path = path


async def _load_context(session: AsyncSession, raw: Any, user: CurrentUser,
                        records: Sequence[Visit | Fix | Followup]) -> _Context:
    op_ids = sorted({r.operation_id for r in records})
    household_ids = sorted({r.household_id for r in records if r.household_id is not None})
    street_ids = sorted({r.street_id for r in records if not isinstance(r, Visit) and r.street_id is not None})
    ops = await raw.fetch("SELECT id, name, questionnaire_id, CASE WHEN status = 'closed' THEN closed_at END "
                          "FROM operation WHERE id = ANY($1::int[])", op_ids)
    teams = await raw.fetch(
        """SELECT t.operation_id, t.id FROM team AS t JOIN team_member AS m ON m.team_id = t.id
            WHERE m.user_id = $1 AND t.operation_id = ANY($2::int[]) ORDER BY t.id""",
        user.id, op_ids,
    )
    my_teams: dict[int, list[int]] = {}
    for row in teams:
        my_teams.setdefault(row[0], []).append(row[1])
    households = await raw.fetch(
        "SELECT id, operation_id, street_id FROM household WHERE id = ANY($1::int[])", household_ids
    ) if household_ids else []
    streets = await raw.fetch(
        "SELECT id, operation_id FROM street WHERE id = ANY($1::int[])", street_ids
    ) if street_ids else []
    context = _Context(
        operations={r[0]: r[1] for r in ops},
        closed_at={r[0]: r[3] for r in ops if r[3] is not None},
        operation_questionnaire={r[0]: r[2] for r in ops},
        my_teams=my_teams,
        households={r[0]: (r[1], r[2]) for r in households},
        streets={r[0]: r[1] for r in streets},
    )
    context.questionnaires = await published_versions(
        session, {r.questionnaire for r in records if isinstance(r, Visit) and r.questionnaire})
    return context


def _check_operation(record: Visit | Fix | Followup, context: _Context) -> list[int]:
    """The user's teams on the record's operation; rejects an operation they are not on."""
    if record.operation_id not in context.operations:
        raise _Reject(f"there is no operation {record.operation_id}", "$.operation_id")
    closed_at = context.closed_at.get(record.operation_id)
    if closed_at is not None:
        # Made before the close: it still counts (the tablet may have been offline). After: refused.
        reason = closed_reason(context.operations[record.operation_id], closed_at, _made_at(record))
        if reason:
            raise _Reject(reason, "$." + _MADE_AT[type(record)])
    teams = context.my_teams.get(record.operation_id)
    if not teams:
        raise _Reject(
            f"you are not on a team of operation {record.operation_id} "
            f"({context.operations[record.operation_id]!r}); ask its coordinator to add you to a pair",
            "$.operation_id",
        )
    return teams


_MADE_AT = {Visit: "visited_at", Fix: "done_at", Followup: "raised_at"}


def _made_at(record: Visit | Fix | Followup) -> dt.datetime:
    return getattr(record, _MADE_AT[type(record)])


def _check_team(record: Visit | Fix | Followup, teams: list[int]) -> int:
    if record.team_id is None:
        return teams[0]
    if record.team_id not in teams:
        mine = ", ".join(map(str, teams))
        raise _Reject(
            f"team {record.team_id} is not your team on operation {record.operation_id}; "
            f"yours is {mine}. Record it under your own team",
            "$.team_id",
        )
    return record.team_id


def _check_household(household_id: int, operation_id: int, context: _Context) -> int | None:
    """The household's street id; rejects an unknown household or one of another operation."""
    found = context.households.get(household_id)
    if found is None:
        raise _Reject(f"unknown household {household_id}: it is not in the server's address list; "
                      "download the operation's pack again", "$.household_id")
    if found[0] != operation_id:
        raise _Reject(f"household {household_id} is not in operation {operation_id} "
                      f"(it belongs to operation {found[0]})", "$.household_id")
    return found[1]


def _check_visit(record: Visit, context: _Context) -> tuple[int, list[str]]:
    if record.outcome == Outcome.ANSWERED_ONLINE:
        raise _Reject("'answered_online' is recorded by the server when a resident answers online with the code on "
                      "the card left at the door; a visit at the door is 'answered'", "$.outcome")
    teams = _check_operation(record, context)
    team_id = _check_team(record, teams)
    _check_household(record.household_id, record.operation_id, context)
    found: list[str] = []
    if record.questionnaire:
        questionnaire = context.questionnaires.get(record.questionnaire)
        if questionnaire is None:
            raise _Reject(f"unknown questionnaire {record.questionnaire!r}; operation {record.operation_id} uses "
                          f"{context.operation_questionnaire[record.operation_id]!r}", "$.questionnaire")
        if record.outcome == Outcome.ANSWERED:
            errors, concerned = check_answers(questionnaire, record.answers)
            if errors:
                reason = "; ".join(f"{e.question_id}: {e.message}" if e.question_id else e.message for e in errors)
                first = errors[0].question_id
                raise _Reject(f"answers do not fit questionnaire {questionnaire.id!r}: {reason}",
                              f"$.answers.{first}" if first else "$.answers")
            found = sorted(concerned)
    return team_id, found


# ---------------------------------------------------------------- SQL

# Visits, the bulk of every push, go in as one JSON array per column (msgspec writes them in C)
# unpacked side by side with ROWS FROM: asyncpg's typed arrays cost ~10 us of the server's CPU
# per visit (a Python-level type check per element), these ~4 us, for ~1 us more in PostgreSQL.
# No conflict target: a row is skipped on its id (stored before) or on uq_visit_supersedes (a second
# correction of the same visit, sent at the same moment as the first).
_INSERT_VISITS = """
INSERT INTO visit (id, operation_id, household_id, team_id, user_id, device_id, visited_at, outcome,
                   questionnaire_id, answers, concerns, lon, lat, accuracy_m, notes, content_hash, communication,
                   supersedes)
SELECT r.id::uuid, r.operation_id::int, r.household_id::int, r.team_id::int, $17, $18, r.visited_at::timestamptz,
       r.outcome, r.questionnaire_id, r.answers::jsonb, r.concerns::text[], r.lon::float8, r.lat::float8,
       r.accuracy_m::float8, r.notes, r.content_hash, nullif(r.communication::jsonb, 'null'::jsonb), r.supersedes::uuid
  FROM ROWS FROM (json_array_elements_text($1::json), json_array_elements_text($2::json),
                  json_array_elements_text($3::json), json_array_elements_text($4::json),
                  json_array_elements_text($5::json), json_array_elements_text($6::json),
                  json_array_elements_text($7::json), json_array_elements($8::json),
                  json_array_elements_text($9::json), json_array_elements_text($10::json),
                  json_array_elements_text($11::json), json_array_elements_text($12::json),
                  json_array_elements_text($13::json), json_array_elements_text($14::json),
                  json_array_elements($15::json), json_array_elements_text($16::json))
       AS r(id, operation_id, household_id, team_id, visited_at, outcome, questionnaire_id,
            answers, concerns, lon, lat, accuracy_m, notes, content_hash, communication, supersedes)
 ORDER BY r.id::uuid
ON CONFLICT DO NOTHING
RETURNING id
"""

#: The cards left at doors by this push's stored card_left visits (the code's hash only).
_INSERT_CARDS = """
INSERT INTO response_card (code_hash, operation_id, household_id, team_id, visit_id)
SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::int[], $5::uuid[])
ON CONFLICT DO NOTHING
"""

# The visits that corrections name, read only when a push holds a correction.
_CORRECTED_VISITS = """
SELECT id, operation_id, household_id, team_id, superseded_by FROM visit WHERE id = ANY($1::uuid[])
"""

# The earlier visits of the corrections just stored: they stop counting (the UPDATE's statement
# trigger recounts their doors, migration 0014).
_MARK_SUPERSEDED = """
UPDATE visit AS v SET superseded_by = c.id
  FROM unnest($1::uuid[], $2::uuid[]) AS c(id, earlier)
 WHERE v.id = c.earlier
"""

_INSERT_FIXES = """
INSERT INTO fix (id, operation_id, team_id, user_id, device_id, category, done_at, visit_id, household_id,
                 street_id, notes, content_hash)
SELECT r.id, r.operation_id, r.team_id, $10, $11, r.category, r.done_at, r.visit_id, r.household_id,
       r.street_id, r.notes, r.content_hash
  FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[], $5::timestamptz[], $6::uuid[], $7::int[], $8::int[],
              $9::text[], $12::text[])
       AS r(id, operation_id, team_id, category, done_at, visit_id, household_id, street_id, notes, content_hash)
 ORDER BY r.id
ON CONFLICT (id) DO NOTHING
RETURNING id
"""

_INSERT_FOLLOWUPS = """
INSERT INTO followup (id, operation_id, team_id, user_id, device_id, category, priority, description,
                      resident_consent, raised_at, visit_id, household_id, street_id, content_hash,
                      status, version)
SELECT r.id, r.operation_id, r.team_id, $13, $14, r.category, r.priority, r.description,
       r.resident_consent, r.raised_at, r.visit_id, r.household_id, r.street_id, r.content_hash, 'open', 1
  FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[], $5::text[], $6::text[], $7::bool[],
              $8::timestamptz[], $9::uuid[], $10::int[], $11::int[], $12::text[])
       AS r(id, operation_id, team_id, category, priority, description, resident_consent, raised_at,
            visit_id, household_id, street_id, content_hash)
 ORDER BY r.id
ON CONFLICT (id) DO NOTHING
RETURNING id
"""

_INSERT_RESIDENTS = """
INSERT INTO followup_resident (followup_id, name, phone, email, contact_method, language)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
ON CONFLICT (followup_id) DO NOTHING
"""

_INSERT_RECORD_PHOTOS = """
INSERT INTO record_photo (record_id, record_type, sha256, stage, position)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::smallint[])
ON CONFLICT (record_id, sha256) DO NOTHING
"""

_STORED_HASHES = {
    "visit": "SELECT id, content_hash FROM visit WHERE id = ANY($1::uuid[])",
    "fix": "SELECT id, content_hash FROM fix WHERE id = ANY($1::uuid[])",
    "followup": "SELECT id, content_hash FROM followup WHERE id = ANY($1::uuid[])",
}

_VISITS_BY_ID = """
SELECT v.id, v.operation_id, v.household_id, h.street_id
  FROM visit AS v JOIN household AS h ON h.id = v.household_id
 WHERE v.id = ANY($1::uuid[])
"""


def _json_text(column: list[Any]) -> str:
    return _json.encode(column).decode()


def _columns(rows: list[tuple], width: int) -> list[list[Any]]:
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


# ---------------------------------------------------------------- the push


class _Batch:
    """Results in the order the records came, filled in as each step decides."""

    def __init__(self, size: int):
        self.results: list[PushResult | None] = [None] * size

    def reject(self, index: int, record_id: str, reason: str, path: str | None = None) -> None:
        self.results[index] = PushResult(id=record_id, status="rejected", reason=reason, path=path)

    def done(self, index: int, record_id: str, status: PushStatus) -> None:
        self.results[index] = PushResult(id=record_id, status=status)

    def finish(self) -> list[PushResult]:
        """Every result, once each step has answered for every record."""
        results = [result for result in self.results if result is not None]
        if len(results) != len(self.results):  # pragma: no cover - a step forgot a record
            raise RuntimeError("a pushed record got no answer")
        return results


async def _insert_or_skip(raw: Any, kind: str, sql: str, args: list[Any],
                          accepted: list[tuple[int, Any, str]], batch: _Batch) -> set[uuid.UUID]:
    """Run one insert-or-skip; mark each record stored, duplicate, or rejected (other content)."""
    if not accepted:
        return set()
    stored = {row[0] for row in await raw.fetch(sql, *args)}
    skipped = [record.id for _, record, _ in accepted if record.id not in stored]
    existing = dict(await raw.fetch(_STORED_HASHES[kind], skipped)) if skipped else {}
    for index, record, digest in accepted:
        rid = str(record.id)
        if record.id in stored:
            batch.done(index, rid, "stored")
        elif existing.get(record.id) == digest:
            batch.done(index, rid, "duplicate")
        elif record.id in existing:
            batch.reject(index, rid, f"a different {kind} with id {rid} was stored before; the first version is "
                                     "kept. Give a new record a new id", "$.id")
        elif isinstance(record, Visit) and record.supersedes is not UNSET:  # lost to uq_visit_supersedes
            batch.reject(index, rid, f"visit {record.supersedes} was corrected by another tablet at the same "
                                     "moment; open the door again to see that correction, and correct it if "
                                     "it needs more", "$.supersedes")
        else:  # pragma: no cover - ON CONFLICT DO NOTHING skips only ids whose row has committed
            raise RuntimeError("a skipped record has no stored row")
    return stored


async def ingest(session: AsyncSession, user: CurrentUser, push: Push, settings: Settings) -> list[PushResult]:
    """Store a push's records exactly once; one result per record, in the order they came. `settings`
    reach the follow-ups' routing (bank holidays) and notifications (links)."""
    batch = _Batch(len(push.records))
    checked = _decode_and_check(push.records, batch)
    unique = _first_of_each_id(checked, batch)
    if unique:
        raw = await driver_connection(session)
        context = await _load_context(session, raw, user, [record for _, record, _ in unique])
        visits, others = _visits_and_the_rest(unique)
        # Visits first: fixes and follow-ups may point at a visit of the same push.
        await _store_visits(raw, user, push.device_id, context, visits, batch)
        if others:
            followups = await _store_fixes_and_followups(raw, user, push.device_id, context, others,
                                                         {record.id for _, record, _ in visits}, batch)
            if followups:  # routing, due date, first event, notifications: the follow-ups slice's
                await on_followups_stored(session, followups, settings)
    return batch.finish()


def _decode_and_check(records: Sequence[AnyRecord] | Sequence[msgspec.Raw],
                      batch: _Batch) -> list[tuple[int, Visit | Fix | Followup]]:
    """Each record decoded (if still raw) and checked on its own; a bad one is rejected with its reason."""
    checked: list[tuple[int, Visit | Fix | Followup]] = []
    for index, item in enumerate(records):
        if isinstance(item, msgspec.Raw):
            try:
                record = decode_record(item)
            except RecordError as exc:
                batch.reject(index, raw_record_id(item), exc.message, exc.path)
                continue
        else:
            record = item
        problems = check_record(record)
        if problems:
            batch.reject(index, str(record.id), "; ".join(problems))
            continue
        checked.append((index, record))
    return checked


def _first_of_each_id(checked: list[tuple[int, Visit | Fix | Followup]],
                      batch: _Batch) -> list[tuple[int, Visit | Fix | Followup, str]]:
    """Records with their content hash; the same id twice in one push counts once, as a second push would."""
    first: dict[uuid.UUID, str] = {}
    unique: list[tuple[int, Visit | Fix | Followup, str]] = []
    for index, record in checked:
        digest = content_hash(record)
        seen = first.get(record.id)
        if seen is None:
            first[record.id] = digest
            unique.append((index, record, digest))
        elif seen == digest:
            batch.done(index, str(record.id), "duplicate")
        else:
            batch.reject(index, str(record.id), f"record {record.id} appears twice in this push with different "
                                                "content; the first one is kept. Give a new record a new id", "$.id")
    return unique


def _visits_and_the_rest(unique: list[tuple[int, Visit | Fix | Followup, str]]
                         ) -> tuple[list[tuple[int, Visit, str]], list[tuple[int, Fix | Followup, str]]]:
    visits: list[tuple[int, Visit, str]] = []
    others: list[tuple[int, Fix | Followup, str]] = []
    for index, record, digest in unique:
        if isinstance(record, Visit):
            visits.append((index, record, digest))
        else:
            others.append((index, record, digest))
    return visits, others


class _Corrections:
    """What a push's corrections are checked against: the visits they name (stored, or earlier in
    the push), and which of those a correction of this push has already claimed."""

    def __init__(self, stored: dict[uuid.UUID, tuple[int, int, int, uuid.UUID | None]]):
        self.known = stored  # id -> (operation, household, team, superseded_by)
        self.rejected: set[uuid.UUID] = set()  # visits of this push refused so far
        self.claimed: dict[uuid.UUID, uuid.UUID] = {}  # earlier visit -> the correction of this push

    def accepted(self, record: Visit, team_id: int) -> None:
        """A visit of this push passed its checks: a later correction in the push may name it."""
        self.known.setdefault(record.id, (record.operation_id, record.household_id, team_id, None))

    def check(self, record: Visit, team_id: int) -> None:
        earlier = record.supersedes
        found = self.known.get(earlier)  # type: ignore[arg-type]
        if found is None:
            if earlier in self.rejected:
                raise _Reject(f"the visit it corrects ({earlier}) was rejected in this push; correct that visit "
                              "first", "$.supersedes")
            raise _Reject(f"the visit it corrects ({earlier}) is not on the server: send that visit first, then "
                          "this correction", "$.supersedes")
        operation_id, household_id, team, superseded_by = found
        if operation_id != record.operation_id or household_id != record.household_id:
            raise _Reject(f"visit {earlier} was at another door (household {household_id}); a correction "
                          "replaces a visit at the same door only", "$.supersedes")
        if team != team_id:
            raise _Reject(f"visit {earlier} was recorded by another pair; only the pair that made a visit may "
                          "correct it", "$.supersedes")
        by = self.claimed.get(earlier) or superseded_by  # type: ignore[arg-type]
        if by is not None and by != record.id:
            raise _Reject(f"visit {earlier} was corrected already (by visit {by}); open the door again and "
                          "correct the latest visit", "$.supersedes")
        self.claimed[earlier] = record.id  # type: ignore[index]


async def _corrections(raw: Any, visits: list[tuple[int, Visit, str]]) -> _Corrections | None:
    """The look-up for a push's corrections; None (no query) for a push without any."""
    named = sorted({r.supersedes for _, r, _ in visits if r.supersedes is not UNSET})
    if not named:
        return None
    stored = {row[0]: (row[1], row[2], row[3], row[4]) for row in await raw.fetch(_CORRECTED_VISITS, named)}
    return _Corrections(stored)


async def _store_visits(raw: Any, user: CurrentUser, device_id: str, context: _Context,
                        visits: list[tuple[int, Visit, str]], batch: _Batch) -> None:
    """Check each visit against the context and insert the good ones in one statement; then mark the
    visits that stored corrections replace."""
    accepted: list[tuple[int, Visit, str]] = []
    columns: list[list[Any]] = [[] for _ in range(16)]
    (ids, operations, households, teams, times, outcomes, questionnaires, answers, found_concerns, lons, lats,
     accuracies, notes, digests, communications, supersedes) = columns
    cards: list[tuple[str, int, int, int, uuid.UUID]] = []
    corrections = await _corrections(raw, visits)
    for index, record, digest in visits:
        try:
            team_id, found = _check_visit(record, context)
            if corrections is not None:
                if record.supersedes is not UNSET:
                    corrections.check(record, team_id)
                corrections.accepted(record, team_id)
        except _Reject as exc:
            batch.reject(index, str(record.id), exc.reason, exc.path)
            if corrections is not None:
                corrections.rejected.add(record.id)
            continue
        accepted.append((index, record, digest))
        ids.append(record.id)
        operations.append(record.operation_id)
        households.append(record.household_id)
        teams.append(team_id)
        times.append(record.visited_at)  # aware; PostgreSQL stores the instant (timestamptz, UTC)
        outcomes.append(record.outcome.value)
        questionnaires.append(record.questionnaire)
        answers.append(record.answers)  # an object inside its column's array: json_array_elements
        found_concerns.append("{" + ",".join(found) + "}")  # codes are [a-z0-9_]: nothing to quote
        location = record.location
        lons.append(location.lon if location is not None else None)
        lats.append(location.lat if location is not None else None)
        accuracies.append(location.accuracy_m if location is not None else None)
        notes.append(record.notes)
        digests.append(digest)
        communications.append(record.communication)  # an object (or null) in its column's array
        supersedes.append(None if record.supersedes is UNSET else record.supersedes)
        if record.card_code is not None:
            cards.append((code_hash(record.card_code), record.operation_id, record.household_id, team_id, record.id))
    stored = await _insert_or_skip(raw, "visit", _INSERT_VISITS, [*map(_json_text, columns), user.id, device_id],
                                   accepted, batch)
    cards = [card for card in cards if card[4] in stored]
    if cards:
        await raw.execute(_INSERT_CARDS, *_columns(cards, 5))
    if corrections is not None:
        replaced = [(r.id, r.supersedes) for _, r, _ in accepted if r.id in stored and r.supersedes is not UNSET]
        if replaced:
            await raw.execute(_MARK_SUPERSEDED, *_columns(sorted(replaced, key=lambda pair: pair[1]), 2))


async def _store_fixes_and_followups(raw: Any, user: CurrentUser, device_id: str, context: _Context,
                                     others: list[tuple[int, Fix | Followup, str]], in_push: set[uuid.UUID],
                                     batch: _Batch) -> list[uuid.UUID]:
    """Check and insert fixes and follow-ups (``in_push``: the ids of this push's visits); the ids of
    the follow-ups stored."""
    visit_ids = sorted({r.visit_id for _, r, _ in others if r.visit_id is not None})
    visits = {row[0]: (row[1], row[2], row[3]) for row in await raw.fetch(_VISITS_BY_ID, visit_ids)} \
        if visit_ids else {}

    fixes: list[tuple[int, Fix, str]] = []
    fix_rows: list[tuple] = []
    followups: list[tuple[int, Followup, str]] = []
    followup_rows: list[tuple] = []
    for index, record, digest in others:
        try:
            teams = _check_operation(record, context)
            team_id = _check_team(record, teams)
            household_id, street_id = _resolve_target(record, context, visits, in_push)
        except _Reject as exc:
            batch.reject(index, str(record.id), exc.reason, exc.path)
            continue
        if isinstance(record, Fix):
            fixes.append((index, record, digest))
            fix_rows.append((record.id, record.operation_id, team_id, record.category.value,
                             record.done_at.astimezone(UTC), record.visit_id, household_id, street_id,
                             record.notes, digest))
        else:
            followups.append((index, record, digest))
            followup_rows.append((record.id, record.operation_id, team_id, record.category.value,
                                  record.priority.value, record.description, record.resident_consent,
                                  record.raised_at.astimezone(UTC), record.visit_id, household_id, street_id,
                                  digest))
    fix_columns = _columns(fix_rows, 10)
    fixes_stored = await _insert_or_skip(raw, "fix", _INSERT_FIXES,
                                         [*fix_columns[:9], user.id, device_id, fix_columns[9]], fixes, batch)
    stored = await _insert_or_skip(raw, "followup", _INSERT_FOLLOWUPS,
                                   [*_columns(followup_rows, 12), user.id, device_id], followups, batch)
    # Photos by hash, for the records stored now (a duplicate's were stored with it the first time).
    photos = [(r.id, kind, p.sha256, p.stage.value if p.stage else None, position)
              for kind, rows, kept in (("fix", fixes, fixes_stored), ("followup", followups, stored))
              for _, r, _ in rows if r.id in kept for position, p in enumerate(r.photos)]
    if photos:
        await raw.execute(_INSERT_RECORD_PHOTOS, *_columns(photos, 5))
    residents = [(r.id, r.resident.name, r.resident.phone, r.resident.email,
                  r.resident.contact_method.value if r.resident.contact_method else None, r.resident.language)
                 for _, r, _ in followups if r.id in stored and r.resident_consent and r.resident is not None]
    if residents:
        await raw.execute(_INSERT_RESIDENTS, *_columns(residents, 6))
    return sorted(uuid.UUID(str(i)) for i in stored)


def _resolve_target(record: Fix | Followup, context: _Context, visits: dict[Any, tuple[int, int, int | None]],
                    in_push: set[uuid.UUID]) -> tuple[int | None, int | None]:
    """(household id, street id) of what a fix or follow-up is about; the street resolved from it."""
    if record.visit_id is not None:
        found = visits.get(record.visit_id)
        if found is None:
            if record.visit_id in in_push:
                raise _Reject(f"the visit it belongs to ({record.visit_id}) was rejected in this push; "
                              "correct that visit first", "$.visit_id")
            raise _Reject(f"unknown visit {record.visit_id}: push the visit before what belongs to it",
                          "$.visit_id")
        if found[0] != record.operation_id:
            raise _Reject(f"visit {record.visit_id} is not in operation {record.operation_id}", "$.visit_id")
        return found[1], found[2]
    if record.household_id is not None:
        return record.household_id, _check_household(record.household_id, record.operation_id, context)
    operation = context.streets.get(record.street_id)  # type: ignore[arg-type]
    if operation is None:
        raise _Reject(f"unknown street {record.street_id}; download the operation's pack again", "$.street_id")
    if operation != record.operation_id:
        raise _Reject(f"street {record.street_id} is not in operation {record.operation_id}", "$.street_id")
    return None, record.street_id
