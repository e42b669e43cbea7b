"""What the person sees when sync cannot finish: each says what happened and what to do.

Sentences with a place-holder are put into the interface language before they are filled in
(``say``), so the catalog holds them whole (``FORMATTED``, gathered by scripts/tablet_messages.py);
a ``{detail}`` is the server's own words, which stay as the server wrote them."""

from mobile import words

OFFLINE = (
    "No connection to the server. Everything is saved on this tablet and will be sent "
    "automatically when there is signal."
)
SERVER_TROUBLE = (
    "The server is busy or having a problem (HTTP {status}). Everything is saved on this tablet; "
    "sending will be tried again automatically."
)
SIGN_IN_AGAIN = (
    "Your sign-in has expired. Sign in again to send your records; everything is kept on this tablet."
)
#: What the tablet says when the server ended its sign-in, by the 401's `extra.reason`
#: (shared_schemas.auth); any other reason (or none) is SIGN_IN_AGAIN.
SESSION_ENDED = {
    "revoked": "An admin or coordinator ended this tablet's session. Sign in again to send your records; "
               "everything is kept on this tablet.",
    "user_deactivated": "Your account was deactivated, so this tablet's session ended. Everything is kept on this "
                        "tablet: ask an admin, or let your partner sign in to send it.",
    "password_changed": "Your password was changed, so this tablet's session ended. Sign in with the new password "
                        "to send your records; everything is kept on this tablet.",
    "replaced": "You signed in again on this tablet, which ended the older sign-in. Sign in again to send your "
                "records; everything is kept on this tablet.",
    "signed_out": "This sign-in was signed out. Sign in again to send your records; everything is kept on this "
                  "tablet.",
}


def sign_in_again(reason: str | None) -> str:
    """What to tell the person when the server refuses the tablet's token (a 401), in plain words."""
    return SESSION_ENDED.get(reason or "", SIGN_IN_AGAIN)
FORBIDDEN = (
    "The server refused this ({detail}). Ask your coordinator to check your access; "
    "everything is kept on this tablet."
)
REQUEST_REJECTED = (
    "The server could not accept what was sent ({detail}). Everything is kept on this tablet; "
    "tell your coordinator if this keeps happening."
)
UNANSWERED = (
    "The server did not confirm {count} record(s). They are kept on this tablet and will be sent again."
)
NOT_CONFIRMED = "sent, but the server's answer did not name this record"
REMOVED_FROM_OPERATION = (
    "You are no longer on this operation, so its addresses were removed from this tablet. "
    "Visits you recorded for it are kept. Ask your coordinator if this is a mistake."
)
REMOVED_FROM_NAMED_OPERATION = (
    "You are no longer on {name}, so its addresses were removed from this tablet. "
    "Visits you recorded for it are kept. Ask your coordinator if this is a mistake."
)
WRONG_PASSWORD = "Wrong username or password. Check them and try again."
PULL_REFUSED = (
    "Could not fetch other pairs' progress for {name} ({detail}). Your records are still sent; "
    "tell your coordinator if this keeps happening."
)
ONLINE_NEEDED = (
    "This needs signal: the server must check your password. Move to where there is signal and try "
    "again; everything recorded is kept on this tablet."
)
ERASED = {
    "lost": (
        "This tablet was reported lost, so it has erased everything it held (records, photos, sign-ins). "
        "If it is back in the right hands, sign in again."
    ),
    "retired": (
        "This tablet was retired: everything it held was sent to the server, then erased from it. "
        "Sign in again only if it is back in use."
    ),
}

#: A photo's upload (PUT /api/v1/photos/{sha256}) the server refused, by status; the record it belongs to
#: was sent (or goes) without waiting for it.
PHOTO_TOO_LARGE = (
    "The server refused a photo as too large. The record it belongs to was sent without it; tell your "
    "coordinator (the server's photo size limit may be set lower than this tablet's photos)."
)
PHOTO_NOT_IMAGE = (
    "The server did not accept a photo as an image. The record it belongs to was sent without it; tell "
    "your coordinator if this keeps happening."
)
PHOTO_CUT_SHORT = (
    "A photo arrived damaged or cut short on the way. It is kept on this tablet and will be sent again."
)
PHOTO_REFUSED = (
    "The server could not accept a photo ({detail}). The record it belongs to was sent without it; tell "
    "your coordinator if this keeps happening."
)
PHOTO_UNREADABLE = "A photo could not be sent: {detail} The record it belongs to was sent without it."


def photo_refused(status: int | None, reason: str | None, detail: str = "") -> tuple[str, bool]:
    """(what to tell the person, whether the photo is set aside for good) for a refused upload."""
    if status == 413:
        return PHOTO_TOO_LARGE, True
    if status == 415:
        return PHOTO_NOT_IMAGE, True
    if reason == "hash_mismatch" or reason == "incomplete":
        return PHOTO_CUT_SHORT, False
    return say(PHOTO_REFUSED, detail=detail or f"HTTP {status}"), True


def say(template: str, **values: object) -> str:
    """``template`` in the interface language, filled in."""
    return words._(template).format(**values)


#: The sentences above that ``say`` fills in.
FORMATTED = (SERVER_TROUBLE, FORBIDDEN, REQUEST_REJECTED, UNANSWERED, REMOVED_FROM_NAMED_OPERATION, PULL_REFUSED,
             PHOTO_REFUSED, PHOTO_UNREADABLE)
