"""Sync routes: the offline pack, push and pull. Thin: decode, check access, call one service."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.operations.access import TEAM_OR_COORDINATOR, Access
from server.domain.sync.ingest import cyclic_gc_paused, ingest, read_push
from server.domain.sync.pack import build_pack, etag_matches
from server.domain.sync.pull import DEFAULT_LIMIT, pull
from server.lib.auth import current_user, requires, requires_visitor
from server.lib.exceptions import BadRequest, Invalid, PayloadTooLarge
from server.lib.openapi import answers, json_body
from shared_schemas.sync import (
    MAX_PUSH_RECORDS,
    PullResponse,
    PushRequestError,
    PushResponse,
    TypedPushRequest,
)

PUSH_BODY = json_body(
    TypedPushRequest,
    f"The tablet's device id and at most {MAX_PUSH_RECORDS} records, each a visit, a fix or a follow-up "
    '(`"type"` says which). A record that breaks a rule does not fail the push: it is answered "rejected" '
    "with the reason.")


@get("/api/v1/operations/{operation_id:int}/pack", tags=["sync"], summary="The offline pack of an operation",
     description="Everything a pair needs offline: operation, questionnaire, streets with geometry, households, "
                 "teams and their streets, categories, routing and the cursor to start pulling from. Send the "
                 "ETag back as If-None-Match to get 304 when nothing changed.",
     **answers(401, 403, 404, 422, when={403: "You are not on a pair of this operation and do not coordinate it."},
               others={304: ResponseSpec(None, description="Not modified: the pack is the one of the ETag sent "
                                                           "as If-None-Match.")}),
     dependencies={"access": TEAM_OR_COORDINATOR})
async def get_pack(request: Request, db_session: NamedDependency[AsyncSession], access: Access) -> Response:
    pack = await build_pack(db_session, access.operation)
    headers = {"ETag": pack.etag, "Cache-Control": "private, no-cache"}
    if etag_matches(request.headers.get("if-none-match"), pack.etag):
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=pack.body, media_type="application/json", headers=headers)


@post("/api/v1/sync/push", guards=[requires_visitor], status_code=200, tags=["sync"],
      summary="Push records (visits, fixes, follow-ups)",
      description=f'Body: {{"device_id", "records": [...]}}, at most {MAX_PUSH_RECORDS} records. Each record is '
                  'stored once however often it is sent; the answer has one result per record, in order: '
                  '"stored", "duplicate" (same id, same content) or "rejected" with the reason.',
      **answers(400, 401, 403, 413, 422, request_body=PUSH_BODY,
                when={400: "The body is not valid JSON.",
                      403: "Only visitors push records.",
                      413: f"More than {MAX_PUSH_RECORDS} records (send the rest in another push), or a body "
                           "over 32 MiB.",
                      422: "The body is not a push: `device_id` or `records` missing, of the wrong type or out "
                           "of bounds. (A bad record is not a 422: it is answered \"rejected\" in the results.)"}))
async def push(request: Request, db_session: NamedDependency[AsyncSession]) -> PushResponse:
    user = current_user(request)
    try:
        body = read_push(await request.body())
    except PushRequestError as exc:
        if exc.message.startswith("not valid JSON"):
            raise BadRequest(f"The request body is not valid JSON: {exc.message}") from None
        if exc.path == "$.records" and "at most" in exc.message:
            raise PayloadTooLarge(f"Too many records: {exc.message} (the limit is {MAX_PUSH_RECORDS}).",
                                  field="$.records") from None
        raise Invalid(f"{exc.message} (at {exc.path})", field=exc.path) from None
    with cyclic_gc_paused():
        return PushResponse(results=await ingest(db_session, user, body, request.app.state.settings))


@get("/api/v1/sync/pull", guards=[requires("visitor", "coordinator")], tags=["sync"],
     summary="Changes since a cursor",
     description="Visits made on other tablets (outcome only; `supersedes` for a correction), status changes "
                 "of your pair's follow-ups and team changes, in the server's change order. A tablet passes its "
                 "`device_id` (the one it pushes with) to get its partner's visits too and not its own pushes; "
                 "without it the pair's own visits are left out. Pass the answer's `cursor` as `since` next "
                 "time; pull again at once while `more` is true.",
     **answers(400, 401, 403, 404, 422,
               when={400: "`since` is not a cursor this server issued, or `device_id` holds a NUL character.",
                     403: "Not a visitor or coordinator, or not on a pair of this operation and not its coordinator.",
                     404: "There is no such operation."}),
     dependencies={"access": TEAM_OR_COORDINATOR})
async def pull_changes(
    db_session: NamedDependency[AsyncSession],
    access: Access,
    since: FromQuery[str | None] = None,
    limit: FromQuery[int] = DEFAULT_LIMIT,
    device_id: Annotated[str | None, QueryParameter(max_length=200)] = None,
) -> PullResponse:
    if device_id is not None and "\x00" in device_id:
        raise BadRequest("device_id must not contain the NUL character (\\u0000)", field="device_id")
    return await pull(db_session, access.operation.id, access.team_id, since, limit, device_id)


ROUTES = [get_pack, push, pull_changes]
