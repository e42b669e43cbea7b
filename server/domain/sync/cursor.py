"""The pull cursor: an opaque string naming a position in the server's change order.

Rows that tablets pull carry ``(change_txid, change_seq)``: the id of the transaction that
wrote them and a number from one sequence. A pull reads X, the oldest transaction still
running in its snapshot (``pg_snapshot_xmin``); every transaction below X has finished, so
the rows with ``change_txid < X`` are final. It returns those above the cursor in
``(change_txid, change_seq)`` order. A row committed late by a slow transaction has a
txid at or above X until that transaction ends, so it is not passed over: it comes in a
later pull. Positions only grow, so nothing is sent twice.

Wire form: ``v1.<txid>.<seq>``; ``""`` (or no cursor) is the start.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from server.lib.exceptions import BadRequest

MAX_BIGINT = 2**63 - 1
_CURSOR = re.compile(r"^v1\.(\d{1,19})\.(\d{1,19})$")


class Position(NamedTuple):
    txid: int
    seq: int


START = Position(0, 0)


def encode_cursor(position: Position) -> str:
    if position == START:
        return ""
    return f"v1.{position.txid}.{position.seq}"


def decode_cursor(cursor: str | None, field: str = "since") -> Position:
    """The position a cursor names; 400 for anything the server did not issue."""
    if not cursor:
        return START
    match = _CURSOR.match(cursor)
    if match is None:
        raise BadRequest(
            f"The cursor {cursor[:80]!r} is not one this server issued. Pass back the `cursor` of the last pull "
            "(or of the pack) unchanged, or leave `since` out to pull from the start.",
            field=field,
        )
    txid, seq = int(match[1]), int(match[2])
    if txid > MAX_BIGINT or seq > MAX_BIGINT:
        raise BadRequest(f"The cursor {cursor!r} is out of range; leave `since` out to pull from the start.",
                         field=field)
    return Position(txid, seq)


def all_before(snapshot_xmin: int) -> Position:
    """The position after every row written by a transaction below ``snapshot_xmin``."""
    return Position(snapshot_xmin - 1, MAX_BIGINT)
