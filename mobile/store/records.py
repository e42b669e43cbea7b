"""Writing records made on the tablet, each with its outbox row, and reading them back."""

from __future__ import annotations

import sqlite3

import msgspec
from shared_schemas.questionnaire import Questionnaire, validate_answers
from shared_schemas.records import (
    AnyRecord,
    Fix,
    Followup,
    Visit,
    check_record,
    decode_record,
    encode_record,
)

from mobile.store.db import utc_now, utc_text
from mobile.store.errors import RecordInvalidError


def check(record: AnyRecord, questionnaire: Questionnaire | None) -> None:
    """The contract's own checks (shared with the server), so a bad record never enters the queue."""
    problems = list(check_record(record))
    if isinstance(record, Visit) and record.answers and questionnaire is not None:
        if record.questionnaire == questionnaire.id:
            problems += [
                f"{e.question_id}: {e.message}" if e.question_id else e.message
                for e in validate_answers(questionnaire, record.answers)
            ]
    if problems:
        raise RecordInvalidError("This record cannot be saved: " + "; ".join(problems))


def insert_local(conn: sqlite3.Connection, record: AnyRecord) -> bool:
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
             happened_at, outcome, body, origin)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'local')
        """,
        (record_id, *columns, payload),
    ).rowcount
    if not inserted:
        return False
    conn.execute(
        "INSERT INTO outbox (record_id, record_type, payload, created_at) VALUES (?, ?, ?, ?)",
        (record_id, columns[0], payload, utc_now()),
    )
    return True


def replace_local(conn: sqlite3.Connection, record: AnyRecord) -> bytes:
    """Overwrite a local record's body (a correction of a rejected record). Returns the new payload."""
    payload = encode_record(record)
    conn.execute(
        """
        UPDATE records SET type = ?, operation_id = ?, household_id = ?, street_id = ?, visit_id = ?,
                           team_id = ?, happened_at = ?, outcome = ?, body = ?
        WHERE id = ? AND origin = 'local'
        """,
        (*_columns(record), payload, str(record.id)),
    )
    return payload


def _columns(record: AnyRecord) -> tuple:
    """type, operation_id, household_id, street_id, visit_id, team_id, happened_at, outcome."""
    match record:
        case Visit():
            return ("visit", record.operation_id, record.household_id, None, None,
                    record.team_id, utc_text(record.visited_at), str(record.outcome))
        case Fix():
            return ("fix", record.operation_id, record.household_id, record.street_id,
                    _text(record.visit_id), record.team_id, utc_text(record.done_at), None)
        case Followup():
            return ("followup", record.operation_id, record.household_id, record.street_id,
                    _text(record.visit_id), record.team_id, utc_text(record.raised_at), None)
    raise TypeError(f"not a record: {type(record).__name__}")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def without_contact_details(body: bytes) -> bytes:
    """The record with resident contact details removed: kept on the tablet only until acknowledged."""
    record = decode_record(body)
    if isinstance(record, Followup) and record.resident is not None:
        return encode_record(msgspec.structs.replace(record, resident=None))
    return body


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
    return [decode_record(body) for (body,) in rows]

