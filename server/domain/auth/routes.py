"""Signing in and out, users (admins) and tablets' sessions (admins and coordinators)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from litestar import Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.security.jwt import Token
from msgspec import Meta
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.auth.services import add_user, authenticate, update_user
from server.domain.auth.sessions import (
    DEVICES,
    Device,
    DeviceOrderOut,
    device_of_session,
    device_orders,
    end_session,
    live_devices,
    open_order,
    order_device,
    record_erased,
    revoke_device,
    start_session,
)
from server.lib.auth import current_user, issue_token, not_signed_in, requires, requires_admin, session_cookie
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
    if data.device_id and await open_order(db_session, data.device_id) == "lost":
        # The right password on a tablet marked lost: it must erase itself first (its app does, on this 401).
        raise not_signed_in("lost")
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
    requires(role)(request, None)
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


class DeviceOrderIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: Literal["lost", "retired"]


@post("/api/v1/devices/{session_id:uuid}/order", tags=["auth"], summary="Mark a tablet lost or retired",
      guards=[admin_or_coordinator], status_code=204,
      description='`{"kind": "lost"}` ends every session on that tablet at once: its next request is refused with '
                  '`extra.reason` "lost", and it erases its store, photos and key, then reports it. '
                  '`{"kind": "retired"}` lets the tablet send what it still holds first, then it erases itself '
                  "the same way. GET /api/v1/devices/orders shows when each tablet reported.",
      **answers(400, 401, 403, 404, 422, when={403: "Only admins and coordinators mark tablets.",
                                                    404: "No live tablet session with that id that you may see."}))
async def mark_device(session_id: FromPath[uuid.UUID], data: JSONBody[DeviceOrderIn], request: Request,
                      db_session: NamedDependency[AsyncSession]) -> None:
    await order_device(db_session, request.app.state.session_gate, current_user(request), session_id, data.kind)


class DeviceOrderList(msgspec.Struct):
    items: list[DeviceOrderOut]


@get("/api/v1/devices/orders", tags=["auth"], summary="Tablets marked lost or retired, and when each erased itself",
     guards=[admin_or_coordinator], **answers(401, 403, when={403: "Only admins and coordinators see tablets."}))
async def list_device_orders(request: Request, db_session: NamedDependency[AsyncSession]) -> DeviceOrderList:
    """Newest first (the latest 200): `done_at` is when the tablet reported that it had erased itself."""
    return DeviceOrderList(items=await device_orders(db_session, current_user(request)))


class MyDeviceOrder(msgspec.Struct):
    #: "retired": send what you hold, then erase yourself and POST /api/v1/devices/erased.
    order: Literal["lost", "retired"] | None = None


@get("/api/v1/devices/mine", tags=["auth"], summary="Is there an order for this tablet?",
     **answers(401))
async def my_device_order(request: Request, db_session: NamedDependency[AsyncSession]) -> MyDeviceOrder:
    """A tablet asks after each push. (A lost tablet never gets here: its sessions have ended, so its
    requests are refused with `extra.reason` "lost".)"""
    user = current_user(request)
    if user.session_kind != "device":
        return MyDeviceOrder()
    found = await device_of_session(db_session, user.session_id)
    device_id = found[0] if found else None
    return MyDeviceOrder(order=await open_order(db_session, device_id) if device_id else None)  # type: ignore[arg-type]


@post("/api/v1/devices/erased", tags=["auth"], summary="A tablet reports that it has erased itself", status_code=204,
      description="Sent with the tablet's own token (Authorization: Bearer), which may have ended already (a lost "
                  "tablet's has): the signature proves which tablet it is. Records the time on the tablet's open "
                  "order and ends its remaining sessions.",
      **answers(401, 404, when={401: "No token, or not one this server signed.",
                                404: "There is no open order for this tablet."}))
async def device_erased(request: Request, db_session: NamedDependency[AsyncSession]) -> None:
    state = request.app.state
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    try:
        if scheme.lower() != "bearer" or not encoded:
            raise ValueError
        token = Token.decode(encoded.strip(), state.jwt_auth.token_secret, state.jwt_auth.algorithm)
        session_id = str(uuid.UUID(str(token.jti)))
    except Exception:  # any malformed, forged or expired token is the same answer
        raise NotAuthorizedException("Send this tablet's own token as Authorization: Bearer <token>.") from None
    if not await record_erased(db_session, state.session_gate, session_id):
        raise NotFoundException("There is no open lost or retired order for this tablet.")


ROUTES = [create_token, logout, create_user, change_user, check_role, list_devices, end_device, mark_device,
          list_device_orders, my_device_order, device_erased]
