"""Operations screen: the user's operations, pack download with progress, the pair."""

from __future__ import annotations

from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from mobile.ui.base import BoundScreen
from mobile.ui.i18n import tr
from mobile.ui.widgets import load_kv
from shared_schemas.codes import label

load_kv(__file__)


class OperationRowView(BoxLayout):
    vm = ObjectProperty(None, allownone=True)  # the operations view-model (from the row's data)
    op_id = NumericProperty(0)
    name = StringProperty("")
    status_label = StringProperty("")
    detail = StringProperty("")
    pair = StringProperty("")
    downloaded = BooleanProperty(False)
    downloading = BooleanProperty(False)
    progress = NumericProperty(0.0)


class OperationsScreen(BoundScreen):
    error = StringProperty("")
    info = StringProperty("")
    empty = StringProperty("")
    busy = BooleanProperty(False)

    def on_pre_enter(self, *args):
        self.vm.refresh()

    bindings = {"error": "error", "info": "info", "busy": "busy"}

    def refresh(self, names):
        vm = self.vm
        self.empty = "" if vm.rows or vm.busy else tr._("No operations yet. Tap Check server when you have signal.")
        rows = []
        for r in vm.rows:
            height = dp(278)  # the pair's line is kept before the pack names it: nothing moves as it comes
            rows.append({
                "vm": vm, "op_id": r.id, "name": r.name,
                "status_label": tr._(label(r.status) if r.status else "On this tablet"),
                "detail": r.detail, "pair": r.pair, "downloaded": r.downloaded,
                "downloading": vm.downloading_id == r.id,
                "progress": vm.progress if vm.downloading_id == r.id else 0.0,
                "height": height,
            })
        self.ids.rv.data = rows

    def sign_out(self):
        self.app.sign_out()
