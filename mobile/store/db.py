"""Opening the SQLCipher file and running transactions, with disk-full turned into a clear error.

The store is SQLCipher 4 (``sqlcipher3``: the stdlib ``sqlite3`` API over SQLCipher): every page
of the file and of its WAL is AES-256 encrypted and HMAC-SHA512 authenticated, under a raw
256-bit key (``mobile.store.cipher``), so no password stretching slows the opening.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlcipher3 import dbapi2 as sqlcipher

from mobile.store.errors import (
    DAMAGED_MESSAGE,
    FULL_DISK_MESSAGE,
    WRONG_KEY_MESSAGE,
    StorageFullError,
    StoreDamagedError,
    StoreUnreadableError,
)

#: What SQLCipher raises (the same classes as stdlib sqlite3's, from another module).
Error = sqlcipher.Error
_SQLITE_FULL = 13  # "database or disk is full"
_SQLITE_CORRUPT = 11  # "database disk image is malformed" (a page failed its HMAC, or a bad structure)
_SQLITE_NOTADB = 26  # "file is not a database"


def connect(path: str | Path, key: bytes) -> sqlite3.Connection:
    """Open the encrypted file with the durability settings every write relies on.

    WAL lets the UI read while the sync thread writes; synchronous=FULL makes each
    commit survive a power cut, not only an app kill. Autocommit mode (isolation_level
    None) so that every transaction is an explicit BEGIN IMMEDIATE … COMMIT below.
    The key must be the first statement; a wrong key shows at the first read (the caller checks).
    """
    conn = sqlcipher.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10.0)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")  # its own messages to stderr: we say what happened
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        _check_key(conn)
        # Sorts and temporary tables in memory: a temporary file would be one more place for data.
        conn.execute("PRAGMA temp_store = MEMORY")
        # Pages are decrypted as they are read; 16 MiB of decrypted pages in memory keeps the walk
        # list of a 20,000-door pack as quick as the plain store was (bench/mobile.py).
        conn.execute("PRAGMA cache_size = -16384")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        # Overwrite deleted content (resident contact details, once acknowledged) rather than
        # leaving it readable in free pages.
        conn.execute("PRAGMA secure_delete=ON")
    except Error as exc:
        conn.close()
        raise translate(exc) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _check_key(conn: sqlite3.Connection) -> None:
    """A wrong key (or a damaged first page: the two look the same) shows at the first read."""
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher.DatabaseError:
        raise StoreUnreadableError(WRONG_KEY_MESSAGE) from None


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
        if isinstance(exc, Error):
            raise translate(exc) from exc
        raise


def translate(exc: BaseException) -> BaseException:
    """Disk full becomes StorageFullError, a damaged page StoreDamagedError; other SQLite errors
    stay as they are (they are bugs)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code == _SQLITE_FULL or "disk is full" in str(exc):
        return StorageFullError(FULL_DISK_MESSAGE)
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return StoreDamagedError(DAMAGED_MESSAGE)
    return exc


def utc_now() -> str:
    """Now in UTC, ISO 8601, to the microsecond: sortable as text."""
    return datetime.now(UTC).isoformat()


def utc_text(moment: datetime) -> str:
    """An aware datetime as sortable UTC text (the contract refuses naive datetimes)."""
    return moment.astimezone(UTC).isoformat()
