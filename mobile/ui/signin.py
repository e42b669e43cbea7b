"""Sign-in screen: server address, username, password."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from mobile.ui.base import BoundScreen
from mobile.ui.widgets import load_kv

load_kv(__file__)


class SignInScreen(BoundScreen):
    server_url = StringProperty("")
    username = StringProperty("")
    password = StringProperty("")
    pin = StringProperty("")
    asks_pin = BooleanProperty(False)
    pin_hint = StringProperty("")
    error = StringProperty("")
    info = StringProperty("")
    busy = BooleanProperty(False)

    bindings = {"server_url": "server_url", "username": "username", "password": "password", "pin": "pin",
                "asks_pin": "asks_pin", "pin_hint": "pin_hint", "error": "error", "info": "info", "busy": "busy"}
