"""What the visit screens read: a team's streets with progress, a street's doors with status."""

from __future__ import annotations

import sqlite3

from mobile.store.records import COUNTS
from mobile.store.types import HouseholdRow, HouseholdStatus, StreetSummary
from shared_schemas.codes import CLOSING_OUTCOMES
from shared_schemas.doors import DoorStatus, door_status

_CLOSING = tuple(str(o) for o in CLOSING_OUTCOMES)
#: The shared door status (shared_schemas/doors.py) as the colours the screens show.
_STATUS = {DoorStatus.NOT_KNOCKED: HouseholdStatus.NOT_KNOCKED, DoorStatus.TO_REVISIT: HouseholdStatus.TO_REVISIT,
           DoorStatus.DO_NOT_VISIT: HouseholdStatus.DO_NOT_VISIT, DoorStatus.ANSWERED: HouseholdStatus.DONE,
           DoorStatus.REFUSED: HouseholdStatus.DONE, DoorStatus.VACANT: HouseholdStatus.DONE}

_SIDE = "CASE h.side WHEN 'odd' THEN 0 WHEN 'even' THEN 1 ELSE 2 END"
_ORDERS = {
    # Zig-zag along the street: door_order counts along each side, so 1, 2, 3, 4…
    "door": f"h.door_order, {_SIDE}, h.id",
    # The odd side, then the even side.
    "side": f"{_SIDE}, h.door_order, h.id",
}


def streets_for_team(conn: sqlite3.Connection, operation_id: int, team_id: int) -> list[StreetSummary]:
    # Grouped queries, folded in Python: door counts come from the covering index, and visit
    # outcomes cost in proportion to the visits, not to every household times every street. Each
    # door's status is the shared rule's (shared_schemas.doors), as on the street screen.
    streets = conn.execute(
        """
        SELECT s.id, s.name, s.locality FROM team_streets ts
        JOIN streets s ON s.operation_id = ts.operation_id AND s.id = ts.street_id
        WHERE ts.operation_id = ? AND ts.team_id = ?
        ORDER BY s.name, s.id
        """,
        (operation_id, team_id),
    ).fetchall()
    doors = dict(conn.execute(
        "SELECT street_id, count(*) FROM households WHERE operation_id = ? GROUP BY street_id", (operation_id,)
    ).fetchall())
    outcomes: dict[int, tuple[int, set[str]]] = {}
    for street_id, household_id, outcome in conn.execute(
        f"""
        SELECT DISTINCT h.street_id, v.household_id, v.outcome
        FROM records v
        JOIN households h ON h.operation_id = v.operation_id AND h.id = v.household_id
        WHERE v.type = 'visit' AND v.operation_id = ? AND {COUNTS}
        """,
        (operation_id,),
    ):
        outcomes.setdefault(household_id, (street_id, set()))[1].add(outcome)
    knocked: dict[int, int] = {}
    closed: dict[int, int] = {}
    for street_id, seen in outcomes.values():
        status = door_status(seen)
        knocked[street_id] = knocked.get(street_id, 0) + status.knocked
        closed[street_id] = closed.get(street_id, 0) + status.closed
    drafts = dict(conn.execute(
        """SELECT h.street_id, count(DISTINCT d.household_id) FROM drafts d
           JOIN households h ON h.operation_id = d.operation_id AND h.id = d.household_id
           WHERE d.operation_id = ? GROUP BY h.street_id""", (operation_id,)
    ).fetchall())
    return [
        StreetSummary(id=street_id, name=name, locality=locality, households=doors.get(street_id, 0),
                      knocked=knocked.get(street_id, 0), closed=closed.get(street_id, 0),
                      drafts=drafts.get(street_id, 0))
        for street_id, name, locality in streets
    ]


def households_on_street(
    conn: sqlite3.Connection, operation_id: int, street_id: int, order: str
) -> list[HouseholdRow]:
    if order not in _ORDERS:
        raise ValueError(f"order must be one of {sorted(_ORDERS)}, not {order!r}")
    return _households(conn, "h.operation_id = ? AND h.street_id = ?", (operation_id, street_id), _ORDERS[order])


def household(conn: sqlite3.Connection, operation_id: int, household_id: int) -> HouseholdRow | None:
    rows = _households(conn, "h.operation_id = ? AND h.id = ?", (operation_id, household_id), "h.id")
    return rows[0] if rows else None


def _households(conn: sqlite3.Connection, where: str, params: tuple, order_by: str) -> list[HouseholdRow]:
    # One pass over the households and their visits (indexed by household), folded in Python:
    # simpler than a window query and fast for the few hundred doors of a street.
    rows = conn.execute(
        f"""
        SELECT h.id, h.ref, h.address, h.house_number, h.postcode, h.side, h.door_order, h.lon, h.lat,
               v.outcome, v.happened_at, v.origin, h.source
        FROM households h
        LEFT JOIN records v ON v.type = 'visit' AND v.operation_id = h.operation_id AND v.household_id = h.id
            -- a visit the server refused does not count until it is corrected and accepted, nor one
            -- that a correction replaced
            AND {COUNTS}
        WHERE {where}
        ORDER BY {order_by}, v.happened_at, v.id
        """,
        params,
    ).fetchall()
    result: list[HouseholdRow] = []
    current: list | None = None
    for r in rows:
        if current is None or current[0][0] != r[0]:
            if current is not None:
                result.append(_fold(current))
            current = []
        current.append(r)
    if current is not None:
        result.append(_fold(current))
    return result


def _fold(rows: list[tuple]) -> HouseholdRow:
    first = rows[0]
    visits = [(r[9], r[10], r[11]) for r in rows if r[9] is not None]  # outcome, at, origin
    status = door_status(outcome for outcome, _, _ in visits)
    last = visits[-1] if visits else (None, None, None)
    return HouseholdRow(
        id=first[0], ref=first[1], address=first[2], house_number=first[3], postcode=first[4],
        side=first[5], door_order=first[6], lon=first[7], lat=first[8],
        status=_STATUS[status],
        door_status=status,
        visits=len(visits),
        no_answers=sum(1 for outcome, _, _ in visits if outcome not in _CLOSING),
        last_outcome=last[0],
        last_visited_at=last[1],
        other_team_visits=sum(1 for _, _, origin in visits if origin == "remote"),
        source=first[12],
    )


def rejected_households(conn: sqlite3.Connection, operation_id: int) -> set[int]:
    """Doors whose visit the server refused (shown as such until corrected)."""
    return {r[0] for r in conn.execute(
        """SELECT DISTINCT r.household_id FROM outbox o JOIN records r ON r.id = o.record_id
           WHERE o.state = 'rejected' AND r.type = 'visit' AND r.operation_id = ?""", (operation_id,))}
