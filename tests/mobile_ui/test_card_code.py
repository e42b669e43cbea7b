"""UI under Xvfb: the code for the card left at a door is on the visit page before Card left is
tapped (to write on the card), and stays readable after: on the street's door row and in the door's
"Earlier here" (the toast that also says it goes after a few seconds). Screenshots card_code_*."""

from __future__ import annotations

import pytest

from shared_schemas import cards

pytestmark = pytest.mark.ui


def test_the_card_code_is_shown_to_write_and_kept_on_the_door(ui):
    ui.open_walk_list()
    ui.tap(ui.rv_row(ui.screen.ids.rv, lambda w: w.name == "Cedar Close"))
    address = "1 Cedar Close, Bristol"
    ui.tap(ui.rv_row(ui.screen.ids.rv, lambda w: w.address == address))
    visit = ui.screen
    code = cards.shown(visit.vm.card_code)
    line = visit.ids.card_code
    assert line.text == f"Leaving a card? Write this code on it: {code}" and line.opacity == 1 and line.height > 0
    ui.screenshot("card_code_1_before_card_left")
    ui.tap_text("Card left")
    ui.wait_until(lambda: ui.screen.name == "street", message="saved at once")
    assert code in ui.app.toast
    row = ui.rv_row(ui.screen.ids.rv, lambda w: w.address == address)
    assert f"Card code {code}" in row.others
    ui.screenshot("card_code_2_on_the_street")
    ui.app._toast_ended()  # the toast has gone: the door still says it

    ui.tap(row)
    again = ui.screen
    assert again.name == "visit" and again.vm.attempts[0].text.endswith(f"Card code {code}")
    assert any(f"Card code {code}" in w.text for w in again.ids.attempts.children if hasattr(w, "text"))
    new_code = cards.shown(again.vm.card_code)
    assert new_code != code and again.ids.card_code.text.endswith(new_code)  # a new card, a new code
    ui.screenshot("card_code_3_the_door_again")
    ui.tap_text("Answered")
    assert again.ids.card_code.text == "" and again.ids.card_code.height == 0  # not leaving a card
