"""Street screen: its doors in door order with their status; street-level fix and follow-up."""

from __future__ import annotations

from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from mobile.ui.base import BoundScreen
from mobile.ui.i18n import tr
from mobile.ui.widgets import load_kv

load_kv(__file__)


class DoorRowView(ButtonBehavior, BoxLayout):
    vm = ObjectProperty(None, allownone=True)  # the street's view-model (from the row's data)
    household_id = NumericProperty(0)
    address = StringProperty("")
    side = StringProperty("")
    status = StringProperty("not_knocked")
    status_text = StringProperty("")
    others = StringProperty("")
    can_visit = BooleanProperty(True)
    generated = BooleanProperty(False)

    def on_release(self):
        self.vm.visit(self.household_id)


class StreetScreen(BoundScreen):
    summary = StringProperty("")
    side = StringProperty("all")

    bindings = {"summary": "summary", "side": "side"}

    def refresh(self, names):
        vm = self.vm
        self.title = vm.name or tr._("Street")
        self.ids.rv.data = [
            {"vm": vm, "household_id": r.id, "address": r.address, "side": r.side, "status": r.status,
             "status_text": r.status_text, "others": r.others, "can_visit": r.can_visit, "generated": r.generated}
            for r in vm.rows
        ]
