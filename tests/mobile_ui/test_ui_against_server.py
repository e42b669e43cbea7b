"""UI end to end: the real app, with real touches, against the real server (uvicorn + PostGIS, demo data).

Needs DATABASE_URL (``make test`` sets it) for the shared ``live_server`` fixture.
"""

import pytest

pytestmark = [pytest.mark.ui, pytest.mark.slow]


@pytest.fixture
def real_ui(kivy_window, tmp_path, live_server):
    from kivy.app import App

    from mobile.store import Store
    from mobile.sync import HttpTransport, SyncEngine
    from mobile.ui.app import DoorstepApp
    from mobile.ui.runner import ThreadRunner
    from mobile.viewmodels.context import AppContext

    from .conftest import Driver

    kivy_window.size = (1280, 800)
    store = Store.open(tmp_path / "e2e.sqlite3")
    ctx = AppContext(store, HttpTransport, SyncEngine, runner=ThreadRunner())
    app = DoorstepApp(ctx, server_url=live_server, use_gps=False)
    app._run_prepare()
    driver = Driver(kivy_window, app, None)
    driver.pump(3)
    try:
        yield driver
    finally:
        ctx.stop_engine()
        app.dispatch("on_stop")
        for child in list(kivy_window.children):
            kivy_window.remove_widget(child)
        App._running_app = None
        driver.pump(2)
        store.close()


def test_sign_in_download_and_no_answer_against_the_server(real_ui):
    ui = real_ui
    screen = ui.screen
    ui.type_into(screen.ids.username, "officer")
    ui.type_into(screen.ids.password, "doorstep-demo")
    ui.tap(screen.ids.submit)
    ui.wait_until(lambda: ui.screen.name == "operations", timeout=30, message="signed in")
    ops = ui.screen
    ui.wait_until(lambda: ops.ids.rv.data and not ops.busy, timeout=30, message="operations listed")
    ui.pump(3)
    # Other tests leave operations of their own in the shared test database: find the demo's.
    row = ui.scroll_rv_to(ops.ids.rv, lambda item: item["name"] == "Woodhouse StreetSafe")
    ui.tap(row.ids.download)
    ui.wait_until(lambda: ui.app.operations_vm.downloading_id is None, timeout=60, message="pack")
    mine = ui.scroll_rv_to(ops.ids.rv, lambda item: item["name"] == "Woodhouse StreetSafe")
    assert mine.pair, "officer is on no pair of the demo operation"
    assert "Police" in mine.pair
    ui.tap(mine.ids.open)
    ui.wait_until(lambda: ui.screen.name == "streets", message="walk list")
    streets = ui.screen
    first = ui.rv_row(streets.ids.rv, lambda w: True)
    ui.tap(first)
    street = ui.screen
    door = ui.rv_row(street.ids.rv, lambda w: w.can_visit)
    address = door.address
    ui.tap(door)
    ui.tap_text("No answer")
    ui.wait_until(lambda: ui.screen.name == "street", message="saved")
    store = ui.app.ctx.store
    ui.wait_until(lambda: not store.outbox_waiting(include_held=True) and not store.outbox_rejected(), timeout=30,
                  message="sent to the server")
    row = ui.rv_row(street.ids.rv, lambda w: w.address == address)
    assert row.status in ("revisit", "done")
    ui.wait_until(lambda: ui.app.status_kind == "sent" and ui.app.root.ids.sync_chip.text.startswith("All sent"),
                  timeout=15)
    ui.screenshot("e2e_street_after_no_answer")
