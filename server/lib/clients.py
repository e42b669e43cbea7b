"""Who is calling, as an address: the peer, or the client a trusted proxy says it forwards.

`X-Forwarded-For` is a header anyone can send. Believed from everyone, it let an attacker
rotate it and dodge the per-client sign-in throttle (issue 11). So it is read only when the
peer is a proxy the deployment names (``DOORSTEP_TRUSTED_PROXIES``), and then from the right:
each trusted proxy appends the address it saw, so the first address from the right that is not
a trusted proxy is the client; whatever the client wrote further left is ignored. (uvicorn's own
reading of the header is turned off in ``doorstep serve``: this is the one place.)
"""

from __future__ import annotations

import ipaddress

from litestar.connection import ASGIConnection

from server.settings import IPNetwork


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None, proxies: tuple[IPNetwork, ...]) -> bool:
    return address is not None and any(address in network for network in proxies)


def client_address(peer: str | None, forwarded_for: list[str], proxies: tuple[IPNetwork, ...]) -> str:
    """The client's address: `peer`, unless `peer` is a trusted proxy and the X-Forwarded-For
    values name someone before it."""
    current = _address(peer or "")
    if current is None:
        return peer or "unknown"
    hops = [hop for value in forwarded_for for hop in value.split(",")]
    while _trusted(current, proxies) and hops:
        before = _address(hops.pop())
        if before is None:  # not an address: written by the client, not by a proxy
            break
        current = before
    return str(current)


def request_client(connection: ASGIConnection) -> str:
    """client_address() of a request, with the deployment's trusted proxies."""
    peer = connection.client.host if connection.client else None
    return client_address(peer, connection.headers.getall("x-forwarded-for", []),
                          connection.app.state.settings.trusted_proxies)
