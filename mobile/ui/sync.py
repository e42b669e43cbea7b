"""Sync page: what is waiting, what the server rejected (with the reason and what to do)."""

from __future__ import annotations

from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.metrics import dp, sp
from kivy.properties import AliasProperty, BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from mobile.ui import theme
from mobile.ui.base import BoundScreen
from mobile.ui.i18n import tr
from mobile.ui.widgets import load_kv

ROW_PADDING_DP = 12  # above and below a row's words
ROW_SPACING_DP = 4  # between its lines

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
    padding_dp = NumericProperty(ROW_PADDING_DP)
    spacing_dp = NumericProperty(ROW_SPACING_DP)

    def _get_heading(self) -> str:
        return heading(self.title, self.created, self.attempts)

    heading = AliasProperty(_get_heading, None, bind=("title", "created", "attempts"))


def heading(title: str, created: str, attempts: int) -> str:
    """'Visit: Refused · Blenheim Terrace, 30 Woodhouse Lane  ·  06:07  ·  tried 1×'"""
    return f"{title}  ·  {created}" + (("  ·  " + tr._("tried {count}×").format(count=attempts)) if attempts else "")


def _lines_height(text: str, width: float, *, bold: bool = False) -> float:
    """The height ``text`` takes wrapped to ``width`` as a BodyLabel draws it (0 for no text)."""
    if not text:
        return 0.0
    core = CoreLabel(text=text, font_size=sp(theme.BODY_SP), bold=bold, text_size=(width, None))
    core.refresh()
    return float(core.texture.height)


def row_height(row, width: float) -> float:
    """An OutboxRowView's height for its words at ``width`` (the RecycleView lays rows out by
    the heights it is given, so a row is sized to what it says, never cut)."""
    text_width = width - dp(32)
    height = 2 * dp(ROW_PADDING_DP) + 3 * dp(ROW_SPACING_DP)
    height += max(_lines_height(heading(row.title, row.created, row.attempts), text_width, bold=True), dp(28))
    if row.rejected:
        height += _lines_height(tr._("Rejected: {reason}").format(reason=row.reason), text_width)
        height += _lines_height(tr._("What to do: {advice}").format(advice=row.advice), text_width)
        height += dp(theme.TOUCH_DP)
    return height


class SyncScreen(BoundScreen):
    summary = StringProperty("")
    connection = StringProperty("")
    error = StringProperty("")
    rejected_heading = StringProperty("")
    syncing = BooleanProperty(False)

    def on_pre_enter(self, *args):
        self.vm.load_lists()

    photos = StringProperty("")

    bindings = {"syncing": "syncing", "error": "error", "photos": "photos_text"}

    def on_kv_post(self, base_widget):
        super().on_kv_post(base_widget)
        # a turn of the tablet rewraps the rows' words: size them again
        self.ids.rv.bind(width=Clock.create_trigger(self._fill))
        tr.on_switch(self._fill)  # and so does a switch of the interface language (Welsh runs longer)

    def refresh(self, names):
        vm = self.vm
        self.summary = tr._("{waiting} waiting to send, {rejected} rejected").format(waiting=vm.waiting,
                                                                                   rejected=vm.rejected)
        online = {True: tr._("Online"), False: tr._("Offline: records are kept and sent when there is signal"),
                  None: tr._("Not connected yet")}[vm.online]
        self.connection = f"{online}. " + (tr._("Last sync {when}.").format(when=vm.last_sync) if vm.last_sync
                                           else tr._("Never synced."))
        self.rejected_heading = (tr._("Refused by the server: these stay on the tablet until you correct them "
                                      "or send them again.") if vm.rejected_rows else "")
        self._fill()

    def _fill(self, *_args) -> None:
        vm, width = self.vm, self.ids.rv.width
        if vm is None:
            return
        self.ids.rv.data = [
            {"vm": vm, "record_type": r.record_type, "record_id": r.record_id, "title": r.title,
             "created": r.created, "attempts": r.attempts, "reason": r.reason, "advice": r.advice,
             "rejected": r.rejected, "height": row_height(r, width)}
            for r in vm.rejected_rows + vm.waiting_rows]
