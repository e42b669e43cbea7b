"""What coordinators see of the outbox: notifications not yet delivered, with their last error."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from server.lib.auth import CurrentUser


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


_UNDELIVERED = text("""
SELECT n.id, n.channel, a.code AS agency, n.followup_id, n.target, n.status, n.attempts, n.last_error,
       n.next_attempt_at, n.created_at
  FROM notification AS n
  JOIN agency AS a ON a.id = n.agency_id
  LEFT JOIN followup AS f ON f.id = n.followup_id
 WHERE n.status <> 'sent' AND (n.attempts > 0 OR n.last_error IS NOT NULL)
   AND (CAST(:all_ops AS boolean) OR f.operation_id IN (
        SELECT operation_id FROM operation_coordinator WHERE user_id = :uid))
   AND (CAST(:followup AS uuid) IS NULL OR n.followup_id = CAST(:followup AS uuid))
 ORDER BY n.created_at DESC, n.id DESC
 LIMIT :limit
""")


async def undelivered(session: AsyncSession, user: CurrentUser, *, followup_id: uuid.UUID | None = None,
                      limit: int = 200) -> list[Undelivered]:
    """Notifications that failed at least once and are not delivered yet (coordinators' operations only)."""
    rows = (await session.execute(_UNDELIVERED, {
        "all_ops": "admin" in user.roles, "uid": user.id, "followup": str(followup_id) if followup_id else None,
        "limit": max(1, min(limit, 1000))})).mappings().all()
    return [Undelivered(**r) for r in rows]
