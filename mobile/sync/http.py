"""The real transport: the server's HTTP API through httpx."""

from __future__ import annotations

import httpx


class HttpTransport:
    """Talks to `base_url` (e.g. "http://127.0.0.1:8000"); implements mobile.sync.transport.Transport."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 20.0,
        client: httpx.Client | None = None,
    ) -> None:
        raise NotImplementedError
