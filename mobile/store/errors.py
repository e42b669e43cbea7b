"""Store errors. Each carries a message that tells the person what to do."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every error the store raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StorageFullError(StoreError):
    """SQLite said "database or disk is full". The transaction was rolled back: nothing saved before is lost."""


class StoreUnreadableError(StoreError):
    """The store cannot be opened: no key on this device for it, a wrong key, or a damaged file.

    Nothing was changed. ``Store.set_aside(path)`` keeps it under another name and lets a new
    store start (the app offers that); it is never deleted.
    """


class StoreDamagedError(StoreError):
    """A page of the store failed its check (damaged) while it was read or written."""


class RecordInvalidError(StoreError):
    """A record failed the shared contract's checks before it was saved."""


class UnknownRecordError(StoreError):
    """No record with that id is on the tablet (or it is not in the state the call needs)."""


class NotSignedInError(StoreError):
    """Offline sign-in failed: wrong password, or this user never signed in online on this tablet."""


class OnlineSignInNeededError(NotSignedInError):
    """Only an online sign-in opens the tablet now (too many wrong attempts, or too long offline)."""


class WaitBeforeRetryError(NotSignedInError):
    """Too many wrong attempts: the next one may come after ``wait_seconds``."""

    def __init__(self, message: str, wait_seconds: float) -> None:
        super().__init__(message)
        self.wait_seconds = wait_seconds


FULL_DISK_MESSAGE = (
    "The tablet's storage is full, so this was not saved. Free some space "
    "(delete photos, videos or unused apps), then save again. "
    "Everything saved before is safe."
)
DAMAGED_MESSAGE = (
    "Part of this tablet's store is damaged, so this could not be read or saved. Nothing else was "
    "changed. Tell your coordinator; do not sign out or reset the app."
)
NO_KEY_MESSAGE = (
    "This tablet's store cannot be opened: there is no key for it on this device. It was made on "
    "another device (or this device's key was erased). Nothing was changed. You can keep it aside "
    "and start afresh; ask your coordinator first if it may hold unsent visits."
)
WRONG_KEY_MESSAGE = (
    "This tablet's store cannot be opened: its key does not open it. It was copied from another "
    "device, or the file is damaged. Nothing was changed. You can keep it aside and start afresh; "
    "ask your coordinator first if it may hold unsent visits."
)
