"""Offline sign-in and unlocking: argon2id verifiers of the password and the PIN, the last token,
and the limits on guessing; never the password or the PIN themselves.

**argon2id, RFC 9106's second recommended parameters** (for memory-constrained machines):
3 passes over 64 MiB with 4 lanes, a 16-byte random salt, a 32-byte tag. Measured on one of these
development machines' cores (AMD EPYC): about 0.15–0.2 s a check; a mid-range tablet (e.g. an
8-core Cortex-A55/A75 at 2 GHz with 3–4 GB of RAM) is about three times slower, so a sign-in or an
unlock costs the person ~0.5 s, and every guess costs an attacker the same 64 MiB and half a second
of a tablet's cores. (Before issue 15 the check was scrypt at ~84 ms a guess; a scrypt verifier
still on a tablet is checked once more and replaced by an argon2id one at that sign-in.)

**Guessing** (counted for the tablet, whoever types, password or PIN alike, in the encrypted store):
after FREE_FAILURES wrong attempts each next one must wait (WAITS), and after MAX_FAILURES only an
online sign-in (the server checks the password) opens the tablet again. A correct offline sign-in or
unlock, or any online sign-in, starts the count again.

**Days without the server**: when the tablet has not reached the server for the organisation's
number of days (``DevicePolicy.offline_days``, 3 by default, sent with each online sign-in), only an
online sign-in opens it, so a tablet marked lost cannot be used for long without hearing its wipe
order.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mobile.store.db import utc_now, utc_text
from mobile.store.errors import NotSignedInError, OnlineSignInNeededError, WaitBeforeRetryError
from mobile.store.types import Session
from shared_schemas.fields import Translate, as_written

ARGON2_TIME_COST = 3
ARGON2_MEMORY_KIB = 64 * 1024
ARGON2_PARALLELISM = 4
ARGON2_PARAMS = {"t": ARGON2_TIME_COST, "m": ARGON2_MEMORY_KIB, "p": ARGON2_PARALLELISM}

#: Wrong offline passwords or PINs before each next attempt must wait.
FREE_FAILURES = 5
#: Wrong attempts after which only an online sign-in opens the tablet.
MAX_FAILURES = 10
#: How long to wait after the nth wrong attempt (n from FREE_FAILURES to MAX_FAILURES - 1), seconds.
WAITS = {5: 30, 6: 60, 7: 120, 8: 300, 9: 600}

PIN_LENGTHS = (4, 8)

WRONG_OFFLINE = (
    "Wrong username or password. (No signal, so this was checked against the last "
    "online sign-in on this tablet.)"
)
NEVER_ONLINE = (
    "{username} has not signed in on this tablet before, and there is no signal. "
    "Sign in once where there is signal; after that you can sign in offline."
)
TOO_MANY = (
    "Too many wrong attempts on this tablet: sign in where there is signal (the server checks your "
    "password). Everything recorded is kept."
)
WAIT = "Too many wrong attempts: wait {wait} before you try again. Everything recorded is kept."
OFFLINE_TOO_LONG = (
    "This tablet has not reached the server for {days}: sign in where there is signal before it "
    "shows anything more. Everything recorded is kept and will be sent."
)
TRIES_LEFT = " {left} more wrong attempt{s} and you will have to wait."


@dataclass(frozen=True, slots=True)
class DevicePolicy:
    """What the organisation sets for its tablets (sent with each online sign-in)."""

    idle_lock_seconds: int = 300
    offline_days: int = 3


# ---------------------------------------------------------------- verifiers

def _argon2(secret: str, salt: bytes, params: dict) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(secret.encode(), salt, time_cost=int(params["t"]), memory_cost=int(params["m"]),
                           parallelism=int(params["p"]), hash_len=32, type=Type.ID)


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)


def new_verifier(secret: str) -> tuple[bytes, bytes, str]:
    """(salt, verifier, parameters as JSON) of a new argon2id verifier."""
    salt = os.urandom(16)
    return salt, _argon2(secret, salt, ARGON2_PARAMS), json.dumps(ARGON2_PARAMS)


def _matches(secret: str, kdf: str, salt: bytes, stored: bytes, params: str | None,
             scrypt: tuple[int, int, int]) -> bool:
    if kdf == "argon2id":
        computed = _argon2(secret, salt, json.loads(params or "{}") or ARGON2_PARAMS)
    else:  # "scrypt": written before issue 15
        computed = _scrypt(secret, salt, *scrypt)
    return hmac.compare_digest(computed, stored)


PIN_LENGTH = "A PIN is {low} to {high} digits."
PIN_ONE_DIGIT = "Choose a PIN that is not one digit repeated."
PIN_RUN = "Choose a PIN that is not a run of digits like 1234."
#: pin_problem's sentences, for the tablet's catalog (scripts/tablet_messages.py).
PIN_MESSAGES = (PIN_LENGTH, PIN_ONE_DIGIT, PIN_RUN)


def pin_problem(pin: str, translate: Translate = as_written) -> str | None:
    """What is wrong with a PIN someone chose, in plain words (``translate``: the interface's language,
    before the sentence is filled in), or None."""
    low, high = PIN_LENGTHS
    if not pin.isdigit() or not low <= len(pin) <= high:
        return translate(PIN_LENGTH).format(low=low, high=high)
    if len(set(pin)) == 1:
        return translate(PIN_ONE_DIGIT)
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:], strict=False)}
    if steps in ({1}, {-1}):
        return translate(PIN_RUN)
    return None


# ---------------------------------------------------------------- attempts

@dataclass(frozen=True, slots=True)
class Attempts:
    failures: int
    last_failure_at: datetime | None

    def wait_left(self, now: datetime) -> float:
        """Seconds before the next attempt is allowed (0 when it is)."""
        wait = WAITS.get(self.failures, 0) if self.failures < MAX_FAILURES else 0
        if not wait or self.last_failure_at is None:
            return 0.0
        return max(0.0, (self.last_failure_at + timedelta(seconds=wait) - now).total_seconds())


def attempts(conn: sqlite3.Connection) -> Attempts:
    meta = _meta(conn, "unlock_failures", "unlock_failed_at")
    failed_at = meta.get("unlock_failed_at")
    return Attempts(int(meta.get("unlock_failures") or 0), datetime.fromisoformat(failed_at) if failed_at else None)


def _note_failure(conn: sqlite3.Connection, now: datetime) -> Attempts:
    failures = attempts(conn).failures + 1
    _set_meta(conn, unlock_failures=str(failures), unlock_failed_at=utc_text(now))
    return Attempts(failures, now)


def _clear_failures(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM meta WHERE key IN ('unlock_failures', 'unlock_failed_at')")


def _refusal(conn: sqlite3.Connection, now: datetime) -> NotSignedInError | None:
    """Why no offline attempt may be made now, if so: too many failures, a wait, too long offline."""
    tried = attempts(conn)
    if tried.failures >= MAX_FAILURES:
        return OnlineSignInNeededError(TOO_MANY)
    wait = tried.wait_left(now)
    if wait > 0:
        return WaitBeforeRetryError(WAIT.format(wait=_duration(wait)), wait)
    away = offline_for(conn, now)
    days = policy(conn).offline_days
    if away is not None and away > timedelta(days=days):
        return OnlineSignInNeededError(OFFLINE_TOO_LONG.format(days=f"{days} day{'s' if days != 1 else ''}"))
    return None


def _failed(conn: sqlite3.Connection, now: datetime, message: str) -> NotSignedInError:
    tried = _note_failure(conn, now)
    if tried.failures >= MAX_FAILURES:
        return OnlineSignInNeededError(TOO_MANY)
    wait = tried.wait_left(now)
    if wait > 0:
        return WaitBeforeRetryError(f"{message} {WAIT.format(wait=_duration(wait))}", wait)
    left = FREE_FAILURES - tried.failures
    return NotSignedInError(message + TRIES_LEFT.format(left=left, s="s" if left != 1 else ""))


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = round(seconds / 60)
    return f"{minutes} minutes"


# ---------------------------------------------------------------- the server's last word

def note_server_contact(conn: sqlite3.Connection, now: datetime | None = None) -> None:
    _set_meta(conn, server_contact_at=utc_text(now or datetime.now(UTC)))


def offline_for(conn: sqlite3.Connection, now: datetime) -> timedelta | None:
    """How long since the tablet last heard from the server (None: never)."""
    value = _meta(conn, "server_contact_at").get("server_contact_at")
    return now - datetime.fromisoformat(value) if value else None


def policy(conn: sqlite3.Connection) -> DevicePolicy:
    meta = _meta(conn, "policy_idle_lock_seconds", "policy_offline_days")
    default = DevicePolicy()
    return DevicePolicy(
        idle_lock_seconds=int(meta.get("policy_idle_lock_seconds") or default.idle_lock_seconds),
        offline_days=int(meta.get("policy_offline_days") or default.offline_days))


def save_policy(conn: sqlite3.Connection, value: DevicePolicy) -> None:
    _set_meta(conn, policy_idle_lock_seconds=str(value.idle_lock_seconds),
              policy_offline_days=str(value.offline_days))


# ---------------------------------------------------------------- signing in and unlocking

def remember(
    conn: sqlite3.Connection, username: str, password: str, token: str, expires_in: int | None, user: dict,
    now: datetime | None = None,
) -> None:
    """After an online sign-in: the verifier and token, this user current, the count of wrong attempts
    cleared and the server's contact noted. Call inside a write transaction."""
    now = now or datetime.now(UTC)
    salt, verifier, params = new_verifier(password)
    expires_at = (now + timedelta(seconds=expires_in)).isoformat() if expires_in is not None else None
    pin = conn.execute("SELECT pin_salt, pin_verifier FROM credentials WHERE username = ?", (username,)).fetchone()
    conn.execute(
        """
        INSERT OR REPLACE INTO credentials
            (username, salt, verifier, scrypt_n, scrypt_r, scrypt_p, kdf, kdf_params, user_json, token,
             token_expires_at, signed_in_at, pin_salt, pin_verifier)
        VALUES (?, ?, ?, 0, 0, 0, 'argon2id', ?, ?, ?, ?, ?, ?, ?)
        """,
        (username, salt, verifier, params, json.dumps(user), token, expires_at, utc_now(),
         pin[0] if pin else None, pin[1] if pin else None),
    )
    _clear_failures(conn)
    note_server_contact(conn, now)
    _set_current(conn, username, offline=False)


def check_offline(conn: sqlite3.Connection, username: str, password: str, now: datetime) -> NotSignedInError | None:
    """Check a password against the stored verifier; on success make the user current. Returns the
    refusal (to raise once this transaction has counted the attempt), or None."""
    refusal = _refusal(conn, now)
    if refusal is not None:
        return refusal
    row = conn.execute(
        "SELECT salt, verifier, kdf, kdf_params, scrypt_n, scrypt_r, scrypt_p FROM credentials WHERE username = ?",
        (username,),
    ).fetchone()
    if row is None:
        return _failed(conn, now, NEVER_ONLINE.format(username=username))
    salt, stored, kdf, params, n, r, p = row
    if not _matches(password, kdf, bytes(salt), bytes(stored), params, (n, r, p)):
        return _failed(conn, now, WRONG_OFFLINE)
    if kdf != "argon2id":  # a verifier from before issue 15: replaced now that the password is at hand
        salt, verifier, params = new_verifier(password)
        conn.execute("UPDATE credentials SET salt = ?, verifier = ?, kdf = 'argon2id', kdf_params = ? "
                     "WHERE username = ?", (salt, verifier, params, username))
    _clear_failures(conn)
    _set_current(conn, username, offline=True)
    return None


def unlock(conn: sqlite3.Connection, secret: str, now: datetime) -> NotSignedInError | None:
    """Unlock the signed-in user's tablet with their PIN (if they chose one) or their password."""
    refusal = _refusal(conn, now)
    if refusal is not None:
        return refusal
    session = current(conn)
    if session is None:
        return NotSignedInError("Nobody is signed in on this tablet: sign in.")
    row = conn.execute(
        "SELECT salt, verifier, kdf, kdf_params, scrypt_n, scrypt_r, scrypt_p, pin_salt, pin_verifier "
        "FROM credentials WHERE username = ?", (session.username,)).fetchone()
    salt, stored, kdf, params, n, r, p, pin_salt, pin_verifier = row
    is_pin = secret.isdigit() and pin_verifier is not None
    if is_pin:
        ok = _matches(secret, "argon2id", bytes(pin_salt), bytes(pin_verifier), json.dumps(ARGON2_PARAMS), (0, 0, 0))
    else:
        ok = _matches(secret, kdf, bytes(salt), bytes(stored), params, (n, r, p))
    if not ok:
        return _failed(conn, now, "Wrong PIN." if is_pin else "Wrong password.")
    _clear_failures(conn)
    return None


def set_pin(conn: sqlite3.Connection, username: str, pin: str) -> None:
    salt, verifier, _ = new_verifier(pin)
    conn.execute("UPDATE credentials SET pin_salt = ?, pin_verifier = ? WHERE username = ?", (salt, verifier, username))


def has_pin(conn: sqlite3.Connection, username: str) -> bool:
    row = conn.execute("SELECT pin_verifier IS NOT NULL FROM credentials WHERE username = ?", (username,)).fetchone()
    return bool(row and row[0])


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
    _set_meta(conn, session_username=username, session_offline="1" if offline else "0")


def _meta(conn: sqlite3.Connection, *keys: str) -> dict[str, str]:
    marks = ", ".join("?" * len(keys))
    return dict(conn.execute(f"SELECT key, value FROM meta WHERE key IN ({marks})", keys).fetchall())


def _set_meta(conn: sqlite3.Connection, **values: str) -> None:
    conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(values.items()))
