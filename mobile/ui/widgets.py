"""Base widgets shared by every screen (their look is in widgets.kv)."""

from __future__ import annotations

from pathlib import Path

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import (
    AliasProperty,
    BooleanProperty,
    ColorProperty,
    NumericProperty,
    ObjectProperty,
    OptionProperty,
    StringProperty,
)
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
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


class FittingLabel(Label):
    """Words never cut short: one line at ``full_font_size`` when they fit the width, otherwise
    wrapped over ``max_lines`` a size smaller (``wrapped_font_size``). The top bar's title: in
    portrait a visit's address ("Visit: Blenheim Terrace, 30 Woodhouse Lane") was cut to its start."""

    full_font_size = NumericProperty(0)
    wrapped_font_size = NumericProperty(0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        fit = Clock.create_trigger(self._fit, -1)
        for name in ("text", "width", "bold", "font_name", "full_font_size", "wrapped_font_size"):
            self.fbind(name, fit)
        fit()

    def _fit(self, *_args) -> None:
        from kivy.core.text import Label as CoreLabel

        line = CoreLabel(text=self.text, font_size=self.full_font_size, bold=self.bold, font_name=self.font_name)
        line.refresh()
        room = self.width - self.padding[0] - self.padding[2]
        self.font_size = self.full_font_size if line.content_width <= room else self.wrapped_font_size


class SteadyScrollView(ScrollView):
    """A scrolling page that keeps its place when what it holds changes height.

    Kivy's ScrollView keeps ``scroll_y``, a fraction of the scrollable height, so a question that
    skip logic adds below the one just answered (or a suggestion, or the save bar appearing)
    moved everything on screen by that fraction of the change: 46 to 158 px under the finger.
    This one keeps the distance from the top of the page to the top of the view instead, so what
    is on screen stays put unless the page has become too short to keep it there."""

    def __init__(self, **kwargs):
        self._offset = 0.0  # pixels of the page above the view's top edge
        self._heights: tuple[float, float] | None = None  # (page, view) when the offset was taken
        self._keeping = False
        super().__init__(**kwargs)
        self.fbind("scroll_y", self._remember)
        self.fbind("height", self._keep)
        self.fbind("_viewport", self._watch)

    def _watch(self, _view, page) -> None:
        if page is not None:
            page.fbind("height", self._keep)
            self._keep()

    def _remember(self, *_args) -> None:
        page = self._viewport
        if self._keeping or page is None or self._heights != (page.height, self.height):
            return  # a height just changed: _keep places the page
        self._offset = (1.0 - self.scroll_y) * max(page.height - self.height, 0.0)

    def _keep(self, *_args) -> None:
        page = self._viewport
        if page is None:
            return
        self._heights = (page.height, self.height)
        span = page.height - self.height
        self._keeping = True
        try:
            self.scroll_y = 1.0 if span <= 0 else min(1.0, max(0.0, 1.0 - self._offset / span))
            self._update_effect_bounds()  # a later drag starts from here, not from the old place
        finally:
            self._keeping = False
        self._offset = (1.0 - self.scroll_y) * max(span, 0.0)


class AppToggle(ToggleButton):
    """A toggle, at least 56 dp tall. ``kind``: "radio" (one of a group: a round mark), "check"
    (any number: a square mark) or "" (no mark), so single and multiple choice look different."""

    value = ObjectProperty(None, allownone=True)  # the code this toggle stands for
    kind = OptionProperty("", options=["", "radio", "check"])
    #: The mark on the right: a choice in a right-to-left language (Urdu), read from the right.
    mark_right = BooleanProperty(False)

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
