"""Join the OSM ways of one street into as few lines as possible.

OSM splits a street into many ways (at junctions, where a tag changes). Ways that share
an end node are chained, reversing a way where needed. Deterministic: ways are taken in
id order and each chain starts with its lowest-id way, in that way's direction, so the
"start of the street" (where generated numbering begins) is the same on every import.
"""

from __future__ import annotations

from collections.abc import Iterable

from server.domain.areas.features import Coord

Node = tuple[int, Coord]  # (OSM node id, location)


def join_ways(ways: Iterable[tuple[int, list[Node]]]) -> list[list[Coord]]:
    remaining = sorted((wid, nodes) for wid, nodes in ways if len(nodes) >= 2)
    chains: list[list[Node]] = []
    while remaining:
        chain = list(remaining.pop(0)[1])
        grown = True
        while grown and chain[0][0] != chain[-1][0]:  # a closed loop takes nothing more
            grown = False
            for i, (_, nodes) in enumerate(remaining):
                head, tail = chain[0][0], chain[-1][0]
                if tail == nodes[0][0]:
                    chain = chain + nodes[1:]
                elif tail == nodes[-1][0]:
                    chain = chain + nodes[::-1][1:]
                elif head == nodes[-1][0]:
                    chain = nodes[:-1] + chain
                elif head == nodes[0][0]:
                    chain = nodes[::-1][:-1] + chain
                else:
                    continue
                del remaining[i]
                grown = True
                break
        chains.append(chain)
    return [[loc for _, loc in chain] for chain in chains]
