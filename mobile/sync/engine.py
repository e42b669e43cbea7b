"""The sync engine: pull → apply → push → mark acknowledged, with retries and backoff.

No Kivy here. Results leave only through the `notify` callable, which the UI wraps in
Clock.schedule_once; the engine may call it from its own thread.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mobile.store import Store, SyncState
from mobile.sync.transport import Transport


@dataclass(frozen=True, slots=True)
class SyncStarted:
    """Sent to `notify` when an attempt begins (e.g. to show a spinner)."""


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """What one sync attempt did. Sent to `notify` when the attempt ends."""

    pulled: int = 0  # changes applied from the server
    stored: int = 0  # records the server stored now
    duplicates: int = 0  # records the server already had (acknowledged too)
    rejected: int = 0  # records set aside with the server's reason
    ok: bool = True  # the attempt went through every phase
    error: str | None = None  # a message a person can act on
    error_kind: str | None = None  # "network", "server", "auth", "forbidden", "storage", "request"
    retryable: bool = False  # the run loop will retry after a backoff
    state: SyncState | None = None  # the store's state after the attempt

    @property
    def needs_sign_in(self) -> bool:
        return self.error_kind == "auth"


SyncEvent = SyncStarted | SyncOutcome


@dataclass
class Backoff:
    """Exponential backoff with full jitter: delay = random(0, min(cap, base * 2**n))."""

    base: float = 2.0
    cap: float = 300.0
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay(self) -> float:
        raise NotImplementedError

    def reset(self) -> None:
        self.failures = 0


class SyncEngine:
    """Moves records between the store and the server.

    `sync_once()` makes one attempt and returns a SyncOutcome (it never raises for
    network, server, auth or storage trouble). `start()` runs a background loop that
    syncs when asked (`request_sync()`), every `interval` seconds, and after failures
    with backoff; `stop()` ends it.
    """

    def __init__(
        self,
        store: Store,
        transport: Transport,
        *,
        notify: Callable[[SyncEvent], None] | None = None,
        batch_size: int = 100,
        interval: float = 60.0,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        raise NotImplementedError

    def sync_once(self) -> SyncOutcome:
        """One attempt: pull and apply every downloaded operation, then push the outbox oldest first."""
        raise NotImplementedError

    def sync_until_done(self, max_attempts: int = 5, sleep: Callable[[float], None] = time.sleep) -> SyncOutcome:
        """Retry `sync_once` with backoff while the error is retryable, up to `max_attempts`."""
        raise NotImplementedError

    def download_pack(self, operation_id: int) -> SyncOutcome:
        """Fetch an operation's pack (If-None-Match) and store it; 403 removes it from the tablet's list."""
        raise NotImplementedError

    def request_sync(self) -> None:
        """Ask the background loop to sync now (e.g. a visit was saved, or the user tapped "Sync")."""
        raise NotImplementedError

    def start(self) -> None:
        """Start the background loop in a daemon thread."""
        raise NotImplementedError

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop the loop and wait for it; an attempt in progress finishes first."""
        raise NotImplementedError
