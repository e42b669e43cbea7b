"""Coordinators' results API: street results (JSON, GeoJSON, CSV), doors, revisits, visits, pairs, follow-ups."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.operations.access import COORDINATOR, Access
from server.lib.auth import requires_coordinator
from server.lib.exceptions import BadRequest
from server.lib.openapi import answers

from . import services
from .answers import AnswerSummary, answer_summary
from .buildings import buildings_geojson
from .formats import FORMATS, csv_text, geojson_bytes
from .pages import dashboard
from .period import period
from .progress import Progress, daily_progress
from .schemas import DoorPage, FollowupSummary, PairList, ResultsVersion, StreetResults, VisitPage

#: Every results route: a coordinator of the operation only (the access dependency).
WHO = {403: "You do not coordinate this operation.", 404: "There is no such operation."}
READ = answers(401, 403, 404, 422, when=WHO)
IN_PERIOD = answers(400, 401, 403, 404, 422, when={**WHO, 400: "`from` or `to` is not a date (YYYY-MM-DD), or "
                                                             "the range ends before it starts."})
#: ``?from=YYYY-MM-DD&to=YYYY-MM-DD``: London days, both included; either may be left out.
From = Annotated[str | None, QueryParameter(name="from", max_length=40, description="First day (YYYY-MM-DD)")]
To = Annotated[str | None, QueryParameter(name="to", max_length=40, description="Last day (YYYY-MM-DD)")]
PAGED = answers(400, 401, 403, 404, 422, when={**WHO, 400: "`cursor` is not one this list gave out."})


class ResultsController(Controller):
    path = "/api/v1/operations/{operation_id:int}"
    guards = [requires_coordinator]
    dependencies = {"access": COORDINATOR}
    tags = ["results"]

    @get("/streets", summary="Results by street (JSON; ?format=geojson or ?format=csv)",
         description="Per street: households, knocked, closed, answered, to_revisit, refused, vacant, "
                     "do_not_visit, coverage, contact_rate, concerns, fixes, follow-ups; and the operation's "
                     "totals. No personal data.",
         **answers(400, 401, 403, 404, 422, when={**WHO, 400: "Unknown `format` (the detail lists them), or a "
                                                              "`from`/`to` that is not a date."}))
    async def streets(self, access: Access, read_session: NamedDependency[AsyncSession],
                      fmt: Annotated[str, QueryParameter(name="format")] = "json", first: From = None,
                      last: To = None) -> Response:
        if fmt not in FORMATS:
            raise BadRequest(f"Unknown format {fmt!r}; the formats are {', '.join(FORMATS)}.", field="format")
        operation_id = access.operation.id
        rows = await services.street_results(read_session, operation_id, access.operation.questionnaire_id,
                                             with_geometry=fmt == "geojson", period=period(first, last))
        if fmt == "geojson":
            return Response(geojson_bytes(operation_id, rows), media_type="application/geo+json")
        if fmt == "csv":
            return Response(csv_text(rows), media_type="text/csv", headers={
                "Content-Disposition": f'attachment; filename="operation-{operation_id}-streets.csv"'})
        return Response(StreetResults(operation_id=operation_id, items=rows.items, totals=rows.totals))

    @get("/results/version", summary="A version that changes when the results do (cheap to poll)", **READ)
    async def version(self, access: Access, read_session: NamedDependency[AsyncSession]) -> ResultsVersion:
        op = access.operation.id
        return ResultsVersion(operation_id=op, version=await services.results_version(read_session, op))

    @get("/households", summary="Doors and their statuses, a page at a time (keyset)",
         **answers(400, 401, 403, 404, 422,
                   when={**WHO, 400: "`cursor` is not one this list gave out, or an unknown `status`."}))
    async def households(self, access: Access, read_session: NamedDependency[AsyncSession],
                         street_id: FromQuery[int | None] = None, status: FromQuery[str | None] = None,
                         limit: FromQuery[int] = services.DOORS.default,
                         cursor: FromQuery[str | None] = None) -> DoorPage:
        return await services.doors(read_session, access.operation.id, street_id=street_id, status=status,
                                    limit=limit, cursor=cursor)

    @get("/revisits", summary="The revisit list: doors with attempts but no closing outcome", **PAGED)
    async def revisits(self, access: Access, read_session: NamedDependency[AsyncSession],
                       street_id: FromQuery[int | None] = None, limit: FromQuery[int] = services.DOORS.default,
                       cursor: FromQuery[str | None] = None) -> DoorPage:
        return await services.doors(read_session, access.operation.id, street_id=street_id, status="to_revisit",
                                    limit=limit, cursor=cursor)

    @get("/visits", summary="Attempts, newest first, a page at a time (keyset); outcomes and concerns only",
         description="Every visit, corrected ones too: a correction names the visit it replaces (`supersedes`), "
                     "and that one names its correction (`superseded_by`) and no longer counts. `street_id` or "
                     "`household_id` narrows the list (a door's history).",
         **PAGED)
    async def visits(self, access: Access, read_session: NamedDependency[AsyncSession],
                     street_id: FromQuery[int | None] = None, household_id: FromQuery[int | None] = None,
                     limit: FromQuery[int] = services.VISITS.default,
                     cursor: FromQuery[str | None] = None) -> VisitPage:
        return await services.visits(read_session, access.operation.id, street_id=street_id,
                                     household_id=household_id, limit=limit, cursor=cursor)

    @get("/pairs", summary="Progress per pair", **IN_PERIOD)
    async def pairs(self, access: Access, read_session: NamedDependency[AsyncSession], first: From = None,
                    last: To = None) -> PairList:
        return PairList(items=await services.pair_progress(read_session, access.operation.id, period(first, last)))

    @get("/progress", summary="Visits per day and the share of doors knocked so far (London days)", **IN_PERIOD)
    async def progress(self, access: Access, read_session: NamedDependency[AsyncSession], first: From = None,
                       last: To = None) -> Progress:
        """Each day of the range (or from the first visit to the last): attempts, answered attempts, doors
        knocked for the first time, and coverage by the end of that day."""
        return await daily_progress(read_session, access.operation.id, period(first, last))

    @get("/answers", summary="How residents answered each question (doors, not visits; no free text)",
         **IN_PERIOD)
    async def answer_counts(self, access: Access, read_session: NamedDependency[AsyncSession],
                            street_id: FromQuery[int | None] = None, first: From = None,
                            last: To = None) -> AnswerSummary:
        """Each door's latest answered visit, counted per question with a fixed set of answers (yes/no, choices,
        the 1–5 scale), for the operation or one street."""
        return await answer_summary(read_session, access.operation.id, access.operation.questionnaire_id,
                                    street_id=street_id, period=period(first, last))

    @get("/buildings", summary="Building outlines from the OpenStreetMap import (GeoJSON, for the map)",
         media_type="application/geo+json", **READ)
    async def buildings(self, access: Access, read_session: NamedDependency[AsyncSession]) -> Response:
        return Response(await buildings_geojson(read_session, access.operation.id), media_type="application/geo+json",
                        headers={"Cache-Control": "private, max-age=300"})

    @get("/followup-summary", summary="Follow-ups by category and status", **READ)
    async def followup_summary(self, access: Access,
                               read_session: NamedDependency[AsyncSession]) -> FollowupSummary:
        return await services.followup_summary(read_session, access.operation.id)


ROUTES = [ResultsController, dashboard]
