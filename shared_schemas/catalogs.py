"""gettext catalogs, read from their ``.po`` files with Babel: the tablet's interface (English and
Welsh) and the resident's /respond page (every language the demo questionnaire is in).

A catalog is ``<folder>/<language>/LC_MESSAGES/<domain>.po``, the layout ``pybabel`` extracts, updates
and compiles. Catalogs are compiled in memory when first asked for (a few milliseconds), so nothing
generated is kept beside them and a changed ``.po`` is what runs. The source language is English: its
messages are the ``msgid`` themselves, so English needs no catalog.
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=32)
def catalog(folder: str, domain: str, language: str) -> gettext.NullTranslations:
    """The language's translations (English, or a language with no catalog: the messages as written)."""
    path = Path(folder) / language / "LC_MESSAGES" / f"{domain}.po"
    if not path.exists():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as po:
        messages = read_po(po, locale=language, domain=domain)
    compiled = io.BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def languages(folder: str, domain: str) -> list[str]:
    """The languages that have a catalog in ``folder``, English first."""
    found = sorted(p.parent.parent.name for p in Path(folder).glob(f"*/LC_MESSAGES/{domain}.po"))
    return ["en", *[code for code in found if code != "en"]]
