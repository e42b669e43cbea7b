"""Forward-only schema migrations, numbered by PRAGMA user_version.

Each migration runs in its own transaction together with the user_version bump, so an
app killed mid-migration reopens at the last complete version. Never edit a migration
that has shipped: append a new one.
"""

from __future__ import annotations

import sqlite3
import uuid

from mobile.store.db import write_transaction

MIGRATIONS: list[str] = [
    # 1: packs, records, outbox, pull state, sign-ins.
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT
    );
    CREATE TABLE operations (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        pack BLOB NOT NULL,            -- the pack exactly as downloaded (JSON)
        questionnaire BLOB,            -- the pack's questionnaire (JSON), to check answers without decoding the pack
        etag TEXT,
        downloaded_at TEXT NOT NULL,
        pull_cursor TEXT               -- where the next pull starts
    );
    CREATE TABLE streets (
        operation_id INTEGER NOT NULL REFERENCES operations(id) ON DELETE CASCADE,
        id INTEGER NOT NULL,
        name TEXT NOT NULL,
        locality TEXT,
        PRIMARY KEY (operation_id, id)
    ) WITHOUT ROWID;
    CREATE TABLE households (
        operation_id INTEGER NOT NULL REFERENCES operations(id) ON DELETE CASCADE,
        id INTEGER NOT NULL,
        ref TEXT NOT NULL,
        address TEXT NOT NULL,
        house_number TEXT,
        postcode TEXT,
        street_id INTEGER,
        lon REAL,
        lat REAL,
        side TEXT,
        door_order INTEGER,
        PRIMARY KEY (operation_id, id)
    ) WITHOUT ROWID;
    CREATE INDEX households_on_street ON households (operation_id, street_id, door_order);
    CREATE TABLE teams (
        operation_id INTEGER NOT NULL REFERENCES operations(id) ON DELETE CASCADE,
        id INTEGER NOT NULL,
        name TEXT NOT NULL,
        members TEXT NOT NULL,         -- JSON list of PackMember
        PRIMARY KEY (operation_id, id)
    ) WITHOUT ROWID;
    CREATE TABLE team_streets (
        operation_id INTEGER NOT NULL REFERENCES operations(id) ON DELETE CASCADE,
        team_id INTEGER NOT NULL,
        street_id INTEGER NOT NULL,
        PRIMARY KEY (operation_id, team_id, street_id)
    ) WITHOUT ROWID;

    -- Every visit, fix and follow-up the tablet knows: made here (local) or pulled (remote).
    -- No foreign key to operations: records outlive a pack that is removed.
    CREATE TABLE records (
        id TEXT PRIMARY KEY,           -- the UUID the tablet made
        type TEXT NOT NULL CHECK (type IN ('visit', 'fix', 'followup')),
        operation_id INTEGER NOT NULL,
        household_id INTEGER,
        street_id INTEGER,
        visit_id TEXT,
        team_id INTEGER,
        happened_at TEXT NOT NULL,     -- UTC ISO 8601: visited_at, done_at or raised_at
        outcome TEXT,
        body BLOB NOT NULL,            -- the record as JSON (contact details removed once acknowledged)
        origin TEXT NOT NULL CHECK (origin IN ('local', 'remote')),
        acknowledged_at TEXT           -- when the server confirmed it has this record
    );
    CREATE INDEX visits_at_household ON records (operation_id, household_id, happened_at)
        WHERE type = 'visit';

    -- Records to send, oldest first (seq). A row leaves only when the server's answer names it.
    CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        record_id TEXT NOT NULL UNIQUE REFERENCES records(id),
        record_type TEXT NOT NULL,
        payload BLOB NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'rejected')),
        reason TEXT
    );
    CREATE INDEX outbox_queue ON outbox (state, seq);

    CREATE TABLE followup_status (
        followup_id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,      -- the server's version: an older change never overwrites a newer one
        note TEXT,
        changed_at TEXT
    );

    -- Offline sign-in: a scrypt verifier of the password, never the password.
    CREATE TABLE credentials (
        username TEXT PRIMARY KEY,
        salt BLOB NOT NULL,
        verifier BLOB NOT NULL,
        scrypt_n INTEGER NOT NULL,
        scrypt_r INTEGER NOT NULL,
        scrypt_p INTEGER NOT NULL,
        user_json TEXT NOT NULL,
        token TEXT,
        token_expires_at TEXT,
        signed_in_at TEXT NOT NULL
    );
    """,
    # 2: erasing residents' free text from acknowledged records (Store.erase_acknowledged_text).
    # The partial index holds only records acknowledged and not yet erased, so finding what is
    # due costs nothing while records wait in the outbox and little once they are erased.
    """
    ALTER TABLE records ADD COLUMN text_erased_at TEXT;  -- when notes, descriptions and text answers left
    CREATE INDEX records_text_to_erase ON records (happened_at)
        WHERE origin = 'local' AND acknowledged_at IS NOT NULL AND text_erased_at IS NULL;
    """,
    # 3: visits in progress (drafts) and a no-answer's Undo window.
    """
    -- A visit being filled in, written as it is filled in, so nothing is lost by leaving the
    -- screen, signing out or the app being killed. One per door; saving the visit removes it
    -- in the same transaction.
    CREATE TABLE drafts (
        operation_id INTEGER NOT NULL,
        household_id INTEGER NOT NULL,
        body BLOB NOT NULL,            -- the view-model's state (JSON), see mobile.viewmodels.visit
        username TEXT,                 -- who started it
        started_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (operation_id, household_id)
    ) WITHOUT ROWID;
    -- Held back from sending until then (UTC text): a no-answer can be undone while it waits.
    ALTER TABLE outbox ADD COLUMN not_before TEXT;
    """,
    # 4: offline sign-in with argon2id, and a PIN to unlock (issue 15). Rows written before keep
    # their scrypt verifier until the next sign-in with the password replaces it.
    """
    ALTER TABLE credentials ADD COLUMN kdf TEXT NOT NULL DEFAULT 'scrypt';  -- 'scrypt' or 'argon2id'
    ALTER TABLE credentials ADD COLUMN kdf_params TEXT;                     -- argon2id's t, m, p as JSON
    ALTER TABLE credentials ADD COLUMN pin_salt BLOB;
    ALTER TABLE credentials ADD COLUMN pin_verifier BLOB;                   -- argon2id of the PIN, if one was chosen
    """,
    # 5: corrections of sent visits, and the partner's visits.
    """
    -- A visit that corrects an earlier one names it (shared_schemas Visit.supersedes; pulled ones too):
    -- the earlier one stops counting once its correction is on the tablet and not refused.
    ALTER TABLE records ADD COLUMN supersedes TEXT;
    CREATE INDEX records_supersedes ON records (supersedes) WHERE supersedes IS NOT NULL;
    -- The pull now brings the partner's tablet's visits too (it used to leave out the whole pair's):
    -- pull again from the start once, so the visits passed over before arrive (applying is idempotent).
    UPDATE operations SET pull_cursor = NULL;
    """,
    # 6: where each door comes from (the pack's Household.source): a generated door may not exist.
    # Stores from before learn it at the next pack download (NULL until then: not said).
    """
    ALTER TABLE households ADD COLUMN source TEXT;
    """,
    # 7: photos of fixes and follow-ups (issue 15). Each photo a saved record refers to waits here to be
    # uploaded, apart from the records (mobile.store.photo_queue); the photo itself is in photos/.
    """
    CREATE TABLE photo_uploads (
        sha256 TEXT PRIMARY KEY,       -- the cleaned photo's hash: its name in photos/ and on the server
        queued_at TEXT NOT NULL,
        sent_at TEXT,                  -- the server has it (2xx): it leaves the tablet a day later
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,               -- why the last try failed, in plain words
        refused TEXT,                  -- the server will not take it (too large, not an image): not sent again
        removed_at TEXT                -- the file left the tablet (Store.erase_acknowledged_text)
    ) WITHOUT ROWID;
    CREATE INDEX photo_uploads_waiting ON photo_uploads (queued_at) WHERE sent_at IS NULL AND refused IS NULL;
    """,
    # 8: the tablet's settings, kept across restarts and sign-ins (Store.setting): the interface
    # language chosen with the top bar's switch, before anyone signs in.
    """
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
]


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration past the file's user_version. Returns the version reached."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise RuntimeError(
            f"this store was written by a newer app (schema {version}, this app knows "
            f"{len(MIGRATIONS)}): update the app; the data is kept"
        )
    for number in range(version + 1, len(MIGRATIONS) + 1):
        with write_transaction(conn):
            # Re-read inside the write lock: another connection may have migrated meanwhile.
            if conn.execute("PRAGMA user_version").fetchone()[0] >= number:
                continue
            for statement in _statements(MIGRATIONS[number - 1]):
                conn.execute(statement)
            if number == 1:
                conn.execute("INSERT INTO meta (key, value) VALUES ('device_id', ?)", (str(uuid.uuid4()),))
            conn.execute(f"PRAGMA user_version = {number}")
    return len(MIGRATIONS)


def _statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would COMMIT behind our back)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    assert not buffer.strip(), "unterminated statement in a migration"
    return statements
