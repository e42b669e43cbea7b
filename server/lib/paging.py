"""Keyset paging for every list the API answers: one cursor format, one error, one limit rule.

A list answers ``{"items": [...], "next": <cursor or null>}`` in the order of a unique sort key
and takes ``limit`` and ``cursor``:

- ``next`` is the sort key of the page's last item, as a JSON array in base64url (opaque to
  clients: pass it back unchanged as ``cursor``). The next page starts after it, so rows that
  arrive meanwhile never shift a page (no offsets).
- A ``cursor`` this server did not give out, or that another list gave out, is refused with 400
  (``field: "cursor"``), saying to leave it out to start again.
- ``limit`` has a default and a maximum per list; outside 1..maximum it is refused with 422
  (``field: "limit"``) naming the range. Never clamped silently.

Each list declares its ``Keyset`` once, beside its query::

    DOORS = Keyset(tuple[int, int, int], default=200, maximum=1000)

    limit, after = DOORS.limit(limit), DOORS.after(cursor)   # 422 / 400 here
    rows = ... ORDER BY the key ... WHERE key > after ... LIMIT limit + 1
    items, next_cursor = DOORS.page(rows, limit, key=lambda row: (row.street, row.order, row.id))

The sync pull's ``since`` is not a page cursor: it is a position in the change stream with its
own versioned form (server/domain/sync/cursor.py), and answers a bad one with the same 400.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

import msgspec

from server.lib.exceptions import BadRequest, Invalid

K = TypeVar("K")
T = TypeVar("T")
#: An integer column of PostgreSQL (``integer``) in a sort key: a cursor never carries a value the
#: database cannot compare.
Int32 = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)]
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


class Keyset(Generic[K]):
    """One list's paging: the type of its sort key, its default and maximum page size."""

    def __init__(self, key: type[K], *, default: int, maximum: int):
        if not 1 <= default <= maximum:
            raise ValueError("the default page size must be from 1 to the maximum")
        self.key = key
        self.default = default
        self.maximum = maximum
        self._decoder: msgspec.json.Decoder[K] = msgspec.json.Decoder(key)

    def limit(self, limit: int) -> int:
        """``limit`` if it is from 1 to the maximum; 422 otherwise."""
        return checked_limit(limit, self.maximum)

    def after(self, cursor: str | None) -> K | None:
        """The sort key a cursor names (None: the first page); 400 for one this list did not give out."""
        if not cursor:
            return None
        try:
            return self._decoder.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        except (ValueError, binascii.Error, msgspec.DecodeError):
            raise BadRequest(f"The cursor {cursor[:80]!r} is not one this list gave out: pass back the `next` of the "
                             "previous page unchanged, or leave `cursor` out for the first page.",
                             field="cursor") from None

    def page(self, rows: Sequence[T], limit: int, key: Callable[[T], K]) -> tuple[list[T], str | None]:
        """The first ``limit`` rows (fetch ``limit + 1``) and the cursor of the next page, if any."""
        items = list(rows[:limit])
        return items, (cursor_of(key(items[-1])) if len(rows) > limit and items else None)


def checked_limit(limit: int, maximum: int) -> int:
    """The limit rule of every list (and of the pull): from 1 to its maximum, else 422."""
    if not 1 <= limit <= maximum:
        raise Invalid(f"`limit` must be from 1 to {maximum} (it was {limit}); page through the rest instead.",
                      field="limit")
    return limit


def cursor_of(key: Any) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(key)).rstrip(b"=").decode()
