"""Rules every HTTP answer and request obeys, whatever the route: the API takes JSON only, and
every answer carries the browser security headers.

A browser lets any page send a "simple" request to another site: a form posting
``text/plain``, ``application/x-www-form-urlencoded`` or ``multipart/form-data``, with the
cookies of the target. Refusing every other body type on the API (415) takes those requests
away from an attacker: a page that wants to send ``application/json`` must ask first (a CORS
preflight) and this server never says yes. Together with the CSRF check of cookie sessions
(server/lib/auth.py), it is how the API is safe from other sites' pages.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.lib.exceptions import UnsupportedMediaType
from server.settings import Settings

#: Methods whose body the API reads.
_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: The one exception: the upload routes (server/domain/imports/routes.py, and a questionnaire workbook's
#: import, server/domain/questionnaires/routes.py) take the file itself as the body, with one of these
#: types. None is a CORS "simple" type (text/plain or a form), so another site's page still cannot send
#: one without a preflight, and the CSRF check still applies.
FILE_UPLOAD_PATH = re.compile(r"^/api/v1/(?:operations/\d+/imports/(?:osm|addresses)|questionnaires/import)$")
FILE_TYPES = frozenset({"text/csv", "application/csv", "application/vnd.ms-excel", "application/octet-stream",
                        "application/xml", "text/xml", "application/vnd.openstreetmap.data+xml",
                        "application/x-osm+xml", "application/x-protobuf",
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
#: Photos (PUT /api/v1/photos/{sha256}) come as the image itself.
PHOTO_UPLOAD_PATH = re.compile(r"^/api/v1/photos/[^/]+$")  # the handler checks the name is a SHA-256
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "application/octet-stream"})
JSON_ONLY = ("The API takes JSON only: send the body as `Content-Type: application/json` "
             "(this request sent {sent}).")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def json_only(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: a request to /api/ with a body must say it is JSON (415 otherwise). A
    request without a body (no Content-Type, no length) passes: e.g. ``POST …/open``."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") in _WITH_BODY and scope["path"].startswith("/api/"):
            content_type = _header(scope, b"content-type")
            media = (content_type or "").split(";", 1)[0].strip().lower()
            if media != "application/json" and not (media in FILE_TYPES and FILE_UPLOAD_PATH.match(scope["path"])) \
                    and not (media in PHOTO_TYPES and PHOTO_UPLOAD_PATH.match(scope["path"])):
                length = _header(scope, b"content-length")
                has_body = content_type is not None or _header(scope, b"transfer-encoding") is not None or (
                    length is not None and length.strip() != "0")
                if has_body:
                    raise UnsupportedMediaType(JSON_ONLY.format(sent=f"`{content_type}`" if content_type
                                                                else "a body without a Content-Type"))
        await app(scope, receive, send)

    return middleware


def content_security_policy(settings: Settings) -> str:
    """Scripts, styles, frames and everything else from this site only; no inline script or
    style attribute runs (the pages keep theirs in files under /static). Images may also be
    ``data:`` URIs (Leaflet's and Swagger UI's stylesheets draw icons that way; an image runs
    nothing) and come from the deployment's own tile server when ``DOORSTEP_TILE_URL`` names one."""
    images = ["'self'", "data:"]
    tiles = urlsplit(settings.tile_url)
    if tiles.scheme in ("http", "https") and tiles.netloc:
        images.append(f"{tiles.scheme}://{tiles.netloc.replace('{s}', '*')}")  # {s}: Leaflet's subdomains
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self'", f"img-src {' '.join(images)}",
        "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ])


#: An SVG opened on its own (``…/map.svg`` in a tab of its own) is a document whose drawing is styled
#: inline, as matplotlib writes it: under the pages' policy it showed a black box. It needs nothing
#: but its own inline styles and data: images, and ``sandbox`` keeps any script in it from running.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; sandbox"


def security_headers(settings: Settings):
    """A ``before_send`` hook that puts the security headers on every answer (pages, API, files,
    errors and 404s alike): CSP, no framing, no sniffing, no referrer beyond this site, and HSTS
    when the deployment is served over HTTPS."""
    headers = {
        "content-security-policy": content_security_policy(settings),
        "x-frame-options": "DENY",
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "cross-origin-opener-policy": "same-origin",
    }
    if settings.https:
        headers["strict-transport-security"] = "max-age=31536000"

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            out = MutableScopeHeaders.from_message(message)
            for name, value in headers.items():
                out[name] = value
            if (out.get("content-type") or "").lower().startswith("image/svg+xml"):
                out["content-security-policy"] = SVG_POLICY

    return before_send


__all__ = ["FILE_TYPES", "FILE_UPLOAD_PATH", "JSON_ONLY", "PHOTO_TYPES", "PHOTO_UPLOAD_PATH", "SVG_POLICY",
           "content_security_policy", "json_only", "security_headers"]
