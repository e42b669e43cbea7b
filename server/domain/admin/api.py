"""The admin API: people, agencies, routing defaults and the audit log (admins only). Thin handlers over
the same services as the admin pages; adding and changing users is server/domain/auth/routes.py."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Request, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from server.lib.auth import current_user, requires_admin
from server.lib.openapi import answers

from . import agencies, audit_log, people, routing

ADMINS = {403: "Only admins."}
PAGED = answers(400, 401, 403, 422, when={**ADMINS, 400: "`cursor` is not one this list gave out."})
Cursor = Annotated[str | None, QueryParameter(max_length=200)]


class PeopleList(msgspec.Struct):
    items: list[people.Person]
    next: str | None = None


class AgencyList(msgspec.Struct):
    items: list[agencies.AgencyOut]


class RoutingDefaults(msgspec.Struct):
    routing: dict[str, str]


class RoutingDefaultsIn(msgspec.Struct, forbid_unknown_fields=True):
    routing: dict[str, str | None]


class AuditList(msgspec.Struct):
    items: list[audit_log.Entry]
    next: str | None = None


@get("/api/v1/users", tags=["admin"], summary="People (admins)", guards=[requires_admin], **PAGED)
async def list_people(db_session: NamedDependency[AsyncSession], agency: FromQuery[str] = "", role: FromQuery[str] = "",
                      active: FromQuery[bool | None] = None, limit: FromQuery[int] = people.USERS.default,
                      cursor: Cursor = None) -> PeopleList:
    """By username; each with their agency, roles, whether they can sign in, live sign-ins and last use."""
    rows, next_cursor = await people.people(db_session, agency=agency, role=role, active=active, limit=limit,
                                            cursor=cursor)
    return PeopleList(items=rows, next=next_cursor)


@get("/api/v1/agencies", tags=["admin"], summary="Agencies (admins)", guards=[requires_admin],
     **answers(401, 403, when=ADMINS))
async def list_agencies(db_session: NamedDependency[AsyncSession]) -> AgencyList:
    return AgencyList(items=await agencies.list_agencies(db_session))


@post("/api/v1/agencies", tags=["admin"], summary="Add an agency (admins)", guards=[requires_admin], status_code=201,
      **answers(400, 401, 403, 409, 422, when={**ADMINS, 409: "The code is taken."}))
async def add_agency(data: JSONBody[agencies.NewAgency], request: Request,
                     db_session: NamedDependency[AsyncSession]) -> agencies.AgencyOut:
    return await agencies.add_agency(db_session, current_user(request), data)


@patch("/api/v1/agencies/{code:str}", tags=["admin"], summary="Change an agency (admins)", guards=[requires_admin],
       description="Name, kind, notification e-mail, webhook URL (https:// only outside demo mode) and secret; "
                   "only what is sent changes. Audited, never with a secret's value.",
       **answers(400, 401, 403, 404, 422, when={**ADMINS, 404: "There is no such agency."}))
async def change_agency(code: FromPath[str], data: JSONBody[agencies.AgencyChange], request: Request,
                        db_session: NamedDependency[AsyncSession]) -> agencies.AgencyOut:
    return await agencies.change_agency(db_session, current_user(request), code, data,
                                        demo=request.app.state.settings.demo)


@get("/api/v1/routing-defaults", tags=["admin"], summary="The routing new operations start with (admins)",
     guards=[requires_admin], **answers(401, 403, when=ADMINS))
async def get_routing_defaults(db_session: NamedDependency[AsyncSession]) -> RoutingDefaults:
    return RoutingDefaults(routing=await routing.routing_defaults(db_session))


@put("/api/v1/routing-defaults", tags=["admin"], summary="Replace the routing defaults (admins)",
     guards=[requires_admin], **answers(400, 401, 403, 422, when=ADMINS))
async def put_routing_defaults(data: JSONBody[RoutingDefaultsIn], request: Request,
                               db_session: NamedDependency[AsyncSession]) -> RoutingDefaults:
    """Category → agency code (null: unrouted). Operations made from now on start with it."""
    return RoutingDefaults(routing=await routing.set_routing_defaults(db_session, current_user(request), data.routing))


@get("/api/v1/audit", tags=["admin"], summary="The audit log, newest first (admins)", guards=[requires_admin],
     **PAGED)
async def list_audit(db_session: NamedDependency[AsyncSession], actor: FromQuery[str] = "",
                     action: FromQuery[str] = "", entity_type: FromQuery[str] = "", entity_id: FromQuery[str] = "",
                     limit: FromQuery[int] = audit_log.ENTRIES.default, cursor: Cursor = None) -> AuditList:
    rows, next_cursor = await audit_log.entries(db_session, actor=actor, action=action, entity_type=entity_type,
                                                entity_id=entity_id, limit=limit, cursor=cursor)
    return AuditList(items=rows, next=next_cursor)


API_ROUTES = [list_people, list_agencies, add_agency, change_agency, get_routing_defaults, put_routing_defaults,
              list_audit]
