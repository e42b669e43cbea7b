"""Visits in progress: one draft per door, written as it is filled in."""

from __future__ import annotations

import sqlite3

from mobile.store.db import utc_now
from mobile.store.types import DraftRow


def save(conn: sqlite3.Connection, operation_id: int, household_id: int, body: bytes, username: str | None) -> None:
    now = utc_now()
    conn.execute(
        """
        INSERT INTO drafts (operation_id, household_id, body, username, started_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (operation_id, household_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
        """,
        (operation_id, household_id, body, username, now, now),
    )


def load(conn: sqlite3.Connection, operation_id: int, household_id: int) -> DraftRow | None:
    row = conn.execute(
        "SELECT operation_id, household_id, body, username, started_at, updated_at FROM drafts "
        "WHERE operation_id = ? AND household_id = ?",
        (operation_id, household_id),
    ).fetchone()
    return _row(row) if row else None


def remove(conn: sqlite3.Connection, operation_id: int, household_id: int) -> None:
    conn.execute("DELETE FROM drafts WHERE operation_id = ? AND household_id = ?", (operation_id, household_id))


def all_drafts(conn: sqlite3.Connection, operation_id: int | None = None) -> list[DraftRow]:
    sql = "SELECT operation_id, household_id, body, username, started_at, updated_at FROM drafts"
    params: tuple = ()
    if operation_id is not None:
        sql += " WHERE operation_id = ?"
        params = (operation_id,)
    return [_row(r) for r in conn.execute(sql + " ORDER BY updated_at", params)]


def _row(r: tuple) -> DraftRow:
    return DraftRow(operation_id=r[0], household_id=r[1], body=bytes(r[2]), username=r[3],
                    started_at=r[4], updated_at=r[5])
