"""Can the tablet draw every word of a questionnaire? Checked at import, with the tablet's own fonts.

The fonts and the way each script is drawn come from ``shared_schemas.scripts`` (the tablet picks
its fonts from the same table). A word in Arabic script is checked as the tablet draws it: after
``arabic-reshaper`` has turned its letters into their joined forms, which the font must have. A
questionnaire in a language none of the fonts covers (Chinese, say: ``fonts-noto-core`` has no CJK)
is refused with the characters that are missing, rather than shown as empty boxes at a door.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from shared_schemas.questionnaire import Questionnaire, language_codes, language_of, translated
from shared_schemas.scripts import FONT_DIR, joined, script_of


class FontsMissing(RuntimeError):
    """The fonts themselves are not installed on this machine."""


@dataclass(frozen=True)
class Undrawable:
    language: str
    where: str  # "question 'x'", "question 'x' option 'y'", "the title" …
    question_id: str
    characters: str

    def describe(self, names: dict[str, str]) -> str:
        name = names.get(self.language, self.language)
        shown = " ".join(self.characters[:8]) + (" …" if len(self.characters) > 8 else "")
        return (f"{name} ({self.language}): the tablet's fonts cannot draw {shown} ({self.where}); "
                "Doorstep's fonts cover Latin, Greek and Cyrillic, Arabic script, Hebrew, Gurmukhi, Devanagari, "
                "Bengali, Gujarati, Tamil, Thai and Ethiopic")


@lru_cache(maxsize=32)
def _cmap(file_name: str, font_dir: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    path = Path(font_dir) / file_name
    if not path.exists():
        raise FontsMissing(f"the font {file_name} is not installed in {font_dir}: run scripts/setup.sh (it installs "
                           "Debian's fonts-noto-core)")
    with TTFont(str(path), lazy=True) as font:
        return frozenset(font.getBestCmap())


def missing_characters(text: str, font_dir: str = FONT_DIR) -> str:
    """The characters of ``text`` the font its script gets cannot draw, in order, each once."""
    script = script_of(text)
    drawn = joined(text)
    cmap = _cmap(script.regular, font_dir)
    missing: list[str] = []
    for char in drawn:
        if char.isspace() or unicodedata.category(char) in ("Cf", "Cc") or ord(char) in cmap:
            continue
        if char not in missing:
            missing.append(char)
    return "".join(missing)


def undrawable(questionnaire: Questionnaire, font_dir: str = FONT_DIR) -> list[Undrawable]:
    """Every word, in every language, that the tablet's fonts cannot draw."""
    found: list[Undrawable] = []
    for code in language_codes(questionnaire):
        shown = translated(questionnaire, code)
        language = language_of(questionnaire, code)
        texts: list[tuple[str, str, str]] = [
            ("the title", "", shown.title), ("the description", "", shown.description),
            ("the language's name", "", language.name),
            ("the word for yes", "", language.yes), ("the word for no", "", language.no)]
        for question in shown.questions:
            where = f"question {question.id!r}"
            texts += [(where, question.id, getattr(question, name))
                      for name in ("text", "help", "low_label", "high_label", "constraint_message")]
            texts += [(f"{where} option {option.value!r}", question.id, option.label) for option in question.options]
        for where, question_id, text in texts:
            if text:
                missing = missing_characters(text, font_dir)
                if missing:
                    found.append(Undrawable(code, where, question_id, missing))
    return found
