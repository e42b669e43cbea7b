"""The sync engine: pull → apply → push → mark acknowledged, with retries and backoff.

No Kivy here. Results leave only through the `notify` callable, which the UI wraps in
Clock.schedule_once; the engine may call it from its own thread.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec

from mobile.store import StorageFullError, Store, StoreError, SyncState
from mobile.store.ids import canonical_id
from mobile.sync import messages, wipe
from mobile.sync.transport import (
    AuthExpired,
    Forbidden,
    NetworkError,
    RequestRejected,
    ServerError,
    Transport,
    TransportError,
)
from shared_schemas.sync import PushRequest

log = logging.getLogger(__name__)

# A server that keeps saying "more" with the same cursor must not spin the engine.
_MAX_PULL_PAGES = 10_000


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
    unanswered: int = 0  # records sent but not named in the answer: still waiting
    photos_sent: int = 0  # photos the server has now (kept now or had already)
    ok: bool = True  # the attempt went through every phase
    error: str | None = None  # a message a person can act on
    error_kind: str | None = None  # "network", "server", "auth", "forbidden", "storage", "request"
    retryable: bool = False  # the run loop will retry after a backoff
    notices: tuple[str, ...] = ()  # things to tell the person that did not stop the sync
    state: SyncState | None = None  # the store's state after the attempt

    @property
    def needs_sign_in(self) -> bool:
        return self.error_kind == "auth"


SyncEvent = SyncStarted | SyncOutcome


@dataclass
class Backoff:
    """Exponential backoff with full jitter: delay = uniform(0, min(cap, base * 2**failures)).

    Full jitter spreads tablets that lost signal together, so they do not all retry at once.
    """

    base: float = 2.0
    #: At most this long between tries while the server is away: when it is back, waiting
    #: records go within this (plus the request), without a tap (issue 10: 15 s at most).
    cap: float = 10.0
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * 2 ** min(self.failures, 32))
        self.failures += 1
        return self.rng.uniform(0, ceiling)

    def reset(self) -> None:
        self.failures = 0


@dataclass
class _Tally:
    pulled: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    unanswered: int = 0
    photos_sent: int = 0
    notices: list[str] = field(default_factory=list)


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
        interval: float = 15.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.store = store
        self.transport = transport
        self._notify = notify
        self.batch_size = batch_size
        self.interval = interval
        self.backoff = backoff or Backoff()
        self._attempt = threading.Lock()  # one attempt at a time, whoever asks
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        #: Why the server last refused the token, in words: a sync after the dead token is forgotten
        #: goes without one, and its "no token" must not replace the real reason (e.g. revoked).
        self._refused_because: str | None = None

    # ---- one attempt ---------------------------------------------------------------

    def sync_once(self) -> SyncOutcome:
        """One attempt: pull and apply every downloaded operation, then push the outbox oldest first."""
        with self._attempt:
            self._emit(SyncStarted())
            tally = _Tally()
            try:
                self._pull_all(tally)
                self._push_all(tally)
                self._upload_photos(tally)
            except TransportError as exc:
                return self._finish(tally, *self._describe(exc))
            except StorageFullError as exc:
                return self._finish(tally, "storage", exc.message, False, True)
            except StoreError as exc:
                return self._finish(tally, "storage", exc.message, False, None)
            if tally.unanswered:
                return self._finish(
                    tally, "server", messages.say(messages.UNANSWERED, count=tally.unanswered), True, True
                )
            if (erased := self._follow_order()) is not None:
                return self._finish(tally, "auth", messages.ERASED[erased], False, True)
            return self._finish(tally, None, None, False, True)

    def sync_until_done(
        self, max_attempts: int = 5, sleep: Callable[[float], None] = time.sleep
    ) -> SyncOutcome:
        """Retry `sync_once` with backoff while the error is retryable, up to `max_attempts`."""
        outcome = self.sync_once()
        for _ in range(max_attempts - 1):
            if not outcome.retryable:
                break
            sleep(self.backoff.next_delay())
            outcome = self.sync_once()
        if not outcome.retryable:
            self.backoff.reset()
        return outcome

    def download_pack(
        self, operation_id: int, progress: Callable[[float], None] | None = None
    ) -> SyncOutcome:
        """Fetch an operation's pack (If-None-Match) and store it.

        `progress(fraction)` is called from this thread: up to 0.9 as the pack arrives
        (when the server gives its size), 1.0 once it is stored. 403 (the user was taken off the operation) removes its
        pack from the tablet; records made for it stay and are still sent.
        """
        with self._attempt:
            tally = _Tally()
            try:
                etag = self.store.pack_etag(operation_id)
                if progress is None:
                    download = self.transport.fetch_pack(operation_id, etag)
                else:
                    # Bytes received fill the bar to 90 %; storing the pack fills the rest.
                    download = self.transport.fetch_pack(operation_id, etag, progress=lambda f: progress(0.9 * f))
                if download.pack is not None:
                    self.store.save_pack(download.pack, download.etag, download.raw)
                if progress is not None:
                    progress(1.0)
            except Forbidden:
                self.store.forget_operation(operation_id)
                return self._finish(tally, "forbidden", messages.REMOVED_FROM_OPERATION, False, True, full_sync=False)
            except TransportError as exc:
                return self._finish(tally, *self._describe(exc), full_sync=False)
            except StoreError as exc:
                return self._finish(tally, "storage", exc.message, False, None, full_sync=False)
            return self._finish(tally, None, None, False, True, full_sync=False)

    # ---- phases --------------------------------------------------------------------

    def _pull_all(self, tally: _Tally) -> None:
        for operation in self.store.downloaded_operations():
            try:
                try:
                    self._pull(operation.id, tally)
                except RequestRejected:
                    # Usually a cursor the server no longer knows (a restored database): applying
                    # changes is idempotent, so pulling again from the start is safe.
                    if self.store.pull_cursor(operation.id) is None:
                        raise
                    self.store.reset_pull_cursor(operation.id)
                    self._pull(operation.id, tally)
            except Forbidden:
                # Taken off this operation: drop its addresses, keep its records, carry on.
                self.store.forget_operation(operation.id)
                tally.notices.append(messages.say(messages.REMOVED_FROM_NAMED_OPERATION, name=operation.name))
            except RequestRejected as exc:
                # Not worth blocking the push over: our records still go up.
                tally.notices.append(messages.say(messages.PULL_REFUSED, name=operation.name, detail=exc.message))

    def _pull(self, operation_id: int, tally: _Tally) -> None:
        for _ in range(_MAX_PULL_PAGES):
            since = self.store.pull_cursor(operation_id)
            page = self.transport.pull(operation_id, since, device_id=self.store.device_id)
            tally.pulled += self.store.apply_changes(operation_id, page)
            if not page.more or page.cursor == since:
                return

    def _push_all(self, tally: _Tally) -> None:
        last_seq = 0  # each record is sent at most once per attempt, oldest first
        while batch := self.store.outbox_waiting(self.batch_size, after_seq=last_seq):
            last_seq = batch[-1].seq
            sent = {entry.record_id for entry in batch}
            request = PushRequest(
                device_id=self.store.device_id, records=[msgspec.Raw(entry.payload) for entry in batch]
            )
            try:
                response = self.transport.push(request)
            except TransportError as exc:
                if exc.retryable:
                    self.store.note_push_attempt(sorted(sent), exc.message)
                raise
            answered = [result for result in response.results if canonical_id(result.id) in sent]
            stored, duplicates, rejected = self.store.mark_pushed(answered)
            tally.stored += stored
            tally.duplicates += duplicates
            tally.rejected += rejected
            named = {canonical_id(result.id) for result in answered}
            if missing := sorted(sent - named):
                tally.unanswered += len(missing)
                self.store.note_push_attempt(missing, messages.NOT_CONFIRMED)
        # Once per push, not per batch: residents' free text the server has had for a day leaves
        # the tablet; a failure is logged and skipped, never a reason to stop syncing.
        self.store.erase_acknowledged_text_quietly()

    def _upload_photos(self, tally: _Tally) -> None:
        """Each photo a sent or waiting record refers to, not yet on the server: PUT by its hash
        (idempotent: 2xx, kept now or already there, marks it sent). After the records, so a slow
        upload never holds one back; the server shows "photo on its way" meanwhile. A photo the
        server will not take is set aside with why (the sync page says it); one cut short on the
        way is sent again next time; no answer or a busy server stops here and the attempt is
        retried like any other."""
        box = self.store.photos()
        for upload in self.store.photos_waiting():
            try:
                data = box.read(upload.sha256)
            except StoreError as exc:  # gone or damaged on this tablet: nothing to send, ever
                self.store.photo_failed(upload.sha256, messages.say(messages.PHOTO_UNREADABLE, detail=exc.message),
                                        refused=True)
                tally.notices.append(messages.say(messages.PHOTO_UNREADABLE, detail=exc.message))
                continue
            try:
                self.transport.upload_photo(upload.sha256, data)
            except RequestRejected as exc:
                words, for_good = messages.photo_refused(exc.status, exc.reason, exc.message)
                self.store.photo_failed(upload.sha256, words, refused=for_good)
                tally.notices.append(words)
                continue
            except TransportError as exc:
                if exc.retryable:
                    self.store.photo_failed(upload.sha256, exc.message)
                raise
            self.store.photo_sent(upload.sha256)
            tally.photos_sent += 1

    # ---- wipe orders (a tablet marked lost or retired) -------------------------------

    def _follow_order(self) -> str | None:
        """After a complete push: a retired tablet with nothing left to send erases itself now.
        Returns the order carried out, or None. Asking is best effort: no answer, no order."""
        try:
            order = self.transport.device_order()
        except TransportError:
            return None
        if order not in ("retired", "lost") or (
                order == "retired" and (self.store.outbox_waiting(1) or self.store.photos_waiting(1))):
            return None
        self._erase(order)
        return order

    def _erase(self, kind: str) -> None:
        wipe.carry_out(self.store, self.transport, kind)

    # ---- reporting -----------------------------------------------------------------

    def _describe(self, exc: TransportError) -> tuple[str, str, bool, bool | None]:
        """(error_kind, message, retryable, online) for a transport error."""
        match exc:
            case NetworkError():
                return "network", messages.OFFLINE, True, False
            case ServerError():
                return "server", messages.say(messages.SERVER_TROUBLE, status=exc.status or "5xx"), True, True
            case AuthExpired() if exc.reason == "lost":
                # Marked lost: the wipe order is this refusal itself. Everything goes, then the report.
                self._erase("lost")
                return "auth", messages.ERASED["lost"], False, True
            case AuthExpired():
                # Keep every record and the verifier; only the dead token goes.
                if exc.reason != "no_token" or self._refused_because is None:
                    self._refused_because = messages.sign_in_again(exc.reason)
                self.store.forget_token()
                self.transport.set_token(None)
                return "auth", self._refused_because, False, True
            case Forbidden():
                return "forbidden", messages.say(messages.FORBIDDEN, detail=exc.message), False, True
            case RequestRejected():
                return "request", messages.say(messages.REQUEST_REJECTED, detail=exc.message), False, True
        return "request", exc.message, False, None

    def _finish(
        self,
        tally: _Tally,
        kind: str | None,
        error: str | None,
        retryable: bool,
        online: bool | None,
        *,
        full_sync: bool = True,
    ) -> SyncOutcome:
        ok = kind is None
        if ok:
            self._refused_because = None
        try:
            # Only a complete pull-and-push counts as "last synced"; a pack download does not.
            self.store.note_sync(ok=ok and full_sync, online=online, error=error)
            state = self.store.sync_state()
        except StoreError:
            log.exception("could not record the sync outcome")
            state = None
        outcome = SyncOutcome(
            pulled=tally.pulled, stored=tally.stored, duplicates=tally.duplicates,
            rejected=tally.rejected, unanswered=tally.unanswered, photos_sent=tally.photos_sent, ok=ok, error=error,
            error_kind=kind, retryable=retryable, notices=tuple(tally.notices), state=state,
        )
        self._emit(outcome)
        return outcome

    def _emit(self, event: SyncEvent) -> None:
        if self._notify is None:
            return
        try:
            self._notify(event)
        except Exception:  # a UI bug must not stop records being sent
            log.exception("sync notify callback failed")

    # ---- background loop -----------------------------------------------------------

    def request_sync(self) -> None:
        """Ask the background loop to sync now (a visit was saved, the user tapped "Sync", signal came back)."""
        self._wake.set()

    def connectivity_changed(self, online: bool) -> None:
        """Tell the engine the platform saw the network come or go: coming back syncs at once."""
        if online:
            self.backoff.reset()
            self.request_sync()

    def start(self) -> None:
        """Start the background loop in a daemon thread (syncs at once, then as described above)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="doorstep-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop the loop and wait for it; an attempt in progress finishes first."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                outcome = self.sync_once()
            except Exception:  # a bug in one attempt must not end automatic sync
                log.exception("sync attempt failed")
                outcome = SyncOutcome(ok=False, retryable=True)
            if outcome.retryable:
                delay: float | None = self.backoff.next_delay()
            elif outcome.needs_sign_in:
                delay = None  # nothing will work until the person signs in: wait to be asked
                self.backoff.reset()
            else:
                delay = self.interval
                self.backoff.reset()
            self._wake.wait(delay)

