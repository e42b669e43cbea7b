"""Coordinators' results API: street results (JSON, GeoJSON, CSV), doors, revisits, visits, pairs, follow-ups."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.operations.access import require_coordinator
from server.lib.auth import current_user, requires_coordinator
from server.lib.exceptions import BadRequest
from server.lib.openapi import answers

from . import services
from .pages import dashboard
from .formats import FORMATS, csv_text, geojson_bytes
from .schemas import DoorPage, FollowupSummary, PairList, ResultsVersion, StreetResults, VisitPage


#: Every results route: a coordinator of the operation only.
WHO = {403: "You do not coordinate this operation.", 404: "There is no such operation."}
READ = answers(401, 403, 404, 422, when=WHO)
PAGED = answers(400, 401, 403, 404, 422, when={**WHO, 400: "`cursor` is not one this list gave out."})


class ResultsController(Controller):
    path = "/api/v1/operations/{operation_id:int}"
    guards = [requires_coordinator]
    tags = ["results"]

    @get("/streets", summary="Results by street (JSON; ?format=geojson or ?format=csv)",
         description="Per street: households, knocked, closed, answered, to_revisit, refused, vacant, "
                     "do_not_visit, coverage, contact_rate, concerns, fixes, follow-ups; and the operation's "
                     "totals. No personal data.",
         **answers(400, 401, 403, 404, 422, when={**WHO, 400: "Unknown `format` (the detail lists them)."}))
    async def streets(self, request: Request, db_session: NamedDependency[AsyncSession],
                      operation_id: FromPath[int],
                      fmt: Annotated[str, QueryParameter(name="format")] = "json") -> Response:
        if fmt not in FORMATS:
            raise BadRequest(f"Unknown format {fmt!r}; the formats are {', '.join(FORMATS)}.", field="format")
        access = await require_coordinator(db_session, current_user(request), operation_id)
        rows = await services.street_results(db_session, operation_id, access.operation.questionnaire_id,
                                             with_geometry=fmt == "geojson")
        if fmt == "geojson":
            return Response(geojson_bytes(operation_id, rows), media_type="application/geo+json")
        if fmt == "csv":
            return Response(csv_text(rows), media_type="text/csv", headers={
                "Content-Disposition": f'attachment; filename="operation-{operation_id}-streets.csv"'})
        return Response(StreetResults(operation_id=operation_id, items=rows.items, totals=rows.totals))

    @get("/results/version", summary="A version that changes when the results do (cheap to poll)", **READ)
    async def version(self, request: Request, db_session: NamedDependency[AsyncSession],
                      operation_id: FromPath[int]) -> ResultsVersion:
        await require_coordinator(db_session, current_user(request), operation_id)
        return ResultsVersion(operation_id=operation_id, version=await services.results_version(db_session,
                                                                                                operation_id))

    @get("/households", summary="Doors and their statuses, a page at a time (keyset)",
         **answers(400, 401, 403, 404, 422,
                   when={**WHO, 400: "`cursor` is not one this list gave out, or an unknown `status`."}))
    async def households(self, request: Request, db_session: NamedDependency[AsyncSession],
                         operation_id: FromPath[int],
                         street_id: FromQuery[int | None] = None, status: FromQuery[str | None] = None,
                         limit: FromQuery[int] = 200, cursor: FromQuery[str | None] = None) -> DoorPage:
        await require_coordinator(db_session, current_user(request), operation_id)
        return await services.doors(db_session, operation_id, street_id=street_id, status=status, limit=limit,
                                    cursor=cursor)

    @get("/revisits", summary="The revisit list: doors with attempts but no closing outcome", **PAGED)
    async def revisits(self, request: Request, db_session: NamedDependency[AsyncSession],
                       operation_id: FromPath[int],
                       street_id: FromQuery[int | None] = None, limit: FromQuery[int] = 200,
                       cursor: FromQuery[str | None] = None) -> DoorPage:
        await require_coordinator(db_session, current_user(request), operation_id)
        return await services.doors(db_session, operation_id, street_id=street_id, status="to_revisit",
                                    limit=limit, cursor=cursor)

    @get("/visits", summary="Attempts, newest first, a page at a time (keyset); outcomes and concerns only",
         **PAGED)
    async def visits(self, request: Request, db_session: NamedDependency[AsyncSession],
                     operation_id: FromPath[int],
                     street_id: FromQuery[int | None] = None, limit: FromQuery[int] = 200,
                     cursor: FromQuery[str | None] = None) -> VisitPage:
        await require_coordinator(db_session, current_user(request), operation_id)
        return await services.visits(db_session, operation_id, street_id=street_id, limit=limit, cursor=cursor)

    @get("/pairs", summary="Progress per pair", **READ)
    async def pairs(self, request: Request, db_session: NamedDependency[AsyncSession],
                    operation_id: FromPath[int]) -> PairList:
        await require_coordinator(db_session, current_user(request), operation_id)
        return PairList(items=await services.pair_progress(db_session, operation_id))

    @get("/followup-summary", summary="Follow-ups by category and status", **READ)
    async def followup_summary(self, request: Request, db_session: NamedDependency[AsyncSession],
                               operation_id: FromPath[int]) -> FollowupSummary:
        await require_coordinator(db_session, current_user(request), operation_id)
        return await services.followup_summary(db_session, operation_id)


ROUTES = [ResultsController, dashboard]
