"""Applying a pulled page of changes: visits made on other tablets, follow-up statuses, team changes."""

from __future__ import annotations

import sqlite3

from msgspec import UNSET

from mobile.store.db import utc_now, utc_text
from mobile.store.packs import remove_team, replace_team
from shared_schemas.records import Visit, encode_record
from shared_schemas.sync import FollowupStatusChange, PullResponse, TeamChange, VisitChange


def apply_page(conn: sqlite3.Connection, operation_id: int, page: PullResponse) -> int:
    """Apply every change and move the cursor; call inside a write transaction.

    Applying a page twice is harmless: visits are keyed by id, statuses by version.
    """
    applied = 0
    for change in page.changes:
        match change:
            case VisitChange():
                applied += _visit(conn, operation_id, change)
            case FollowupStatusChange():
                applied += _followup_status(conn, change)
            case TeamChange():
                if change.removed:
                    remove_team(conn, operation_id, change.team_id)
                else:
                    replace_team(conn, operation_id, change.team_id, change.name, change.members, change.street_ids)
                applied += 1
    conn.execute("UPDATE operations SET pull_cursor = ? WHERE id = ?", (page.cursor, operation_id))
    return applied


def _visit(conn: sqlite3.Connection, operation_id: int, change: VisitChange) -> int:
    # Kept as a Visit (outcome only, no answers) so every visit on the tablet reads the same way.
    # Our own visits coming back (a pull that did not name this tablet) are ignored by id: the local
    # copy stays.
    # A correction names the visit it replaces, which then stops counting here too.
    visit = Visit(
        id=change.id, operation_id=operation_id, household_id=change.household_id,
        team_id=change.team_id, visited_at=change.visited_at, outcome=change.outcome,
        supersedes=change.supersedes,
    )
    supersedes = None if change.supersedes is UNSET else str(change.supersedes)
    return conn.execute(
        """
        INSERT OR IGNORE INTO records
            (id, type, operation_id, household_id, team_id, happened_at, outcome, supersedes, body, origin,
             acknowledged_at)
        VALUES (?, 'visit', ?, ?, ?, ?, ?, ?, ?, 'remote', ?)
        """,
        (str(change.id), operation_id, change.household_id, change.team_id,
         utc_text(change.visited_at), str(change.outcome), supersedes, encode_record(visit), utc_now()),
    ).rowcount


def _followup_status(conn: sqlite3.Connection, change: FollowupStatusChange) -> int:
    return conn.execute(
        """
        INSERT INTO followup_status (followup_id, status, version, note, changed_at)
        VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (followup_id) DO UPDATE SET
            status = excluded.status, version = excluded.version,
            note = excluded.note, changed_at = excluded.changed_at
        WHERE excluded.version > followup_status.version
        """,
        (str(change.followup_id), str(change.status), change.version, change.note, utc_text(change.changed_at)),
    ).rowcount
