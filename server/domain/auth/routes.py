"""Signing in and out, users (admins) and tablets' sessions (admins and coordinators)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec
from litestar import Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from msgspec import Meta
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.auth.services import add_user, authenticate, update_user
from server.domain.auth.sessions import DEVICES, Device, end_session, live_devices, revoke_device, start_session
from server.lib.auth import current_user, issue_token, requires, requires_admin, session_cookie
from server.lib.clients import request_client
from server.lib.openapi import answers
from shared_schemas.auth import SignedInUser, SignInAnswer, SignInRequest, TabletPolicy


class UserOut(msgspec.Struct):
    id: int
    username: str
    display_name: str
    agency_code: str
    roles: list[str]
    active: bool = True


@post("/api/v1/auth/token", tags=["auth"], summary="Sign in", status_code=200,
      description="A tablet sends its `device_id` (and a `device_name` people recognise): its session then lives "
                  "while the tablet keeps using it, one per user and tablet. Without one, the sign-in is a web "
                  "session of fixed length, also set as the pages' HttpOnly cookie.",
      **answers(400, 401, 422, 429, when={401: "Wrong username or password (or the user is deactivated)."}))
async def create_token(data: JSONBody[SignInRequest], request: Request,
                       db_session: NamedDependency[AsyncSession]) -> Response[SignInAnswer]:
    state = request.app.state
    user = await authenticate(state.db_engine, state.sign_in_throttle, data.username, data.password,
                              request_client(request))
    started = await start_session(db_session, state.settings, user.id, device_id=data.device_id,
                                  device_name=data.device_name)
    token = issue_token(state.jwt_auth, user.id, started.id, started.token_expires_at)
    lifetime = int((started.token_expires_at - dt.datetime.now(dt.UTC)).total_seconds())
    body = SignInAnswer(
        access_token=token, expires_in=lifetime, session_id=str(started.id), session_kind=started.kind,  # type: ignore[arg-type]
        user=SignedInUser(id=user.id, username=user.username, display_name=user.display_name,
                          agency_code=user.agency_code, roles=list(user.roles)))
    if started.kind == "device":
        body.tablet = TabletPolicy(idle_lock_minutes=state.settings.tablet_idle_lock_minutes,
                                   offline_days=state.settings.tablet_offline_days)
        return Response(body)
    # The web pages sign in through the same route and keep the token in an HttpOnly cookie.
    return Response(body, cookies=[session_cookie(state.settings, f"Bearer {token}", lifetime)])


@post("/api/v1/auth/logout", tags=["auth"], summary="Sign out: end this session", status_code=204,
      **answers(401, when={401: "Not signed in, or this session has ended already."}))
async def logout(request: Request, db_session: NamedDependency[AsyncSession]) -> None:
    """The token (or cookie) this request came with stops working, everywhere."""
    user = current_user(request)
    await end_session(db_session, request.app.state.session_gate, user.session_id, "signed_out", by=user)
    return Response(None, status_code=204, cookies=[session_cookie(request.app.state.settings, "", 0)])  # type: ignore[return-value]


class NewUser(msgspec.Struct):
    username: Annotated[str, Meta(min_length=1, max_length=80)]
    password: str
    display_name: Annotated[str, Meta(min_length=1, max_length=200)]
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


class UserPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only what is sent changes."""

    active: bool | None = None
    roles: list[str] | None = None
    agency: str | None = None
    display_name: Annotated[str, Meta(max_length=200)] | None = None
    password: str | None = None


@patch("/api/v1/users/{username:str}", tags=["auth"], summary="Change a user (admins)", guards=[requires_admin],
       description='`{"active": false}` deactivates the user and ends every session of theirs at once; a new '
                   "`password` ends them too. Roles, agency and name apply to their live sessions within "
                   "30 seconds.",
       **answers(400, 401, 403, 404, 422, when={403: "Only admins change users.",
                                                     404: "There is no such user, or no agency with that code.",
                                                     422: "A field is wrong (unknown role, short password), or "
                                                          "you tried to deactivate or demote yourself."}))
async def change_user(username: FromPath[str], data: JSONBody[UserPatch], request: Request,
                      db_session: NamedDependency[AsyncSession]) -> UserOut:
    user, agency = await update_user(db_session, request.app.state.session_gate, current_user(request), username,
                                     active=data.active, roles=data.roles, agency_code=data.agency,
                                     display_name=data.display_name, password=data.password)
    return UserOut(id=user.id, username=user.username, display_name=user.display_name, agency_code=agency.code,
                   roles=list(user.roles), active=user.active)


class RoleCheck(msgspec.Struct):
    role: str
    username: str


@get("/api/v1/auth/check/{role:str}", tags=["auth"], summary="Do I hold this role?",
     **answers(401, 403, when={403: "You do not hold this role."}))
async def check_role(role: FromPath[str], request: Request) -> RoleCheck:
    """Lets a client (and the tests) ask whether the signed-in user holds a role: 200 or 403."""
    user = current_user(request)
    requires(role)(request, None)  # type: ignore[arg-type]
    return RoleCheck(role=role, username=user.username)


# ---------------------------------------------------------------- tablets


class DeviceList(msgspec.Struct):
    items: list[Device]
    next: str | None = None


admin_or_coordinator = requires("admin", "coordinator")


@get("/api/v1/devices", tags=["auth"], summary="Tablets signed in (admins: all; coordinators: their operations')",
     guards=[admin_or_coordinator],
     **answers(400, 401, 403, 422, when={403: "Only admins and coordinators see tablets."}))
async def list_devices(request: Request, db_session: NamedDependency[AsyncSession],
                       limit: FromQuery[int] = DEVICES.default,
                       cursor: Annotated[str | None, QueryParameter(max_length=200)] = None) -> DeviceList:
    """Live tablet sessions, most recently seen first: a coordinator sees the tablets of the people on
    the pairs of the operations they run."""
    rows, next_cursor = await live_devices(db_session, current_user(request), limit=limit, cursor=cursor)
    return DeviceList(items=rows, next=next_cursor)


@delete("/api/v1/devices/{session_id:uuid}", tags=["auth"], summary="End a tablet's session",
        guards=[admin_or_coordinator], status_code=204,
        **answers(401, 403, 404, when={403: "Only admins and coordinators end tablets' sessions.",
                                       404: "No live tablet session with that id that you may see."}))
async def end_device(session_id: FromPath[uuid.UUID], request: Request,
                     db_session: NamedDependency[AsyncSession]) -> None:
    """The tablet's next request is refused with 401 and `extra.reason` "revoked"."""
    await revoke_device(db_session, request.app.state.session_gate, current_user(request), session_id)


ROUTES = [create_token, logout, create_user, change_user, check_role, list_devices, end_device]
