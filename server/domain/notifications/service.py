"""What coordinators see of the outbox: notifications not yet delivered, with their last error."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec
from sqlalchemy import or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Agency, Followup, Notification
from server.domain.operations.access import runs_operation
from server.lib.auth import CurrentUser
from server.lib.paging import Int64, Keyset


class Undelivered(msgspec.Struct, frozen=True):
    """A notification that failed and is being retried (what coordinators see)."""

    id: int
    channel: str
    agency: str
    followup_id: uuid.UUID | None
    target: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: dt.datetime
    created_at: dt.datetime


#: Newest first.
UNDELIVERED = Keyset(tuple[dt.datetime, Int64], default=200, maximum=1000)


async def undelivered(session: AsyncSession, user: CurrentUser, *, followup_id: uuid.UUID | None = None,
                      limit: int = UNDELIVERED.default, cursor: str | None = None
                      ) -> tuple[list[Undelivered], str | None]:
    """Notifications that failed at least once and are not delivered yet (coordinators' operations only)."""
    limit, after = UNDELIVERED.limit(limit), UNDELIVERED.after(cursor)
    q = (select(Notification.id, Notification.channel, Agency.code.label("agency"), Notification.followup_id,
                Notification.target, Notification.status, Notification.attempts, Notification.last_error,
                Notification.next_attempt_at, Notification.created_at)
         .join(Agency, Agency.id == Notification.agency_id)
         .outerjoin(Followup, Followup.id == Notification.followup_id)
         .where(Notification.status != "sent",
                or_(Notification.attempts > 0, Notification.last_error.is_not(None)),
                runs_operation(user, Followup.operation_id))
         .order_by(Notification.created_at.desc(), Notification.id.desc())
         .limit(limit + 1))
    if followup_id is not None:
        q = q.where(Notification.followup_id == followup_id)
    if after is not None:
        q = q.where(tuple_(Notification.created_at, Notification.id) < tuple_(*after))
    rows = [Undelivered(**r) for r in (await session.execute(q)).mappings()]
    return UNDELIVERED.page(rows, limit, key=lambda n: (n.created_at, n.id))
