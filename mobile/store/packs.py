"""Storing an operation's offline pack: the raw pack plus the tables the screens query."""

from __future__ import annotations

import sqlite3

import msgspec

from mobile.store.db import utc_now
from mobile.store.types import OperationSummary, TeamInfo, TeamMember
from shared_schemas.pack import Pack, PackMember
from shared_schemas.questionnaire import Questionnaire

_encoder = msgspec.json.Encoder()
_pack_decoder = msgspec.json.Decoder(Pack)
_members_decoder = msgspec.json.Decoder(list[PackMember])
_questionnaire_decoder = msgspec.json.Decoder(Questionnaire)


def save_pack(conn: sqlite3.Connection, pack: Pack, raw: bytes, etag: str | None) -> None:
    """Replace the operation's pack tables; call inside a write transaction.

    Records and the outbox are never touched. The pull cursor moves to the pack's
    only if none was stored yet: a cursor from a later pull is at least as new.
    """
    op = pack.operation
    conn.execute(
        """
        INSERT INTO operations (id, name, pack, questionnaire, etag, downloaded_at, pull_cursor)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET
            name = excluded.name, pack = excluded.pack, questionnaire = excluded.questionnaire,
            etag = excluded.etag,
            downloaded_at = excluded.downloaded_at,
            pull_cursor = coalesce(operations.pull_cursor, excluded.pull_cursor)
        """,
        (op.id, op.name, raw, _encoder.encode(pack.questionnaire) if pack.questionnaire else None,
         etag, utc_now(), pack.cursor or None),
    )
    for table in ("streets", "households", "teams", "team_streets"):
        conn.execute(f"DELETE FROM {table} WHERE operation_id = ?", (op.id,))
    conn.executemany(
        "INSERT INTO streets (operation_id, id, name, locality) VALUES (?, ?, ?, ?)",
        [(op.id, s.id, s.name, s.locality) for s in pack.streets],
    )
    conn.executemany(
        """
        INSERT INTO households (operation_id, id, ref, address, house_number, postcode,
                                street_id, lon, lat, side, door_order, source)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            (op.id, h.id, h.ref, h.address, h.house_number, h.postcode,
             h.street_id, h.lon, h.lat, h.side, h.door_order, h.source)
            for h in pack.households
        ],
    )
    for team in pack.teams:
        replace_team(conn, op.id, team.id, team.name, team.members, team.street_ids)


def replace_team(
    conn: sqlite3.Connection,
    operation_id: int,
    team_id: int,
    name: str,
    members: list[PackMember],
    street_ids: list[int],
) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO teams (operation_id, id, name, members) VALUES (?, ?, ?, ?)",
        (operation_id, team_id, name, _encoder.encode(members)),
    )
    conn.execute(
        "DELETE FROM team_streets WHERE operation_id = ? AND team_id = ?", (operation_id, team_id)
    )
    conn.executemany(
        "INSERT OR IGNORE INTO team_streets (operation_id, team_id, street_id) VALUES (?, ?, ?)",
        [(operation_id, team_id, street_id) for street_id in street_ids],
    )


def remove_team(conn: sqlite3.Connection, operation_id: int, team_id: int) -> None:
    conn.execute("DELETE FROM teams WHERE operation_id = ? AND id = ?", (operation_id, team_id))
    conn.execute(
        "DELETE FROM team_streets WHERE operation_id = ? AND team_id = ?", (operation_id, team_id)
    )


def load_pack(conn: sqlite3.Connection, operation_id: int) -> Pack | None:
    row = conn.execute("SELECT pack FROM operations WHERE id = ?", (operation_id,)).fetchone()
    return _pack_decoder.decode(row[0]) if row else None


def operation_exists(conn: sqlite3.Connection, operation_id: int) -> bool:
    return conn.execute("SELECT 1 FROM operations WHERE id = ?", (operation_id,)).fetchone() is not None


def downloaded_operations(conn: sqlite3.Connection) -> list[OperationSummary]:
    rows = conn.execute(
        """
        SELECT o.id, o.name, o.downloaded_at, o.etag,
               (SELECT count(*) FROM households h WHERE h.operation_id = o.id),
               (SELECT count(*) FROM streets s WHERE s.operation_id = o.id)
        FROM operations o ORDER BY o.downloaded_at DESC, o.id
        """
    ).fetchall()
    return [
        OperationSummary(id=r[0], name=r[1], downloaded_at=r[2], etag=r[3], households=r[4], streets=r[5])
        for r in rows
    ]


def teams(conn: sqlite3.Connection, operation_id: int) -> list[TeamInfo]:
    rows = conn.execute(
        "SELECT id, name, members FROM teams WHERE operation_id = ? ORDER BY name, id", (operation_id,)
    ).fetchall()
    return [_team_info(conn, operation_id, *row) for row in rows]


def _team_info(conn: sqlite3.Connection, operation_id: int, team_id: int, name: str, members: bytes | str) -> TeamInfo:
    street_ids = tuple(
        r[0]
        for r in conn.execute(
            "SELECT street_id FROM team_streets WHERE operation_id = ? AND team_id = ? ORDER BY street_id",
            (operation_id, team_id),
        )
    )
    decoded = _members_decoder.decode(members)
    return TeamInfo(
        id=team_id,
        name=name,
        members=tuple(
            TeamMember(m.user_id, m.username, m.display_name, m.agency_code, m.agency_name) for m in decoded
        ),
        street_ids=street_ids,
    )


def load_questionnaire(conn: sqlite3.Connection, operation_id: int) -> Questionnaire | None:
    row = conn.execute("SELECT questionnaire FROM operations WHERE id = ?", (operation_id,)).fetchone()
    return _questionnaire_decoder.decode(row[0]) if row and row[0] is not None else None
