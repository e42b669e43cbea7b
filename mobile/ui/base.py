"""The screen base class: a Screen bound to one view-model.

A screen subscribes to its view-model and, on every change, copies what it
shows into Kivy properties (``refresh``). kv binds to those properties and calls
view-model methods on events; it holds no logic.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen


class BoundScreen(Screen):
    title = StringProperty("")
    has_inner_back = BooleanProperty(False)
    vm = ObjectProperty(None, allownone=True)

    def __init__(self, app: Any, vm: Any, **kwargs: Any) -> None:
        self.app = app
        super().__init__(**kwargs)
        self.vm = vm
        vm.subscribe(lambda _vm, names: self.refresh(names))
        self.refresh(frozenset())

    def refresh(self, names: frozenset[str]) -> None:
        """Copy the view-model's state into properties (override)."""

    def handle_back(self) -> bool:
        """Return True when the screen handled Back itself (e.g. a previous question)."""
        return False
