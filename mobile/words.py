"""The interface language's words for code that runs without a window: view-models, the sync and
store messages. ``words._("Saved: {what}").format(what=...)`` (format after translating, so the
catalog holds one sentence with its place-holders). The kv rules' ``tr._`` (mobile/ui/i18n.py) is
this same catalog, and its switch changes the language here too. A sentence a view-model built
before a switch stays in the old language until it is built again (the next refresh)."""

from __future__ import annotations

from pathlib import Path

from shared_schemas.catalogs import catalog, languages

LOCALE_DIR = str(Path(__file__).resolve().parent / "locale")
DOMAIN = "tablet"

_state = {"language": "en"}


def _(text: str) -> str:
    """``text`` (English, as written in the code) in the interface language."""
    return catalog(LOCALE_DIR, DOMAIN, _state["language"]).gettext(text)


def interface_languages() -> list[str]:
    """The interface languages there are catalogs for, English first."""
    return languages(LOCALE_DIR, DOMAIN)


def use(code: str) -> None:
    if code not in interface_languages():
        raise ValueError(f"no interface catalog for {code!r}")
    _state["language"] = code


def language() -> str:
    return _state["language"]
