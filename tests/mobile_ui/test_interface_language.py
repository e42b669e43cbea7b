"""The tablet's interface catalogs: every word the app shows through tr._ (and the labels it shows
from shared tables) has a Welsh translation, and switching languages changes what tr._ returns."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def _template():
    spec = importlib.util.spec_from_file_location("tablet_messages", ROOT / "scripts" / "tablet_messages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.template()


def test_every_interface_word_has_a_welsh_translation():
    pot = _template()
    words = {m.id for m in pot if m.id}
    assert {"Save visit", "What happened at the door?", "Answered", "Smoke alarm fitted"} <= words
    with (ROOT / "mobile" / "locale" / "cy" / "LC_MESSAGES" / "tablet.po").open("rb") as f:
        welsh = {m.id: m.string for m in read_po(f, locale="cy") if m.id}
    untranslated = sorted(w for w in words if not welsh.get(w))
    assert not untranslated, f"run scripts/tablet_messages.py and translate: {untranslated}"


def test_the_interface_switches_between_english_and_welsh():
    from mobile.ui.i18n import Interface, interface_languages

    assert interface_languages() == ["en", "cy"]
    tr = Interface()
    assert tr._("Save visit") == "Save visit"
    tr.switch("cy")
    assert tr._("Save visit") == "Cadw'r ymweliad" and tr.other() == "en"
    tr.switch("en")
    assert tr._("Save visit") == "Save visit"


def test_no_kv_rule_shows_words_outside_the_catalog():
    """Every word a kv rule shows goes through tr._ (a bare 'Sync now' would stay English in Welsh)."""
    import re

    bare = []
    for kv in sorted((ROOT / "mobile" / "ui").glob("*.kv")):
        for n, line in enumerate(kv.read_text(encoding="utf-8").splitlines(), 1):
            rule = re.match(r"\s*(text|title|hint_text):\s*(.*)$", line)
            if not rule:
                continue
            outside = re.sub(r"tr\._\((['\"]).*?\1\)", "", rule.group(2))  # what tr._ does not hold
            outside = re.sub(r"(==|!=)\s*(['\"]).*?\2", "", outside)  # codes compared, not shown
            outside = re.sub(r"(['\"])[a-z]+://\S*?\1", "", outside)  # an example address
            words = [w for w in re.findall(r"(['\"])(.*?)\1", outside) if re.search(r"[A-Za-z]{2}", w[1])]
            if words:
                bare.append(f"{kv.name}:{n}: {line.strip()}")
    assert not bare, "wrap these words in tr._(…): " + "; ".join(bare)
