"""The tablet's offline store: one SQLite file holding packs, records, the outbox and sign-ins.

Thread-safe: one Store may be shared by the UI thread and the sync thread; every call
takes an internal lock, so calls are short and never wait on the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from mobile.store.types import (
    HouseholdRow,
    OperationSummary,
    OutboxEntry,
    Session,
    StreetSummary,
    SyncState,
)

if TYPE_CHECKING:
    from shared_schemas.pack import Pack
    from shared_schemas.records import Fix, Followup, Visit
    from shared_schemas.sync import PullResponse, PushResult


class Store:
    """Offline store. Open with `Store.open(path)`; close with `close()` or use as a context manager."""

    # ---- opening -------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path) -> Store:
        """Open (creating if needed) the store at `path`.

        Sets WAL with synchronous=FULL and runs the forward-only migrations not yet applied.
        Raises StorageFullError if the disk is full while creating it.
        """
        raise NotImplementedError

    def close(self) -> None:
        """Close the database. Safe to call twice."""
        raise NotImplementedError

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def device_id(self) -> str:
        """A UUID made once when the store was created; sent with every push."""
        raise NotImplementedError

    # ---- packs ---------------------------------------------------------------------

    def save_pack(self, pack: Pack, etag: str | None = None) -> None:
        """Store (or replace) an operation's offline pack, in one transaction.

        Replacing a pack keeps every record and the outbox; the pull cursor is kept
        if it is newer than the pack's.
        """
        raise NotImplementedError

    def current_pack(self, operation_id: int) -> Pack | None:
        """The stored pack for the operation, or None if it was never downloaded."""
        raise NotImplementedError

    def pack_etag(self, operation_id: int) -> str | None:
        """The ETag the stored pack came with, to ask the server "has it changed?"."""
        raise NotImplementedError

    def downloaded_operations(self) -> list[OperationSummary]:
        """Every operation whose pack is on the tablet, newest download first."""
        raise NotImplementedError

    def forget_operation(self, operation_id: int) -> None:
        """Remove an operation's pack (e.g. the user was taken off it: 403).

        Records still waiting in the outbox are kept: nothing recorded is lost.
        """
        raise NotImplementedError

    # ---- what the visit screens read -----------------------------------------------

    def streets_for_team(self, operation_id: int, team_id: int) -> list[StreetSummary]:
        """The team's assigned streets, by name, with households / knocked / closed counts."""
        raise NotImplementedError

    def households_on_street(
        self, operation_id: int, street_id: int, *, order: str = "door"
    ) -> list[HouseholdRow]:
        """The street's households with their status.

        order="door": the pack's door_order (the walk, sides interleaved as the pack gives them);
        order="side": one side of the street, then the other, each in door order.
        """
        raise NotImplementedError

    def household(self, operation_id: int, household_id: int) -> HouseholdRow | None:
        """One household with its status, or None."""
        raise NotImplementedError

    def visits_for_household(self, operation_id: int, household_id: int) -> list[Visit]:
        """Every visit known for the household (ours and pulled from other pairs), oldest first."""
        raise NotImplementedError

    # ---- writing records (each with its outbox row, in one transaction) ------------

    def record_visit(
        self,
        visit: Visit,
        fixes: Sequence[Fix] = (),
        followups: Sequence[Followup] = (),
    ) -> None:
        """Save a visit with its fixes and follow-ups, and queue all of them for sending.

        All or nothing: one transaction writes the records and their outbox rows.
        Raises RecordInvalidError (contract check failed) or StorageFullError (nothing saved).
        Saving the same record id twice is a no-op, never a duplicate.
        """
        raise NotImplementedError

    def record_fix(self, fix: Fix) -> None:
        """Save a fix not tied to a visit (e.g. street-level) and queue it."""
        raise NotImplementedError

    def record_followup(self, followup: Followup) -> None:
        """Save a follow-up not tied to a visit (e.g. street-level) and queue it."""
        raise NotImplementedError

    # ---- outbox --------------------------------------------------------------------

    def outbox_waiting(self, limit: int | None = None) -> list[OutboxEntry]:
        """Records waiting to be sent, oldest first."""
        raise NotImplementedError

    def outbox_rejected(self) -> list[OutboxEntry]:
        """Records the server rejected, with its reason, oldest first. They stay until corrected."""
        raise NotImplementedError

    def retry_rejected(
        self, record_id: str | UUID, corrected: Visit | Fix | Followup | None = None
    ) -> None:
        """Put a rejected record back in the queue, replaced by `corrected` if given (same id)."""
        raise NotImplementedError

    def mark_pushed(self, results: Sequence[PushResult]) -> tuple[int, int, int]:
        """Apply the server's push answer, in one transaction.

        stored/duplicate: the outbox row is deleted and the local record marked synced
        (resident contact details are then removed from it); rejected: set aside with its
        reason. Ids the answer does not name are left waiting. Returns (stored, duplicate, rejected).
        """
        raise NotImplementedError

    def note_push_attempt(self, record_ids: Sequence[str], error: str) -> None:
        """Count a failed send of these records (kept waiting), for the UI and diagnosis."""
        raise NotImplementedError

    # ---- pull ----------------------------------------------------------------------

    def pull_cursor(self, operation_id: int) -> str | None:
        """The cursor to pull from next (from the pack, then from the last applied pull)."""
        raise NotImplementedError

    def apply_changes(self, operation_id: int, pull: PullResponse) -> int:
        """Apply a pull page and advance the cursor, in one transaction. Returns changes applied.

        Idempotent: applying the same page twice changes nothing more.
        """
        raise NotImplementedError

    def followup_status(self, followup_id: str | UUID) -> str | None:
        """The last status the server reported for a follow-up raised here, or None."""
        raise NotImplementedError

    # ---- sync status ---------------------------------------------------------------

    def sync_state(self) -> SyncState:
        """Waiting and rejected counts, last successful sync, online flag and last error."""
        raise NotImplementedError

    def note_sync(self, *, ok: bool, online: bool | None, error: str | None) -> None:
        """Record the end of a sync attempt (the engine calls this)."""
        raise NotImplementedError

    # ---- sign-in -------------------------------------------------------------------

    def remember_sign_in(
        self,
        username: str,
        password: str,
        token: str,
        expires_in: int | None,
        user: dict,
    ) -> Session:
        """After an online sign-in: store a scrypt verifier of the password (never the password)
        and the token, and make this user the current session."""
        raise NotImplementedError

    def sign_in_offline(self, username: str, password: str) -> Session:
        """Check the password against the stored verifier; raises NotSignedInError if it fails."""
        raise NotImplementedError

    def current_session(self) -> Session | None:
        """The signed-in user, or None."""
        raise NotImplementedError

    def forget_token(self) -> None:
        """The server said the token is no longer valid (401): drop it, keep the verifier and all data."""
        raise NotImplementedError

    def sign_out(self) -> None:
        """End the current session (the verifier stays, so the user can sign in offline later)."""
        raise NotImplementedError
