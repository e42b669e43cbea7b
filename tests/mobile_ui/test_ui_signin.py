"""UI: sign in with real touches in a real window."""

import pytest

pytestmark = pytest.mark.ui


def test_sign_in_and_download_pack(ui):
    screen = ui.screen
    assert screen.name == "signin"
    ui.type_into(screen.ids.username, "officer")
    ui.type_into(screen.ids.password, "doorstep-demo")
    ui.tap(screen.ids.submit)
    ui.wait_until(lambda: ui.screen.name == "operations", message="operations screen")
    ops = ui.screen
    ui.wait_until(lambda: ops.ids.rv.data, message="operations listed")
    row = ui.rv_row(ops.ids.rv, lambda w: w.name == "Easton StreetSafe")
    import threading

    open_at = row.ids.open.to_window(*row.ids.open.center)
    ui.transport.gate = threading.Event()            # hold the server mid-download
    ui.tap(row.ids.download)
    row = ui.rv_row(ops.ids.rv, lambda w: w.name == "Easton StreetSafe")
    assert row.downloading and row.ids.download.text == "Downloading…" and row.ids.download.disabled
    ui.screenshot("operations_downloading")
    ui.transport.gate.set()
    ui.wait_until(lambda: ui.app.operations_vm.downloading_id is None and ops.ids.rv.data[0]["downloaded"],
                  message="pack downloaded")
    row = ui.rv_row(ops.ids.rv, lambda w: w.name == "Easton StreetSafe")
    assert "PC Sam Patel (Avon and Somerset Police)" in row.pair
    assert "Cllr Jo Evans (Bristol City Council)" in row.pair
    # "Pack downloaded" and the pair appeared; "Open walk list" is where it was, under the finger.
    assert ops.info and row.ids.open.to_window(*row.ids.open.center) == open_at
    ui.screenshot("operations")

