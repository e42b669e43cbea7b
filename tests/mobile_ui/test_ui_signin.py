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



def _below_the_top(widget) -> float:
    """How far ``widget`` sits below the top of the page it is on (the page may scroll: a tap that
    focuses a field scrolls it into view, which moves everything alike and is not what is measured)."""
    return widget.parent.top - widget.top


def test_sign_in_stays_where_it_is_while_the_username_is_typed(ui):
    """The PIN field keeps its place whatever the username: enabled while the name typed has no PIN on
    this tablet, disabled (saying why) otherwise. It used to appear with the first letter typed and move
    Sign in down 88 px, where a tap meant for Sign in landed in the PIN field."""
    screen = ui.screen
    submit = screen.ids.submit
    at = _below_the_top(submit)
    pin = screen.ids.pin
    assert pin.disabled and pin.hint_text == "Type your username first"
    ui.app.ctx.store.has_pin = lambda name: name == "pinned"  # a user who chose a PIN here before
    ui.type_into(screen.ids.username, "officer")
    ui.pump(3)
    assert not pin.disabled and pin.hint_text == ""
    assert _below_the_top(submit) == at
    ui.screenshot("signin_pin_asked")
    ui.type_into(screen.ids.username, "pinned")
    ui.pump(3)
    assert pin.disabled and pin.hint_text == "You already have a PIN on this tablet"
    assert _below_the_top(submit) == at
    ui.screenshot("signin_pin_already_chosen")
