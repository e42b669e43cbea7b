"""Languages' names, from Babel's CLDR data: in their own words for a resident's language switch, in
English for staff (a partner reading how to contact a resident)."""

from __future__ import annotations

from functools import lru_cache

from shared_schemas.communication import BSL


@lru_cache(maxsize=256)
def own_name(code: str) -> str:
    """"cy" -> "Cymraeg", "pl" -> "Polski"; the code itself when Babel does not know it."""
    return _name(code, code)


@lru_cache(maxsize=256)
def english_name(code: str) -> str:
    """"pl" -> "Polish", "bfi" -> "British Sign Language"."""
    if code == BSL:
        return "British Sign Language"
    return _name(code, "en")


def _name(code: str, in_language: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(in_language.replace("-", "_")) or code
    except (UnknownLocaleError, ValueError):
        return code
    return name[:1].upper() + name[1:]
