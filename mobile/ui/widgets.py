"""Base widgets shared by every screen (their look is in widgets.kv)."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import (
    AliasProperty,
    BooleanProperty,
    ColorProperty,
    ObjectProperty,
    OptionProperty,
    StringProperty,
)
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.togglebutton import ToggleButton

from mobile.ui import icons, theme

icons.register()


class Icon(Label):
    """One glyph of the icon font, by meaning (``icons.ICONS``) or Material Design Icons name."""

    icon = StringProperty("")


class AppButton(Button):
    """A primary button, at least 56 dp tall. ``bg``/``fg`` are its colours at rest; ``icon`` a glyph at its left."""

    bg = ColorProperty(theme.c.PRIMARY)
    fg = ColorProperty(theme.c.ON_PRIMARY)
    icon = StringProperty("")


class SecondaryButton(AppButton):
    bg = ColorProperty(theme.c.SECONDARY)
    fg = ColorProperty(theme.c.ON_SECONDARY)


class DangerButton(AppButton):
    bg = ColorProperty(theme.c.DANGER)
    fg = ColorProperty(theme.c.ON_DANGER)


class BarButton(Button):
    """A button in the dark top bar, as wide as its text."""

    bg = ColorProperty(theme.c.BAR)
    fg = ColorProperty(theme.c.ON_BAR)


class Reveal(BoxLayout):
    """A part of a page that is shown or not. Hidden, its children leave the layout altogether:
    a part merely squeezed to no height still lays its children out (over whatever is below
    or above) and a disabled one still takes their taps, which lost the first tap on a visit
    page in portrait to an invisible button."""

    shown = BooleanProperty(True)

    def __init__(self, **kwargs):
        self._kept: list = []
        super().__init__(**kwargs)

    def add_widget(self, widget, *args, **kwargs):
        if not self.shown:
            self._kept.append(widget)
            return
        super().add_widget(widget, *args, **kwargs)

    def on_shown(self, _instance, shown: bool) -> None:
        if shown:
            kept, self._kept = self._kept, []
            for widget in kept:
                super().add_widget(widget)
        else:
            self._kept = list(reversed(self.children)) + self._kept
            self.clear_widgets()


class AppToggle(ToggleButton):
    """A toggle, at least 56 dp tall. ``kind``: "radio" (one of a group: a round mark), "check"
    (any number: a square mark) or "" (no mark), so single and multiple choice look different."""

    value = ObjectProperty(None, allownone=True)  # the code this toggle stands for
    kind = OptionProperty("", options=["", "radio", "check"])

    def _get_icon(self) -> str:
        if not self.kind:
            return ""
        return f"{self.kind}_{'on' if self.state == 'down' else 'off'}"

    icon = AliasProperty(_get_icon, None, bind=("kind", "state"))


_loaded: set[str] = set()


def load_kv(py_file: str, name: str | None = None) -> None:
    """Load the .kv that sits beside a screen's .py (or ``name`` in that folder), once."""
    path = str(Path(py_file).with_name(name) if name else Path(py_file).with_suffix(".kv"))
    if path not in _loaded:
        Builder.load_file(path)
        _loaded.add(path)


load_kv(__file__)
