"""Signing in: online when the server answers, else offline against the stored verifier."""

from __future__ import annotations

import platform
from dataclasses import dataclass

from mobile.store import NotSignedInError, Session, Store, StoreError
from mobile.sync import messages
from mobile.sync.transport import AuthExpired, NetworkError, ServerError, Transport, TransportError, WrongPassword


@dataclass(frozen=True, slots=True)
class SignInResult:
    """`session` is set on success; otherwise `error` says what to do."""

    session: Session | None
    error: str | None = None
    #: Signed in, but the PIN could not be kept (say so; the password still unlocks).
    pin_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.session is not None

    @property
    def offline(self) -> bool:
        return self.session is not None and self.session.offline


def device_name(device_id: str) -> str:
    """What an admin's list of tablets shows: the machine's name and the start of the store's id."""
    name = platform.node().strip()
    if not name or name == "localhost":  # Android answers "localhost"
        name = "Tablet"
    return f"{name[:150]} ({device_id[:8]})"


def sign_in(store: Store, transport: Transport, username: str, password: str, *, pin: str = "",
            online_only: bool = False) -> SignInResult:
    """Sign in online; if the server cannot be reached (or fails), fall back to the offline verifier.

    `pin` (4 to 8 digits), when given, becomes the user's PIN for unlocking after a successful
    sign-in. `online_only`: no offline fallback (the tablet needs the server to check the password:
    too many wrong attempts, or too long without signal).

    Online, the tablet signs in as itself (its store's device id): the server keeps one session
    per user and tablet that lives while the tablet is used, so a shift that starts offline
    goes on with the last token and never needs the password mid-shift.

    A wrong password from the server is final (no offline fallback): the server knows
    best, e.g. after the password was changed.
    """
    username = username.strip()
    try:
        grant = transport.sign_in(username, password, device_id=store.device_id,
                                  device_name=device_name(store.device_id))
    except WrongPassword:
        return SignInResult(None, messages.WRONG_PASSWORD)
    except AuthExpired as exc:
        if exc.reason != "lost":
            return SignInResult(None, exc.message)
        # Marked lost while it was away: it erases itself before anyone signs in on it again.
        from mobile.sync import wipe

        return SignInResult(None, wipe.carry_out(store, transport, "lost"))
    except (NetworkError, ServerError):
        if online_only:
            return SignInResult(None, messages.ONLINE_NEEDED)
        try:
            session = store.sign_in_offline(username, password)
        except NotSignedInError as exc:
            return SignInResult(None, exc.message)
        # The last token may still be good; if not, sync will ask to sign in again.
        transport.set_token(session.token)
        return _with_pin(store, SignInResult(session), pin)
    except TransportError as exc:
        return SignInResult(None, exc.message)
    try:
        session = store.remember_sign_in(username, password, grant.access_token, grant.expires_in, grant.user,
                                         policy=grant.policy)
    except StoreError as exc:
        return SignInResult(None, exc.message)
    transport.set_token(grant.access_token)
    return _with_pin(store, SignInResult(session), pin)


def _with_pin(store: Store, result: SignInResult, pin: str) -> SignInResult:
    """Signed in; the PIN chosen beside the password saved (a PIN that breaks the rules was refused
    before anything was sent: SignInViewModel checks it first)."""
    if pin:
        try:
            store.set_pin(pin)
        except StoreError as exc:
            return SignInResult(result.session, pin_error=exc.message)
    return result
