"""UI: the sync status on every screen, the sync page, rejections and retry."""

import pytest

pytestmark = pytest.mark.ui


def test_sync_state_changes_and_rejection_is_shown(ui):
    ui.open_walk_list()
    chip = ui.app.root.ids.sync_chip
    ui.wait_until(lambda: ui.app.status_kind == "sent" and chip.text.startswith("All sent"),
                  message="all sent after the first sync")
    ids = ui.app.root.ids
    at_first = (ids.nav_streets.x, ids.nav_map.x, chip.x, chip.width)
    ui.transport.online = False
    ui.transport.reject["visit"] = "household 101 is not in operation 7"

    streets = ui.screen
    ui.tap(ui.rv_row(streets.ids.rv, lambda w: w.name == "Avon Road"))
    ui.tap(ui.rv_row(ui.screen.ids.rv, lambda w: w.address == "1 Avon Road, Bristol"))
    ui.tap_text("Card left")
    ui.wait_until(lambda: ui.screen.name == "street")
    ui.wait_until(lambda: chip.text == "Offline · 1 saved on this tablet" and ui.app.status_kind == "offline",
                  message="one saved on the tablet, offline (not styled as an error)")
    # The chip's words changed; the top bar's buttons stayed where a finger expects them.
    assert (ids.nav_streets.x, ids.nav_map.x, chip.x, chip.width) == at_first
    assert chip.texture_size[0] <= chip.width

    ui.tap(chip)                                   # the status opens the sync page
    sync = ui.screen
    assert sync.name == "sync"
    assert "1 waiting to send" in sync.summary and "Offline" in sync.connection
    assert sync.error                              # what happened and what to do

    ui.transport.online = True
    ui.tap(sync.ids.sync_now)
    ui.wait_until(lambda: sync.vm.rejected == 1 and not sync.syncing, message="rejected")
    ui.wait_until(lambda: ui.app.status_kind == "rejected" and "1 refused" in chip.text)
    row = ui.rv_row(sync.ids.rv, lambda w: w.rejected)
    assert row.reason == "household 101 is not in operation 7" and "coordinator" in row.advice
    ui.screenshot("sync_rejected")

    ui.transport.reject.clear()
    ui.tap(row.ids.retry)
    ui.tap(sync.ids.sync_now)
    ui.wait_until(lambda: sync.vm.waiting == 0 and sync.vm.rejected == 0 and not sync.syncing,
                  message="sent after retry")
    ui.wait_until(lambda: ui.app.status_kind == "sent")
    assert len(ui.transport.pushed) == 1
