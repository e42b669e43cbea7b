"""The top bar in both orientations (issue 10, build 6): a compact sync chip whose words fit in it
whatever it says, and titles never cut (the portrait bar used to spend 45% of its width on the chip
and cut titles). Measured in the real window against the real server, with the demo's longest
street name and address."""

from __future__ import annotations

import pytest

from .conftest import open_walk_list

pytestmark = [pytest.mark.ui, pytest.mark.slow]

#: The widest share of the bar the sync chip may take.
CHIP_SHARE = {"portrait": 0.22, "landscape": 0.30}


def _whole_text_height(label) -> float:
    """The height ``label``'s text needs at its font and width, every line drawn (nothing cut)."""
    from kivy.core.text import Label as CoreLabel

    core = CoreLabel(text=label.text, font_size=label.font_size, bold=label.bold, font_name=label.font_name,
                     text_size=(label.width, None), padding=label.padding, line_height=label.line_height)
    core.refresh()
    return core.texture.height


def _title_problems(walk, where: str) -> list[str]:
    walk.pump(5)
    title = walk.app.root.ids.title
    problems = []
    if title.shorten and title.texture_size[0] > title.width + 1:
        problems.append(f"{where}: title {title.text!r} is {title.texture_size[0]:.0f} px wide in {title.width:.0f}")
    needed = _whole_text_height(title)
    if needed > title.height + 1 or needed > title.texture_size[1] + 1:
        problems.append(f"{where}: title {title.text!r} needs {needed:.0f} px, is cut to "
                        f"{min(title.height, title.texture_size[1]):.0f}")
    return problems


def _chip_problems(walk, orientation: str) -> list[str]:
    from kivy.metrics import dp

    ids = walk.app.root.ids
    chip, bar = ids.sync_chip, ids.topbar
    problems = []
    if chip.width / bar.width > CHIP_SHARE[orientation]:
        problems.append(f"the sync chip takes {chip.width / bar.width:.0%} of the bar")
    vm, ctx = walk.app.sync_vm, walk.app.ctx
    kept = (vm.rejected, vm.online, vm.waiting, vm.syncing)
    ctx.stop_engine()  # its next report would overwrite the states this puts in the chip
    walk.pump(3)
    try:  # every thing the chip can say, with three-digit counts
        for rejected, online, waiting, syncing in [(0, None, 0, False), (0, False, 0, False), (0, False, 128, False),
                                                   (0, True, 128, True), (128, True, 3, False), (0, True, 0, True)]:
            vm.rejected, vm.online, vm.waiting, vm.syncing = rejected, online, waiting, syncing
            vm._status()
            walk.pump(3)
            walk.shot(f"chip_{orientation}_{chip.text}")
            needed = _whole_text_height(chip)
            if chip.texture_size[0] > chip.width + 1 or needed > chip.height or needed > chip.texture_size[1] + 1:
                problems.append(f"the chip's {chip.text!r} needs {needed:.0f} px high and is cut "
                                f"({chip.texture_size[0]:.0f}x{chip.texture_size[1]:.0f} in {chip.width:.0f}x"
                                f"{chip.height:.0f})")
            if chip.width < dp(48):
                problems.append("the chip is under 48 dp")
    finally:
        vm.rejected, vm.online, vm.waiting, vm.syncing = kept
        vm._status()
        ctx.start_engine()
    return problems


@pytest.mark.parametrize("orientation", ["landscape", "portrait"], indirect=True)
def test_compact_chip_and_whole_titles(walk, orientation):
    open_walk_list(walk)
    app, ctx = walk.app, walk.app.ctx
    problems = _chip_problems(walk, orientation) + _title_problems(walk, "walk list")
    # the pair's longest street name, and the longest address on its streets
    street = max(app.streets_vm.rows, key=lambda r: len(r.name))
    walk.open_street(street.name)
    problems += _title_problems(walk, "street")
    doors = [(h, row) for row in app.streets_vm.rows for h in ctx.store.households_on_street(ctx.operation_id, row.id)]
    door, row = max(doors, key=lambda d: len(d[0].address))
    app.go("streets", reset=True)
    walk.pump(3)
    walk.open_street(row.name)
    walk.tap(walk.door_row(door.address), step="longest_address")
    assert walk.screen.name == "visit"
    problems += _title_problems(walk, "visit")
    walk.shot(f"top_bar_{orientation}")
    walk.tap(app.root.ids.sync_chip, step="sync")
    problems += _title_problems(walk, "sync")
    assert not problems, "\n".join(problems)
