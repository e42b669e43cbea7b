"""The order a pair walks a street's doors: each side in house-number order.

Odd numbers up one side, even numbers along the other, each in number order (12, 12a, 14, …;
a range such as 19-20 goes by its first number). Doors whose number belongs to another street
(a corner house, "181 Woodhouse Lane" on Cavendish Road) and doors without a number come after
the numbered ones, by the geometric order the pack gives (``door_order``), so a list never reads
"7, 9, 11, 13, 29 Blenheim Terrace, 1, 181 Woodhouse Lane, 3, 5" again.

The tablet sorts by ``walk_key``; the server stores each door's place in this walk as its
``door_order`` (``walk_positions``, when doors are imported), so the coordinators' door and
revisit lists, the printed revisit list and the tablet's walk list read the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NUMBER = re.compile(r"^\s*(\d+)\s*([A-Za-z]?)")


def number_parts(house_number: str | None) -> tuple[int, str] | None:
    """(12, "a") for "12a", (19, "") for "19-20"; None when there is no number."""
    match = _NUMBER.match(house_number or "")
    if not match:
        return None
    return int(match.group(1)), match.group(2).lower()


def numbered_on(street_name: str, address: str, house_number: str | None) -> bool:
    """Is the door's number one of this street's (the address reads "<number> <street name>")?"""
    if not house_number or not street_name:
        return False
    pattern = re.compile(rf"(^|,)\s*{re.escape(house_number.strip())}\s+{re.escape(street_name.strip())}\s*(,|$)",
                         re.IGNORECASE)
    return bool(pattern.search(address or ""))


def walk_key(street_name: str, address: str, house_number: str | None, side: str | None,
             door_order: int | None) -> tuple:
    """Sort key for a street's doors: odd side by number, even side by number, then the rest by door order."""
    parts = number_parts(house_number)
    order = door_order if door_order is not None else 0
    if parts is None or not numbered_on(street_name, address, house_number):
        return (2, 0, "", order, address or "")
    number, suffix = parts
    return (0 if number % 2 else 1, number, suffix, order, address or "")


def walk_positions(street_name: str,
                   doors: Iterable[tuple[int, str, str | None, str | None, int | None]]) -> dict[int, int]:
    """Each door's 1-based place in the walk of one street, by household id.

    ``doors``: (household id, address, house_number, side, geometric order along the street); the
    geometric order only settles what the numbers do not (no number, another street's number, a tie).
    """
    ranked = sorted(doors, key=lambda d: (*walk_key(street_name, d[1], d[2], d[3], d[4]), d[0]))
    return {door[0]: place for place, door in enumerate(ranked, start=1)}
