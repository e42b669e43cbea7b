"""Words in the resident's language, drawn as they are written.

Kivy draws a label in one font, left to right, and wraps it in the order its characters are stored.
So a text in the resident's language gets:

- the font of its script (``shared_schemas.scripts``: Noto from Debian's ``fonts-noto-core``,
  registered here as ``Doorstep<Script>`` with its bold face), and for Indic scripts HarfBuzz's
  shaping inside SDL2_ttf, asked for with ``font_script_name`` (Gurmukhi's vowel signs and
  conjuncts);
- Arabic script (Urdu): letters joined by ``arabic-reshaper`` (``scripts.joined``), then **wrapped
  first, in reading order**, to the label's width in its own font, and only then each line put in
  visual order by ``python-bidi``. Reordering a whole paragraph and letting Kivy wrap it would
  show its last words on the first line. The label is right-aligned, and Kivy is given lines that
  already fit so it never wraps them again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from kivy.core.text import Label as CoreLabel
from kivy.core.text import LabelBase

from shared_schemas.scripts import DEFAULT, FONT_DIR, SCRIPTS, Script, is_rtl, joined, script_of


def font_name(script: Script) -> str:
    return f"Doorstep{script.name}"


@lru_cache(maxsize=1)
def register_fonts() -> tuple[str, ...]:
    """Register every script's font that is installed (names ``Doorstep<Script>``); the names registered."""
    names = []
    for script in (DEFAULT, *SCRIPTS):
        regular, bold = os.path.join(FONT_DIR, script.regular), os.path.join(FONT_DIR, script.bold)
        if os.path.exists(regular):
            LabelBase.register(font_name(script), regular, fn_bold=bold if os.path.exists(bold) else None)
            names.append(font_name(script))
    return tuple(names)


@dataclass(frozen=True)
class Drawn:
    """What a label is given to draw ``text``."""

    text: str
    font_name: str
    font_script_name: str
    rtl: bool


def drawn(text: str, width: float, font_size: float, bold: bool = False) -> Drawn:
    """``text`` ready for a Kivy label ``width`` pixels wide (0: one line, as for a button)."""
    script = script_of(text)
    name = font_name(script) if font_name(script) in register_fonts() else "Roboto"
    rtl = is_rtl(text)
    if not rtl:
        return Drawn(text, name, script.code, False)
    # Already joined and in visual order: HarfBuzz must only draw the glyphs, not shape them again.
    from bidi import get_display

    letters = joined(text)
    lines = [line for paragraph in letters.split("\n")
             for line in wrapped(paragraph, width, name, font_size, bold)]
    shown = "\n".join(get_display(line, base_dir="R") for line in lines)
    return Drawn(shown, name, "Zyyy", True)


def wrapped(paragraph: str, width: float, name: str, font_size: float, bold: bool) -> list[str]:
    """``paragraph`` cut into lines no wider than ``width`` at spaces, in reading order (greedy, as
    Kivy wraps). A word wider than the line stays whole on its own line."""
    words = paragraph.split(" ")
    if width <= 0 or len(words) < 2:
        return [paragraph]
    measure = CoreLabel(font_name=name, font_size=font_size, bold=bold)
    lines: list[str] = []
    line = words[0]
    for word in words[1:]:
        candidate = f"{line} {word}"
        if measure.get_extents(candidate)[0] <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return lines


def apply(label, text: str, width: float | None = None, centered: bool = False) -> None:
    """Give a Kivy label (or button) ``text`` as its script needs it, wrapped to ``width``
    (its text width; the label's own ``text_size`` width when not given); ``centered`` for buttons."""
    if width is None:
        width = (label.text_size[0] if label.text_size and label.text_size[0] else 0) or 0
    # A little room: Kivy measures a line the same way, and must not wrap what already fits.
    shown = drawn(text, max(0.0, width - 2), label.font_size, bool(getattr(label, "bold", False)))
    label.font_name = shown.font_name
    label.font_script_name = shown.font_script_name
    label.halign = "center" if centered else ("right" if shown.rtl else "left")
    label.text = shown.text


def follow(label, text: str, centered: bool = False) -> None:
    """``apply`` now and again whenever the label's text width changes (a rotation, a resize)."""
    label.bind(text_size=lambda *_: apply(label, text, centered=centered))
    apply(label, text, centered=centered)
