"""UI: the map draws the pack's streets and doors; pan, pinch-zoom and tap a door."""

import pytest

pytestmark = pytest.mark.ui


def test_map_pan_pinch_and_tap_a_door(ui):
    from kivy.tests.common import UnitTestTouch

    ui.open_walk_list()
    ui.app.streets_vm.open(11)
    ui.app.visit_vm.start(101)
    ui.app.visit_vm.choose_outcome("no_answer")          # one door coloured as "knock again"
    ui.settle()
    ui.tap(ui.app.root.ids.nav_map)
    screen = ui.screen
    assert screen.name == "map"
    vm, widget = screen.vm, screen.ids.map
    assert vm.street_count == 4 and vm.door_count == 16
    assert set(vm.screen_doors()) == {"not_knocked", "revisit", "other_pair"}  # Dale Lane is the other pair's
    legend = screen.ids.legend
    assert all(w.right <= legend.right + 1 and w.x >= legend.x - 1 for w in legend.children)
    ui.screenshot("map")

    # pinch: two fingers apart around the middle zooms in about that point
    cx, cy = widget.to_window(*widget.center)
    a, b = UnitTestTouch(cx - 50, cy), UnitTestTouch(cx + 50, cy)
    a.touch_down()
    b.touch_down()
    ui.pump(1)
    for step in range(1, 6):
        b.touch_move(cx + 50 + step * 20, cy)
        ui.pump(1)
    a.touch_up()
    b.touch_up()
    ui.pump(2)
    assert vm.zoom_level == pytest.approx(2.0, rel=0.05)

    # pan: one finger drags the map
    before = (vm.offset_x, vm.offset_y)
    ui.drag((cx, cy), (cx - 120, cy + 40))
    assert vm.offset_x == pytest.approx(before[0] - 120, abs=2) and vm.offset_y == pytest.approx(before[1] + 40, abs=2)

    # zoomed in: doors show their numbers, and no label overlaps another
    ui.tap(screen.ids.fit)
    first = next(d for d, x, y in vm._data.doors if d.id == 102)
    vm.zoom(4, *vm.lonlat_to_screen(first.lon, first.lat))  # as a pinch on that door would
    ui.tap(screen.ids.zoom_in)
    ui.pump(3)
    numbers = [key for key, *_ in widget.placed if key[0] == "door"]
    assert numbers, "no door numbers drawn when zoomed in"
    boxes = [(x, y, w, h) for _, x, y, w, h in widget.placed]
    assert not any(a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]
                   for i, a in enumerate(boxes) for b in boxes[i + 1:])
    ui.screenshot("map_door_numbers")

    # tap a door: opens that door (its street behind it)
    ui.tap(screen.ids.fit)
    door = next(d for d, x, y in vm._data.doors if d.id == 103)
    sx, sy = vm.lonlat_to_screen(door.lon, door.lat)
    touch = UnitTestTouch(*widget.to_window(widget.x + sx, widget.y + sy))
    touch.touch_down()
    ui.pump(1)
    touch.touch_up()
    ui.pump(3)
    assert ui.screen.name == "visit" and ui.app.visit_vm.household_id == 103
    ui.app.back()
    ui.pump(2)
    assert ui.screen.name == "street" and ui.app.street_vm.street_id == 11


def test_street_fix_from_the_street_screen(ui):
    ui.open_walk_list()
    ui.tap(ui.rv_row(ui.screen.ids.rv, lambda w: w.name == "Beech Street"))
    ui.tap(ui.screen.ids.log_fix)
    assert ui.screen.name == "street_record"
    ui.tap_text("Graffiti removed")
    ui.wait_until(lambda: ui.screen.name == "street", message="saved")
    assert ui.app.toast == "Saved: Graffiti removed on Beech Street"
    ui.wait_until(lambda: len(ui.transport.pushed) == 1, message="sent")
    ui.screenshot("street_fix_saved")
