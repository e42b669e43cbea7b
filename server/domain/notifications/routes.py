"""Notifications: the background sender (LIFESPAN) and the coordinators' view of failures."""

from __future__ import annotations

import uuid

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.notifications import service
from server.domain.notifications.worker import notification_lifespan
from server.lib.auth import current_user, requires
from server.lib.openapi import answers


class UndeliveredList(msgspec.Struct):
    items: list[service.Undelivered]
    next: str | None = None


@get("/api/v1/notifications/undelivered", tags=["notifications"], guards=[requires("coordinator")],
     summary="Notifications not delivered yet (waiting, retrying or failing)",
     description="Every e-mail and webhook not delivered yet, tried or not, with its attempts, last error and "
                 "next try, newest first.",
     **answers(400, 401, 403, 422, when={400: "`cursor` is not one this list gave out."}))
async def list_undelivered(request: Request, db_session: NamedDependency[AsyncSession],
                           followup_id: FromQuery[uuid.UUID | None] = None,
                           limit: FromQuery[int] = service.UNDELIVERED.default,
                           cursor: FromQuery[str | None] = None) -> UndeliveredList:
    rows, next_cursor = await service.undelivered(db_session, current_user(request), followup_id=followup_id,
                                                  limit=limit, cursor=cursor)
    return UndeliveredList(items=rows, next=next_cursor)


class TryNow(msgspec.Struct):
    due_now: int


@post("/api/v1/notifications/try-now", tags=["notifications"], guards=[requires("coordinator")], status_code=200,
      summary="Send now: every undelivered notification (or `id`) is due at once",
      **answers(401, 403, 404, 422, when={404: "No waiting notification with that id that you may see."}))
async def post_try_now(request: Request, db_session: NamedDependency[AsyncSession],
                       id: FromQuery[int | None] = None) -> TryNow:  # noqa: A002 - the query parameter is "id"
    count = await service.try_now(db_session, current_user(request), id)
    await wake_worker(request, db_session)
    return TryNow(due_now=count)


async def wake_worker(request: Request, db_session: AsyncSession) -> None:
    """Commit first (the worker reads the rows on its own connection), then this process's worker, if it runs
    one, tries at once; other processes' workers find the rows due at their next poll."""
    await db_session.commit()
    worker = getattr(request.app.state, "notification_worker", None)
    if worker is not None:
        worker.wake()


ROUTES = [list_undelivered, post_try_now]
LIFESPAN = [notification_lifespan]
