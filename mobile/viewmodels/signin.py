"""Sign in: server address, username, password (and a PIN the first time). Online when the server
answers, else offline."""

from __future__ import annotations

from collections.abc import Callable

from mobile import words

from .base import Observable
from .context import AppContext
from .messages import message_for


class SignInViewModel(Observable):
    def __init__(self, ctx: AppContext, server_url: str = "http://127.0.0.1:8000") -> None:
        super().__init__()
        self.ctx = ctx
        self.server_url = server_url
        self.username = ""
        self.password = ""
        #: A PIN chosen at this user's first sign-in on this tablet, to unlock it when it locks.
        self.pin = ""
        self.busy = False
        self.error = ""
        self.info = ""  # e.g. "Signed in offline"
        self.on_signed_in: Callable[[], None] | None = None
        session = self._current_session()
        if session is not None:
            self.username = session.username

    def _current_session(self):
        try:
            return self.ctx.store.current_session()
        except Exception:
            return None

    def set_username(self, text: str) -> None:
        """Typed: whether the PIN field shows depends on who it is."""
        if text != self.username:
            self.username = text
            self.changed("username")

    @property
    def asks_pin(self) -> bool:
        """The PIN field shows while the username typed has no PIN on this tablet."""
        name = self.username.strip()
        try:
            return bool(name) and not self.ctx.store.has_pin(name)
        except Exception:
            return False

    @property
    def pin_hint(self) -> str:
        """What the PIN field, always in its place, says while it is not asked for."""
        if self.asks_pin:
            return ""
        if self.username.strip():
            return words._("You already have a PIN on this tablet")
        return words._("Type your username first")

    def show_message(self, message: str) -> None:
        """Shown when the app sends the person back here (e.g. an expired token)."""
        self.set(error=message, password="")

    def submit(self, server_url: str | None = None, username: str | None = None,
               password: str | None = None, pin: str | None = None) -> None:
        if server_url is not None:
            self.server_url = server_url
        if username is not None:
            self.username = username
        if password is not None:
            self.password = password
        if pin is not None:
            self.pin = pin
        url, user, pw = self.server_url.strip(), self.username.strip(), self.password
        chosen_pin = self.pin.strip() if self.asks_pin else ""
        if not url.startswith(("http://", "https://")):
            self.set(error=words._("Enter the server address, starting with http:// or https://"))
            return
        if not user:
            self.set(error=words._("Enter your username."))
            return
        if not pw:
            self.set(error=words._("Enter your password."))
            return
        if chosen_pin:
            from mobile.store.credentials import pin_problem

            problem = pin_problem(chosen_pin, words._)
            if problem:
                self.set(error=problem + " "
                         + words._("Or leave the PIN empty: your password then unlocks the tablet."))
                return
        if self.busy:
            return
        self.set(busy=True, error="", info="")
        try:
            self.ctx.connect(url)
        except Exception as exc:
            self.set(busy=False, error=message_for(exc))
            return
        from mobile.sync import sign_in

        store, transport = self.ctx.store, self.ctx.transport
        self.ctx.runner.run(lambda: sign_in(store, transport, user, pw, pin=chosen_pin), self._done, self._failed)

    def _done(self, result) -> None:
        if not result.ok:
            self.set(busy=False, error=words._(result.error or "Sign-in failed. Check your username and password."),
                     password="")
            return
        session = result.session
        self.ctx.set_session(session)
        info = (words._("Signed in offline: your records are kept on the tablet and sent when the server "
                        "can be reached.") if session.offline else "")
        if result.pin_error:
            info = words._("Signed in, but the PIN was not kept: {problem}").format(problem=words._(result.pin_error))
        self.set(busy=False, error="", info=info, password="", pin="")
        if self.on_signed_in:
            self.on_signed_in()

    def _failed(self, exc: BaseException) -> None:
        self.set(busy=False, error=message_for(exc), password="", pin="")
