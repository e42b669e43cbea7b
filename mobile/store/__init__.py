"""Offline store for the tablet app: SQLite (WAL, synchronous=FULL), forward-only migrations.

Public API (names are stable; the UI builds on them):

    store = Store.open(path)
    store.save_pack(pack, etag)            store.current_pack(op_id)
    store.downloaded_operations()          store.forget_operation(op_id)
    store.teams(op_id)                     store.team_for_user(op_id, username) -> TeamInfo
    store.household(op_id, household_id)   store.visits_for_household(op_id, household_id)
    store.attempts(op_id, household_id) -> [Attempt]   # newest first, with state and corrections
    store.questionnaire(op_id)
    store.streets_for_team(op_id, team_id) -> [StreetSummary]
    store.households_on_street(op_id, street_id, order="door"|"side") -> [HouseholdRow]
    store.record_visit(visit, fixes=[], followups=[])   # one transaction, with outbox rows
    store.record_fix(fix)                  store.record_followup(followup)
    store.outbox_waiting()                 store.outbox_rejected()
    store.retry_rejected(record_id, corrected=None)
    store.sync_state() -> SyncState        store.followup_status(followup_id)
    store.apply_changes(op_id, pull_response)   store.pull_cursor(op_id)   store.reset_pull_cursor(op_id)
    store.mark_pushed(results)             store.note_push_attempt(ids, error)   store.note_sync(...)
    store.record_body(record_id)           store.device_id
    store.erase_acknowledged_text(now=None, keep=timedelta(hours=24))   # also on open and after each push
    store.remember_sign_in(..., policy=)   store.sign_in_offline(username, password)
    store.unlock(pin_or_password)          store.set_pin(pin)        store.has_pin(username)
    store.unlock_attempts()                store.device_policy()     store.offline_for(now)
    store.current_session()                store.forget_token()      store.sign_out()
    store.erase_everything()               # a wipe order: store, photos and key gone, a new empty store
    store.photos().add(raw) -> sha256      store.photos().read(sha256)   # cleaned, AES-GCM at rest

Errors (each with `.message` telling the person what to do): StoreError, StorageFullError,
RecordInvalidError, UnknownRecordError, NotSignedInError (and its OnlineSignInNeededError,
WaitBeforeRetryError), StoreUnreadableError, StoreDamagedError.

No Kivy here: the UI reads these plain values and schedules its own updates.
"""

from mobile.store.errors import (
    NotSignedInError,
    OnlineSignInNeededError,
    RecordInvalidError,
    StorageFullError,
    StoreDamagedError,
    StoreError,
    StoreUnreadableError,
    UnknownRecordError,
    WaitBeforeRetryError,
)
from mobile.store.store import Store
from mobile.store.types import (
    Attempt,
    AttemptState,
    HouseholdRow,
    HouseholdStatus,
    OperationSummary,
    OutboxEntry,
    OutboxState,
    Session,
    StreetSummary,
    SyncState,
    TeamInfo,
    TeamMember,
)

__all__ = [
    "Attempt",
    "AttemptState",
    "HouseholdRow",
    "HouseholdStatus",
    "NotSignedInError",
    "OnlineSignInNeededError",
    "OperationSummary",
    "OutboxEntry",
    "OutboxState",
    "RecordInvalidError",
    "Session",
    "StorageFullError",
    "Store",
    "StoreDamagedError",
    "StoreError",
    "StoreUnreadableError",
    "StreetSummary",
    "SyncState",
    "TeamInfo",
    "TeamMember",
    "UnknownRecordError",
    "WaitBeforeRetryError",
]
