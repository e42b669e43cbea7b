"""Offline sign-in: a salted scrypt verifier of the password and the last token; never the password."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
from datetime import UTC, datetime, timedelta

from mobile.store.db import utc_now
from mobile.store.errors import NotSignedInError
from mobile.store.types import Session

# scrypt cost: ~50 ms and 16 MiB on a laptop; slow enough to make guessing a stolen
# tablet's verifier expensive, quick enough for a sign-in on a cheap tablet.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1

WRONG_OFFLINE = (
    "Wrong username or password. (No signal, so this was checked against the last "
    "online sign-in on this tablet.)"
)
NEVER_ONLINE = (
    "{username} has not signed in on this tablet before, and there is no signal. "
    "Sign in once where there is signal; after that you can sign in offline."
)


def _verifier(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)


def remember(
    conn: sqlite3.Connection, username: str, password: str, token: str, expires_in: int | None, user: dict
) -> None:
    """Store the verifier and token and make this user current; call inside a write transaction."""
    salt = os.urandom(16)
    expires_at = (
        (datetime.now(UTC) + timedelta(seconds=expires_in)).isoformat() if expires_in is not None else None
    )
    conn.execute(
        """
        INSERT OR REPLACE INTO credentials
            (username, salt, verifier, scrypt_n, scrypt_r, scrypt_p, user_json, token, token_expires_at, signed_in_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        (username, salt, _verifier(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P),
         SCRYPT_N, SCRYPT_R, SCRYPT_P, json.dumps(user), token, expires_at, utc_now()),
    )
    _set_current(conn, username, offline=False)


def check_offline(conn: sqlite3.Connection, username: str, password: str) -> None:
    """Raise NotSignedInError unless the password matches the stored verifier; then make the user current."""
    row = conn.execute(
        "SELECT salt, verifier, scrypt_n, scrypt_r, scrypt_p FROM credentials WHERE username = ?", (username,)
    ).fetchone()
    if row is None:
        raise NotSignedInError(NEVER_ONLINE.format(username=username))
    salt, stored, n, r, p = row
    if not hmac.compare_digest(_verifier(password, bytes(salt), n, r, p), bytes(stored)):
        raise NotSignedInError(WRONG_OFFLINE)
    _set_current(conn, username, offline=True)


def current(conn: sqlite3.Connection) -> Session | None:
    row = conn.execute(
        """
        SELECT c.username, c.user_json, c.token, c.token_expires_at,
               (SELECT value FROM meta WHERE key = 'session_offline')
        FROM meta m JOIN credentials c ON c.username = m.value
        WHERE m.key = 'session_username'
        """
    ).fetchone()
    if row is None:
        return None
    return Session(
        username=row[0], user=json.loads(row[1]), token=row[2], token_expires_at=row[3], offline=row[4] == "1"
    )


def forget_token(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        UPDATE credentials SET token = NULL, token_expires_at = NULL
        WHERE username = (SELECT value FROM meta WHERE key = 'session_username')
        """
    )


def sign_out(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM meta WHERE key IN ('session_username', 'session_offline')")


def _set_current(conn: sqlite3.Connection, username: str, *, offline: bool) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        [("session_username", username), ("session_offline", "1" if offline else "0")],
    )
