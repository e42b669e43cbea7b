"""Colours and sizes for the tablet app, in one place.

Field ergonomics (checked in tests/mobile_ui): every touch target is at least
``TOUCH_DP`` dp, body text at least ``BODY_SP`` sp, and every foreground/background
pair the app draws (``PAIRS``: text on every surface, button labels, chips, icons)
has a WCAG contrast ratio of at least ``MIN_CONTRAST`` (7:1, AAA: readable in daylight
on a doorstep).

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
ICON_SP = 26           # icon glyphs beside labels
MESSAGE_DP = 26        # one line kept for a field's help, counter or error: messages never move what is below
MIN_CONTRAST = 7.0     # WCAG 2.x AAA


def hex_rgba(value: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    value = value.lstrip("#")
    r, g, b = (int(value[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, alpha)


# Palette (hex so a reader can check it against a contrast tool).
BG = "#F5F6F8"          # screen background
SURFACE = "#FFFFFF"     # cards, rows
TEXT = "#1A1C1F"        # body text
MUTED = "#3F444C"       # secondary text (also disabled labels)
PRIMARY = "#0A4F96"     # primary buttons (white text), chosen answers, links
ON_PRIMARY = "#FFFFFF"
SECONDARY = "#DDE3EA"   # secondary buttons (dark text)
ON_SECONDARY = "#1A1C1F"
DANGER = "#9B1F19"      # errors, rejected (white text on it, or as text on white)
ON_DANGER = "#FFFFFF"
SUCCESS = "#175A2B"     # done, everything sent
WARNING = "#6E4200"     # waiting to send, knock again
NEUTRAL = "#4A5059"     # offline: saved on this tablet (not an error), not knocked
BAR = "#14263D"         # top bar and status bar background
ON_BAR = "#FFFFFF"
SELECTED = "#0A4F96"
SUGGESTED = "#EDF2F9"   # a follow-up the answers suggest (dark text)

# Door status colours (map dots and status chips: white text on them).
STATUS_COLOURS = {
    "not_knocked": NEUTRAL,
    "no_answer": WARNING,
    "revisit": WARNING,
    "done": SUCCESS,
    "do_not_visit": DANGER,
    "draft": PRIMARY,
    "rejected": DANGER,
    "other_pair": "#5B3A99",
}

#: The sync chip's colours by state: never the all-good colour while anything waits or was refused.
SYNC_COLOURS = {
    "sent": SUCCESS,        # everything sent
    "waiting": WARNING,     # records waiting, online
    "offline": NEUTRAL,     # saved on this tablet, no connection: not an error
    "rejected": DANGER,     # the server refused something: open the sync page
    "unknown": BAR,         # not connected yet
}

#: Every (foreground, background) pair the app draws: text, button labels, chips, icons. Tested >= 7:1.
PAIRS: dict[str, tuple[str, str]] = {
    "body": (TEXT, BG),
    "body_on_surface": (TEXT, SURFACE),
    "body_on_suggested": (TEXT, SUGGESTED),
    "muted_on_bg": (MUTED, BG),
    "muted_on_surface": (MUTED, SURFACE),
    "muted_on_suggested": (MUTED, SUGGESTED),
    "primary_button": (ON_PRIMARY, PRIMARY),
    "secondary_button": (ON_SECONDARY, SECONDARY),
    "danger_button": (ON_DANGER, DANGER),
    "error_text": (DANGER, SURFACE),
    "error_text_bg": (DANGER, BG),
    "success_text": (SUCCESS, SURFACE),
    "success_text_bg": (SUCCESS, BG),
    "warning_text": (WARNING, SURFACE),
    "warning_text_bg": (WARNING, BG),
    "bar": (ON_BAR, BAR),
    "pressed_button": (ON_PRIMARY, BAR),
    "disabled_button": (MUTED, SECONDARY),
    "primary_text": (PRIMARY, SURFACE),
    "primary_text_bg": (PRIMARY, BG),
    "primary_on_suggested": (PRIMARY, SUGGESTED),
    **{f"status_{k}": ("#FFFFFF", v) for k, v in STATUS_COLOURS.items()},
    **{f"sync_{k}": (ON_BAR, v) for k, v in SYNC_COLOURS.items()},
}
#: Kept for older callers: every pair is a text pair.
TEXT_PAIRS = PAIRS


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
