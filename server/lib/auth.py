"""Who is asking: sign-in tokens, the session each one names, and role guards.

A token (a JWT, Litestar's JWT support) names a session (``jti``) and its user (``sub``),
nothing more. Every request checks that session in PostgreSQL, the one truth every server
process shares: it must not have ended, and its user must be active. The user is built from
the database row, so a change of roles or agency applies at once. Each process trusts what it
read for at most ``DOORSTEP_SESSION_CHECK_SECONDS`` (≤ 30 s); what this process ends itself
(a sign-out, a deactivation) it refuses at once.

The same token works as a Bearer header (tablets, API clients) and as an HttpOnly cookie (the
coordinators' and partners' web pages). A request that sends an Authorization header is judged
by that header alone, never by a cookie beside it.

A browser sends the cookie by itself, even to a request another site's page makes. So a request
authenticated by the cookie that could change something (any method but GET, HEAD, OPTIONS)
must also come from this site (its Origin, or else its Referer) and carry the session's CSRF
token (the ``X-CSRF-Token`` header from fetch(), or a form's ``_csrf_token`` field); the pages
carry the token in ``<meta name="csrf-token">`` and their forms. A Bearer request needs neither:
no browser attaches an Authorization header on its own.

A 401 says why in ``extra.reason`` (shared_schemas.auth), so a tablet can tell "sign in again"
from "this tablet's session was revoked".
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import msgspec
from litestar.connection import ASGIConnection, Request
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware._utils import should_bypass_middleware
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTCookieAuth, JWTCookieAuthenticationMiddleware, Token
from litestar.types import Receive, Scope, Send
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.settings import Settings

COOKIE_NAME = "doorstep_session"

# Paths served without a token: each either has its own sign-in or shows nothing personal.
# Another slice's public pages add their prefix here (a regular expression matched at the start).
PUBLIC_PATHS = [
    "^/health",
    "^/api/v1/auth/token",
    "^/schema",
    "^/static",
    "^/open311",  # Open311 uses an API key per agency instead
    "^/dashboard/login",
    "^/partner/login",
    "^/admin/login",
    "^/login",
    "^/$",
    "^/favicon",
    "^/open-data",  # published open data; coordinators' previews check the session themselves (optional_user)
    "^/ogc",  # OGC API – Features: public collections; a coordinator's bearer token adds internal ones
    "^/respond",  # a resident answers with the code on the card left at the door (server/domain/respond/)
    "^/api/v1/devices/erased",  # a lost tablet's token has ended: the route checks its signature itself
]

#: What a 401 says, per reason (``extra.reason``; shared_schemas.auth lists the reasons).
REASON_MESSAGES = {
    "no_token": "Sign in first: send Authorization: Bearer <token> from POST /api/v1/auth/token.",
    "invalid_token": "Your sign-in is not valid or has expired: sign in again.",
    "expired": "Your sign-in has expired: sign in again.",
    "signed_out": "This sign-in was signed out: sign in again.",
    "revoked": "This sign-in was ended by an admin or coordinator: sign in again, or ask them why.",
    "user_deactivated": "This account is deactivated: ask an admin if you still need it.",
    "password_changed": "The password of this account was changed: sign in again with the new one.",
    "replaced": "You signed in again on this device, which ended this older sign-in: use the new one.",
    "lost": "This tablet was reported lost: it must erase what it holds. If it is back in the right hands, "
            "sign in again.",
    "retired": "This tablet was retired and has erased what it held: sign in again only if it is back in use.",
}


def not_signed_in(reason: str) -> NotAuthorizedException:
    return NotAuthorizedException(REASON_MESSAGES[reason], extra={"reason": reason},
                                  headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class CurrentUser(msgspec.Struct, frozen=True):
    id: int
    username: str
    display_name: str
    agency_id: int
    agency_code: str
    roles: tuple[str, ...]
    #: The session this request came with (user_session.id) and its kind, web or device.
    session_id: str = ""
    session_kind: str = "web"
    #: What the session's pages send back with a change (server/lib/auth.py, "CSRF").
    csrf_token: str = ""

    def has(self, role: str) -> bool:
        return role in self.roles or "admin" in self.roles


# ---------------------------------------------------------------- the per-request session check

# One round trip: the session, its user and agency; a session still in use is marked seen (at
# most once a minute), and a device session's end moves forward with use.
_LOOKUP = text("""
WITH seen AS (
    UPDATE user_session
       SET last_seen_at = now(),
           expires_at = CASE WHEN kind = 'device'
                             THEN greatest(expires_at, now() + make_interval(days => CAST(:device_days AS integer)))
                             ELSE expires_at END
     WHERE id = :sid AND ended_at IS NULL AND expires_at > now() AND last_seen_at < now() - interval '1 minute'
    RETURNING id
)
SELECT s.user_id, s.kind, s.ended_reason, s.expires_at <= now() AS expired,
       u.username, u.display_name, u.active, u.roles, a.id AS agency_id, a.code AS agency_code
  FROM user_session AS s
  JOIN app_user AS u ON u.id = s.user_id
  JOIN agency AS a ON a.id = u.agency_id
 WHERE s.id = :sid
""")


@dataclass(slots=True)
class _Known:
    until: float  # time.monotonic() after which the database is asked again
    user_id: int
    user: CurrentUser | None  # None: refused for `reason`
    reason: str | None = None


class SessionGate:
    """The per-request check of a token's session, with a short per-process memory.

    PostgreSQL holds the truth; this process remembers an answer for ``ttl`` seconds (≤ 30).
    What this process changes itself (:meth:`ended`, :meth:`user_changed`) applies here at
    once, even before the change commits; other processes see it when their memory of it runs
    out. (Refusing a session whose ending then fails to commit costs a sign-in at worst.)
    """

    MAX_REMEMBERED = 20_000

    def __init__(self, settings: Settings) -> None:
        self.ttl = settings.session_check_seconds
        self._csrf_key = hashlib.sha256(b"doorstep-csrf:" + settings.secret_key.encode()).digest()
        self.device_days = settings.device_session_days
        self._known: dict[str, _Known] = {}

    async def user_for(self, token: Token, engine: AsyncEngine) -> CurrentUser:
        sid = token.jti if isinstance(token.jti, str) else ""
        try:
            uuid.UUID(sid)
            user_id = int(token.sub)
        except ValueError:
            raise not_signed_in("invalid_token") from None
        now = time.monotonic()
        known = self._known.get(sid)
        if known is None or known.until <= now:
            known = await self._read(sid, engine, now)
        if known.user is None or known.user_id != user_id:
            raise not_signed_in(known.reason or "invalid_token")
        return known.user

    async def _read(self, sid: str, engine: AsyncEngine, now: float) -> _Known:
        async with engine.connect() as conn:
            row = (await conn.execute(_LOOKUP, {"sid": sid, "device_days": self.device_days})).mappings().first()
            await conn.commit()
        if row is None:
            known = _Known(now + self.ttl, -1, None, "invalid_token")
        elif row["ended_reason"] or row["expired"] or not row["active"]:
            reason = row["ended_reason"] or ("expired" if row["expired"] else "user_deactivated")
            known = _Known(now + self.ttl, row["user_id"], None, reason)
        else:
            known = _Known(now + self.ttl, row["user_id"], CurrentUser(
                id=row["user_id"], username=row["username"], display_name=row["display_name"],
                agency_id=row["agency_id"], agency_code=row["agency_code"], roles=tuple(row["roles"]),
                session_id=sid, session_kind=row["kind"], csrf_token=self._csrf(sid)))
        if len(self._known) >= self.MAX_REMEMBERED:
            self._known = {k: v for k, v in self._known.items() if v.until > now}
            if len(self._known) >= self.MAX_REMEMBERED:
                self._known.clear()
        self._known[sid] = known
        return known

    def _csrf(self, session_id: str) -> str:
        """The session's CSRF token: an HMAC of its id, so nothing more is stored and every process agrees."""
        digest = hmac.new(self._csrf_key, session_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def remembered(self, token: Token) -> CurrentUser | None:
        """The user of a session this process checked within its memory's time, or None; never asks the
        database (for the places that cannot wait for it, such as the styled 404 of an unknown address)."""
        known = self._known.get(token.jti if isinstance(token.jti, str) else "")
        if known is None or known.until <= time.monotonic() or known.user is None or str(known.user_id) != token.sub:
            return None
        return known.user

    def ended(self, session_id: str, reason: str) -> None:
        """This process ended a session: refuse it here at once (the database says so to the others)."""
        known = self._known.get(session_id)
        self._known[session_id] = _Known(time.monotonic() + self.ttl, known.user_id if known else -1, None, reason)

    def user_changed(self, user_id: int) -> None:
        """A user's row changed (roles, agency, name, active): read it again at their next request."""
        self._known = {k: v for k, v in self._known.items() if v.user_id != user_id or v.user is None}


# ---------------------------------------------------------------- CSRF (cookie-authenticated changes)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "_csrf_token"
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")

CROSS_SITE = ("This request came from another site's page, so it was refused (your session cookie is only good "
              "for Doorstep's own pages). Open the page on this site and try again.")
NO_CSRF_TOKEN = ("The page's security token is missing or out of date, so the change was refused: reload the "
                 "page and try again.")


def _origin(url: str) -> str | None:
    """scheme://host[:port] of a URL, the default port left out; None if it has none."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return None
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme)
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def allowed_origins(connection: ASGIConnection[Any, Any, Any, Any], settings: Settings) -> set[str]:
    """This site as the browser sees it: the Host it asked for (https when the deployment says it
    is served over HTTPS) and the configured public address."""
    scheme = "https" if settings.https else connection.scope.get("scheme", "http")
    origins = {o for o in (_origin(settings.public_url),) if o}
    host = connection.headers.get("host")
    if host:
        own = _origin(f"{scheme}://{host}")
        if own:
            origins.add(own)
    return origins


async def check_csrf(connection: ASGIConnection[Any, Any, Any, Any], user: CurrentUser, settings: Settings) -> None:
    """A cookie-authenticated change must come from this site and carry the session's token."""
    source = connection.headers.get("origin")
    if source is None or source == "null":
        referer = connection.headers.get("referer")
        source = _origin(referer) if referer else None
    if source is None or _origin(source) not in allowed_origins(connection, settings):
        raise PermissionDeniedException(CROSS_SITE, extra={"reason": "cross_site"})
    sent = connection.headers.get(CSRF_HEADER)
    if sent is None and connection.headers.get("content-type", "").split(";")[0].strip().lower() in _FORMS:
        form = await Request(connection.scope, connection.receive).form()  # kept in the scope for the handler
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not user.csrf_token or not hmac.compare_digest(sent.encode(), user.csrf_token.encode()):
        raise PermissionDeniedException(NO_CSRF_TOKEN, extra={"reason": "csrf_token"})


# ---------------------------------------------------------------- the middleware


class SessionAuthMiddleware(JWTCookieAuthenticationMiddleware):
    """Litestar's JWT cookie middleware, with one rule changed: an Authorization header, when
    sent, is the only credential looked at (Litestar's falls back to the cookie when the header
    is empty), so "bearer or cookie" is never ambiguous."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Litestar's base class builds the connection without `receive`; the CSRF check may need
        # to read a form's body (kept in the scope, so the handler reads it again).
        if not should_bypass_middleware(exclude_http_methods=self.exclude_http_methods,
                                        exclude_opt_key=self.exclude_opt_key, exclude_path_pattern=self.exclude,
                                        scope=scope, scopes=self.scopes):
            result = await self.authenticate_request(ASGIConnection(scope, receive))
            scope["user"] = result.user
            scope["auth"] = result.auth
        await self.app(scope, receive, send)

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        header = connection.headers.get(self.auth_header)
        if header is not None:
            scheme, _, encoded = header.strip().partition(" ")
            if scheme.lower() != "bearer" or not encoded.strip():
                raise not_signed_in("invalid_token")
            encoded = encoded.strip()
        else:
            encoded = connection.cookies.get(self.auth_cookie_key, "").split(" ")[-1]
            if not encoded:
                raise not_signed_in("no_token")
        result = await self.authenticate_token(encoded_token=encoded, connection=connection)
        if header is None and connection.scope.get("method", "GET") not in SAFE_METHODS:
            await check_csrf(connection, result.user, connection.app.state.settings)
        return result

    async def authenticate_token(self, encoded_token: str,
                                 connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        try:
            token = self.token_cls.decode(encoded_token=encoded_token, secret=self.token_secret,
                                          algorithm=self.algorithm, verify_exp=True, verify_nbf=True)
        except NotAuthorizedException:
            raise not_signed_in("invalid_token") from None
        user = await self.retrieve_user_handler(token, connection)
        return AuthenticationResult(user=user, auth=token)


async def _retrieve_user(token: Token, connection: ASGIConnection) -> CurrentUser:
    state = connection.app.state
    return await state.session_gate.user_for(token, state.db_engine)


def session_cookie_name(settings: Settings) -> str:
    """Over HTTPS the cookie is ``__Host-`` prefixed: browsers then only accept it Secure, for this
    exact host and path /, so no other subdomain or plain-HTTP page can set or overwrite it."""
    return f"__Host-{COOKIE_NAME}" if settings.https else COOKIE_NAME


def session_cookie(settings: Settings, value: str, max_age: int) -> Cookie:
    """The web pages' session cookie (HttpOnly, SameSite=Strict, Secure over HTTPS); `max_age` 0 clears it."""
    return Cookie(key=session_cookie_name(settings), value=value, httponly=True, samesite="strict",
                  secure=settings.https, max_age=max_age, path="/")


def make_jwt_auth(settings: Settings) -> JWTCookieAuth[CurrentUser]:
    return JWTCookieAuth[CurrentUser](
        retrieve_user_handler=_retrieve_user,
        token_secret=settings.secret_key,
        default_token_expiration=dt.timedelta(seconds=settings.token_ttl_seconds),
        exclude=PUBLIC_PATHS,
        key=session_cookie_name(settings),
        samesite="strict",
        secure=settings.https,
        openapi_security_scheme_name="BearerToken",
        authentication_middleware_class=SessionAuthMiddleware,
    )


def issue_token(auth: JWTCookieAuth[CurrentUser], user_id: int, session_id: uuid.UUID, expires_at: dt.datetime) -> str:
    """A token naming the session and its user; valid until `expires_at` unless the session ends first."""
    return auth.create_token(identifier=str(user_id), token_unique_jwt_id=str(session_id),
                             token_expiration=expires_at - dt.datetime.now(dt.UTC))


def current_user(connection: ASGIConnection[Any, CurrentUser, Any, Any]) -> CurrentUser:
    user = connection.scope.get("user")
    if not isinstance(user, CurrentUser):
        raise not_signed_in("no_token")
    return user


async def optional_user(connection: ASGIConnection) -> CurrentUser | None:
    """Who is asking on a public path (one the auth middleware skips), if anyone.

    Public pages and the OGC API show more to a signed-in coordinator. The token is checked by the
    app's own authentication middleware, exactly as on any other path. A bad bearer header is a
    401 (a GIS client should learn its token is wrong, not silently get less); a stale cookie only
    means the page is shown as to anyone.
    """
    auth = connection.app.state.jwt_auth
    has_header = bool(connection.headers.get(auth.auth_header))
    if not has_header and not connection.cookies.get(auth.key):
        return None
    state = connection.app.state
    middleware = getattr(state, "optional_auth_middleware", None)
    if middleware is None:
        async def _unused(*_: Any) -> None:  # the middleware is only asked to authenticate, never to pass on
            return None

        middleware = auth.middleware(_unused)
        state.optional_auth_middleware = middleware
    try:
        result = await middleware.authenticate_request(connection)
    except NotAuthorizedException:
        if has_header:
            raise
        return None
    return result.user if isinstance(result.user, CurrentUser) else None


def remembered_user(connection: ASGIConnection) -> CurrentUser | None:
    """Who is asking, if their token's session was checked by this process moments ago; else None.
    Synchronous and without the database: for an exception handler (an unknown address's 404), which
    shows more to a signed-in user but decides nothing by it."""
    auth = connection.app.state.jwt_auth
    header = connection.headers.get(auth.auth_header) or ""
    encoded = header.partition(" ")[2].strip() if header else connection.cookies.get(auth.key, "").split(" ")[-1]
    if not encoded:
        return None
    try:
        token = auth.token_cls.decode(encoded_token=encoded, secret=auth.token_secret, algorithm=auth.algorithm,
                                      verify_exp=True, verify_nbf=True)
    except NotAuthorizedException:
        return None
    return connection.app.state.session_gate.remembered(token)


def requires(*roles: str):
    """A guard that lets through users holding any of `roles` (admins hold every role)."""

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        if connection.scope.get("method") == "OPTIONS":
            return  # CORS preflight: the auth middleware does not run for it, and it reveals nothing
        user = current_user(connection)
        if not any(user.has(r) for r in roles):
            raise PermissionDeniedException(
                f"This needs the {' or '.join(roles)} role; you are signed in as {user.username} "
                f"({', '.join(user.roles) or 'no roles'}). Ask an admin if you need it."
            )

    guard.__name__ = f"requires_{'_or_'.join(roles)}"
    return guard


requires_visitor = requires("visitor")
requires_coordinator = requires("coordinator")
requires_partner = requires("partner")
requires_admin = requires("admin")
