"""The photos' upload queue: apart from the records, one row per photo a saved record refers to.

A record goes with the outbox and names its photos by hash; each photo then waits here until the
server has it (``PUT /api/v1/photos/{sha256}``, idempotent), so a record is never held back by a
slow upload and a photo referred to twice is sent once. The server stores a record whose photo
has not arrived yet ("photo on its way"). A photo the server will not take (too large, not an
image) is set aside with the reason in plain words and not sent again. A day after the server
had it the file leaves the tablet, with residents' free text (Store.erase_acknowledged_text).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from mobile.store.db import utc_now
from shared_schemas.records import AnyRecord, Fix, Followup

#: Where a photo stands, as the tablet shows it.
ON_ITS_WAY = "on its way"
SENT = "sent"
REFUSED = "refused"
NOT_SAVED = "not saved"  # chosen for a record not saved yet


@dataclass(frozen=True, slots=True)
class PhotoUpload:
    sha256: str
    attempts: int
    last_error: str | None
    refused: str | None


def photo_hashes(record: AnyRecord) -> list[str]:
    """The photos a record refers to, in the order taken."""
    return [ref.sha256 for ref in record.photos] if isinstance(record, (Fix, Followup)) else []


def queue(conn: sqlite3.Connection, record: AnyRecord) -> None:
    """Queue the photos of a record just saved (inside its write transaction); a photo already
    queued (or sent) is left as it is."""
    now = utc_now()
    conn.executemany("INSERT OR IGNORE INTO photo_uploads (sha256, queued_at) VALUES (?, ?)",
                     [(sha256, now) for sha256 in photo_hashes(record)])


def waiting(conn: sqlite3.Connection, limit: int | None = None) -> list[PhotoUpload]:
    """Photos to upload, oldest first (neither sent nor refused)."""
    sql = ("SELECT sha256, attempts, last_error, refused FROM photo_uploads "
           "WHERE sent_at IS NULL AND refused IS NULL ORDER BY queued_at, sha256")
    params: tuple = ()
    if limit is not None:
        sql += " LIMIT ?"
        params = (limit,)
    return [PhotoUpload(*row) for row in conn.execute(sql, params)]


def refused(conn: sqlite3.Connection) -> list[PhotoUpload]:
    """Photos the server would not take, with why."""
    return [PhotoUpload(*row) for row in conn.execute(
        "SELECT sha256, attempts, last_error, refused FROM photo_uploads WHERE refused IS NOT NULL "
        "ORDER BY queued_at, sha256")]


def count_waiting(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM photo_uploads WHERE sent_at IS NULL AND refused IS NULL").fetchone()[0]


def count_refused(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM photo_uploads WHERE refused IS NOT NULL").fetchone()[0]


def mark_sent(conn: sqlite3.Connection, sha256: str) -> None:
    """The server has it (kept now, or already had it)."""
    conn.execute("UPDATE photo_uploads SET sent_at = ?, last_error = NULL WHERE sha256 = ? AND sent_at IS NULL",
                 (utc_now(), sha256))


def note_failure(conn: sqlite3.Connection, sha256: str, error: str) -> None:
    """A try that failed and will be made again."""
    conn.execute("UPDATE photo_uploads SET attempts = attempts + 1, last_error = ? WHERE sha256 = ?",
                 (error, sha256))


def refuse(conn: sqlite3.Connection, sha256: str, reason: str) -> None:
    """The server will not take it: set aside, not sent again."""
    conn.execute("UPDATE photo_uploads SET attempts = attempts + 1, refused = ?, last_error = ? WHERE sha256 = ?",
                 (reason, reason, sha256))


def state(conn: sqlite3.Connection, sha256: str) -> str:
    """ON_ITS_WAY, SENT, REFUSED, or NOT_SAVED (no saved record refers to it yet)."""
    row = conn.execute("SELECT sent_at, refused FROM photo_uploads WHERE sha256 = ?", (sha256,)).fetchone()
    if row is None:
        return NOT_SAVED
    if row[0] is not None:
        return SENT
    return REFUSED if row[1] is not None else ON_ITS_WAY


def due_for_removal(conn: sqlite3.Connection, cutoff: str) -> list[str]:
    """Photos the server has had since before ``cutoff`` whose files are still here."""
    return [row[0] for row in conn.execute(
        "SELECT sha256 FROM photo_uploads WHERE sent_at IS NOT NULL AND sent_at < ? AND removed_at IS NULL",
        (cutoff,))]


def mark_removed(conn: sqlite3.Connection, hashes: list[str]) -> None:
    now = utc_now()
    conn.executemany("UPDATE photo_uploads SET removed_at = ? WHERE sha256 = ?", [(now, h) for h in hashes])


def is_queued(conn: sqlite3.Connection, sha256: str) -> bool:
    """A saved record refers to it (so removing it from a form must leave the file)."""
    return conn.execute("SELECT 1 FROM photo_uploads WHERE sha256 = ?", (sha256,)).fetchone() is not None
