"""What the sync engine needs from the network, and the errors it can raise.

The engine only sees this protocol, so tests inject a fake or faulty network and the
app injects HttpTransport.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from mobile.store.credentials import DevicePolicy

if TYPE_CHECKING:
    from shared_schemas.operations import ListedOperation
    from shared_schemas.pack import Pack
    from shared_schemas.sync import PullResponse, PushRequest, PushResponse


class TransportError(Exception):
    """Base of transport errors. `message` tells the person what to do."""

    retryable = False

    def __init__(self, message: str, *, status: int | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        #: The server's machine-readable why (``extra.reason``), e.g. "hash_mismatch" on a photo's 400.
        self.reason = reason


class NetworkError(TransportError):
    """No answer: no signal, server unreachable, timeout, connection dropped. Retried."""

    retryable = True


class ServerError(TransportError):
    """The server answered 5xx. Retried."""

    retryable = True


class AuthExpired(TransportError):
    """401: the token is missing, wrong or expired, or its session ended. The person must sign in again.

    `reason` is the server's machine-readable why (shared_schemas.auth): e.g. "revoked" when an
    admin or coordinator ended this tablet's session, "user_deactivated", "expired".
    """


class WrongPassword(TransportError):
    """The token route refused the username or password."""


class Forbidden(TransportError):
    """403: e.g. the user was taken off this operation."""


class RequestRejected(TransportError):
    """Another 4xx: the request itself is wrong; retrying it unchanged will not help."""


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """The token route's answer."""

    access_token: str
    expires_in: int | None
    user: dict
    #: The organisation's tablet policy (idle lock, days offline), when the server sends one.
    policy: DevicePolicy | None = None


@dataclass(frozen=True, slots=True)
class PackDownload:
    """A pack answer: `pack` is None when the server said 304 Not Modified."""

    pack: Pack | None
    etag: str | None
    raw: bytes | None = None  # the JSON as received, stored as is


class Transport(Protocol):
    """The server's HTTP API as the tablet uses it. Raises TransportError subclasses."""

    def sign_in(self, username: str, password: str, *, device_id: str | None = None,
                device_name: str | None = None) -> TokenGrant:
        """POST /api/v1/auth/token, as this tablet (a device session). Also makes the transport use
        the new token."""
        ...

    def set_token(self, token: str | None) -> None:
        """Use this bearer token from now on."""
        ...

    def list_operations(self) -> list[ListedOperation]:
        """GET /api/v1/operations: the operations this user may see (all pages)."""
        ...

    def fetch_pack(
        self,
        operation_id: int,
        etag: str | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> PackDownload:
        """GET /api/v1/operations/{id}/pack with If-None-Match; progress(fraction) as it arrives."""
        ...

    def push(self, request: PushRequest) -> PushResponse:
        """POST /api/v1/sync/push."""
        ...

    def pull(self, operation_id: int, since: str | None, *, device_id: str | None = None) -> PullResponse:
        """GET /api/v1/sync/pull?operation_id=&since=&device_id=: with this tablet's device id, every
        visit but its own pushes (the partner's tablet's too)."""
        ...

    def device_order(self) -> str | None:
        """GET /api/v1/devices/mine: "retired" (or "lost") if this tablet was marked so, else None."""
        ...

    def report_erased(self, token: str) -> None:
        """POST /api/v1/devices/erased with this (maybe ended) token: the tablet has erased itself."""
        ...

    def upload_photo(self, sha256: str, data: bytes) -> bool:
        """PUT /api/v1/photos/{sha256}: True if the server kept it now, False if it had it already."""
        ...
