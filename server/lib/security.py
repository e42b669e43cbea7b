"""Rules every HTTP answer and request obeys, whatever the route: the API takes JSON only.

A browser lets any page send a "simple" request to another site: a form posting
``text/plain``, ``application/x-www-form-urlencoded`` or ``multipart/form-data``, with the
cookies of the target. Refusing every other body type on the API (415) takes those requests
away from an attacker: a page that wants to send ``application/json`` must ask first (a CORS
preflight) and this server never says yes. Together with the CSRF check of cookie sessions
(server/lib/auth.py), it is how the API is safe from other sites' pages.
"""

from __future__ import annotations

import re

from litestar.types import ASGIApp, Receive, Scope, Send

from server.lib.exceptions import UnsupportedMediaType

#: Methods whose body the API reads.
_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: The one exception: the upload routes (server/domain/imports/routes.py) take the file itself as the
#: body, with one of these types. None is a CORS "simple" type (text/plain or a form), so another
#: site's page still cannot send one without a preflight, and the CSRF check still applies.
FILE_UPLOAD_PATH = re.compile(r"^/api/v1/operations/\d+/imports/(?:osm|addresses)$")
FILE_TYPES = frozenset({"text/csv", "application/csv", "application/vnd.ms-excel", "application/octet-stream",
                        "application/xml", "text/xml", "application/vnd.openstreetmap.data+xml",
                        "application/x-osm+xml", "application/x-protobuf"})
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
        if scope["type"] == "http" and scope["method"] in _WITH_BODY and scope["path"].startswith("/api/"):
            content_type = _header(scope, b"content-type")
            media = (content_type or "").split(";", 1)[0].strip().lower()
            if media != "application/json" and not (media in FILE_TYPES and FILE_UPLOAD_PATH.match(scope["path"])):
                length = _header(scope, b"content-length")
                has_body = content_type is not None or _header(scope, b"transfer-encoding") is not None or (
                    length is not None and length.strip() != "0")
                if has_body:
                    raise UnsupportedMediaType(JSON_ONLY.format(sent=f"`{content_type}`" if content_type
                                                                else "a body without a Content-Type"))
        await app(scope, receive, send)

    return middleware


__all__ = ["FILE_TYPES", "FILE_UPLOAD_PATH", "JSON_ONLY", "json_only"]
