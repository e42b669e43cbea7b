"""Which font draws a text, and how: one table for the tablet (which registers these fonts with Kivy
and picks one per label) and the server (which refuses, at import, a questionnaire whose words these
fonts cannot draw).

The fonts are Debian's ``fonts-noto-core`` (installed by ``scripts/setup.sh``, never committed; a
tablet build takes the same files from the package). Kivy draws a label in one font with no
fallback, so a text gets the font of its script. Arabic script is shaped by ``arabic-reshaper`` into
presentation forms, which Noto Naskh Arabic has (Noto Nastaliq Urdu does not), and put in visual
order line by line with ``python-bidi``; Indic scripts are shaped by HarfBuzz inside SDL2_ttf, which
Kivy asks for with ``font_script_name``.

Pure Python, no I/O.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

#: Where ``fonts-noto-core`` puts its files on Debian; ``DOORSTEP_FONT_DIR`` points elsewhere (a tablet build).
FONT_DIR = os.environ.get("DOORSTEP_FONT_DIR", "/usr/share/fonts/truetype/noto")


@dataclass(frozen=True)
class Script:
    name: str
    #: Unicode blocks of its letters (first, last code point).
    ranges: tuple[tuple[int, int], ...]
    regular: str
    bold: str
    #: ISO 15924 code HarfBuzz shapes with (Kivy's ``font_script_name``).
    code: str
    #: Written right to left: reshaped and reordered per line on the tablet.
    rtl: bool = False
    #: Joined letters that ``arabic-reshaper`` turns into presentation forms before drawing.
    reshaped: bool = False


SCRIPTS: tuple[Script, ...] = (
    Script("Arabic", ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
           "NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf", "Arab", rtl=True, reshaped=True),
    Script("Hebrew", ((0x0590, 0x05FF),), "NotoSansHebrew-Regular.ttf", "NotoSansHebrew-Bold.ttf", "Hebr", rtl=True),
    Script("Gurmukhi", ((0x0A00, 0x0A7F),), "NotoSansGurmukhi-Regular.ttf", "NotoSansGurmukhi-Bold.ttf", "Guru"),
    Script("Devanagari", ((0x0900, 0x097F),), "NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf",
           "Deva"),
    Script("Bengali", ((0x0980, 0x09FF),), "NotoSansBengali-Regular.ttf", "NotoSansBengali-Bold.ttf", "Beng"),
    Script("Gujarati", ((0x0A80, 0x0AFF),), "NotoSansGujarati-Regular.ttf", "NotoSansGujarati-Bold.ttf", "Gujr"),
    Script("Tamil", ((0x0B80, 0x0BFF),), "NotoSansTamil-Regular.ttf", "NotoSansTamil-Bold.ttf", "Taml"),
    Script("Thai", ((0x0E00, 0x0E7F),), "NotoSansThai-Regular.ttf", "NotoSansThai-Bold.ttf", "Thai"),
    Script("Ethiopic", ((0x1200, 0x139F),), "NotoSansEthiopic-Regular.ttf", "NotoSansEthiopic-Bold.ttf", "Ethi"),
)
#: Latin (Welsh, Polish, Romanian …), Greek and Cyrillic: Noto Sans.
DEFAULT = Script("Latin", (), "NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "Latn")


def script_of(text: str) -> Script:
    """The script whose font draws ``text``: the first letter of a script in the table decides (a
    label in Urdu with an English word in it is still drawn by the Arabic font, which has Latin
    letters too); otherwise Noto Sans."""
    for char in text:
        point = ord(char)
        if point < 0x0590:
            continue
        for script in SCRIPTS:
            if any(first <= point <= last for first, last in script.ranges):
                return script
    return DEFAULT


def joined(text: str) -> str:
    """``text`` with its Arabic-script letters in the joined forms they take in writing (initial,
    medial, final), as a font with presentation forms draws them; other text unchanged. The tablet
    draws this, and the server checks the fonts have every one of these characters."""
    if not script_of(text).reshaped:
        return text
    import arabic_reshaper

    return arabic_reshaper.reshape(text)


def is_rtl(text: str) -> bool:
    """The text's paragraph direction by the Unicode bidi rule (P2): its first strong character."""
    import unicodedata

    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False
