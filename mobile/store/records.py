"""Writing records made on the tablet, each with its outbox row, and reading them back."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import cast

import msgspec

from mobile.store import photo_queue
from mobile.store.db import utc_now, utc_text
from mobile.store.errors import RecordInvalidError
from mobile.store.types import Attempt, AttemptState
from shared_schemas.questionnaire import Questionnaire, validate_answers
from shared_schemas.records import (
    AnyRecord,
    Fix,
    Followup,
    RecordError,
    Visit,
    check_record,
    decode_record,
    encode_record,
)


def check(record: AnyRecord, questionnaire: Questionnaire | None) -> None:
    """The contract's own checks (shared with the server), so a bad record never enters the queue."""
    problems = list(check_record(record))
    if (isinstance(record, Visit) and record.answers and questionnaire is not None
            and record.questionnaire == questionnaire.id):
        problems += [
            f"{e.question_id}: {e.message}" if e.question_id else e.message
            for e in validate_answers(questionnaire, record.answers)
        ]
    if problems:
        raise RecordInvalidError("This record cannot be saved: " + "; ".join(problems))


def insert_local(conn: sqlite3.Connection, record: AnyRecord, *, not_before: str | None = None) -> bool:
    """Insert a record made here and its outbox row; call inside a write transaction.

    Returns False (and writes nothing) if a record with this id is already stored,
    so saving twice never queues a duplicate.
    """
    payload = encode_record(record)
    record_id = str(record.id)
    columns = _columns(record)
    inserted = conn.execute(
        """
        INSERT OR IGNORE INTO records
            (id, type, operation_id, household_id, street_id, visit_id, team_id,
             happened_at, outcome, supersedes, body, origin)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'local')
        """,
        (record_id, *columns, payload),
    ).rowcount
    if not inserted:
        return False
    conn.execute(
        "INSERT INTO outbox (record_id, record_type, payload, created_at, not_before) VALUES (?, ?, ?, ?, ?)",
        (record_id, columns[0], payload, utc_now(), not_before),
    )
    photo_queue.queue(conn, record)
    return True


def replace_local(conn: sqlite3.Connection, record: AnyRecord) -> bytes:
    """Overwrite a local record's body (a correction of a rejected record). Returns the new payload."""
    payload = encode_record(record)
    conn.execute(
        """
        UPDATE records SET type = ?, operation_id = ?, household_id = ?, street_id = ?, visit_id = ?,
                           team_id = ?, happened_at = ?, outcome = ?, supersedes = ?, body = ?
        WHERE id = ? AND origin = 'local'
        """,
        (*_columns(record), payload, str(record.id)),
    )
    photo_queue.queue(conn, record)
    return payload


def _columns(record: AnyRecord) -> tuple:
    """type, operation_id, household_id, street_id, visit_id, team_id, happened_at, outcome, supersedes."""
    match record:
        case Visit():
            return ("visit", record.operation_id, record.household_id, None, None,
                    record.team_id, utc_text(record.visited_at), str(record.outcome), _text(record.supersedes))
        case Fix():
            return ("fix", record.operation_id, record.household_id, record.street_id,
                    _text(record.visit_id), record.team_id, utc_text(record.done_at), None, None)
        case Followup():
            return ("followup", record.operation_id, record.household_id, record.street_id,
                    _text(record.visit_id), record.team_id, utc_text(record.raised_at), None, None)
    raise TypeError(f"not a record: {type(record).__name__}")


def _text(value: object) -> str | None:
    return None if value is None or value is msgspec.UNSET else str(value)


def without_contact_details(body: bytes) -> bytes:
    """The record with resident contact details removed: kept on the tablet only until acknowledged."""
    record = decode_record(body)
    if isinstance(record, Followup) and record.resident is not None:
        return encode_record(msgspec.structs.replace(record, resident=None))
    return body


#: What a follow-up's description becomes once erased (the record type needs a non-empty one).
ERASED_DESCRIPTION = "Removed from this tablet after the server confirmed it; the full text is on the server."

#: For an operation id and a visit's questionnaire id: the ids of its text questions, or None
#: when the tablet does not hold that questionnaire (so which answers are text is unknown).
TextQuestions = Callable[[int, str], frozenset[str] | None]


def erase_acknowledged_text(conn: sqlite3.Connection, cutoff: str, text_questions: TextQuestions) -> int:
    """Erase residents' free text from acknowledged records that happened before `cutoff`.

    Call inside a write transaction. Only records made here, acknowledged by the server and
    not in the outbox (never waiting or set-aside ones) whose event time is before `cutoff`
    (UTC text): notes become "", a follow-up's description becomes ERASED_DESCRIPTION, and
    answers to text questions leave `answers`; everything else is kept. Each record is then
    marked (text_erased_at) and never read again. A visit whose questionnaire the tablet no
    longer holds loses its notes but stays unmarked, to lose its text answers once it does.
    Returns how many records changed.
    """
    rows = conn.execute(
        """
        SELECT id, operation_id, body FROM records
        WHERE origin = 'local' AND acknowledged_at IS NOT NULL AND text_erased_at IS NULL
          AND happened_at < ?
          AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.record_id = records.id)
        """,
        (cutoff,),
    ).fetchall()
    now = utc_now()
    rewritten, marked = [], []
    for record_id, operation_id, body in rows:
        body = bytes(body)
        erased, complete = _without_free_text(decode_record(body), operation_id, text_questions)
        new_body = encode_record(erased)
        if new_body != body:
            rewritten.append((new_body, now if complete else None, record_id))
        elif complete:
            marked.append((now, record_id))
    conn.executemany("UPDATE records SET body = ?, text_erased_at = ? WHERE id = ?", rewritten)
    conn.executemany("UPDATE records SET text_erased_at = ? WHERE id = ?", marked)
    return len(rewritten)


def _without_free_text(
    record: AnyRecord, operation_id: int, text_questions: TextQuestions
) -> tuple[AnyRecord, bool]:
    """(the record without its free text, whether every piece of free text could be told)."""
    match record:
        case Visit():
            answers, complete = record.answers, True
            if answers:
                text_ids = text_questions(operation_id, record.questionnaire or "")
                if text_ids is None:
                    complete = False
                elif text_ids.intersection(answers):
                    answers = {k: v for k, v in answers.items() if k not in text_ids}
            if record.notes or answers is not record.answers:
                record = msgspec.structs.replace(record, notes="", answers=answers)
            return record, complete
        case Fix():
            return (msgspec.structs.replace(record, notes="") if record.notes else record), True
        case Followup():
            if record.description != ERASED_DESCRIPTION or record.resident is not None:
                record = msgspec.structs.replace(record, description=ERASED_DESCRIPTION, resident=None)
            return record, True
    raise TypeError(f"not a record: {type(record).__name__}")


#: SQL: the visit ``v`` counts when the server has not refused it and no correction of it is on the
#: tablet (other than one the server refused): the tablet counts the latest, as the server does.
COUNTS = """NOT EXISTS (SELECT 1 FROM outbox o WHERE o.record_id = v.id AND o.state = 'rejected')
    AND NOT EXISTS (SELECT 1 FROM records c WHERE c.supersedes = v.id AND c.type = 'visit'
                    AND NOT EXISTS (SELECT 1 FROM outbox oc WHERE oc.record_id = c.id AND oc.state = 'rejected'))"""


def attempts(conn: sqlite3.Connection, operation_id: int, household_id: int) -> list[Attempt]:
    """Every visit at a door the tablet knows (made here or pulled), newest first; a correction
    before the visit it replaces."""
    rows = conn.execute(
        """
        SELECT v.id, v.team_id, v.outcome, v.happened_at, v.origin, v.supersedes, o.state, o.not_before,
               (SELECT c.id FROM records c WHERE c.supersedes = v.id AND c.type = 'visit'
                  AND NOT EXISTS (SELECT 1 FROM outbox oc WHERE oc.record_id = c.id AND oc.state = 'rejected')
                ORDER BY c.rowid DESC LIMIT 1),
               CASE WHEN v.outcome = 'card_left' THEN v.body END
        FROM records v LEFT JOIN outbox o ON o.record_id = v.id
        WHERE v.type = 'visit' AND v.operation_id = ? AND v.household_id = ?
        ORDER BY v.happened_at DESC, v.rowid DESC
        """,
        (operation_id, household_id),
    ).fetchall()
    now = utc_now()
    found = []
    for record_id, team_id, outcome, at, origin, supersedes, state, not_before, superseded_by, card_body in rows:
        if state == "rejected":
            where = AttemptState.REFUSED
        elif state == "waiting":
            where = AttemptState.HELD if not_before and not_before > now else AttemptState.WAITING
        else:
            where = AttemptState.SENT
        found.append(Attempt(record_id=record_id, team_id=team_id, outcome=outcome, visited_at=at,
                             origin=origin, state=where, supersedes=supersedes, superseded_by=superseded_by,
                             card_code=_card_code(card_body)))
    return found


def _card_code(body: bytes | None) -> str | None:
    """A card_left visit's code from its stored body (a pulled one has none: the pull leaves it out)."""
    if not body:
        return None
    code = msgspec.json.decode(body).get("card_code")
    return code if isinstance(code, str) else None


def card_codes(conn: sqlite3.Connection, operation_id: int, street_id: int) -> dict[int, str]:
    """Each door of the street whose latest visit left a card (made on this tablet): its code."""
    rows = conn.execute(
        """
        SELECT v.household_id, v.outcome, v.body FROM records v JOIN households h
          ON h.operation_id = v.operation_id AND h.id = v.household_id
        WHERE v.type = 'visit' AND v.operation_id = ? AND h.street_id = ?
        ORDER BY v.happened_at, v.rowid
        """,
        (operation_id, street_id),
    ).fetchall()
    latest: dict[int, str | None] = {}
    for household_id, outcome, body in rows:
        latest[household_id] = _card_code(body) if outcome == "card_left" else None
    return {door: code for door, code in latest.items() if code}


def visits_for_household(conn: sqlite3.Connection, operation_id: int, household_id: int) -> list[Visit]:
    """Local visits decode in full; pulled ones carry only what VisitChange has."""
    rows = conn.execute(
        """
        SELECT body FROM records
        WHERE type = 'visit' AND operation_id = ? AND household_id = ?
        ORDER BY happened_at, id
        """,
        (operation_id, household_id),
    ).fetchall()
    visits = []
    for (body,) in rows:
        try:
            visits.append(cast(Visit, decode_record(body)))  # the query took visits only
        except RecordError:  # saved by an app without today's limits, refused: the sync page shows it
            continue
    return visits

