"""Operations: the list a signed-in user may see."""

from __future__ import annotations

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Operation
from server.domain.operations.access import visible_operations
from server.lib.auth import current_user
from server.lib.openapi import answers
from server.lib.paging import Int32, Keyset
from shared_schemas.operations import ListedOperation, OperationList


def operation_out(op: Operation) -> ListedOperation:
    return ListedOperation(id=op.id, name=op.name, status=op.status, starts_on=op.starts_on, ends_on=op.ends_on,
                        questionnaire_id=op.questionnaire_id)


OPERATIONS = Keyset(tuple[Int32], default=100, maximum=500)


@get("/api/v1/operations", tags=["operations"], summary="Operations you may see",
     **answers(400, 401, 422, when={400: "`cursor` is not one this list gave out."}))
async def list_operations(request: Request, db_session: NamedDependency[AsyncSession],
                          limit: FromQuery[int] = OPERATIONS.default,
                          cursor: FromQuery[str | None] = None) -> OperationList:
    limit, after = OPERATIONS.limit(limit), OPERATIONS.after(cursor)
    q = visible_operations(current_user(request)).order_by(Operation.id).limit(limit + 1)
    if after is not None:
        q = q.where(Operation.id > after[0])
    rows, next_cursor = OPERATIONS.page((await db_session.execute(q)).scalars().all(), limit, key=lambda o: (o.id,))
    return OperationList(items=[operation_out(o) for o in rows], next=next_cursor)


ROUTES = [list_operations]
