"""Walk list screen: the pair's streets with progress, searchable, by name or distance."""

from __future__ import annotations

from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from mobile.ui.base import BoundScreen
from mobile.ui.widgets import load_kv

load_kv(__file__)


class StreetRowView(ButtonBehavior, BoxLayout):
    street_id = NumericProperty(0)
    name = StringProperty("")
    locality = StringProperty("")
    counts = StringProperty("")
    distance = StringProperty("")
    progress = NumericProperty(0.0)

    def on_release(self):
        from kivy.app import App

        App.get_running_app().streets_vm.open(self.street_id)


class StreetsScreen(BoundScreen):
    pair = StringProperty("")
    totals = StringProperty("")
    message = StringProperty("")
    sort = StringProperty("name")
    has_position = BooleanProperty(False)

    def on_pre_enter(self, *args):
        self.vm.load()

    def refresh(self, names):
        vm = self.vm
        ctx = vm.ctx
        self.pair = ("Your pair: " + ctx.pair.summary) if ctx.pair else ""
        self.totals, self.message, self.sort = vm.totals, vm.message, vm.sort
        self.has_position = vm.has_position
        self.title = getattr(getattr(ctx.pack, "operation", None), "name", "") or "Walk list"
        self.ids.rv.data = [
            {"street_id": r.id, "name": r.name, "locality": r.locality, "counts": r.counts,
             "distance": r.distance, "progress": r.progress}
            for r in vm.rows
        ]
