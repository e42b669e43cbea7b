"""A fix or a follow-up for a whole street (not one door), in either orientation."""

from __future__ import annotations

from functools import partial

from kivy.metrics import dp
from kivy.properties import StringProperty

from mobile.ui.base import BoundScreen
from mobile.ui.i18n import tr
from mobile.ui.photos import PhotoStrip
from mobile.ui.visit import FollowupCard
from mobile.ui.widgets import AppButton, load_kv
from mobile.viewmodels.visit import VisitViewModel

load_kv(__file__)


class StreetRecordScreen(BoundScreen):
    mode = StringProperty("fix")
    heading = StringProperty("")
    error = StringProperty("")

    bindings = {"mode": "mode", "error": "error"}

    def __init__(self, app, vm, **kwargs):
        self._card = None
        self.photo_strip: PhotoStrip | None = None
        super().__init__(app, vm, **kwargs)
        for code, text in VisitViewModel.fix_choices():
            b = AppButton(text=tr._(text), height=dp(72))
            b.value, b.english = code, text
            b.bind(on_release=partial(lambda c, *_: self.vm.log_fix(c), code))
            self.ids.fixes.add_widget(b)

    def refresh(self, names):
        vm = self.vm
        self._show_fix_photos(vm)
        for b in self.ids.fixes.children:
            b.text = tr._(b.english)
        what = tr._("Log a fix") if vm.mode == "fix" else tr._("Raise a follow-up")
        self.heading = f"{what}: {vm.street_name}" if vm.street_name else what
        self.title = vm.street_name or tr._("Street")
        box = self.ids.form_box
        if vm.mode != "followup":
            box.clear_widgets()
            self._card = None
            return
        if self._card is None or self._card.followup_id != vm.draft.id:
            box.clear_widgets()
            self._card = FollowupCard(vm, vm.draft, removable=False)
            box.add_widget(self._card)
            self.ids.scroll.scroll_y = 1
        self._card.show(vm.draft, vm.errors)
        if vm.errors.get("form"):
            self.error = vm.errors["form"]
        elif vm.errors:
            self.error = tr._("Put right what is marked in red, then tap Raise follow-up.")

    def _show_fix_photos(self, vm) -> None:
        """In fix mode, photos for the next fix tapped (before and after, optional)."""
        strip = getattr(self, "photo_strip", None)
        if strip is None:  # made once; shown only in fix mode (a Reveal in the kv)
            strip = PhotoStrip(owner=vm, target="street", stages=["before", "after"],
                               heading=tr._("Photos (optional): add them first, then tap what you fixed."))
            self.ids.fix_photos.add_widget(strip)
            self.photo_strip = strip
        strip.show()

    @property
    def card(self):
        return self._card
