"""One exception tree for the domain and one place that maps it onto HTTP.

Every error answer is JSON: {"status_code": N, "detail": "<what to fix>"} plus "field" (a
JSON path such as "$.records[0].visited_at") for validation errors and "extra" where a
caller can use more (e.g. the allowed transitions on a 409).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger("doorstep")


class DoorstepError(Exception):
    status_code = 400

    def __init__(self, detail: str, *, field: str | None = None, extra: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra
        self.headers = headers  # e.g. Retry-After on a 429


class BadRequest(DoorstepError):
    status_code = 400


class NotAuthenticated(DoorstepError):
    status_code = 401


class Forbidden(DoorstepError):
    status_code = 403


class NotFound(DoorstepError):
    status_code = 404


class Conflict(DoorstepError):
    status_code = 409


class PayloadTooLarge(DoorstepError):
    status_code = 413


class UnsupportedMediaType(DoorstepError):
    status_code = 415


class Invalid(DoorstepError):
    status_code = 422


class TooManyRequests(DoorstepError):
    status_code = 429


class ErrorBody(msgspec.Struct):
    """Every error answer (the OpenAPI document's schema of it; `_body` builds it)."""

    status_code: int
    #: What went wrong and what to do about it, for a person.
    detail: str
    #: The JSON path or parameter the error is about, for validation errors.
    field: str | None = None
    #: More a caller can use, e.g. the allowed next statuses on a 409.
    extra: dict[str, Any] | list[Any] | None = None


def _body(status: int, detail: str, field: str | None = None, extra: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status_code": status, "detail": detail}
    if field:
        body["field"] = field
    if extra:
        body["extra"] = extra
    return body


def domain_error_handler(_: Request, exc: DoorstepError) -> Response:
    return Response(_body(exc.status_code, exc.detail, exc.field, exc.extra), status_code=exc.status_code,
                    headers=exc.headers)


_PATH = re.compile(r"at `(\$[^`]*)`")


def validation_error_handler(request: Request, exc: ValidationException) -> Response:
    """Body decoding errors: 400 for malformed JSON, 422 naming the field path for wrong types."""
    messages = [e.get("message", "") for e in (exc.extra or []) if isinstance(e, dict)]
    message = "; ".join(m for m in messages if m) or exc.detail
    if "malformed" in message.lower() or "json is malformed" in message.lower() or "invalid json" in message.lower():
        return Response(_body(400, f"The request body is not valid JSON: {message}"), status_code=400)
    match = _PATH.search(message)
    field = match.group(1) if match else None
    keys = [e.get("key") for e in (exc.extra or []) if isinstance(e, dict) and e.get("key")]
    if not field and keys:
        field = str(keys[0])
    return Response(_body(422, message, field), status_code=422)


def http_error_handler(request: Request, exc: HTTPException) -> Response:
    if exc.status_code >= 500:
        return internal_error_handler(request, exc)
    return Response(_body(exc.status_code, exc.detail, extra=exc.extra or None), status_code=exc.status_code,
                    headers=exc.headers)


def internal_error_handler(request: Request, exc: Exception) -> Response:
    # Log the type and route only: a record's content may hold residents' details.
    log.error("internal error on %s %s: %s", request.method, request.url.path, type(exc).__name__, exc_info=False)
    return Response(_body(500, "Something went wrong on the server; the request changed nothing. Try again."),
                    status_code=HTTP_500_INTERNAL_SERVER_ERROR)


def _is_bad_value(exc: BaseException) -> bool:
    """PostgreSQL's "data exception" class (SQLSTATE 22…) or asyncpg refusing an argument
    (an int past int32) anywhere in the exception chain."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, asyncpg.exceptions.DataError) or str(getattr(seen, "sqlstate", "") or "").startswith("22"):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


# ---------------------------------------------------------------- rules the database keeps

ONE_PAIR_PER_STREET = "uq_team_street_street_id"
PAIR_NAME_IN_OPERATION = "uq_team_operation_name"
OPERATION_NAME = "uq_operation_name"

#: Constraints whose violation is the caller's doing (two coordinators saving at once included),
#: and the answer for each: the one place they are mapped onto HTTP. Code that can say more
#: builds on it (server/domain/operations/teams.py names the pair that holds a street).
CONSTRAINT_ANSWERS: dict[str, tuple[type[DoorstepError], str, str]] = {
    ONE_PAIR_PER_STREET: (Invalid, "A street goes to one pair, and a street you chose is already with another: "
                                   "move it with PUT /api/v1/operations/{operation_id}/streets/{street_id}/team, "
                                   "or leave it out.", "$.street_ids"),
    PAIR_NAME_IN_OPERATION: (Conflict, "The operation already has a pair of that name; choose another name.",
                             "$.name"),
    OPERATION_NAME: (Conflict, "There is already an operation of that name; choose another name.", "$.name"),
}


def violated_constraint(exc: BaseException) -> str | None:
    """The name of the constraint a database error reports, anywhere in its chain."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        name = getattr(seen, "constraint_name", None)
        if isinstance(name, str):
            return name
        seen = getattr(seen, "orig", None) or seen.__cause__
    return None


def constraint_error(name: str | None) -> DoorstepError | None:
    """The domain error for a violated constraint of CONSTRAINT_ANSWERS; None for any other."""
    if name not in CONSTRAINT_ANSWERS:
        return None
    error, detail, field = CONSTRAINT_ANSWERS[name]
    return error(detail, field=field)


#: Seconds a client should wait before trying again while the database is away (Retry-After).
RETRY_AFTER_DATABASE = 5
DATABASE_AWAY = ("The database is not answering (restarting or unreachable); nothing was changed. Try again in a "
                 "few seconds.")
# asyncpg's words for a connection that is gone or cannot be made (SQLSTATE 08…, 57P0…: admin shutdown,
# crash, cannot connect now).
_AWAY_STATES = ("08", "57P01", "57P02", "57P03")


def _database_away(exc: BaseException) -> bool:
    """A lost or refused database connection anywhere in the exception's chain."""
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return False
        if isinstance(seen, (ConnectionError, asyncpg.exceptions.ConnectionDoesNotExistError,
                             asyncpg.exceptions.CannotConnectNowError, asyncpg.exceptions.InterfaceError)):
            return True
        if getattr(seen, "connection_invalidated", False):
            return True
        if str(getattr(seen, "sqlstate", "") or "").startswith(_AWAY_STATES):
            return True
        if isinstance(seen, OSError) and seen.errno is not None:  # a missing socket file, an unreachable host
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


def database_away_handler(request: Request, exc: Exception) -> Response:
    """503 with Retry-After: a client (the tablet, a page) waits and tries again, nothing is lost."""
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return Response(_body(503, DATABASE_AWAY), status_code=503, headers={"Retry-After": str(RETRY_AFTER_DATABASE)})


def os_error_handler(request: Request, exc: OSError) -> Response:
    """OSError reaches here from the database driver (connection refused, socket gone); anything
    else is the server's own fault."""
    if _database_away(exc):
        return database_away_handler(request, exc)
    return internal_error_handler(request, exc)


def recursion_error_handler(request: Request, exc: RecursionError) -> Response:
    """JSON nested deeper than the decoder follows (msgspec's guard, about a thousand levels) is the
    caller's mistake: 400. Any other recursion error is the server's."""
    if "serializ" not in str(exc) and "JSON" not in str(exc):
        return internal_error_handler(request, exc)
    return Response(_body(400, NESTED_TOO_DEEPLY), status_code=400)


NESTED_TOO_DEEPLY = ("The JSON is nested too deeply (arrays or objects inside each other hundreds of levels deep); "
                     "nothing the API takes nests more than a few levels.")


def database_value_error_handler(request: Request, exc: DBAPIError) -> Response:
    """A constraint of CONSTRAINT_ANSWERS, or a value the database cannot hold (an id past its
    integer range, a NUL in text), is the caller's mistake, not the server's: its 409 or 422. A
    backstop; typed ids and checks catch most first."""
    if _database_away(exc):
        return database_away_handler(request, exc)
    known = constraint_error(violated_constraint(exc))
    if known is not None:
        return domain_error_handler(request, known)
    if not _is_bad_value(exc):
        return internal_error_handler(request, exc)
    log.info("refused a value the database cannot hold on %s %s: %s", request.method, request.url.path,
             type(getattr(exc, "orig", exc)).__name__)
    return Response(_body(422, "A value in the request cannot be stored: ids are whole numbers from 1 to "
                               "2147483647 and text must not contain the NUL character (\\u0000). "
                               "Correct it and send again."), status_code=422)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DBAPIError: database_value_error_handler,
    OSError: os_error_handler,
    RecursionError: recursion_error_handler,
    PoolTimeout: database_away_handler,  # every connection busy or the database too slow to hand one out
    DoorstepError: domain_error_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    HTTP_500_INTERNAL_SERVER_ERROR: internal_error_handler,
}
