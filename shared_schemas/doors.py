"""Where a door stands, from every attempt at it: one rule for the tablet and the server.

- not knocked: no attempt yet;
- to revisit: attempts, none with a closing outcome (``codes.CLOSING_OUTCOMES``);
- closed: the status of its strongest closing outcome, in the order of ``STATUS_PRECEDENCE``
  (answered > refused > do_not_visit > vacant): a door that answered once is answered, whatever
  was recorded before or after. Answering online with the card's code (``answered_online``) is
  answering (``CLOSED_AS``).

A street's progress counts a door as *knocked* once it has a status other than not knocked, and
*closed* once its status is closed (``DoorStatus.knocked``, ``DoorStatus.closed``). A visit still
being filled in on a tablet (a draft) is no attempt: it changes neither until it is saved, and the
screens name it "draft" apart.

The server counts street results by it (in SQL, ranked by the same order:
``server/domain/results/services.py`` ``CLOSING_RANK``); the tablet colours its doors by it.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from .codes import CLOSING_OUTCOMES, Outcome


class DoorStatus(StrEnum):
    NOT_KNOCKED = "not_knocked"
    TO_REVISIT = "to_revisit"
    ANSWERED = "answered"
    REFUSED = "refused"
    DO_NOT_VISIT = "do_not_visit"
    VACANT = "vacant"

    @property
    def knocked(self) -> bool:
        """Someone has been to this door (an attempt that counts was saved)."""
        return self is not DoorStatus.NOT_KNOCKED

    @property
    def closed(self) -> bool:
        """No more knocks needed."""
        return self not in (DoorStatus.NOT_KNOCKED, DoorStatus.TO_REVISIT)


#: The closed statuses, strongest first.
STATUS_PRECEDENCE: tuple[DoorStatus, ...] = (DoorStatus.ANSWERED, DoorStatus.REFUSED, DoorStatus.DO_NOT_VISIT,
                                             DoorStatus.VACANT)
#: The status each closing outcome gives a door.
CLOSED_AS: dict[Outcome, DoorStatus] = {
    Outcome.ANSWERED: DoorStatus.ANSWERED,
    Outcome.ANSWERED_ONLINE: DoorStatus.ANSWERED,
    Outcome.REFUSED: DoorStatus.REFUSED,
    Outcome.DO_NOT_VISIT: DoorStatus.DO_NOT_VISIT,
    Outcome.VACANT: DoorStatus.VACANT,
}
assert set(CLOSED_AS) == set(CLOSING_OUTCOMES), "every closing outcome needs the status it gives"


def door_status(outcomes: Iterable[str]) -> DoorStatus:
    """The status of a door whose attempts had these outcomes (in any order, repeats allowed)."""
    seen = set(outcomes)
    if not seen:
        return DoorStatus.NOT_KNOCKED
    closed = {CLOSED_AS[outcome] for outcome in seen if outcome in CLOSED_AS}  # type: ignore[index]  # a str is its code
    for status in STATUS_PRECEDENCE:
        if status in closed:
            return status
    return DoorStatus.TO_REVISIT
