"""A fix or a follow-up for a whole street (not one door)."""

from __future__ import annotations

from functools import partial

from kivy.metrics import dp
from kivy.properties import StringProperty

from mobile.ui.base import BoundScreen
from mobile.ui.followup_form import FollowupForm  # noqa: F401  (kv rule)
from mobile.ui.widgets import AppButton, load_kv
from mobile.viewmodels.visit import VisitViewModel

load_kv(__file__)


class StreetRecordScreen(BoundScreen):
    mode = StringProperty("fix")
    heading = StringProperty("")
    error = StringProperty("")

    def __init__(self, app, vm, **kwargs):
        super().__init__(app, vm, **kwargs)
        self.ids.form.vm = vm
        box = self.ids.fixes
        for code, text in VisitViewModel.fix_choices():
            b = AppButton(text=text, height=dp(72))
            b.value = code
            b.bind(on_release=partial(lambda c, *_: self.vm.log_fix(c), code))
            box.add_widget(b)

    def refresh(self, names):
        vm = self.vm
        self.mode = vm.mode
        self.error = vm.error
        what = "Log a fix" if vm.mode == "fix" else "Raise a follow-up"
        self.heading = f"{what}: {vm.street_name}" if vm.street_name else what
        self.title = vm.street_name or "Street"
        if vm.mode == "followup" and self.ids.form.vm is not None:
            self.ids.form.load()
