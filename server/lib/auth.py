"""Sign-in tokens (Litestar's JWT support) and role guards.

The token carries who the user is (id, username, agency, roles), so a request needs no
database round trip to know it. The same token works as a Bearer header (tablets, API) and
as an HttpOnly cookie (the coordinators' and partners' web pages).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.security.jwt import JWTCookieAuth, Token

from server.settings import Settings

COOKIE_NAME = "doorstep_session"

# Paths served without a token: each either has its own sign-in or shows nothing personal.
PUBLIC_PATHS = [
    "^/health",
    "^/api/v1/auth/token",
    "^/schema",
    "^/static",
    "^/open311",  # Open311 uses an API key per agency instead
    "^/dashboard/login",
    "^/partner/login",
    "^/login",
    "^/$",
    "^/favicon",
]


class CurrentUser(msgspec.Struct, frozen=True):
    id: int
    username: str
    display_name: str
    agency_id: int
    agency_code: str
    roles: tuple[str, ...]

    def has(self, role: str) -> bool:
        return role in self.roles or "admin" in self.roles


async def _retrieve_user(token: Token, _: ASGIConnection) -> CurrentUser | None:
    extras = token.extras or {}
    try:
        return CurrentUser(
            id=int(token.sub),
            username=extras["username"],
            display_name=extras.get("display_name", extras["username"]),
            agency_id=int(extras["agency_id"]),
            agency_code=extras["agency_code"],
            roles=tuple(extras["roles"]),
        )
    except (KeyError, ValueError, TypeError):
        return None


def make_jwt_auth(settings: Settings) -> JWTCookieAuth[CurrentUser]:
    return JWTCookieAuth[CurrentUser](
        retrieve_user_handler=_retrieve_user,
        token_secret=settings.secret_key,
        default_token_expiration=dt.timedelta(seconds=settings.token_ttl_seconds),
        exclude=PUBLIC_PATHS,
        key=COOKIE_NAME,
        samesite="strict",
        secure=False,  # served over plain HTTP on 127.0.0.1 in the demo; TLS terminates in front in production
        openapi_security_scheme_name="BearerToken",
    )


def issue_token(auth: JWTCookieAuth[CurrentUser], user: CurrentUser) -> str:
    return auth.create_token(
        identifier=str(user.id),
        token_extras={
            "username": user.username,
            "display_name": user.display_name,
            "agency_id": user.agency_id,
            "agency_code": user.agency_code,
            "roles": list(user.roles),
        },
    )


def current_user(connection: ASGIConnection[Any, CurrentUser, Any, Any]) -> CurrentUser:
    user = connection.user
    if not isinstance(user, CurrentUser):
        raise NotAuthorizedException("Sign in first: send Authorization: Bearer <token> from POST /api/v1/auth/token.")
    return user


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
