"""Sync engine for the tablet app. No Kivy: the UI passes `notify` and wraps it in Clock.schedule_once.

Public API (names are stable; the UI builds on them):

    transport = HttpTransport(base_url, token=None)
    engine = SyncEngine(store, transport, notify=callback)
    engine.sync_once() -> SyncOutcome     # one attempt, never raises for network/server/auth
    engine.sync_until_done(max_attempts)  # with backoff
    engine.download_pack(operation_id) -> SyncOutcome
    engine.start(); engine.request_sync(); engine.connectivity_changed(online); engine.stop()
    sign_in(store, transport, username, password) -> SignInResult   # online, else offline

`notify` receives SyncStarted then SyncOutcome (pulled, stored, duplicates, rejected,
unanswered, ok, error, error_kind, retryable, notices, state, needs_sign_in) from the
engine's thread; wrap it: notify=lambda e: Clock.schedule_once(lambda dt: vm.on_sync(e)).
"""

from mobile.sync.auth import SignInResult, sign_in
from mobile.sync.engine import Backoff, SyncEngine, SyncEvent, SyncOutcome, SyncStarted
from mobile.sync.http import HttpTransport
from mobile.sync.transport import (
    AuthExpired,
    Forbidden,
    NetworkError,
    PackDownload,
    RequestRejected,
    ServerError,
    TokenGrant,
    Transport,
    TransportError,
    WrongPassword,
)

__all__ = [
    "AuthExpired",
    "Backoff",
    "Forbidden",
    "HttpTransport",
    "NetworkError",
    "PackDownload",
    "RequestRejected",
    "ServerError",
    "SignInResult",
    "SyncEngine",
    "SyncEvent",
    "SyncOutcome",
    "SyncStarted",
    "TokenGrant",
    "Transport",
    "TransportError",
    "WrongPassword",
    "sign_in",
]
