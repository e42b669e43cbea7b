"""The disclosure rule: what a public output may say about an operation. The one place it lives.

Every figure that leaves Doorstep without a sign-in (the open-data files, the OGC API's public
collections, the "you said, we did" report) passes through the functions below:

- **Units.** A street is published on its own when it has at least MIN_HOUSEHOLDS households.
  Smaller streets, and doors on no street, are merged into one "other streets" unit of the
  operation (id OTHER_UNIT_ID), which is published only if it reaches MIN_HOUSEHOLDS itself.
- **Counts** (`count`). 0 stays 0; 1 to SUPPRESS_BELOW - 1 is suppressed (None: null in JSON,
  an empty cell in CSV, "fewer than 8" in the report); SUPPRESS_BELOW and over is rounded to the
  nearest ROUND_TO, so every positive published count is a multiple of 5 and at least 10.
- **Totals** are summed from the unrounded figures, then go through `count` like any other.
- **Rates** (`rate`) are computed from the unrounded counts, as whole percentages, only where
  their base is at least RATE_MIN_BASE, and only where the count on top is publishable itself
  (0, or SUPPRESS_BELOW and over): otherwise rate × base would give the suppressed count back
  (1 household of 12 is 8%).
- Never published: a door-level row, free text a resident gave, the name of a person or pair,
  a time finer than the day (`day`).

Differencing (a total minus the published units) recovers a withheld unit only to within the
rounding of every figure involved, which is what the rounding is for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

MIN_HOUSEHOLDS = 8  # a street needs this many households to be a unit of its own
SUPPRESS_BELOW = 8  # counts from 1 to this minus one are not published
ROUND_TO = 5  # published counts are rounded to the nearest multiple of this
RATE_MIN_BASE = 10  # a rate needs at least this many on its base
OTHER_UNIT_ID = 0  # the unit of the operation's smaller streets (and doors on no street)
OTHER_UNIT_NAME = "Other streets"

#: How a report says a suppressed count, in words (never a figure from 1 to 7).
SUPPRESSED_WORDS = f"fewer than {SUPPRESS_BELOW}"
#: The rule's small numbers in words, for texts people read: a figure from 1 to 7 there would look
#: like a count that escaped the rule.
ROUND_TO_WORD = {2: "two", 5: "five", 10: "ten"}.get(ROUND_TO, str(ROUND_TO))


def count(n: int) -> int | None:
    """A count as it may be published: 0, None (suppressed), or rounded to the nearest ROUND_TO."""
    if n < 0:
        raise ValueError(f"a count cannot be negative ({n})")
    if n == 0:
        return 0
    if n < SUPPRESS_BELOW:
        return None
    return ROUND_TO * ((n + ROUND_TO // 2) // ROUND_TO)  # whole numbers never fall half-way between


def rate(part: int, base: int) -> int | None:
    """part / base as a whole percentage (half up), or None where it may not be published."""
    if base < RATE_MIN_BASE or count(part) is None:
        return None
    return (200 * part + base) // (2 * base)


def counts(raw: Mapping[str, int]) -> dict[str, int | None]:
    return {k: count(v) for k, v in raw.items()}


def is_own_unit(households: int) -> bool:
    """Whether a street with this many households is published as a unit of its own."""
    return households >= MIN_HOUSEHOLDS


def day(value: dt.datetime | dt.date | None) -> dt.date | None:
    """Times are published to the day only (in UTC)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).date()
    return value


def short(published: int | None) -> str:
    """A published count for a table cell: the figure, or "<8"."""
    return f"<{SUPPRESS_BELOW}" if published is None else f"{published:,}"


def words(published: int | None) -> str:
    """A published count for a sentence: the figure, or SUPPRESSED_WORDS."""
    return SUPPRESSED_WORDS if published is None else f"{published:,}"
