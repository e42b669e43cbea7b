"""Base widgets shared by every screen (their look is in widgets.kv)."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import ColorProperty, ObjectProperty
from kivy.uix.button import Button
from kivy.uix.togglebutton import ToggleButton

from mobile.ui import theme


class AppButton(Button):
    """A primary button, at least 56 dp tall. ``bg``/``fg`` are its colours at rest."""

    bg = ColorProperty(theme.c.PRIMARY)
    fg = ColorProperty(theme.c.ON_PRIMARY)


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


class AppToggle(ToggleButton):
    """A toggle (one of a group, or on/off), at least 56 dp tall."""

    value = ObjectProperty(None, allownone=True)  # the code this toggle stands for


_loaded: set[str] = set()


def load_kv(py_file: str, name: str | None = None) -> None:
    """Load the .kv that sits beside a screen's .py (or ``name`` in that folder), once."""
    path = str(Path(py_file).with_name(name) if name else Path(py_file).with_suffix(".kv"))
    if path not in _loaded:
        Builder.load_file(path)
        _loaded.add(path)


load_kv(__file__)
