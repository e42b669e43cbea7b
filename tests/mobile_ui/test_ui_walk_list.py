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
