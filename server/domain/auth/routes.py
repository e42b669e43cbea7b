"""POST /api/v1/auth/token: username and password in, a bearer token out."""

from __future__ import annotations

import msgspec
from litestar import Request, Response, post
from litestar.datastructures import Cookie
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.auth.services import authenticate
from server.lib.auth import COOKIE_NAME, issue_token


class TokenRequest(msgspec.Struct):
    username: str
    password: str


class UserOut(msgspec.Struct):
    id: int
    username: str
    display_name: str
    agency_code: str
    roles: list[str]


class TokenResponse(msgspec.Struct):
    access_token: str
    expires_in: int
    user: UserOut
    token_type: str = "bearer"


@post("/api/v1/auth/token", tags=["auth"], summary="Sign in", status_code=200)
async def create_token(data: TokenRequest, request: Request, db_session: AsyncSession) -> Response[TokenResponse]:
    state = request.app.state
    user = await authenticate(db_session, state.login_throttle, data.username, data.password,
                              request.client.host if request.client else "unknown")
    token = issue_token(state.jwt_auth, user)
    ttl = state.settings.token_ttl_seconds
    body = TokenResponse(
        access_token=token,
        expires_in=ttl,
        user=UserOut(id=user.id, username=user.username, display_name=user.display_name,
                     agency_code=user.agency_code, roles=list(user.roles)),
    )
    # The web pages sign in through the same route and keep the token in an HttpOnly cookie.
    cookie = Cookie(key=COOKIE_NAME, value=f"Bearer {token}", httponly=True, samesite="strict", max_age=ttl, path="/")
    return Response(body, cookies=[cookie])


ROUTES = [create_token]
