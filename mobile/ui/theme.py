"""Colours and sizes for the tablet app, in one place.

Field ergonomics (checked in tests/mobile_ui): every touch target is at least
``TOUCH_DP`` dp, body text at least ``BODY_SP`` sp, and every text colour pair
listed in ``TEXT_PAIRS`` has a WCAG contrast ratio of at least 4.5:1.

Pure Python (no Kivy import) so the contrast test and the view-models can use it.
kv files read it with ``#:import theme mobile.ui.theme``.
"""

from __future__ import annotations

TOUCH_DP = 56          # buttons and rows; WCAG/Material minimum is 48 dp
MIN_TOUCH_DP = 48
BODY_SP = 18           # body text; minimum 16 sp
SMALL_SP = 16          # the smallest text anywhere
TITLE_SP = 24
BIG_SP = 26            # outcome buttons
MIN_BODY_SP = 16


def hex_rgba(value: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    value = value.lstrip("#")
    r, g, b = (int(value[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, alpha)


# Palette (hex so a reader can check it against a contrast tool).
BG = "#F5F6F8"          # screen background
SURFACE = "#FFFFFF"     # cards, rows
TEXT = "#1A1C1F"        # body text
MUTED = "#4A4F57"       # secondary text
PRIMARY = "#0B5CAD"     # primary buttons (white text)
ON_PRIMARY = "#FFFFFF"
SECONDARY = "#DDE3EA"   # secondary buttons (dark text)
ON_SECONDARY = "#1A1C1F"
DANGER = "#B3261E"      # errors, rejected (white text on it, or as text on white)
ON_DANGER = "#FFFFFF"
SUCCESS = "#1E6B34"     # done, synced
WARNING = "#8A5300"     # waiting / no answer (as text on white)
BAR = "#14263D"         # top bar and status bar background
ON_BAR = "#FFFFFF"
SELECTED = "#0B5CAD"

# Door status colours (map dots and status chips: white text on them).
STATUS_COLOURS = {
    "not_knocked": "#5C636E",
    "no_answer": "#8A5300",
    "revisit": "#8A5300",
    "done": "#1E6B34",
    "do_not_visit": "#B3261E",
    "other_pair": "#5B3A99",
}

#: Every (foreground, background) text pair the app draws. Tested >= 4.5:1.
TEXT_PAIRS: dict[str, tuple[str, str]] = {
    "body": (TEXT, BG),
    "body_on_surface": (TEXT, SURFACE),
    "muted_on_bg": (MUTED, BG),
    "muted_on_surface": (MUTED, SURFACE),
    "primary_button": (ON_PRIMARY, PRIMARY),
    "secondary_button": (ON_SECONDARY, SECONDARY),
    "danger_button": (ON_DANGER, DANGER),
    "error_text": (DANGER, SURFACE),
    "error_text_bg": (DANGER, BG),
    "success_text": (SUCCESS, SURFACE),
    "warning_text": (WARNING, SURFACE),
    "bar": (ON_BAR, BAR),
    "pressed_button": (ON_PRIMARY, BAR),
    "disabled_button": (MUTED, SECONDARY),
    "primary_text": (PRIMARY, SURFACE),
    "primary_text_bg": (PRIMARY, BG),
    **{f"status_{k}": ("#FFFFFF", v) for k, v in STATUS_COLOURS.items()},
}


def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    r, g, b, _ = hex_rgba(colour)
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def contrast_ratio(fg: str, bg: str) -> float:
    """WCAG 2.x contrast ratio between two opaque colours (1.0 to 21.0)."""
    a, b = relative_luminance(fg), relative_luminance(bg)
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


# Kivy colour tuples, for kv: theme.c.TEXT etc.
class _Colours:
    def __getattr__(self, name: str):
        if name in STATUS_COLOURS:
            return hex_rgba(STATUS_COLOURS[name])
        return hex_rgba(globals()[name])


c = _Colours()
