"""A question with a few answers, over the current screen (keep or discard a visit, sign out or not)."""

from __future__ import annotations

from collections.abc import Callable

from kivy.metrics import dp
from kivy.properties import StringProperty
from kivy.uix.modalview import ModalView

from mobile.ui.widgets import AppButton, DangerButton, SecondaryButton, load_kv

load_kv(__file__)

STYLES = {"primary": AppButton, "secondary": SecondaryButton, "danger": DangerButton}


class ChoiceDialog(ModalView):
    heading = StringProperty("")
    text = StringProperty("")


def ask(heading: str, text: str, choices: list[tuple[str, Callable[[], None], str]]) -> ChoiceDialog:
    """Show ``heading`` and ``text`` with one button per (label, action, style); a tap closes it and acts."""
    dialog = ChoiceDialog(heading=heading, text=text)
    box = dialog.ids.choices
    box.cols = len(choices) if len(choices) <= 3 else 2
    for label_, action, style in choices:
        button = STYLES[style](text=label_, height=dp(64))

        def chosen(_button, action=action):
            dialog.dismiss()
            action()

        button.bind(on_release=chosen)
        box.add_widget(button)
    dialog.open()
    return dialog
