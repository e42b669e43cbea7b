"""A job run once a day at a local time by whichever server process gets there first (issue 18: any
number of servers run the same background workers).

The job's row in ``scheduled_job`` (migration 0023) says which local day it last ran for
(``done_for``) and who is running it now. It is leased the way the notification outbox is
(server/domain/notifications/worker.py): one short transaction sets ``claimed_until`` on the row if
the job is due and nobody holds a live lease (``FOR UPDATE SKIP LOCKED``: a claim never waits) and
commits; the claimed ``claimed_until`` is the claim's token. The work's own transaction then marks
the day done (:meth:`DailyJob.mark_done`) only while the row still carries that token, so the day's
run and its mark commit together: a second process that finds the job due at the same moment gets no
lease, one whose lease ran out and was taken over changes nothing, and one that died mid-run left
no mark, so the next check runs the day again. The lease is handed back when the run ends.

"Due" is by the local clock (Europe/London): the latest day whose run time has come and that has
not been done. A server that was down at the hour catches up at its next check; one that was down
for a week runs once, not seven times.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.db.engine import transaction

LOCAL_TIME = ZoneInfo("Europe/London")
LEASE_SECONDS = 900.0  # far above a run; the day's mark is transactional, so the lease is not what keeps it once


class LeaseLost(Exception):
    """This process's lease on the job ran out and another took it over: the run is rolled back."""


class JobBusy(Exception):
    """Another process holds the job's lease (it is running the job now)."""

    def __init__(self, until: dt.datetime) -> None:
        super().__init__(f"running elsewhere until {until:%H:%M} UTC at the latest")
        self.until = until


def due_day(now: dt.datetime, at: str, zone: ZoneInfo = LOCAL_TIME) -> dt.date:
    """The latest local day whose run time ``at`` (HH:MM) has come by ``now``."""
    local = now.astimezone(zone)
    hour, minute = (int(part) for part in at.split(":"))
    scheduled = dt.datetime.combine(local.date(), dt.time(hour, minute), tzinfo=zone)
    return local.date() if local >= scheduled else local.date() - dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Claim:
    day: dt.date  # the local day this run is for
    token: dt.datetime  # the claimed_until the claim set


_CLAIM = text("""
UPDATE scheduled_job AS j
   SET claimed_until = now() + make_interval(secs => CAST(:lease AS double precision)), started_at = now()
 WHERE j.name = (SELECT c.name FROM scheduled_job AS c
                  WHERE c.name = :name
                    AND (CAST(:force AS boolean) OR c.done_for IS NULL OR c.done_for < :day)
                    AND (c.claimed_until IS NULL OR c.claimed_until < now())
                  FOR UPDATE SKIP LOCKED)
RETURNING j.claimed_until
""")

_HELD_UNTIL = text("SELECT claimed_until FROM scheduled_job WHERE name = :name AND claimed_until >= now()")

_MARK_DONE = text("""
UPDATE scheduled_job
   SET done_for = CASE WHEN CAST(:day_done AS boolean) THEN GREATEST(coalesce(done_for, :day), :day) ELSE done_for END,
       finished_at = now()
 WHERE name = :name AND claimed_until = :token
""")

_RELEASE = text("UPDATE scheduled_job SET claimed_until = NULL WHERE name = :name AND claimed_until = :token")


class DailyJob:
    """The lease and the day's mark of the job ``name`` (a row of ``scheduled_job``), due at ``at`` local time."""

    def __init__(self, engine: AsyncEngine, name: str, at: str, *, lease_seconds: float = LEASE_SECONDS) -> None:
        self.engine = engine
        self.name = name
        self.at = at
        self.lease_seconds = lease_seconds

    async def claim(self, now: dt.datetime, *, force: bool = False) -> Claim | None:
        """Lease the job if its day ``now`` is due and not done (``force``: even if done), committed at
        once; None if it is not due or another process holds it (:meth:`busy_until` tells which)."""
        day = due_day(now, self.at)
        async with transaction(self.engine) as session:
            token = (await session.execute(_CLAIM, {"name": self.name, "day": day, "force": force,
                                                    "lease": self.lease_seconds})).scalar_one_or_none()
        return None if token is None else Claim(day, token)

    async def busy_until(self) -> dt.datetime | None:
        """When another process's live lease runs out, or None when nobody holds one."""
        async with transaction(self.engine) as session:
            return (await session.execute(_HELD_UNTIL, {"name": self.name})).scalar_one_or_none()

    async def mark_done(self, session: AsyncSession, claim: Claim, *, day_done: bool = True) -> None:
        """In the work's transaction: the day is done, if this claim still holds the lease (LeaseLost otherwise).
        ``day_done`` False: a run on demand, which proves its lease and leaves the schedule as it was (a run
        "as if it were" a later day must not put the nightly runs off until then)."""
        result = await session.execute(_MARK_DONE, {"name": self.name, "day": claim.day, "token": claim.token,
                                                    "day_done": day_done})
        if cast("CursorResult[Any]", result).rowcount == 0:  # an UPDATE's result is a cursor's
            raise LeaseLost(f"the {self.name} job's lease ran out and another process took it over")

    async def release(self, claim: Claim) -> None:
        """Hand the lease back (the run ended, or failed: then the next check tries the day again)."""
        async with transaction(self.engine) as session:
            await session.execute(_RELEASE, {"name": self.name, "token": claim.token})
