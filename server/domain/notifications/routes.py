"""Notifications: the background sender (LIFESPAN) and the coordinators' view of failures."""

from __future__ import annotations

import uuid

import msgspec
from litestar import Request, get
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
     summary="Notifications that failed and are still being retried",
     **answers(400, 401, 403, 422, when={400: "`cursor` is not one this list gave out."}))
async def list_undelivered(request: Request, db_session: NamedDependency[AsyncSession],
                           followup_id: FromQuery[uuid.UUID | None] = None,
                           limit: FromQuery[int] = service.UNDELIVERED.default,
                           cursor: FromQuery[str | None] = None) -> UndeliveredList:
    rows, next_cursor = await service.undelivered(db_session, current_user(request), followup_id=followup_id,
                                                  limit=limit, cursor=cursor)
    return UndeliveredList(items=rows, next=next_cursor)


ROUTES = [list_undelivered]
LIFESPAN = [notification_lifespan]
