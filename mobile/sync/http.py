"""The real transport: the server's HTTP API (DESIGN.md "The contract") through httpx."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec

from mobile.store.credentials import DevicePolicy
from mobile.sync.transport import (
    AuthExpired,
    Forbidden,
    NetworkError,
    PackDownload,
    RequestRejected,
    ServerError,
    TokenGrant,
    TransportError,
    WrongPassword,
)
from shared_schemas.auth import SignInAnswer, SignInRequest
from shared_schemas.operations import ListedOperation, OperationList
from shared_schemas.pack import Pack
from shared_schemas.sync import PullResponse, PushRequest, PushResponse

# Built once from the contract's types (msgspec perf tip).
_pack_decoder = msgspec.json.Decoder(Pack)
_push_response_decoder = msgspec.json.Decoder(PushResponse)
_pull_response_decoder = msgspec.json.Decoder(PullResponse)
_operations_decoder = msgspec.json.Decoder(OperationList)
_sign_in_decoder = msgspec.json.Decoder(SignInAnswer)
_encoder = msgspec.json.Encoder()


class _DeviceOrder(msgspec.Struct, forbid_unknown_fields=False):
    order: str | None = None


_device_order_decoder = msgspec.json.Decoder(_DeviceOrder)


class HttpTransport:
    """Talks to `base_url` (e.g. "http://127.0.0.1:8000"); implements mobile.sync.transport.Transport.

    Every failure becomes a TransportError subclass: no answer → NetworkError, 5xx, 408, 429 or
    an answer that is not the API's (a captive portal's page) → ServerError, 401 → AuthExpired,
    403 → Forbidden, other 4xx → RequestRejected.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 20.0,
        client: httpx.Client | None = None,
    ) -> None:
        self._client = client or httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self._token = token

    def close(self) -> None:
        self._client.close()

    def set_token(self, token: str | None) -> None:
        self._token = token

    # ---- routes --------------------------------------------------------------------

    def sign_in(self, username: str, password: str, *, device_id: str | None = None,
                device_name: str | None = None) -> TokenGrant:
        request = SignInRequest(username=username, password=password, device_id=device_id, device_name=device_name)
        try:
            answer = self._send("POST", "/api/v1/auth/token", content=_encoder.encode(request),
                                headers={"Content-Type": "application/json"})
        except AuthExpired as exc:
            if exc.reason == "lost":  # the password was right, but this tablet was marked lost
                raise
            raise WrongPassword(exc.message, status=exc.status) from None
        except Forbidden as exc:
            raise WrongPassword(exc.message, status=exc.status) from None
        except ServerError as exc:
            if exc.status == 429:  # too many failed sign-ins: the server's answer stands, no offline fallback
                raise RequestRejected(exc.message, status=429) from None
            raise
        grant = self._decode(answer, _sign_in_decoder)
        self._token = grant.access_token
        policy = None
        if grant.tablet is not None:
            policy = DevicePolicy(idle_lock_seconds=round(grant.tablet.idle_lock_minutes * 60),
                                  offline_days=grant.tablet.offline_days)
        return TokenGrant(access_token=grant.access_token, expires_in=grant.expires_in,
                          user=msgspec.to_builtins(grant.user), policy=policy)

    def list_operations(self) -> list[ListedOperation]:
        items: list[ListedOperation] = []
        cursor: str | None = None
        while True:
            params = {"cursor": cursor} if cursor else {}
            page = self._decode(self._send("GET", "/api/v1/operations", params=params), _operations_decoder)
            items += page.items
            if not page.next:
                return items
            cursor = page.next

    def fetch_pack(
        self,
        operation_id: int,
        etag: str | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> PackDownload:
        headers = {"If-None-Match": etag} if etag else {}
        answer = self._send("GET", f"/api/v1/operations/{operation_id}/pack", headers=headers, progress=progress)
        if answer.status_code == 304:
            return PackDownload(pack=None, etag=etag)
        pack = self._decode(answer, _pack_decoder)
        return PackDownload(pack=pack, etag=answer.headers.get("etag"), raw=answer.content)

    def push(self, request: PushRequest) -> PushResponse:
        answer = self._send(
            "POST", "/api/v1/sync/push", content=_encoder.encode(request),
            headers={"Content-Type": "application/json"},
        )
        return self._decode(answer, _push_response_decoder)

    def pull(self, operation_id: int, since: str | None, *, device_id: str | None = None) -> PullResponse:
        params: dict[str, Any] = {"operation_id": operation_id}
        if since:
            params["since"] = since
        if device_id:
            params["device_id"] = device_id
        return self._decode(self._send("GET", "/api/v1/sync/pull", params=params), _pull_response_decoder)

    def device_order(self) -> str | None:
        answer = self._decode(self._send("GET", "/api/v1/devices/mine"), _device_order_decoder)
        return answer.order

    def report_erased(self, token: str) -> None:
        self._send("POST", "/api/v1/devices/erased", headers={"Authorization": f"Bearer {token}"})

    def upload_photo(self, sha256: str, data: bytes) -> bool:
        """PUT /api/v1/photos/{sha256}: True if the server kept it now, False if it had it already."""
        answer = self._send("PUT", f"/api/v1/photos/{sha256}", content=data, headers={"Content-Type": "image/jpeg"})
        return answer.status_code == 201

    # ---- plumbing ------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        headers: dict | None = None,
        progress: Callable[[float], None] | None = None,
        **kwargs: Any,
    ) -> _Answer:
        headers = dict(headers or {})
        if self._token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            with self._client.stream(method, path, headers=headers, **kwargs) as response:
                answer = _Answer(response.status_code, response.headers, _read(response, progress), path)
        except httpx.TransportError as exc:  # connect, read, write, timeouts, protocol
            raise NetworkError(f"no answer from the server ({type(exc).__name__})") from exc
        status = answer.status_code
        if status < 400:
            return answer
        detail, reason = _detail(answer)
        if status == 401:
            raise AuthExpired(detail, status=status, reason=reason)
        if status == 403:
            raise Forbidden(detail, status=status)
        if status >= 500 or status in (408, 429):  # busy or timed out: worth retrying later
            raise ServerError(detail, status=status)
        raise RequestRejected(detail, status=status, reason=reason)

    @staticmethod
    def _decode(answer: _Answer, decoder: Any) -> Any:
        try:
            if isinstance(decoder, type):
                return msgspec.json.decode(answer.content, type=decoder)
            return decoder.decode(answer.content)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            # Often a hotel or train wifi's sign-in page answering for the server.
            raise ServerError(f"an unexpected answer from {answer.path}: {exc}", status=answer.status_code) from None


@dataclass(frozen=True, slots=True)
class _Answer:
    """A response read in full."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    path: str


def _read(response: httpx.Response, progress: Callable[[float], None] | None) -> bytes:
    """Read the whole body, reporting the share of bytes received when the size is known."""
    total = int(response.headers.get("content-length") or 0)
    if progress is None or not total or response.status_code != 200:
        return response.read()
    chunks = []
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        # Bytes on the wire, so a compressed answer still ends at 1.0.
        progress(min(1.0, response.num_bytes_downloaded / total))
    return b"".join(chunks)


def _detail(answer: _Answer) -> tuple[str, str | None]:
    """The server's message for a person (or the HTTP status if it sent none), and its
    machine-readable reason (`extra.reason`, e.g. "revoked" on a 401) if it gave one."""
    try:
        body = msgspec.json.decode(answer.content)
    except msgspec.DecodeError:
        body = None
    message, reason = f"HTTP {answer.status_code}", None
    if isinstance(body, dict):
        for key in ("message", "detail"):
            if isinstance(body.get(key), str) and body[key]:
                message = body[key]
                break
        extra = body.get("extra")
        if isinstance(extra, dict) and isinstance(extra.get("reason"), str):
            reason = extra["reason"]
    return message, reason


__all__ = ["HttpTransport", "TransportError"]
