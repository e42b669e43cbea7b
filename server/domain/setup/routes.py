"""Coordinators set up operations: create one, form pairs, assign streets, open and close it."""

from __future__ import annotations

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.operations.access import COORDINATOR, Access
from server.domain.operations.lifecycle import CLOSING_MEANS, ensure_editable
from server.lib.auth import current_user, requires_coordinator
from server.lib.openapi import answers

from . import services
from .schemas import (
    AreaChange,
    OperationCreate,
    OperationDetail,
    SetupView,
    StreetIds,
    StreetOut,
    StreetTeam,
    TeamOut,
    TeamSave,
)

WHO = {403: "You do not coordinate this operation.", 404: "There is no such operation."}
PAIR_NAME_TAKEN = {409: "The operation already has a pair of that name, or is closed (its set-up is read-only)."}
CLOSED = {409: "The operation is closed: its set-up is read-only until it is reopened."}


@post("/api/v1/operations", tags=["setup"], guards=[requires_coordinator], status_code=201,
      summary="Create an operation (planned) over an area; then upload its streets and doors",
      description="The area: a GeoJSON Polygon or MultiPolygon (or a Feature of one) in longitude, latitude, "
                  "closed rings, edges that do not cross, at most DOORSTEP_MAX_AREA_KM2 km² (default 25).",
      **answers(400, 401, 403, 409, 422, when={403: "Only coordinators create operations.",
                                               409: "There is already an operation of that name."}))
async def create_operation(request: Request, db_session: NamedDependency[AsyncSession],
                           data: JSONBody[OperationCreate]) -> OperationDetail:
    return await services.create_operation(db_session, current_user(request), data,
                                           request.app.state.settings.max_area_km2)


class SetupController(Controller):
    path = "/api/v1/operations/{operation_id:int}"
    guards = [requires_coordinator]
    dependencies = {"access": COORDINATOR}
    tags = ["setup"]

    @get("/setup", summary="The operation, its pairs, its streets and the visitors to choose from",
         **answers(401, 403, 404, 422, when=WHO))
    async def view(self, access: Access, db_session: NamedDependency[AsyncSession]) -> SetupView:
        return await services.setup_view(db_session, access.operation.id)

    @post("/open", status_code=200, summary="Open a planned operation (it needs a pair with streets)",
          **answers(401, 403, 404, 409, 422,
                    when={**WHO, 409: "The operation is not planned, or has no pair with streets yet."}))
    async def open_operation(self, access: Access,
                             db_session: NamedDependency[AsyncSession]) -> OperationDetail:
        return await services.change_status(db_session, access.operation, "open")

    @post("/close", status_code=200, summary="Close an active operation", description=CLOSING_MEANS,
          **answers(401, 403, 404, 409, 422, when={**WHO, 409: "The operation is not active."}))
    async def close_operation(self, access: Access,
                              db_session: NamedDependency[AsyncSession]) -> OperationDetail:
        return await services.change_status(db_session, access.operation, "close")

    @post("/reopen", status_code=200, summary="Reopen a closed operation (it becomes active again)",
          **answers(401, 403, 404, 409, 422, when={**WHO, 409: "The operation is not closed."}))
    async def reopen_operation(self, access: Access,
                               db_session: NamedDependency[AsyncSession]) -> OperationDetail:
        return await services.change_status(db_session, access.operation, "reopen")

    @put("/area", summary="Change a planned operation's area",
         **answers(400, 401, 403, 404, 409, 422,
                   when={**WHO, 409: "The operation is no longer planned.",
                         422: "The area is not a usable polygon, or is too large; the detail says what to fix."}))
    async def change_area(self, request: Request, access: Access, db_session: NamedDependency[AsyncSession],
                          data: JSONBody[AreaChange]) -> OperationDetail:
        return await services.change_area(db_session, access.operation, data.area,
                                          request.app.state.settings.max_area_km2)

    @get("/teams", summary="The operation's pairs", **answers(401, 403, 404, 422, when=WHO))
    async def list_teams(self, access: Access, db_session: NamedDependency[AsyncSession]) -> list[TeamOut]:
        return await services.teams(db_session, access.operation.id)

    @post("/teams", status_code=201,
          summary="Form a pair: members from at least two agencies, streets of this operation",
          **answers(400, 401, 403, 404, 409, 422, when={**WHO, **PAIR_NAME_TAKEN}))
    async def create_team(self, access: Access, db_session: NamedDependency[AsyncSession],
                          data: JSONBody[TeamSave]) -> TeamOut:
        ensure_editable(access.operation)
        return await services.create_team(db_session, access.operation.id, data)

    @put("/teams/{team_id:int}", summary="Change a pair's name, members and streets",
         **answers(400, 401, 403, 404, 409, 422,
                   when={**WHO, 404: "There is no such operation, or no such pair on it.", **PAIR_NAME_TAKEN}))
    async def update_team(self, access: Access, db_session: NamedDependency[AsyncSession],
                          team_id: FromPath[int], data: JSONBody[TeamSave]) -> TeamOut:
        ensure_editable(access.operation)
        return await services.update_team(db_session, access.operation.id, team_id, data)

    @put("/teams/{team_id:int}/streets", summary="Give a pair exactly these streets",
         **answers(400, 401, 403, 404, 409, 422,
                   when={**WHO, 404: "There is no such operation, or no such pair on it.", **CLOSED}))
    async def assign_streets(self, access: Access, db_session: NamedDependency[AsyncSession],
                             team_id: FromPath[int],
                             data: JSONBody[StreetIds]) -> TeamOut:
        ensure_editable(access.operation)
        return await services.assign_streets(db_session, access.operation.id, team_id, data.street_ids)

    @put("/streets/{street_id:int}/team", summary="Move one street to a pair (or to none)",
         **answers(400, 401, 403, 404, 409, 422,
                   when={**WHO, 404: "There is no such operation, or no such pair on it.", **CLOSED,
                         422: "No such street on this operation, or a value of the wrong type."}))
    async def move_street(self, access: Access, db_session: NamedDependency[AsyncSession],
                          street_id: FromPath[int],
                          data: JSONBody[StreetTeam]) -> StreetOut:
        ensure_editable(access.operation)
        return await services.move_street(db_session, access.operation.id, street_id, data.team_id)


ROUTES = [create_operation, SetupController]
