"""Icons from the Material Design Icons font that the npm package ``@mdi/font`` ships.

The package is installed at set-up time into ``mobile/assets/node_modules`` (scripts/setup.sh;
never committed, nothing downloads at run time). Its stylesheet maps each icon's name to a
code point; ``glyph("map")`` gives the character to draw in the ``Icons`` font.

Pure Python apart from ``register()``, which tells Kivy about the font once.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "assets" / "node_modules" / "@mdi" / "font"
FONT = PACKAGE / "fonts" / "materialdesignicons-webfont.ttf"
STYLESHEET = PACKAGE / "css" / "materialdesignicons.css"
FONT_NAME = "Icons"

_RULE = re.compile(r'\.mdi-([a-z0-9-]+)::before \{\s*content: "\\([0-9A-Fa-f]+)"')

#: What each icon stands for in the app, by meaning (one place to change a picture).
ICONS = {
    "back": "arrow-left",
    "streets": "format-list-bulleted",
    "map": "map-outline",
    "language": "translate",
    "sync_sent": "cloud-check-outline",
    "sync_waiting": "cloud-upload-outline",
    "sync_offline": "cloud-off-outline",
    "sync_rejected": "alert-circle-outline",
    "sync_unknown": "cloud-question-outline",
    "radio_off": "radiobox-blank",
    "radio_on": "radiobox-marked",
    "check_off": "checkbox-blank-outline",
    "check_on": "checkbox-marked",
    "door": "door",
    "draft": "pencil-outline",
    "suggested": "lightbulb-on-outline",
    "undo": "undo",
    "save": "content-save-outline",
    "warning": "alert-outline",
    "history": "history",
    "sign_out": "logout",
    "zoom_in": "plus",
    "zoom_out": "minus",
    "fit": "fit-to-screen-outline",
    "edit": "pencil",
    "retry": "send-outline",
    "lock": "lock-outline",
    "lock_open": "lock-open-variant-outline",
    "camera": "camera-outline",
    "photo": "image-outline",
    "photo_waiting": "image-sync-outline",
    "delete": "delete-outline",
}


class IconsMissing(RuntimeError):
    pass


@lru_cache(maxsize=1)
def codepoints() -> dict[str, str]:
    """Icon name -> character, read from the package's stylesheet."""
    if not STYLESHEET.exists() or not FONT.exists():
        raise IconsMissing(
            f"The icon font is not installed ({FONT}). Run `bash scripts/setup.sh run` (npm install in mobile/assets)."
        )
    return {name: chr(int(code, 16)) for name, code in _RULE.findall(STYLESHEET.read_text(encoding="utf-8"))}


def glyph(meaning: str) -> str:
    """The character for an icon named by its meaning (``ICONS``) or by its MDI name; "" for none."""
    if not meaning:
        return ""
    name = ICONS.get(meaning, meaning)
    try:
        return codepoints()[name]
    except KeyError:
        raise KeyError(f"no icon {name!r} in @mdi/font") from None


def register() -> None:
    """Make the font known to Kivy as ``Icons`` (idempotent)."""
    from kivy.core.text import LabelBase

    codepoints()  # a clear message if the package is missing
    LabelBase.register(name=FONT_NAME, fn_regular=str(FONT))
