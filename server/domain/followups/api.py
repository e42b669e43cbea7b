"""HTTP API of follow-ups: thin handlers over service.py."""

from __future__ import annotations

import uuid

import msgspec
from litestar import Request, Response, get, patch, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.followups import service
from server.domain.followups.schemas import (
    FollowupDetail,
    FollowupList,
    FollowupPatch,
    Routing,
    RoutingIn,
    followup_detail,
    followup_out,
)
from server.domain.operations.access import COORDINATOR, Access
from server.lib.auth import current_user, requires
from server.lib.openapi import answers

partner_or_coordinator = requires("partner", "coordinator")

NOT_PARTNER = {403: "Only partners and coordinators work follow-ups."}
NO_FOLLOWUP = {404: "There is no such follow-up that you may see (another agency's is not yours to see)."}
NOT_COORDINATOR = {403: "You do not coordinate this operation."}


@get("/api/v1/followups", tags=["followups"], summary="Follow-ups you work or coordinate",
     guards=[partner_or_coordinator],
     **answers(400, 401, 403, 422, when={**NOT_PARTNER, 400: "`cursor` is not one this list gave out."}))
async def list_followups(request: Request, db_session: NamedDependency[AsyncSession],
                         status: FromQuery[str | None] = None, category: FromQuery[str | None] = None,
                         overdue: FromQuery[bool | None] = None, operation_id: FromQuery[int | None] = None,
                         agency: FromQuery[str | None] = None, limit: FromQuery[int] = service.FOLLOWUPS.default,
                         cursor: FromQuery[str | None] = None) -> FollowupList:
    """A partner sees its agency's follow-ups; a coordinator every follow-up of the operations they run."""
    filters = service.Filters(status=status, category=category, overdue=overdue, operation_id=operation_id,
                              agency=agency)
    views, next_cursor = await service.list_followups(db_session, current_user(request), filters, limit=limit,
                                                      cursor=cursor)
    return FollowupList(items=[followup_out(v) for v in views], next=next_cursor)


@get("/api/v1/followups.csv", tags=["followups"], summary="Follow-ups as CSV", guards=[partner_or_coordinator],
     media_type="text/csv", **answers(401, 403, 422, when=NOT_PARTNER))
async def export_followups(request: Request, db_session: NamedDependency[AsyncSession],
                           status: FromQuery[str | None] = None, category: FromQuery[str | None] = None,
                           overdue: FromQuery[bool | None] = None, operation_id: FromQuery[int | None] = None,
                           residents: FromQuery[bool] = False) -> Response[str]:
    """Residents' details only with `residents=true`, only where the resident consented; audited."""
    filters = service.Filters(status=status, category=category, overdue=overdue, operation_id=operation_id)
    body = await service.export_csv(db_session, current_user(request), filters, with_residents=residents)
    return Response(body, media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="followups.csv"',
                             "Cache-Control": "no-store"})


@get("/api/v1/followups/{followup_id:uuid}", tags=["followups"], summary="One follow-up with its history",
     guards=[partner_or_coordinator], **answers(401, 403, 404, when={**NOT_PARTNER, **NO_FOLLOWUP}))
async def get_followup(followup_id: FromPath[uuid.UUID], request: Request,
                       db_session: NamedDependency[AsyncSession]) -> Response[FollowupDetail]:
    view = await service.get_followup(db_session, current_user(request), followup_id)
    return Response(followup_detail(view), headers={"Cache-Control": "no-store"})


@patch("/api/v1/followups/{followup_id:uuid}", tags=["followups"],
       summary="Change status, reassign, assign to a person, or add a note",
       description="`status` changes the status; `agency` (coordinators) reassigns; `assignee` (a username of "
                   "the agency's partners, or null) assigns; with none of them, `note` is added on its own. "
                   "`version` is the version read: a status change or reassignment since then is a 409; a note "
                   "or an assignment since is not.",
       guards=[partner_or_coordinator],
       **answers(400, 401, 403, 404, 409, 422, when={
           **NO_FOLLOWUP,
           403: "Not a partner or coordinator; or a reassignment by someone who does not coordinate the "
                "follow-up's operation.",
           409: "The follow-up changed since you read it (`extra`: its `version` and `status`; reload and try "
                "again), or the status cannot move there (`extra.allowed`: where it can), or a reassignment to "
                "its own agency or of a resolved follow-up, or an assignment that changes nothing."}))
async def patch_followup(followup_id: FromPath[uuid.UUID], data: JSONBody[FollowupPatch], request: Request,
                         db_session: NamedDependency[AsyncSession]) -> Response[FollowupDetail]:
    assignee = None if data.assignee is msgspec.UNSET else await service.assignee_id(db_session, data.assignee)
    change = service.Change(version=data.version, status=data.status, note=data.note, reason=data.reason,
                            agency=data.agency, assignee_id=assignee)
    view = await service.change_followup(db_session, current_user(request), followup_id, change,
                                          public_url=request.app.state.settings.public_url)
    return Response(followup_detail(view), headers={"Cache-Control": "no-store"})


@get("/api/v1/operations/{operation_id:int}/routing", tags=["followups"], summary="Routing table of an operation",
     guards=[requires("coordinator")], dependencies={"access": COORDINATOR},
     **answers(401, 403, 404, 422, when=NOT_COORDINATOR))
async def get_routing(access: Access) -> Routing:
    return Routing(operation_id=access.operation.id, routing=service.routing_of(access.operation))


@put("/api/v1/operations/{operation_id:int}/routing", tags=["followups"], summary="Replace the routing table",
     guards=[requires("coordinator")], dependencies={"access": COORDINATOR},
     **answers(400, 401, 403, 404, 422, when=NOT_COORDINATOR))
async def put_routing(access: Access, data: JSONBody[RoutingIn],
                      db_session: NamedDependency[AsyncSession]) -> Routing:
    """Category → agency code; applies to follow-ups that arrive from now on."""
    return Routing(operation_id=access.operation.id,
                   routing=await service.set_routing(db_session, access.user, access.operation, data.routing))


API_ROUTES = [list_followups, export_followups, get_followup, patch_followup, get_routing, put_routing]
