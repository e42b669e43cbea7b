"""The tablet's offline store: one SQLCipher file holding packs, records, the outbox and sign-ins.

Thread-safe: one Store may be shared by the UI thread and the sync thread; every call
takes an internal lock, so calls are short and never wait on the network.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import msgspec

from mobile.store import cipher, credentials, drafts, outbox, packs, photo_queue, records, views
from mobile.store import pull as pull_module
from mobile.store.db import Error, connect, translate, utc_now, utc_text, write_transaction
from mobile.store.errors import RecordInvalidError, StoreError, UnknownRecordError
from mobile.store.keys import KeyStore, default_key_store
from mobile.store.photo_queue import PhotoUpload
from mobile.store.photos import PhotoBox
from mobile.store.schema import migrate
from mobile.store.types import (
    Attempt,
    DraftRow,
    HouseholdRow,
    OperationSummary,
    OutboxEntry,
    OutboxState,
    Session,
    StreetSummary,
    SyncState,
    TeamInfo,
)
from shared_schemas.pack import Pack
from shared_schemas.questionnaire import Questionnaire, QuestionType
from shared_schemas.records import Fix, Followup, Visit
from shared_schemas.sync import PullResponse, PushResult

log = logging.getLogger(__name__)
_pack_encoder = msgspec.json.Encoder()
#: How long residents' free text stays on the tablet after the event, once the server has it.
ERASE_TEXT_AFTER = timedelta(hours=24)


class Store:
    """Offline store. Open with `Store.open(path)`; close with `close()` or use as a context manager."""

    def __init__(self, conn: sqlite3.Connection, path: Path, keys: KeyStore | None = None,
                 master: bytes = b"") -> None:
        """Use Store.open(path)."""
        self._conn: sqlite3.Connection | None = conn
        self.path = path
        self.keys = keys
        self._master = master
        self._lock = threading.RLock()
        self._questionnaires: dict[int, Questionnaire | None] = {}
        self._device_id: str = conn.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()[0]

    # ---- opening -------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, keys: KeyStore | None = None) -> Store:
        """Open (creating if needed) the encrypted store at `path`.

        The key comes from `keys` (by default the platform's: mobile.store.keys); a store not yet
        on disk gets a new random key, and a plain SQLite store from before encryption is moved
        into an encrypted one first, every record kept (mobile.store.cipher). Sets WAL with
        synchronous=FULL and runs the forward-only migrations not yet applied, then erases
        residents' free text the server has had for a day (`erase_acknowledged_text`; a failure
        there is logged and the store opens anyway).
        Raises StoreUnreadableError (no key for it here, a wrong key, a damaged file: nothing is
        changed; `Store.set_aside` keeps it aside), StorageFullError if the disk is full.
        """
        path = Path(path)
        keys = keys if keys is not None else default_key_store(path.parent)
        master = cipher.master_key(path, keys)
        conn = connect(path, cipher.database_key(master))
        try:
            migrate(conn)
            store = cls(conn, path, keys, master)
        except Error as exc:
            conn.close()
            raise translate(exc) from exc
        except BaseException:
            conn.close()
            raise
        store.erase_acknowledged_text_quietly()
        return store

    @staticmethod
    def set_aside(path: str | Path) -> Path:
        """Keep an unreadable store under another name (never deleted), so a new one can start."""
        return cipher.set_aside(Path(path))

    def close(self) -> None:
        """Close the database. Safe to call twice."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def erase_everything(self) -> None:
        """A wipe order (the tablet was marked lost or retired): the store, its photos and its key are
        erased for good (mobile.store.cipher.erase), then a new empty store starts in their place
        under a new key and a new device id, so the app carries on at the sign-in screen."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            cipher.erase(self.path, self.keys)
            keys = self.keys if self.keys is not None else default_key_store(self.path.parent)
            master = cipher.master_key(self.path, keys)
            conn = connect(self.path, cipher.database_key(master))
            try:
                migrate(conn)
            except Error as exc:
                conn.close()
                raise translate(exc) from exc
            self._conn, self._master, self.keys = conn, master, keys
            self._questionnaires.clear()
            self._device_id = conn.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()[0]

    def photos(self) -> PhotoBox:
        """This store's encrypted photos (mobile.store.photos): ``add(raw)`` cleans and keeps one."""
        return PhotoBox(cipher.photos_dir(self.path), cipher.photo_key(self._master))

    @property
    def device_id(self) -> str:
        """A UUID made once when the store was created; sent with every push."""
        return self._device_id

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock, write_transaction(self._open_connection()) as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._open_connection()
            except Error as exc:
                raise translate(exc) from exc

    def _open_connection(self) -> sqlite3.Connection:
        if self._conn is None:  # e.g. the sync thread still running while the app shuts down
            raise StoreError("The app is closing; this was not saved. Open the app and try again.")
        return self._conn

    # ---- packs ---------------------------------------------------------------------

    def save_pack(self, pack: Pack, etag: str | None = None, raw: bytes | None = None) -> None:
        """Store (or replace) an operation's offline pack, in one transaction.

        `raw` is the pack's JSON as downloaded, if at hand (saves re-encoding it).
        Replacing a pack keeps every record and the outbox; the pull cursor is kept
        if one was already stored (it is at least as new as the pack's).
        """
        payload = raw if raw is not None else _pack_encoder.encode(pack)
        with self._write() as conn:
            packs.save_pack(conn, pack, payload, etag)
            self._questionnaires.pop(pack.operation.id, None)

    def current_pack(self, operation_id: int) -> Pack | None:
        """The stored pack for the operation, or None if it was never downloaded."""
        with self._read() as conn:
            return packs.load_pack(conn, operation_id)

    def questionnaire(self, operation_id: int) -> Questionnaire | None:
        """The operation's questionnaire from its pack (cached), or None."""
        with self._read() as conn:
            if operation_id not in self._questionnaires:
                self._questionnaires[operation_id] = packs.load_questionnaire(conn, operation_id)
            return self._questionnaires[operation_id]

    def pack_etag(self, operation_id: int) -> str | None:
        """The ETag the stored pack came with, to ask the server "has it changed?"."""
        with self._read() as conn:
            row = conn.execute("SELECT etag FROM operations WHERE id = ?", (operation_id,)).fetchone()
            return row[0] if row else None

    def downloaded_operations(self) -> list[OperationSummary]:
        """Every operation whose pack is on the tablet, newest download first."""
        with self._read() as conn:
            return packs.downloaded_operations(conn)

    def forget_operation(self, operation_id: int) -> None:
        """Remove an operation's pack (e.g. the user was taken off it: 403).

        Records, and the outbox rows still waiting, are kept: nothing recorded is lost.
        """
        with self._write() as conn:
            conn.execute("DELETE FROM operations WHERE id = ?", (operation_id,))
            self._questionnaires.pop(operation_id, None)

    def teams(self, operation_id: int) -> list[TeamInfo]:
        """The operation's visit pairs with members and assigned streets."""
        with self._read() as conn:
            return packs.teams(conn, operation_id)

    def team_for_user(self, operation_id: int, username: str) -> TeamInfo | None:
        """The pair this user belongs to in the operation, or None."""
        for team in self.teams(operation_id):
            if any(member.username == username for member in team.members):
                return team
        return None

    # ---- what the visit screens read -----------------------------------------------

    def streets_for_team(self, operation_id: int, team_id: int) -> list[StreetSummary]:
        """The team's assigned streets, by name, with households / knocked / closed counts."""
        with self._read() as conn:
            return views.streets_for_team(conn, operation_id, team_id)

    def households_on_street(
        self, operation_id: int, street_id: int, *, order: str = "door"
    ) -> list[HouseholdRow]:
        """The street's households with their status.

        order="door": the pack's door_order (the walk, sides interleaved as the pack gives them);
        order="side": the odd side, then the even side, each in door order.
        """
        with self._read() as conn:
            return views.households_on_street(conn, operation_id, street_id, order)

    def card_codes(self, operation_id: int, street_id: int) -> dict[int, str]:
        """Doors of the street whose latest visit left a card, with the card's code (to read it out)."""
        with self._read() as conn:
            return records.card_codes(conn, operation_id, street_id)

    def rejected_households(self, operation_id: int) -> set[int]:
        """Doors whose visit the server refused: they do not count until corrected."""
        with self._read() as conn:
            return views.rejected_households(conn, operation_id)

    def household(self, operation_id: int, household_id: int) -> HouseholdRow | None:
        """One household with its status, or None."""
        with self._read() as conn:
            return views.household(conn, operation_id, household_id)

    def attempts(self, operation_id: int, household_id: int) -> list[Attempt]:
        """Every visit at the door (this tablet's and pulled ones: the partner's tablet, other pairs),
        newest first, each with where it stands (held, waiting, sent, refused) and the correction
        that replaced it, if any (a replaced visit no longer counts, here as on the server)."""
        with self._read() as conn:
            return records.attempts(conn, operation_id, household_id)

    def visits_for_household(self, operation_id: int, household_id: int) -> list[Visit]:
        """Every visit known for the household (ours and pulled from other pairs), oldest first.

        Pulled visits carry the outcome only (no answers or notes).
        """
        with self._read() as conn:
            return records.visits_for_household(conn, operation_id, household_id)

    # ---- writing records (each with its outbox row, in one transaction) ------------

    def record_visit(
        self,
        visit: Visit,
        fixes: Sequence[Fix] = (),
        followups: Sequence[Followup] = (),
        *,
        hold: timedelta | None = None,
    ) -> None:
        """Save a visit with its fixes and follow-ups, and queue all of them for sending.

        Give each fix and follow-up `visit_id=visit.id`. All or nothing: one transaction
        writes the records and their outbox rows and removes the door's draft (the visit
        is what the draft became). `hold` keeps them from being sent for that long, so the
        visit can still be undone (`undo_visit`). A correction (`visit.supersedes`) of a visit
        still held lets that one go first: the server takes a correction only of a visit it has.
        Raises RecordInvalidError (contract check failed; nothing saved) or StorageFullError
        (nothing saved).
        Saving the same record id twice is a no-op, never a duplicate.
        """
        batch: list[Visit | Fix | Followup] = [visit, *fixes, *followups]
        for record in batch:
            if record.operation_id != visit.operation_id:
                raise RecordInvalidError(
                    "This record cannot be saved: its fixes and follow-ups belong to another operation."
                )
        not_before = utc_text(datetime.now(UTC) + hold) if hold else None
        self._save(batch, not_before=not_before, draft=(visit.operation_id, visit.household_id),
                   release=None if visit.supersedes is msgspec.UNSET else str(visit.supersedes))

    def undo_visit(self, visit_id: str | UUID) -> bool:
        """Take back a visit saved with `hold` while it is still held (never sent). False once it may have gone.

        The records, their outbox rows and nothing else go, in one transaction. The sync
        engine only reads rows whose hold has passed, so a row it may be sending is never
        removed here.
        """
        with self._write() as conn:
            return outbox.undo_held(conn, str(visit_id), utc_now())

    def record_fix(self, fix: Fix) -> None:
        """Save a fix not tied to a visit (e.g. street-level) and queue it."""
        self._save([fix])

    def record_followup(self, followup: Followup) -> None:
        """Save a follow-up not tied to a visit (e.g. street-level) and queue it."""
        self._save([followup])

    def _save(self, batch: Sequence[Visit | Fix | Followup], *, not_before: str | None = None,
              draft: tuple[int, int] | None = None, release: str | None = None) -> None:
        for record in batch:
            records.check(record, self.questionnaire(record.operation_id))
        with self._write() as conn:
            if release is not None:
                outbox.release_hold(conn, release)
            for record in batch:
                records.insert_local(conn, record, not_before=not_before)
            if draft is not None:
                drafts.remove(conn, *draft)

    # ---- drafts (visits in progress) -------------------------------------------------

    def save_draft(self, operation_id: int, household_id: int, body: bytes, username: str | None = None) -> None:
        """Write the visit in progress at a door (replacing the last version): survives anything."""
        with self._write() as conn:
            drafts.save(conn, operation_id, household_id, body, username)

    def draft(self, operation_id: int, household_id: int) -> DraftRow | None:
        """The visit in progress at a door, or None."""
        with self._read() as conn:
            return drafts.load(conn, operation_id, household_id)

    def discard_draft(self, operation_id: int, household_id: int) -> None:
        """Throw a visit in progress away (the person chose Discard)."""
        with self._write() as conn:
            drafts.remove(conn, operation_id, household_id)

    def drafts(self, operation_id: int | None = None) -> list[DraftRow]:
        """Every visit in progress (of one operation), oldest change first."""
        with self._read() as conn:
            return drafts.all_drafts(conn, operation_id)

    # ---- outbox --------------------------------------------------------------------

    def outbox_waiting(self, limit: int | None = None, *, after_seq: int = 0,
                       include_held: bool = False) -> list[OutboxEntry]:
        """Records waiting to be sent, oldest first (only those queued after `after_seq`).

        Records still held back for an Undo (`record_visit(hold=…)`) are left out unless
        `include_held`: the sync engine never sends one that may still be taken back.
        """
        with self._read() as conn:
            return outbox.entries(conn, OutboxState.WAITING, limit, after_seq,
                                  due_at=None if include_held else utc_now())

    def outbox_rejected(self) -> list[OutboxEntry]:
        """Records the server rejected, with its reason, oldest first. They stay until corrected."""
        with self._read() as conn:
            return outbox.entries(conn, OutboxState.REJECTED)

    def retry_rejected(
        self, record_id: str | UUID, corrected: Visit | Fix | Followup | None = None
    ) -> None:
        """Put a rejected record back in the queue (at the back), replaced by `corrected` if given.

        Retrying a visit also retries its rejected fixes and follow-ups, after it (the
        server rejects those along with their visit). The correction must keep the
        record's id. Raises UnknownRecordError if no rejected record has that id,
        RecordInvalidError if the correction fails the checks.
        """
        record_id = str(record_id)
        if corrected is not None:
            if str(corrected.id) != record_id:
                raise RecordInvalidError("A correction must keep the record's id.")
            records.check(corrected, self.questionnaire(corrected.operation_id))
        with self._write() as conn:
            payload = records.replace_local(conn, corrected) if corrected is not None else None
            if not outbox.requeue(conn, record_id, payload):
                raise UnknownRecordError(f"No rejected record {record_id} on this tablet.")
            for dependent in outbox.rejected_dependents(conn, record_id):
                outbox.requeue(conn, dependent, None)

    def mark_pushed(self, results: Sequence[PushResult]) -> tuple[int, int, int]:
        """Apply the server's push answer, in one transaction.

        stored/duplicate: the outbox row is deleted and the local record marked
        acknowledged (resident contact details are then removed from it); rejected: set
        aside with its reason. Ids the answer does not name are left waiting.
        Returns (stored, duplicate, rejected).
        """
        with self._write() as conn:
            return outbox.apply_push_results(conn, results)

    def erase_acknowledged_text(
        self, now: datetime | None = None, keep: timedelta = ERASE_TEXT_AFTER
    ) -> int:
        """Erase residents' free text from acknowledged records whose event is older than `keep`.

        Data minimisation: the server keeps everything; a lost tablet should not carry weeks
        of notes about residents. In one transaction, every record made here, acknowledged by
        the server (stored or duplicate) and whose event time (visited_at, done_at, raised_at)
        is before `now - keep` loses its notes (""), a follow-up its description (replaced by
        records.ERASED_DESCRIPTION) and a visit the answers to the questionnaire's text
        questions. Outcome, other answers, categories, times and ids stay. Records waiting in
        the outbox or set aside as rejected keep everything. Overwritten with secure_delete,
        and the WAL is checkpointed so the old text leaves the files too. Running it again
        changes nothing more. `now` (aware) defaults to the current time. Photos go by the same
        rule in the same run: each one the server has had since before `now - keep` leaves
        photos/ (shredded). Returns how many records changed plus how many photos left.
        """
        cutoff = utc_text((now or datetime.now(UTC)) - keep)
        known: dict[tuple[int, str], frozenset[str] | None] = {}

        def text_questions(operation_id: int, questionnaire_id: str) -> frozenset[str] | None:
            key = (operation_id, questionnaire_id)
            if key not in known:
                known[key] = self._text_questions(operation_id, questionnaire_id)
            return known[key]

        with self._write() as conn:
            erased = records.erase_acknowledged_text(conn, cutoff, text_questions)
            erased += self._remove_sent_photos(conn, cutoff)
        if erased:
            with self._read() as conn:
                # The old pages stay in the WAL (and in the main file until checkpointed):
                # copy the new ones over and empty the WAL now rather than at some later write.
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return erased

    def _remove_sent_photos(self, conn: sqlite3.Connection, cutoff: str) -> int:
        """The photos the server has had since before `cutoff` leave the tablet (inside the write)."""
        due = photo_queue.due_for_removal(conn, cutoff)
        if due:
            box = self.photos()
            for sha256 in due:
                box.remove(sha256)
            photo_queue.mark_removed(conn, due)
        return len(due)

    def erase_acknowledged_text_quietly(self) -> None:
        """erase_acknowledged_text, logging a failure instead of raising (opening, after a push)."""
        try:
            erased = self.erase_acknowledged_text()
        except Exception:  # never worth failing an open or a sync over
            log.exception("could not erase acknowledged free text; will try again later")
        else:
            if erased:
                log.info("erased free text from %d acknowledged records", erased)

    def _text_questions(self, operation_id: int, questionnaire_id: str) -> frozenset[str] | None:
        """The text questions' ids of the operation's questionnaire, if it is the one answered."""
        questionnaire = self.questionnaire(operation_id)
        if questionnaire is None or questionnaire.id != questionnaire_id:
            return None
        return frozenset(q.id for q in questionnaire.questions if q.type == QuestionType.TEXT)

    def note_push_attempt(self, record_ids: Sequence[str], error: str) -> None:
        """Count a failed send of these records (kept waiting), for the UI and diagnosis."""
        with self._write() as conn:
            outbox.note_attempt(conn, record_ids, error)

    def record_body(self, record_id: str | UUID) -> bytes | None:
        """The stored JSON of a record (without contact details once acknowledged, free text a day on)."""
        with self._read() as conn:
            row = conn.execute("SELECT body FROM records WHERE id = ?", (str(record_id),)).fetchone()
            return bytes(row[0]) if row else None

    # ---- photos' uploads (mobile.store.photo_queue) ------------------------------------

    def photos_waiting(self, limit: int | None = None) -> list[PhotoUpload]:
        """Photos of saved records not yet on the server, oldest first."""
        with self._read() as conn:
            return photo_queue.waiting(conn, limit)

    def photos_refused(self) -> list[PhotoUpload]:
        """Photos the server would not take, with why in plain words."""
        with self._read() as conn:
            return photo_queue.refused(conn)

    def photo_sent(self, sha256: str) -> None:
        """The server has this photo (kept now or had it already)."""
        with self._write() as conn:
            photo_queue.mark_sent(conn, sha256)

    def photo_failed(self, sha256: str, error: str, *, refused: bool = False) -> None:
        """An upload that failed: tried again at the next sync, or (`refused`) set aside for good."""
        with self._write() as conn:
            if refused:
                photo_queue.refuse(conn, sha256, error)
            else:
                photo_queue.note_failure(conn, sha256, error)

    def photo_state(self, sha256: str) -> str:
        """"on its way", "sent", "refused", or "not saved" (photo_queue's words)."""
        with self._read() as conn:
            return photo_queue.state(conn, sha256)

    def drop_unsaved_photo(self, sha256: str) -> None:
        """A photo taken off a form before its record was saved: its file goes, unless a saved
        record refers to it too (then it waits for its upload and its day like any other)."""
        with self._read() as conn:
            queued = photo_queue.is_queued(conn, sha256)
        if not queued:
            self.photos().remove(sha256)

    # ---- pull ----------------------------------------------------------------------

    def pull_cursor(self, operation_id: int) -> str | None:
        """The cursor to pull from next (from the pack, then from the last applied pull)."""
        with self._read() as conn:
            row = conn.execute("SELECT pull_cursor FROM operations WHERE id = ?", (operation_id,)).fetchone()
            return row[0] if row else None

    def reset_pull_cursor(self, operation_id: int) -> None:
        """Pull from the start next time (the server no longer knows our cursor)."""
        with self._write() as conn:
            conn.execute("UPDATE operations SET pull_cursor = NULL WHERE id = ?", (operation_id,))

    def apply_changes(self, operation_id: int, pull: PullResponse) -> int:
        """Apply a pull page and advance the cursor, in one transaction. Returns changes applied.

        Idempotent: applying the same page twice changes nothing more.
        """
        with self._write() as conn:
            return pull_module.apply_page(conn, operation_id, pull)

    def followup_status(self, followup_id: str | UUID) -> str | None:
        """The last status the server reported for a follow-up raised here, or None."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT status FROM followup_status WHERE followup_id = ?", (str(followup_id),)
            ).fetchone()
            return row[0] if row else None

    # ---- sync status ---------------------------------------------------------------

    def sync_state(self) -> SyncState:
        """Waiting and rejected counts, last successful sync, online flag and last error."""
        with self._read() as conn:
            meta = dict(
                conn.execute(
                    "SELECT key, value FROM meta WHERE key IN ('last_sync_at', 'online', 'last_error')"
                ).fetchall()
            )
            return SyncState(
                waiting=outbox.count(conn, OutboxState.WAITING),
                rejected=outbox.count(conn, OutboxState.REJECTED),
                last_sync_at=meta.get("last_sync_at"),
                online=None if meta.get("online") is None else meta["online"] == "1",
                last_error=meta.get("last_error"),
                drafts=conn.execute("SELECT count(*) FROM drafts").fetchone()[0],
                photos_waiting=photo_queue.count_waiting(conn),
                photos_refused=photo_queue.count_refused(conn),
            )

    def note_offline(self, error: str) -> None:
        """A request outside the sync engine found no server (e.g. the operations list): offline now."""
        self.note_sync(ok=False, online=False, error=error)

    def note_sync(self, *, ok: bool, online: bool | None, error: str | None) -> None:
        """Record the end of a sync attempt (the engine calls this). `online`: the server answered."""
        values = [("last_error", error)]
        if online is not None:
            values.append(("online", "1" if online else "0"))
        if ok:
            values.append(("last_sync_at", utc_now()))
        with self._write() as conn:
            conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", values)
            if online:
                credentials.note_server_contact(conn)

    # ---- the tablet's settings ---------------------------------------------------------

    def setting(self, key: str) -> str | None:
        """A setting of this tablet's (e.g. ``interface_language``), or None when never set."""
        with self._read() as conn:
            row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
            return row[0] if row else None

    def set_setting(self, key: str, value: str) -> None:
        with self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, value))

    # ---- sign-in, unlocking, the server's last word -----------------------------------

    def remember_sign_in(
        self,
        username: str,
        password: str,
        token: str,
        expires_in: int | None,
        user: dict,
        *,
        policy: credentials.DevicePolicy | None = None,
        now: datetime | None = None,
    ) -> Session:
        """After an online sign-in: store an argon2id verifier of the password (never the password),
        the token and the organisation's tablet policy, make this user the current session, clear the
        count of wrong attempts and note that the server was reached."""
        with self._write() as conn:
            credentials.remember(conn, username, password, token, expires_in, user, now)
            if policy is not None:
                credentials.save_policy(conn, policy)
            return credentials.current(conn)  # type: ignore[return-value]

    def sign_in_offline(self, username: str, password: str, now: datetime | None = None) -> Session:
        """Check the password against the stored verifier. Raises NotSignedInError (wrong, or never
        signed in here), WaitBeforeRetryError (too many wrong attempts: wait), OnlineSignInNeededError
        (ten wrong attempts, or too long without the server). A wrong attempt is counted either way."""
        with self._write() as conn:
            refusal = credentials.check_offline(conn, username, password, now or datetime.now(UTC))
            session = credentials.current(conn) if refusal is None else None
        if refusal is not None:
            raise refusal
        return session  # type: ignore[return-value]

    def unlock(self, secret: str, now: datetime | None = None) -> Session:
        """Unlock the signed-in user's locked tablet with their PIN or password (same limits and errors
        as ``sign_in_offline``)."""
        with self._write() as conn:
            refusal = credentials.unlock(conn, secret, now or datetime.now(UTC))
            session = credentials.current(conn) if refusal is None else None
        if refusal is not None:
            raise refusal
        return session  # type: ignore[return-value]

    def set_pin(self, pin: str) -> None:
        """The signed-in user's PIN for unlocking (checked with credentials.pin_problem first)."""
        problem = credentials.pin_problem(pin)
        if problem:
            raise RecordInvalidError(problem)
        with self._write() as conn:
            session = credentials.current(conn)
            if session is None:
                raise StoreError("Sign in before choosing a PIN.")
            credentials.set_pin(conn, session.username, pin)

    def has_pin(self, username: str) -> bool:
        with self._read() as conn:
            return credentials.has_pin(conn, username)

    def unlock_attempts(self) -> credentials.Attempts:
        with self._read() as conn:
            return credentials.attempts(conn)

    def device_policy(self) -> credentials.DevicePolicy:
        with self._read() as conn:
            return credentials.policy(conn)

    def offline_for(self, now: datetime | None = None) -> timedelta | None:
        """How long since the server last answered this tablet (None: never)."""
        with self._read() as conn:
            return credentials.offline_for(conn, now or datetime.now(UTC))

    def current_session(self) -> Session | None:
        """The signed-in user, or None."""
        with self._read() as conn:
            return credentials.current(conn)

    def forget_token(self) -> None:
        """The server said the token is no longer valid (401): drop it, keep the verifier and all data."""
        with self._write() as conn:
            credentials.forget_token(conn)

    def sign_out(self) -> None:
        """End the current session (the verifier stays, so the user can sign in offline later)."""
        with self._write() as conn:
            credentials.sign_out(conn)
