"""UI: the walk list, searched by typing and sorted by distance once a position is known."""

import pytest

from mobile.viewmodels.map import Position

pytestmark = pytest.mark.ui


def _names(screen):
    return [row["name"] for row in screen.ids.rv.data]


def test_search_and_distance_sort(ui):
    ui.open_walk_list()
    screen = ui.screen
    assert _names(screen) == ["Avon Road", "Beech Street", "Cedar Close"]
    assert screen.ids.sort_distance.disabled          # no position on a desktop: name order only
    ui.type_into(screen.ids.search, "bee")
    assert _names(screen) == ["Beech Street"]
    ui.type_into(screen.ids.search, "")

    ui.app.ctx.set_position(Position(lon=-2.5485, lat=51.4572, accuracy_m=8))  # GPS fix on Cedar Close
    ui.pump(3)
    assert not screen.ids.sort_distance.disabled
    ui.tap(screen.ids.sort_distance)
    assert _names(screen)[0] == "Cedar Close"
    row = ui.rv_row(screen.ids.rv, lambda w: w.name == "Cedar Close")
    assert row.distance.endswith(" m")
    ui.screenshot("walk_list_by_distance")
    ui.tap(ui.app.root.ids.nav_map)
    assert ui.app.map_vm.screen_position() is not None  # the tablet's dot on the map


def test_walk_list_and_street_count_doors_by_one_rule(ui):
    """A door is knocked once a visit that counts is saved (shared_schemas.doors): a draft is none,
    nor a visit the server refused. The walk list and the street say the same, and name the draft."""
    from mobile.ui.dialogs import ChoiceDialog

    def door(address):
        return ui.rv_row(ui.screen.ids.rv, lambda w: w.address == address)

    def no_answer(address):
        ui.tap(door(address))
        ui.tap_text("No answer")
        ui.wait_until(lambda: ui.screen.name == "street", message="back on the street")

    ui.open_walk_list()
    ui.tap(ui.rv_row(ui.screen.ids.rv, lambda w: w.name == "Avon Road"))
    no_answer("1 Avon Road, Bristol")                                      # knocked
    store = ui.app.ctx.store
    ui.wait_until(lambda: not store.outbox_waiting(include_held=True), message="sent")
    ui.transport.reject["visit"] = "operation closed"
    no_answer("2 Avon Road, Bristol")                                      # refused: not counted
    ui.wait_until(lambda: store.outbox_rejected(), message="refused by the server")
    ui.transport.reject.clear()
    ui.tap(door("3 Avon Road, Bristol"))
    ui.tap_text("Answered")                                                # in progress: a draft
    ui.tap(ui.app.root.ids.nav_streets)
    [dialog] = [c for c in ui.window.children if isinstance(c, ChoiceDialog)]
    ui.tap(ui.button("Keep as draft", root=dialog))
    ui.wait_until(lambda: ui.screen.name == "streets", message="the walk list")
    row = ui.rv_row(ui.screen.ids.rv, lambda w: w.name == "Avon Road")
    assert row.counts == "1 / 4 knocked · 1 draft"
    assert ui.screen.totals == "3 streets · 1 / 12 doors knocked · 1 draft"
    ui.screenshot("walk_list_counts_a_draft_apart")
    ui.tap(row)
    street = ui.screen
    assert street.name == "street" and street.summary == "1 / 4 knocked · 0 closed · 1 draft"
    assert door("3 Avon Road, Bristol").status_text == "Draft: tap to carry on"
    assert door("2 Avon Road, Bristol").status_text == "Refused by the server"
    ui.screenshot("street_counts_a_draft_apart")
