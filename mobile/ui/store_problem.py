"""The screen shown instead of the app when its store cannot be opened (StoreUnreadableError)."""

from __future__ import annotations

from collections.abc import Callable

from kivy.properties import StringProperty
from kivy.uix.floatlayout import FloatLayout

from mobile.ui.i18n import tr
from mobile.ui.widgets import load_kv

load_kv(__file__)


class StoreProblem(FloatLayout):
    message = StringProperty("")
    done = StringProperty("")

    def __init__(self, message: str, set_aside: Callable[[], None], **kwargs) -> None:
        super().__init__(**kwargs)
        self.message = message
        self._set_aside = set_aside

    def on_set_aside(self) -> None:
        from mobile.ui.dialogs import ask

        ask(tr._("Keep the store aside?"),
            tr._("The store is renamed and kept in the app's folder (nothing is deleted), and a new, empty store "
                 "starts: sign in again with signal. Records that were only on the old store are not sent from "
                 "the new one; your coordinator can have it looked at."),
            [(tr._("Keep it aside and start afresh"), self._set_aside, "primary"),
             (tr._("Not now"), lambda: None, "secondary")])
