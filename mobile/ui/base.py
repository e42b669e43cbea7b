"""The screen base class: a Screen bound to one view-model.

A screen declares which view-model fields it shows (``bindings``: Kivy property -> view-model
attribute, or a dotted path of attributes); the base copies them whenever the view-model
says something changed, so no screen copies fields by hand. ``refresh`` is left for
what a binding cannot say (building a list's rows). kv binds to the properties and calls
view-model methods on events; it holds no logic.
"""

from __future__ import annotations

from typing import Any, ClassVar

from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen


class BoundScreen(Screen):
    title = StringProperty("")
    has_inner_back = BooleanProperty(False)
    vm = ObjectProperty(None, allownone=True)
    #: Kivy property -> view-model attribute (``"a.b"`` follows attributes).
    bindings: ClassVar[dict[str, str]] = {}

    def __init__(self, app: Any, vm: Any, **kwargs: Any) -> None:
        self.app = app
        super().__init__(**kwargs)
        self.vm = vm
        vm.subscribe(lambda _vm, names: self._changed(names))
        self._changed(frozenset())

    def language_switched(self) -> None:
        """The interface language changed (the app calls this on its screens): the words set from
        Python (titles, rows) again."""
        self._changed(frozenset())

    def _changed(self, names: frozenset[str]) -> None:
        # Every declared field on every change: some are computed (a property of the view-model
        # that no change names), and copying a few values is cheaper than missing one.
        for prop, path in self.bindings.items():
            setattr(self, prop, _read(self.vm, path))
        self.refresh(names)
        if self.manager is not None and self.manager.current == self.name:
            self.app.refresh_title()

    def refresh(self, names: frozenset[str]) -> None:
        """What a binding cannot say (override): e.g. a list's rows."""

    def handle_back(self) -> bool:
        """Return True when the screen handled Back itself."""
        return False


def _read(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj
