"""The idle lock: a tablet left untouched locks itself and shows only the lock screen.

* After the organisation's idle time (``DevicePolicy.idle_lock_seconds``, 5 minutes by default)
  without a touch or a key, the app locks; unlocking needs the user's PIN (chosen at their first
  sign-in on the tablet) or their password, checked on the tablet (argon2id, mobile.store.credentials).
* Wrong attempts count with the offline sign-in's: after 5 each next one waits, after 10 only an online
  sign-in (the password checked by the server) unlocks.
* After the organisation's number of days without reaching the server (3 by default) the app locks
  and only an online sign-in unlocks, before anything more is shown.

Nothing is lost by locking: a visit in progress is a draft written at every change, the sync engine
goes on sending, and unlocking returns to the screen that was showing. No Kivy here: the app tells the
view-model about touches (``activity``) and asks it to look at the clock (``tick``) every few seconds;
tests drive both with a fake clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from mobile import words

from .base import Observable
from .context import AppContext
from .messages import message_for

IDLE = "idle"
OFFLINE_TOO_LONG = "offline"
TOO_MANY = "attempts"


class LockViewModel(Observable):
    def __init__(self, ctx: AppContext, monotonic: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.ctx = ctx
        self._monotonic = monotonic
        self._last_activity = monotonic()
        self.locked = False
        self.reason = ""  # IDLE, OFFLINE_TOO_LONG, TOO_MANY
        self.secret = ""
        self.error = ""
        self.busy = False
        #: Only an online sign-in unlocks now (too many wrong attempts, too long without the server).
        self.needs_online = False
        self.on_locked: Callable[[], None] | None = None
        self.on_unlocked: Callable[[], None] | None = None

    # -- what the screen shows ------------------------------------------------------------
    @property
    def username(self) -> str:
        return getattr(self.ctx.session, "username", "") or ""

    @property
    def has_pin(self) -> bool:
        try:
            return bool(self.username) and self.ctx.store.has_pin(self.username)
        except Exception:
            return False

    @property
    def prompt(self) -> str:
        who = str(self.ctx.user.get("display_name") or self.username or words._("The person signed in"))
        if self.needs_online:
            return words._("Locked. {who}: sign in with your password where there is signal (the server "
                           "checks it). Everything recorded is kept.").format(who=who)
        if self.has_pin:
            return words._("Locked after {idle} untouched. {who}: enter your PIN or password.").format(
                idle=self._idle_words(), who=who)
        return words._("Locked after {idle} untouched. {who}: enter your password.").format(
            idle=self._idle_words(), who=who)

    def _idle_words(self) -> str:
        seconds = self._policy().idle_lock_seconds
        minutes = round(seconds / 60)
        if seconds < 60:
            return words._("{count} seconds").format(count=seconds)
        return words._("1 minute") if minutes == 1 else words._("{count} minutes").format(count=minutes)

    def _policy(self) -> Any:
        return self.ctx.store.device_policy()

    # -- the clock --------------------------------------------------------------------------
    def activity(self) -> None:
        """A touch or a key: the idle time starts again (not while locked)."""
        if not self.locked:
            self._last_activity = self._monotonic()

    def tick(self) -> None:
        """Look at the clocks: lock after the idle time, or after too many days without the server."""
        if self.ctx.session is None or self.locked:
            return
        if self._offline_too_long():
            self.lock(OFFLINE_TOO_LONG)
        elif self._monotonic() - self._last_activity >= self._policy().idle_lock_seconds:
            self.lock(IDLE)

    def _offline_too_long(self) -> bool:
        away = self.ctx.store.offline_for(self.ctx.now())
        return away is not None and away > timedelta(days=self._policy().offline_days)

    def lock(self, reason: str = IDLE) -> None:
        needs_online = reason == OFFLINE_TOO_LONG or self.ctx.store.unlock_attempts().failures >= 10
        self.set(locked=True, reason=reason, needs_online=needs_online, secret="", error="", busy=False)
        if self.on_locked:
            self.on_locked()

    # -- unlocking ----------------------------------------------------------------------------
    def submit(self, secret: str | None = None) -> None:
        """Unlock with the PIN or password typed (checked on the tablet), or, when only that will do,
        sign in online with the password."""
        if secret is not None:
            self.secret = secret
        typed = self.secret
        if not typed:
            self.set(error=words._("Enter your password.") if self.needs_online or not self.has_pin
                     else words._("Enter your PIN or password."))
            return
        if self.busy:
            return
        self.set(busy=True, error="")
        store = self.ctx.store
        if self.needs_online:
            from mobile.sync import sign_in

            transport, username = self.ctx.transport, self.username
            self.ctx.runner.run(lambda: sign_in(store, transport, username, typed, online_only=True),
                                self._signed_in, self._failed)
        else:
            now = self.ctx.now()
            self.ctx.runner.run(lambda: store.unlock(typed, now), lambda _s: self._unlocked(), self._failed)

    def _signed_in(self, result: Any) -> None:
        if not result.ok:
            self.set(busy=False, error=words._(result.error or "Sign-in failed."), secret="")
            return
        self.ctx.set_session(result.session)
        self._unlocked()

    def _unlocked(self) -> None:
        self._last_activity = self._monotonic()
        self.set(locked=False, reason="", needs_online=False, busy=False, error="", secret="")
        if self.on_unlocked:
            self.on_unlocked()

    def _failed(self, exc: BaseException) -> None:
        from mobile.store import OnlineSignInNeededError

        self.set(busy=False, error=message_for(exc), secret="",
                 needs_online=self.needs_online or isinstance(exc, OnlineSignInNeededError))


__all__ = ["IDLE", "OFFLINE_TOO_LONG", "LockViewModel"]
