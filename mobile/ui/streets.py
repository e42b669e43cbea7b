"""Walk list screen: the pair's streets with progress, searchable, by name or distance."""

from __future__ import annotations

from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from mobile.ui.base import BoundScreen
from mobile.ui.i18n import tr
from mobile.ui.widgets import load_kv

load_kv(__file__)


class StreetRowView(ButtonBehavior, BoxLayout):
    vm = ObjectProperty(None, allownone=True)  # the walk list's view-model (from the row's data)
    street_id = NumericProperty(0)
    name = StringProperty("")
    locality = StringProperty("")
    counts = StringProperty("")
    distance = StringProperty("")
    progress = NumericProperty(0.0)

    def on_release(self):
        self.vm.open(self.street_id)


class StreetsScreen(BoundScreen):
    pair = StringProperty("")
    totals = StringProperty("")
    message = StringProperty("")
    sort = StringProperty("name")
    has_position = BooleanProperty(False)

    def on_pre_enter(self, *args):
        self.vm.load()

    bindings = {"totals": "totals", "message": "message", "sort": "sort", "has_position": "has_position"}

    def refresh(self, names):
        vm = self.vm
        ctx = vm.ctx
        self.pair = tr._("Your pair: {pair}").format(pair=ctx.pair.summary) if ctx.pair else ""
        self.title = getattr(getattr(ctx.pack, "operation", None), "name", "") or tr._("Walk list")
        self.ids.rv.data = [
            {"vm": vm, "street_id": r.id, "name": r.name, "locality": r.locality, "counts": r.counts,
             "distance": r.distance, "progress": r.progress}
            for r in vm.rows
        ]
