"""The outbox: records waiting to be sent, oldest first, and those set aside after a rejection."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from mobile.store.db import utc_now
from mobile.store.ids import canonical_id
from mobile.store.records import without_contact_details
from mobile.store.types import OutboxEntry, OutboxState
from shared_schemas.sync import PushResult

_COLUMNS = "seq, record_id, record_type, created_at, attempts, state, reason, payload"


def entries(
    conn: sqlite3.Connection, state: OutboxState, limit: int | None = None, after_seq: int = 0,
    due_at: str | None = None,
) -> list[OutboxEntry]:
    """Rows in `state` after `after_seq`; with `due_at`, only those not held past that time."""
    sql = f"SELECT {_COLUMNS} FROM outbox WHERE state = ? AND seq > ?"
    params: tuple = (str(state), after_seq)
    if due_at is not None:
        sql += " AND (not_before IS NULL OR not_before <= ?)"
        params += (due_at,)
    sql += " ORDER BY seq"
    if limit is not None:
        sql += " LIMIT ?"
        params += (limit,)
    return [
        OutboxEntry(
            seq=r[0], record_id=r[1], record_type=r[2], created_at=r[3], attempts=r[4],
            state=OutboxState(r[5]), reason=r[6], payload=bytes(r[7]),
        )
        for r in conn.execute(sql, params)
    ]


def count(conn: sqlite3.Connection, state: OutboxState) -> int:
    return conn.execute("SELECT count(*) FROM outbox WHERE state = ?", (str(state),)).fetchone()[0]


def apply_push_results(conn: sqlite3.Connection, results: Sequence[PushResult]) -> tuple[int, int, int]:
    """Act on each result that names a waiting record; call inside a write transaction.

    Only an answer naming the id removes a row (an ack), so a lost or partial answer
    leaves the rest waiting to be sent again. Results for ids not waiting are ignored.
    """
    stored = duplicate = rejected = 0
    now = utc_now()
    for result in results:
        record_id = canonical_id(result.id)
        row = conn.execute(
            "SELECT seq FROM outbox WHERE record_id = ? AND state = 'waiting'", (record_id,)
        ).fetchone()
        if row is None:
            continue
        if result.status in ("stored", "duplicate"):
            conn.execute("DELETE FROM outbox WHERE seq = ?", (row[0],))
            body = conn.execute("SELECT body FROM records WHERE id = ?", (record_id,)).fetchone()[0]
            conn.execute(
                "UPDATE records SET body = ?, acknowledged_at = ? WHERE id = ?",
                (without_contact_details(bytes(body)), now, record_id),
            )
            if result.status == "stored":
                stored += 1
            else:
                duplicate += 1
        elif result.status == "rejected":
            reason = result.reason or "The server refused this record without saying why."
            if result.path and not reason.rstrip().endswith("."):
                # a reason in plain words (shared_schemas.fields) says what it is about already
                reason = f"{reason} (field {result.path})"
            conn.execute(
                "UPDATE outbox SET state = 'rejected', reason = ?, attempts = attempts + 1 WHERE seq = ?",
                (reason, row[0]),
            )
            rejected += 1
    return stored, duplicate, rejected


def undo_held(conn: sqlite3.Connection, visit_id: str, now: str) -> bool:
    """Delete a visit still held back (and what belongs to it) with its outbox rows; call inside a write transaction."""
    held = conn.execute(
        "SELECT 1 FROM outbox WHERE record_id = ? AND state = 'waiting' AND not_before > ?", (visit_id, now)
    ).fetchone()
    if held is None:
        return False
    ids = [visit_id] + [r[0] for r in conn.execute("SELECT id FROM records WHERE visit_id = ?", (visit_id,))]
    conn.executemany("DELETE FROM outbox WHERE record_id = ?", [(i,) for i in ids])
    conn.executemany("DELETE FROM records WHERE id = ? AND origin = 'local'", [(i,) for i in ids])
    return True


def release_hold(conn: sqlite3.Connection, record_id: str) -> None:
    """Send a held record with the next push (a correction of it was saved: the visit must reach the
    server before the correction that names it); call inside a write transaction."""
    conn.execute("UPDATE outbox SET not_before = NULL WHERE record_id = ? AND state = 'waiting'", (record_id,))


def note_attempt(conn: sqlite3.Connection, record_ids: Sequence[str], error: str) -> None:
    conn.executemany(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE record_id = ? AND state = 'waiting'",
        [(error, record_id) for record_id in record_ids],
    )


def rejected_dependents(conn: sqlite3.Connection, visit_id: str) -> list[str]:
    """Rejected fixes and follow-ups of a visit (the server rejects them with a rejected visit)."""
    return [
        r[0]
        for r in conn.execute(
            """
            SELECT o.record_id FROM outbox o JOIN records r ON r.id = o.record_id
            WHERE o.state = 'rejected' AND r.visit_id = ? ORDER BY o.seq
            """,
            (visit_id,),
        )
    ]


def requeue(conn: sqlite3.Connection, record_id: str, payload: bytes | None) -> bool:
    """Move a rejected record to the back of the queue (it is the newest attempt now)."""
    row = conn.execute(
        "SELECT seq, record_type, payload FROM outbox WHERE record_id = ? AND state = 'rejected'",
        (record_id,),
    ).fetchone()
    if row is None:
        return False
    conn.execute("DELETE FROM outbox WHERE seq = ?", (row[0],))
    conn.execute(
        "INSERT INTO outbox (record_id, record_type, payload, created_at) VALUES (?, ?, ?, ?)",
        (record_id, row[1], payload if payload is not None else row[2], utc_now()),
    )
    return True

