"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106), off the event loop.

One argon2 check takes tens of milliseconds of CPU and 64 MiB. Run on the event loop, eight
concurrent bogus sign-ins moved /health from 7 ms to 2.6 s (issue 11). So the work goes to a
small thread pool of its own (argon2-cffi releases the GIL while it hashes), and a semaphore of
the same size keeps the waiting requests as cancellable coroutines rather than a queue of
threads: however many sign-ins arrive, at most HASHING_THREADS run at once and the event loop
keeps serving everything else.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# A hash of nothing, checked when the username is unknown so both paths take the same time.
_DUMMY = _hasher.hash("doorstep-no-such-user")

#: At most this many hashes at once per server process: half the cores (at least one), so the
#: event loop and PostgreSQL keep the rest.
HASHING_THREADS = max(1, (os.cpu_count() or 2) // 2)
_pool = ThreadPoolExecutor(max_workers=HASHING_THREADS, thread_name_prefix="argon2")
# One semaphore per event loop (a semaphore belongs to the loop it first waited on).
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def hash_password(password: str) -> str:
    """Blocking: for the command line and the demo loader. Request handlers use hash_password_async."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Blocking; request handlers use verify_password_async."""
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def hashing_slot() -> asyncio.Semaphore:
    """A turn at the hashing threads (`async with hashing_slot(): ...`). Sign-in holds it across its
    throttle check, the check of the password and the recording of the outcome, so a burst of
    attempts is judged one at a time, each seeing the failures before it."""
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        slots = _slots[loop] = asyncio.Semaphore(HASHING_THREADS)
    return slots


async def verify_password_in_pool(password_hash: str | None, password: str) -> bool:
    """verify_password on a hashing thread; the caller holds hashing_slot()."""
    return await asyncio.get_running_loop().run_in_executor(_pool, verify_password, password_hash, password)


async def hash_password_async(password: str) -> str:
    async with hashing_slot():
        return await asyncio.get_running_loop().run_in_executor(_pool, hash_password, password)
