"""Operations: the list a signed-in user may see."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Operation
from server.domain.operations.access import visible_operations
from server.lib.auth import current_user
from server.lib.openapi import answers


class OperationOut(msgspec.Struct):
    id: int
    name: str
    status: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    questionnaire_id: str


class OperationList(msgspec.Struct):
    items: list[OperationOut]
    next: str | None = None


def operation_out(op: Operation) -> OperationOut:
    return OperationOut(id=op.id, name=op.name, status=op.status, starts_on=op.starts_on, ends_on=op.ends_on,
                        questionnaire_id=op.questionnaire_id)


@get("/api/v1/operations", tags=["operations"], summary="Operations you may see", **answers(401, 422))
async def list_operations(request: Request, db_session: NamedDependency[AsyncSession], limit: FromQuery[int] = 100,
                          cursor: FromQuery[int | None] = None) -> OperationList:
    user = current_user(request)
    limit = max(1, min(limit, 500))
    q = visible_operations(user).order_by(Operation.id).limit(limit + 1)
    if cursor is not None:
        q = q.where(Operation.id > cursor)
    rows = (await db_session.execute(q)).scalars().all()
    items = [operation_out(o) for o in rows[:limit]]
    return OperationList(items=items, next=str(rows[limit - 1].id) if len(rows) > limit else None)


ROUTES = [list_operations]
