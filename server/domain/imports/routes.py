"""Uploads of an operation's streets (OSM extract) and doors (address list), run as background jobs.

The upload routes take the file itself as the request body, not JSON: `Content-Type` says what it
is (text/csv, application/octet-stream, application/xml …: server/lib/security.FILE_TYPES, the
JSON-only rule's one exception) and `?filename=` its name. The body is
read in chunks and refused with 413 past DOORSTEP_UPLOAD_MAX_MB (64 by default).
"""

from __future__ import annotations

from typing import Annotated

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.imports import jobs
from server.domain.imports.jobs import ImportJobList, ImportJobOut
from server.domain.imports.worker import import_lifespan, wake
from server.domain.operations.access import COORDINATOR, Access
from server.lib.auth import current_user, requires_coordinator
from server.lib.exceptions import PayloadTooLarge, UnsupportedMediaType
from server.lib.openapi import answers
from server.lib.security import FILE_TYPES

PATH = "/api/v1/operations/{operation_id:int}/imports"
WHO = {403: "You do not coordinate this operation.", 404: "There is no such operation."}
UPLOAD_ANSWERS = answers(401, 403, 404, 409, 413, 415, 422, when={
    **WHO,
    409: "The operation is closed (its set-up is read-only), or the same file is already being imported into it.",
    413: "The file is larger than DOORSTEP_UPLOAD_MAX_MB (64 MiB by default).",
    415: "The body is not a file: send the file's bytes with a Content-Type such as text/csv or "
         "application/octet-stream.",
    422: "The file is not what it should be (not OSM, not CSV, no UPRN or coordinate columns); the detail says "
         "what to fix."})


async def _read_file(request: Request) -> bytes:
    kind = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if kind not in FILE_TYPES:
        raise UnsupportedMediaType(f"Send the file itself as the body, with a Content-Type such as text/csv or "
                                   f"application/octet-stream (not {kind or 'none'}).")
    limit = request.app.state.settings.upload_max_bytes
    too_large = PayloadTooLarge(f"The file is larger than {limit // (1024 * 1024)} MiB, the most an upload may be "
                                "(DOORSTEP_UPLOAD_MAX_MB). Cut the extract down to the operation's area, or import "
                                "it with the doorstep command.")
    announced = request.headers.get("content-length")
    if announced and announced.isdigit() and int(announced) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def _upload(request: Request, db_session: AsyncSession, access: Access, kind: str,
                  filename: str) -> ImportJobOut:
    user = current_user(request)
    data = await _read_file(request)
    job = await jobs.enqueue(db_session, access.operation, kind, filename.strip() or kind, data, user.id)
    await db_session.commit()  # before waking the worker, so it sees the job
    wake(request.app)
    return job


FILENAME = Annotated[str, QueryParameter(description="The file's name, as the person chose it.", max_length=200)]


@post(PATH + "/osm", tags=["setup"], guards=[requires_coordinator], status_code=202, request_max_body_size=None,
      dependencies={"access": COORDINATOR},
      summary="Upload an OpenStreetMap extract (.osm or .osm.pbf): the operation's streets (and doors where OSM "
              "has house numbers, or generated ones where it has none)", **UPLOAD_ANSWERS)
async def upload_osm(request: Request, access: Access, db_session: NamedDependency[AsyncSession],
                     filename: FILENAME = "extract.osm.pbf") -> ImportJobOut:
    return await _upload(request, db_session, access, "osm", filename)


@post(PATH + "/addresses", tags=["setup"], guards=[requires_coordinator], status_code=202,
      request_max_body_size=None, dependencies={"access": COORDINATOR},
      summary="Upload an address list (CSV: UPRN, address, easting/northing or latitude/longitude): the "
              "operation's doors", **UPLOAD_ANSWERS)
async def upload_addresses(request: Request, access: Access, db_session: NamedDependency[AsyncSession],
                           filename: FILENAME = "addresses.csv") -> ImportJobOut:
    return await _upload(request, db_session, access, "addresses", filename)


@get(PATH, tags=["setup"], guards=[requires_coordinator], summary="The operation's uploads, newest first",
     dependencies={"access": COORDINATOR}, **answers(401, 403, 404, 422, when=WHO))
async def list_imports(access: Access, db_session: NamedDependency[AsyncSession]) -> ImportJobList:
    return ImportJobList(items=await jobs.jobs(db_session, access.operation.id))


@get(PATH + "/{job_id:int}", tags=["setup"], guards=[requires_coordinator], dependencies={"access": COORDINATOR},
     summary="One upload: its progress while it runs, its summary (or what went wrong) when it ends",
     **answers(401, 403, 404, 422, when={**WHO, 404: "There is no such operation, or no such upload on it."}))
async def get_import(access: Access, db_session: NamedDependency[AsyncSession], job_id: FromPath[int]) -> ImportJobOut:
    return await jobs.job(db_session, access.operation.id, job_id)


ROUTES = [upload_osm, upload_addresses, list_imports, get_import]
LIFESPAN = [import_lifespan]
