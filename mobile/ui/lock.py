"""The lock screen: the only thing shown while the tablet is locked (mobile.viewmodels.lock)."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from mobile.ui.base import BoundScreen
from mobile.ui.widgets import load_kv

load_kv(__file__)


class LockScreen(BoundScreen):
    prompt = StringProperty("")
    secret = StringProperty("")
    error = StringProperty("")
    busy = BooleanProperty(False)
    needs_online = BooleanProperty(False)
    has_pin = BooleanProperty(False)

    bindings = {"prompt": "prompt", "secret": "secret", "error": "error", "busy": "busy",
                "needs_online": "needs_online", "has_pin": "has_pin"}

    def handle_back(self) -> bool:
        return True  # Back never leaves the lock screen
