"""Turn any failure into a sentence that says what to do. Nothing recorded is ever lost."""

from __future__ import annotations

from mobile import words
from shared_schemas.codes import label

SAFE = "Nothing you recorded is lost."

MESSAGES = {
    "network": "No connection to the server. Check the signal or the server address; "
               "your records stay on the tablet and are sent when the connection is back.",
    "server": "The server has a problem right now. Your records stay on the tablet; "
              "the app will try again by itself.",
    "auth": "Your sign-in has expired. Sign in again to send your records. " + SAFE,
    "forbidden": "You are no longer on this operation, so its pack was removed from the tablet. "
                 "Ask your coordinator to add you back. " + SAFE,
    "storage": "The tablet's storage is full. Free some space, then try again. " + SAFE,
    "request": "The server refused the request. Tell your coordinator; " + SAFE.lower(),
}


def message_for(exc: BaseException) -> str:
    """A message a person can act on, for an exception from the store, sync or transport (in the
    interface language where the catalog has its words: the store's and sync's fixed sentences)."""
    text = getattr(exc, "message", None)
    if isinstance(text, str) and text:
        return words._(text)
    return words._("Something went wrong ({error}). {safe} Try again.").format(
        error=f"{type(exc).__name__}: {exc}", safe=words._(SAFE))


def outcome_error(outcome) -> str | None:
    """The message for a failed SyncOutcome (None when it went through)."""
    if outcome is None or getattr(outcome, "ok", True):
        return None
    return words._(getattr(outcome, "error", None) or MESSAGES.get(getattr(outcome, "error_kind", None) or "", SAFE))


def rejected_advice(reason: str | None, record_type: str = "") -> str:
    """What the person can do about a record the server rejected."""
    r = (reason or "").lower()
    if record_type == "visit" and ("characters; the limit" in r or "answer" in r or "note" in r):
        return words._("Tap Correct, change what it says, and save: the corrected visit is sent in its place.")
    if "household" in r or "street" in r:
        return words._("The address may have changed on the server: check it with your coordinator, then tap Retry.")
    if "operation" in r and ("closed" in r or "not" in r):
        return words._("The operation may be closed or you were taken off it: ask your coordinator, then tap Retry.")
    if "answer" in r or "question" in r:
        return words._("An answer does not fit the questionnaire: tell your coordinator; tap Retry after the fix.")
    if "consent" in r or "contact" in r:
        return words._("Contact details need the resident's consent: tell your coordinator, then tap Retry.")
    return words._("Tell your coordinator what it says, then tap Retry to send it again. "
                   "It stays on the tablet until then.")


def outcome_label(code: str | None) -> str:
    return words._(label(code)) if code else ""
