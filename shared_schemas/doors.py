"""Where a door stands, from every attempt at it: one rule for the tablet and the server.

- not knocked: no attempt yet;
- to revisit: attempts, none with a closing outcome (``codes.CLOSING_OUTCOMES``);
- closed: its strongest closing outcome, in the order of ``STATUS_PRECEDENCE`` (answered >
  refused > do_not_visit > vacant): a door that answered once is answered, whatever was
  recorded before or after.

The server counts street results by it (in SQL, ranked by the same order:
``server/domain/results/services.py`` ``CLOSING_RANK``); the tablet colours its doors by it.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from .codes import CLOSING_OUTCOMES, Outcome

STATUS_PRECEDENCE: tuple[Outcome, ...] = (Outcome.ANSWERED, Outcome.REFUSED, Outcome.DO_NOT_VISIT, Outcome.VACANT)
assert set(STATUS_PRECEDENCE) == set(CLOSING_OUTCOMES), "every closing outcome needs a place in the precedence"


class DoorStatus(StrEnum):
    NOT_KNOCKED = "not_knocked"
    TO_REVISIT = "to_revisit"
    ANSWERED = "answered"
    REFUSED = "refused"
    DO_NOT_VISIT = "do_not_visit"
    VACANT = "vacant"

    @property
    def closed(self) -> bool:
        return self not in (DoorStatus.NOT_KNOCKED, DoorStatus.TO_REVISIT)


def door_status(outcomes: Iterable[str]) -> DoorStatus:
    """The status of a door whose attempts had these outcomes (in any order, repeats allowed)."""
    seen = set(outcomes)
    if not seen:
        return DoorStatus.NOT_KNOCKED
    for outcome in STATUS_PRECEDENCE:
        if outcome in seen:
            return DoorStatus(outcome.value)
    return DoorStatus.TO_REVISIT
