"""An operation's life: planned → active → closed, and back to active when its coordinator reopens it.

The one place for what each status allows:
- set-up (the area, imports, pairs and their streets) changes while planned or active, never while
  closed: a closed operation's set-up is read-only until it is reopened;
- the area itself changes only while planned (tablets already hold an active operation's pack);
- visits made before the close still arrive and count (a tablet may have been offline); visits made
  after it are refused, with a reason the tablet shows (``closed_reason``).
"""

from __future__ import annotations

import datetime as dt

from server.db.models import Operation
from server.lib.exceptions import Conflict

#: What closing means, in the words the dashboard's confirmation shows (and the API documents).
CLOSING_MEANS = ("Closing ends the operation: pairs can no longer record visits made after now, and its set-up "
                 "becomes read-only. Visits made before now still arrive from tablets that were offline, and "
                 "count. You can reopen it later.")


def ensure_editable(operation: Operation, what: str = "its set-up") -> None:
    if operation.status == "closed":
        raise Conflict(f"Operation {operation.name!r} is closed, so {what} cannot change. Reopen it first "
                       "(POST /api/v1/operations/{id}/reopen, or Reopen on its set-up page).",
                       extra={"status": operation.status})


def ensure_planned(operation: Operation, what: str) -> None:
    if operation.status != "planned":
        raise Conflict(f"Operation {operation.name!r} is {operation.status}: {what} can only change while it is "
                       "planned (tablets already hold its area).", extra={"status": operation.status})


def closed_reason(operation_name: str, closed_at: dt.datetime, made_at: dt.datetime) -> str | None:
    """Why a record made at `made_at` is refused by an operation closed at `closed_at`, or None."""
    if made_at <= closed_at:
        return None
    return (f"operation {operation_name!r} was closed at {closed_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC, "
            "before this was recorded; ask its coordinator to reopen it if the visit should count")
