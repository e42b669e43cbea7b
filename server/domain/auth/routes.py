"""POST /api/v1/auth/token: username and password in, a bearer token out."""

from __future__ import annotations

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.auth.services import add_user, authenticate
from server.lib.auth import COOKIE_NAME, current_user, issue_token, requires, requires_admin
from server.lib.openapi import answers


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


@post("/api/v1/auth/token", tags=["auth"], summary="Sign in", status_code=200,
      **answers(400, 401, 422, 429, when={401: "Wrong username or password (or the user is deactivated)."}))
async def create_token(data: JSONBody[TokenRequest], request: Request,
                       db_session: NamedDependency[AsyncSession]) -> Response[TokenResponse]:
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



class NewUser(msgspec.Struct):
    username: str
    password: str
    display_name: str
    agency: str
    roles: list[str]


@post("/api/v1/users", tags=["auth"], summary="Add a user (admins)", guards=[requires_admin], status_code=201,
      **answers(400, 401, 403, 404, 409, 422, when={403: "Only admins add users.",
                                                    404: "There is no agency with that code.",
                                                    409: "The username is taken."}))
async def create_user(data: JSONBody[NewUser], request: Request, db_session: NamedDependency[AsyncSession]) -> UserOut:
    actor = current_user(request)
    user = await add_user(db_session, username=data.username, password=data.password,
                          display_name=data.display_name, agency_code=data.agency, roles=data.roles,
                          actor_id=actor.id)
    return UserOut(id=user.id, username=user.username, display_name=user.display_name, agency_code=data.agency,
                   roles=list(user.roles))


class RoleCheck(msgspec.Struct):
    role: str
    username: str


@get("/api/v1/auth/check/{role:str}", tags=["auth"], summary="Does my token hold this role?",
     **answers(401, 403, when={403: "Your token does not hold this role."}))
async def check_role(role: FromPath[str], request: Request) -> RoleCheck:
    """Lets a client (and the tests) ask whether the signed-in user holds a role: 200 or 403."""
    user = current_user(request)
    requires(role)(request, None)  # type: ignore[arg-type]
    return RoleCheck(role=role, username=user.username)


ROUTES = [create_token, create_user, check_role]
