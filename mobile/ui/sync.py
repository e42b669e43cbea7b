"""Sync page: what is waiting, what the server rejected (with the reason and what to do)."""

from __future__ import annotations

from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from mobile.ui.base import BoundScreen
from mobile.ui.widgets import load_kv

load_kv(__file__)


class OutboxRowView(BoxLayout):
    vm = ObjectProperty(None, allownone=True)  # the sync page's view-model (from the row's data)
    record_type = StringProperty("")
    record_id = StringProperty("")
    title = StringProperty("")
    created = StringProperty("")
    attempts = NumericProperty(0)
    reason = StringProperty("")
    advice = StringProperty("")
    rejected = BooleanProperty(False)


class SyncScreen(BoundScreen):
    summary = StringProperty("")
    connection = StringProperty("")
    error = StringProperty("")
    rejected_heading = StringProperty("")
    syncing = BooleanProperty(False)

    def on_pre_enter(self, *args):
        self.vm.load_lists()

    bindings = {"syncing": "syncing", "error": "error"}

    def refresh(self, names):
        vm = self.vm
        self.summary = f"{vm.waiting} waiting to send, {vm.rejected} rejected"
        online = {True: "Online", False: "Offline: records are kept and sent when there is signal",
                  None: "Not connected yet"}[vm.online]
        self.connection = f"{online}. " + (f"Last sync {vm.last_sync}." if vm.last_sync else "Never synced.")
        self.rejected_heading = ("Refused by the server: these stay on the tablet until you correct them "
                                 "or send them again." if vm.rejected_rows else "")
        data = []
        for r in vm.rejected_rows + vm.waiting_rows:
            height = dp(80) + (dp(84) if r.rejected else 0)
            data.append({"vm": vm, "record_type": r.record_type, "record_id": r.record_id, "title": r.title,
                         "created": r.created, "attempts": r.attempts, "reason": r.reason, "advice": r.advice,
                         "rejected": r.rejected, "height": height})
        self.ids.rv.data = data
