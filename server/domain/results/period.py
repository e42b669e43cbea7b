"""A date range the coordinators' figures can be limited to: whole days in London time, both ends
included (``from`` 21 Nov to ``to`` 23 Nov is three days of visits). No range: the whole operation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from server.lib.exceptions import BadRequest
from server.lib.pages import DISPLAY_TZ


@dataclass(frozen=True)
class Period:
    first: dt.date | None = None
    last: dt.date | None = None

    @property
    def limited(self) -> bool:
        return self.first is not None or self.last is not None

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) in UTC: London midnight of the first day to London midnight after the last."""
        start = dt.datetime.combine(self.first or dt.date(1900, 1, 1), dt.time(), DISPLAY_TZ)
        end = dt.datetime.combine((self.last or dt.date(9998, 12, 30)) + dt.timedelta(days=1), dt.time(), DISPLAY_TZ)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    def query(self) -> dict[str, str]:
        return {k: v.isoformat() for k, v in (("from", self.first), ("to", self.last)) if v is not None}


def period(first: str | None, last: str | None) -> Period:
    """From the query's ``from`` and ``to`` (YYYY-MM-DD, either may be left out); 400 saying what to fix."""
    def day(value: str | None, name: str) -> dt.date | None:
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise BadRequest(f"`{name}` must be a date written YYYY-MM-DD, e.g. 2025-03-14; it was {value[:40]!r}.",
                             field=name) from None

    found = Period(day(first, "from"), day(last, "to"))
    if found.first and found.last and found.last < found.first:
        raise BadRequest(f"The range ends ({found.last}) before it starts ({found.first}).", field="to")
    return found
