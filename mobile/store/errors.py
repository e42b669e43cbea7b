"""Store errors. Each carries a message that tells the person what to do."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every error the store raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StorageFullError(StoreError):
    """SQLite said "database or disk is full". The transaction was rolled back: nothing saved before is lost."""


class RecordInvalidError(StoreError):
    """A record failed the shared contract's checks before it was saved."""


class UnknownRecordError(StoreError):
    """No record with that id is on the tablet (or it is not in the state the call needs)."""


class NotSignedInError(StoreError):
    """Offline sign-in failed: wrong password, or this user never signed in online on this tablet."""


FULL_DISK_MESSAGE = (
    "The tablet's storage is full, so this was not saved. Free some space "
    "(delete photos, videos or unused apps), then save again. "
    "Everything saved before is safe."
)
