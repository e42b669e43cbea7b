"""What happens when follow-ups arrive from tablets: routing, due date, first event, notifications.

The sync push calls :func:`on_followups_stored` inside its own transaction, right after it
inserted new ``followup`` rows (status ``open``, version 1, ``agency_id`` NULL). Everything
here is set-based (one statement to route and write the events, one to enqueue the
notifications), so a push with many follow-ups costs the same few round trips as one.

Routing
    ``operation.routing`` maps a follow-up category to an agency code. A category missing from
    the table falls back to the ``other`` entry; with neither, the follow-up stays unrouted
    (``agency_id`` NULL): only the operation's coordinators see it, and they can assign it.

Due dates (from ``raised_at``, the moment the pair raised it on the doorstep)
    ============  ==========================================
    ``urgent``    1 calendar day
    ``high``      3 calendar days
    ``normal``    10 working days (Monday to Friday)
    ``low``       20 working days
    ============  ==========================================
    Working days are counted in Europe/London and skip Saturdays, Sundays and the bank holidays
    of the server's region (``DOORSTEP_BANK_HOLIDAYS``: ENG, WLS, SCT or NIR; England by
    default), substitute days included, from the ``holidays`` package. The same rule lives in
    :data:`DUE_RULES`, from which :data:`DUE_AT_SQL` is built.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid

import holidays
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.notifications.outbox import enqueue_followup_notifications
from server.settings import Settings

#: priority → (amount, unit): the due-date rule, which DUE_AT_SQL applies.
DUE_RULES: dict[str, tuple[int, str]] = {
    "urgent": (1, "calendar_days"),
    "high": (3, "calendar_days"),
    "normal": (10, "working_days"),
    "low": (20, "working_days"),
}
#: Far enough ahead to find the most working days of DUE_RULES, with holidays between.
_WORKING_DAYS_HORIZON = 3 * max(n for n, unit in DUE_RULES.values() if unit == "working_days")


def _due_at_sql() -> str:
    """DUE_RULES as SQL over a follow-up row aliased ``f`` (built from the table above only)."""
    calendar = " ".join(f"WHEN '{priority}' THEN f.raised_at + interval '{n} days'"
                        for priority, (n, unit) in DUE_RULES.items() if unit == "calendar_days")
    working = " ".join(f"WHEN '{priority}' THEN {n}"
                       for priority, (n, unit) in DUE_RULES.items() if unit == "working_days")
    return f"""
    CASE f.priority {calendar}
      ELSE (
        SELECT d FROM generate_series(f.raised_at + interval '1 day',
                                      f.raised_at + interval '{_WORKING_DAYS_HORIZON} days', interval '1 day') AS d
        WHERE extract(isodow FROM d AT TIME ZONE 'Europe/London') < 6
          AND (d AT TIME ZONE 'Europe/London')::date <> ALL(CAST(:bank_holidays AS date[]))
        ORDER BY d
        OFFSET (CASE f.priority {working} END) - 1
        LIMIT 1)
    END
"""


DUE_AT_SQL = _due_at_sql()

_ROUTE_AND_LOG = text(f"""
WITH target AS (
    SELECT f.id,
           (SELECT a.id FROM agency AS a
             WHERE a.code = coalesce(o.routing ->> f.category, o.routing ->> 'other')) AS agency_id,
           {DUE_AT_SQL} AS due_at
      FROM followup AS f
      JOIN operation AS o ON o.id = f.operation_id
     WHERE f.id = ANY(:ids)
),
routed AS (
    UPDATE followup AS f
       SET agency_id = t.agency_id, due_at = t.due_at, updated_at = now()
      FROM target AS t
     WHERE f.id = t.id
    RETURNING f.id, f.operation_id, f.agency_id, f.status, f.version, f.user_id
)
INSERT INTO followup_event (followup_id, operation_id, actor_user_id, kind, from_status, to_status, agency_id, version,
                            note)
SELECT r.id, r.operation_id, r.user_id, 'raised', NULL, r.status, r.agency_id, r.version,
       CASE WHEN r.agency_id IS NULL THEN 'Raised; no agency in the routing table for this category'
            ELSE 'Raised and routed' END
  FROM routed AS r
RETURNING followup_id
""")


def bank_holidays(region: str, today: dt.date | None = None) -> list[dt.date]:
    """The region's bank holidays (substitute days included) from five years ago to next year.

    Five years back, because a tablet that was offline for long still raises follow-ups with
    the date they were raised on; a due date reaches at most 60 days past that.
    """
    return list(_bank_holidays(region, (today or dt.date.today()).year))


@functools.cache
def _bank_holidays(region: str, year: int) -> tuple[dt.date, ...]:
    # Working them out takes ~4 ms; a push with follow-ups asks inside its transaction.
    return tuple(sorted(holidays.country_holidays("GB", subdiv=region, years=range(year - 5, year + 2))))


async def on_followups_stored(session: AsyncSession, followup_ids: list[uuid.UUID], settings: Settings) -> None:
    """Route new follow-ups, set their due dates, write their first event, enqueue notifications.

    Runs in the caller's transaction; commits nothing. Follow-ups already routed are routed
    again only if the caller passes them (push passes only rows it has just inserted).
    """
    if not followup_ids:
        return
    ids = list(followup_ids)
    await session.execute(_ROUTE_AND_LOG, {"ids": ids,
                                           "bank_holidays": bank_holidays(settings.bank_holidays)})
    await enqueue_followup_notifications(session, ids, event="followup.created", public_url=settings.public_url)
