"""What coordinators see of the outbox: every notification not delivered yet, whether or not it has been
tried, with its attempts, last error and next try; and "try now"."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec
from sqlalchemy import func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Agency, Followup, Notification
from server.domain.operations.access import runs_operation
from server.lib.audit import audit
from server.lib.auth import CurrentUser
from server.lib.exceptions import NotFound
from server.lib.paging import Int64, Keyset

#: Not delivered yet: waiting for a first try or a retry (``pending``), or tried FAILED_AFTER times or more
#: and still retried (``failed``).
NOT_SENT = ("pending", "failed")


class Undelivered(msgspec.Struct, frozen=True):
    """A notification not delivered yet (what coordinators see)."""

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
    agency_name: str = ""
    category: str | None = None


#: Newest first.
UNDELIVERED = Keyset(tuple[dt.datetime, Int64], default=200, maximum=1000)


def _visible(user: CurrentUser):
    return (select(Notification.id, Notification.channel, Agency.code.label("agency"), Notification.followup_id,
                   Notification.target, Notification.status, Notification.attempts, Notification.last_error,
                   Notification.next_attempt_at, Notification.created_at, Agency.name.label("agency_name"),
                   Followup.category)
            .join(Agency, Agency.id == Notification.agency_id)
            .outerjoin(Followup, Followup.id == Notification.followup_id)
            .where(Notification.status.in_(NOT_SENT), runs_operation(user, Followup.operation_id)))


async def undelivered(session: AsyncSession, user: CurrentUser, *, followup_id: uuid.UUID | None = None,
                      limit: int = UNDELIVERED.default, cursor: str | None = None
                      ) -> tuple[list[Undelivered], str | None]:
    """Every notification not delivered yet, tried or not (coordinators' operations only), newest first."""
    limit, after = UNDELIVERED.limit(limit), UNDELIVERED.after(cursor)
    q = _visible(user).order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit + 1)
    if followup_id is not None:
        q = q.where(Notification.followup_id == followup_id)
    if after is not None:
        q = q.where(tuple_(Notification.created_at, Notification.id) < tuple_(*after))
    rows = [Undelivered(**r) for r in (await session.execute(q)).mappings()]
    return UNDELIVERED.page(rows, limit, key=lambda n: (n.created_at, n.id))


class OutboxCounts(msgspec.Struct):
    waiting: int  # never tried yet
    retrying: int  # tried, refused, to be tried again
    failed: int  # tried FAILED_AFTER times or more, still retried


async def outbox_counts(session: AsyncSession, user: CurrentUser) -> OutboxCounts:
    q = _visible(user).subquery()
    row = (await session.execute(select(
        func.count().filter(q.c.attempts == 0), func.count().filter(q.c.attempts > 0, q.c.status == "pending"),
        func.count().filter(q.c.status == "failed")).select_from(q))).one()
    return OutboxCounts(*row)


async def try_now(session: AsyncSession, user: CurrentUser, notification_id: int | None = None) -> int:
    """Make notifications due at once (one, or every one this user sees); how many. The caller wakes the
    worker. Audited."""
    mine = select(Notification.id).join(Followup, Followup.id == Notification.followup_id).where(
        Notification.status.in_(NOT_SENT), runs_operation(user, Followup.operation_id))
    if notification_id is not None:
        mine = mine.where(Notification.id == notification_id)
    done = (await session.execute(update(Notification).where(Notification.id.in_(mine.scalar_subquery()))
                                  .values(next_attempt_at=func.now()).returning(Notification.id))).scalars().all()
    if notification_id is not None and not done:
        raise NotFound("There is no notification waiting with that number that you may see (it may have gone).")
    await audit(session, user, "notification.retry", "notification", str(notification_id or "all"),
                {"count": len(done)})
    return len(done)
