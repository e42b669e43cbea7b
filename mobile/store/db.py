"""Opening the SQLite file and running transactions, with disk-full turned into a clear error."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from mobile.store.errors import FULL_DISK_MESSAGE, StorageFullError, StoreError

_SQLITE_FULL = 13  # "database or disk is full"


def connect(path: str | Path) -> sqlite3.Connection:
    """Open the file with the durability settings every write relies on.

    WAL lets the UI read while the sync thread writes; synchronous=FULL makes each
    commit survive a power cut, not only an app kill. Autocommit mode (isolation_level
    None) so that every transaction is an explicit BEGIN IMMEDIATE … COMMIT below.
    """
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10.0)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        # Overwrite deleted content (resident contact details, once acknowledged) rather than
        # leaving it readable in free pages.
        conn.execute("PRAGMA secure_delete=ON")
    except sqlite3.Error as exc:
        conn.close()
        raise translate(exc) from exc
    return conn


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT; rolled back whole on any error, so a write is all or nothing."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield conn
        conn.execute("COMMIT")
    except BaseException as exc:
        # SQLite may already have rolled back by itself (it does on SQLITE_FULL).
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise translate(exc) from exc
        raise


def translate(exc: sqlite3.Error) -> StoreError | sqlite3.Error:
    """Disk full becomes StorageFullError; other SQLite errors stay as they are (they are bugs)."""
    if getattr(exc, "sqlite_errorcode", None) == _SQLITE_FULL or "disk is full" in str(exc):
        return StorageFullError(FULL_DISK_MESSAGE)
    return exc


def utc_now() -> str:
    """Now in UTC, ISO 8601, to the microsecond: sortable as text."""
    return datetime.now(UTC).isoformat()


def utc_text(moment: datetime) -> str:
    """An aware datetime as sortable UTC text (the contract refuses naive datetimes)."""
    return moment.astimezone(UTC).isoformat()
