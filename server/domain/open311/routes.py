"""Open311 GeoReport v2 under /open311/v2/ (JSON), for agencies' own case systems.

The API key (one per agency) is sent as the spec does, in the ``api_key`` query parameter; it
is also taken from an ``X-API-Key`` header or as the password of HTTP Basic auth, for clients
that cannot add a query parameter to every GET (e.g. a client reading credentials from .netrc).
discovery.json and services.json are open; service requests need a key and show only that
agency's follow-ups. Errors are the spec's list of ``{"code", "description"}``.
"""

from __future__ import annotations

import base64
import binascii

import msgspec
from litestar import Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.types import ExceptionHandlersMap
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.open311 import keys, service
from server.domain.open311.service import Open311Error
from server.lib.audit import audit
from server.lib.auth import current_user, requires_admin
from server.lib.openapi import answers

BASE = "/open311/v2"


def _error(code: int, description: str) -> Response:
    return Response([{"code": code, "description": description}], status_code=code,
                    headers={"Cache-Control": "no-store"})


def _ok(body) -> Response:
    return Response(body, headers={"Cache-Control": "no-store"})


def _key_from(request: Request) -> str | None:
    key = request.query_params.get("api_key") or request.headers.get("x-api-key")
    if key:
        return key
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        try:
            return base64.b64decode(auth[6:]).decode().partition(":")[2] or None
        except (binascii.Error, UnicodeDecodeError):
            return None
    return None


async def _agency(request: Request, db_session: AsyncSession) -> keys.KeyAgency:
    agency = await keys.agency_for_key(db_session, _key_from(request))
    if agency is None:
        raise Open311Error(401, "a valid api_key is required (ask a Doorstep administrator for your agency's key)")
    return agency


def _json_only(fmt: str) -> None:
    if fmt != "json":
        raise Open311Error(404, "this server answers JSON only: use the .json endpoints")


def _open311_errors(_: Request, exc: Open311Error) -> Response:
    return _error(exc.code, exc.description)


_HANDLERS: ExceptionHandlersMap = {Open311Error: _open311_errors}


class Open311Problem(msgspec.Struct):
    """One error of the GeoReport spec's error list."""

    code: int
    description: str


NO_KEY = {401: "No valid `api_key` (query parameter, X-API-Key header or the password of HTTP Basic auth)."}


@get(f"{BASE}/discovery.json", tags=["open311"], summary="Open311 discovery", exception_handlers=_HANDLERS)
async def discovery(request: Request) -> Response[dict]:
    base = request.app.state.settings.public_url.rstrip("/") + BASE
    return _ok(service.discovery(base))


@get(f"{BASE}/services.json", tags=["open311"], summary="Open311 service list (follow-up categories)",
     exception_handlers=_HANDLERS)
async def services() -> Response[list[dict]]:
    return _ok(service.services())


@get(f"{BASE}/requests.json", tags=["open311"], summary="Open311 service requests of your agency",
     exception_handlers=_HANDLERS,
     **answers(400, 401, error_body=list[Open311Problem],
               when={**NO_KEY, 400: "A date that is not a W3C date-time, an unknown service_code, or a status "
                                    "other than open or closed."}))
async def requests_list(request: Request, db_session: NamedDependency[AsyncSession]) -> Response[list[dict]]:
    agency = await _agency(request, db_session)
    p = request.query_params
    q = service.Query(service_request_id=p.get("service_request_id"), service_code=p.get("service_code"),
                      status=p.get("status"), start_date=p.get("start_date"), end_date=p.get("end_date"))
    return _ok(await service.service_requests(db_session, agency.id, q))


@get(f"{BASE}/requests/{{name:str}}", tags=["open311"], summary="One Open311 service request (requests/{id}.json)",
     exception_handlers=_HANDLERS,
     **answers(401, 404, error_body=list[Open311Problem],
               when={**NO_KEY, 404: "No such service request of your agency, or a format other than .json."}))
async def request_one(name: FromPath[str], request: Request,
                      db_session: NamedDependency[AsyncSession]) -> Response[list[dict]]:
    request_id, _, fmt = name.rpartition(".")
    _json_only(fmt)
    agency = await _agency(request, db_session)
    return _ok([await service.service_request(db_session, agency.id, request_id)])


class IssuedKey(msgspec.Struct):
    agency: str
    api_key: str
    note: str = "Shown once: Doorstep keeps only a hash. Issuing a new key replaces this one."


@post("/api/v1/agencies/{code:str}/open311-key", tags=["open311"], guards=[requires_admin], status_code=201,
      summary="Issue (or replace) an agency's Open311 API key",
      **answers(401, 403, 404, 422, when={403: "Only admins issue keys.", 404: "There is no agency with that code.",
                                          422: "The code holds a character the database cannot store (NUL)."}))
async def issue_key(code: FromPath[str], request: Request,
                    db_session: NamedDependency[AsyncSession]) -> Response[IssuedKey]:
    key = await keys.issue_key(db_session, code)
    await audit(db_session, current_user(request), "open311.key_issued", "agency", code)
    return Response(IssuedKey(agency=code, api_key=key), status_code=201, headers={"Cache-Control": "no-store"})


@delete("/api/v1/agencies/{code:str}/open311-key", tags=["open311"], guards=[requires_admin], status_code=204,
        summary="Revoke an agency's Open311 API key",
        **answers(401, 403, 422, when={403: "Only admins revoke keys.",
                                       422: "The code holds a character the database cannot store (NUL)."}))
async def revoke_key(code: FromPath[str], request: Request, db_session: NamedDependency[AsyncSession]) -> None:
    await keys.revoke_key(db_session, code)
    await audit(db_session, current_user(request), "open311.key_revoked", "agency", code)


ROUTES = [discovery, services, requests_list, request_one, issue_key, revoke_key]
