"""Door order along the street: where each household stands, walking it.

Up one side from the start of the street, back down the other: the odd-numbered side in
increasing distance along the street, then the even side in decreasing distance. The stored
``door_order`` is the walk rule of ``shared_schemas.walk`` (each side in house-number order),
which this geometric order only settles for doors without a number of their own
(``importer.order_doors``). Which
geometric side (left/right of the line's direction) holds the odd numbers is decided per
street by the numbered households on it (OSM data does not always put odd on the left);
households without a number walk with the side they stand on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from server.domain.areas.features import Coord
from server.domain.areas.geometry import locate
from shared_schemas.geometry import LocalProjection


@dataclass(frozen=True)
class Door:
    key: int  # household id
    side: str  # odd, even, none
    lon: float
    lat: float


def door_order(lines: Sequence[Sequence[Coord]], doors: Sequence[Door]) -> dict[int, int]:
    """Household id -> 1-based position in the walk along the street made of `lines`."""
    if not doors:
        return {}
    proj = LocalProjection.around([c for line in lines for c in line])
    xy_lines = [[proj.to_xy(*c) for c in line] for line in lines]
    placed = []
    for d in doors:
        p = proj.to_xy(d.lon, d.lat)
        # nearest piece of the street; pieces are walked in order, so position = (piece, metres)
        _, along, geo_side, piece = min(
            (*locate(line, p), i) for i, line in enumerate(xy_lines) if len(line) >= 2
        )
        placed.append((d, piece, along, geo_side))
    votes = Counter((d.side, geo) for d, _, _, geo in placed if d.side in ("odd", "even"))
    odd_right = votes[("odd", "right")] + votes[("even", "left")]
    odd_left = votes[("odd", "left")] + votes[("even", "right")]
    odd_geo = "right" if odd_right > odd_left else "left"  # a tie keeps the generated convention

    def walk_key(item):
        d, piece, along, geo = item
        side = d.side if d.side != "none" else ("odd" if geo == odd_geo else "even")
        if side == "odd":
            return (0, piece, along, d.key)
        return (1, -piece, -along, d.key)

    return {d.key: i for i, (d, *_rest) in enumerate(sorted(placed, key=walk_key), start=1)}
