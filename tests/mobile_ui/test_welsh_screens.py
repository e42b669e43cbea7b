"""UI under Xvfb: every tablet screen in Welsh, walked as an officer would (sign-in, operations, walk
list, street, a visit with a follow-up, the street's follow-up form, map, sync page, the leave and
sign-out dialogs, the lock screen). On each, no text shown is one of the catalog's English words:
every label, button and hint is compared with each msgid whose Welsh differs (a msgid with
place-holders as a pattern), whole and in its " · " parts. Screenshots: .artifacts/screens/welsh_*.png.

The questionnaire's own words are the resident's language (English here): they are not the app's and
are not in the catalog, so they do not count."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from .support import OP_ID, PASSWORD

pytestmark = pytest.mark.ui

ROOT = Path(__file__).resolve().parents[2]


def _english_patterns() -> list[tuple[str, re.Pattern]]:
    """(msgid, pattern) for every interface word whose Welsh is not the same as its English."""
    with (ROOT / "mobile" / "locale" / "cy" / "LC_MESSAGES" / "tablet.po").open("rb") as f:
        catalog = read_po(f, locale="cy")
    patterns = []
    for m in catalog:
        if not m.id or not m.string or m.string == m.id:
            continue
        parts = re.split(r"\{[a-z_]+\}", m.id)
        if not any(len(p.strip(" .:·,()")) >= 3 for p in parts):
            continue  # all place-holder ("{what}: {outcome} at {address}" keeps "at": too little to say)
        pattern = ".+?".join(re.escape(p) for p in parts)
        patterns.append((m.id, re.compile(f"^{pattern}$", re.S)))
    return patterns


ENGLISH = _english_patterns()


def _shown_texts(window) -> list[str]:
    """Every text the person can see: labels and buttons (and their hints when a field is empty),
    on the current screen, the top bar, the toast and any dialog over them."""
    from kivy.uix.label import Label
    from kivy.uix.textinput import TextInput

    from .conftest import is_shown

    texts = []
    for top in window.children:
        for w in top.walk(restrict=True):
            if not is_shown(w):
                continue
            if isinstance(w, Label) and w.text.strip():
                texts.append(w.text.strip())
            elif isinstance(w, TextInput) and not w.text and w.hint_text:
                texts.append(w.hint_text.strip())
    return texts


def _english_in(texts: list[str]) -> list[tuple[str, str]]:
    found = []
    for text in texts:
        pieces = {text, *(p.strip() for p in re.split(r"\s+·\s+|\n", text) if p.strip())}
        for piece in pieces:
            for msgid, pattern in ENGLISH:
                if pattern.match(piece):
                    found.append((text, msgid))
    return found


def _check(ui, name: str) -> None:
    ui.pump(4)
    ui.screenshot(f"welsh_{name}")
    texts = _shown_texts(ui.window)
    assert len(texts) >= 3, texts  # the walk really is looking at a screen
    english = _english_in(texts)
    assert not english, f"English on the {name} screen: {english}"


def test_every_screen_in_welsh(ui):
    app = ui.app
    _check_setup = ui.screen.name
    assert _check_setup == "signin"
    ui.tap(app.root.ids.interface_language)  # on the sign-in screen, before anyone signs in
    ui.pump(3)
    assert ui.screen.ids.submit.text == "Mewngofnodi"
    _check(ui, "01_signin")

    ui.type_into(ui.screen.ids.username, "officer")
    ui.type_into(ui.screen.ids.password, PASSWORD)
    ui.tap(ui.screen.ids.submit)
    ui.wait_until(lambda: ui.screen.name == "operations", message="signed in")
    ui.settle()
    _check(ui, "02_operations_before_the_pack")
    app.operations_vm.download(OP_ID)
    ui.wait_until(lambda: app.operations_vm.downloading_id is None, message="pack downloaded")
    ui.settle()
    _check(ui, "03_operations")
    ui.tap(ui.button("Agor y rhestr gerdded"))
    ui.wait_until(lambda: ui.screen.name == "streets", message="walk list")
    _check(ui, "04_walk_list")

    ui.tap(ui.rv_row(ui.screen.ids.rv, lambda w: w.name == "Beech Street"))
    assert ui.screen.name == "street"
    _check(ui, "05_street")
    ui.tap(ui.button("Codi cam dilynol ar gyfer y stryd hon"))
    assert ui.screen.name == "street_record"
    ui.tap(ui.screen.card.ids.consent_yes)
    _check(ui, "06_street_followup")
    ui.tap(app.root.ids.back_button)
    ui.pump(3)
    if ui.screen.name != "street":  # the form was started: the leave dialog asks first
        _check(ui, "07_dialog_leave_followup")
        ui.tap(ui.button("Ei daflu", root=app.dialog))
    assert ui.screen.name == "street"

    ui.tap(ui.rv_row(ui.screen.ids.rv, lambda w: w.address == "2 Beech Street, Bristol"))
    ui.tap(ui.button("Atebwyd"))
    visit = ui.screen
    _check(ui, "08_visit")
    ui.tap(visit.ids.add_followup)
    [draft] = visit.vm.followups
    card = visit.card(draft.id)
    ui.tap(card.ids.consent_yes)
    visit.ids.scroll.scroll_to(card, animate=False)
    ui.tap(visit.ids.save)  # what is missing, said in Welsh
    assert visit.vm.errors
    visit.ids.scroll.scroll_to(card, animate=False)
    _check(ui, "09_visit_followup_and_errors")

    ui.tap(app.root.ids.nav_map)  # leaving a visit in progress asks first
    _check(ui, "10_dialog_leave_visit")
    ui.tap(ui.button("Cadw fel drafft", root=app.dialog))
    ui.wait_until(lambda: ui.screen.name == "map", message="map")
    _check(ui, "11_map")

    app.go("sync")
    ui.pump(3)
    _check(ui, "12_sync")

    app.go("operations", reset=True)
    ui.pump(3)
    ui.tap(ui.button("Allgofnodi"))  # a draft is kept: the dialog says so
    _check(ui, "13_dialog_sign_out")
    ui.tap(ui.button("Aros wedi mewngofnodi", root=app.dialog))

    app.lock_vm.lock()  # as the clock would after five minutes untouched
    ui.pump(3)
    assert ui.screen.name == "lock"
    _check(ui, "14_lock")
