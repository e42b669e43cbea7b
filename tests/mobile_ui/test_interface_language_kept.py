"""UI under Xvfb: the interface language is switched on the sign-in screen (the top bar's switch is
there before anyone signs in) and the app opens in it again after a restart (the store's settings)."""

from __future__ import annotations

import pytest

from .conftest import HEIGHT, WIDTH, Driver
from .support import FakeTransport, make_pack

pytestmark = pytest.mark.ui


def _start(window, path):
    from mobile.store import Store
    from mobile.sync import SyncEngine
    from mobile.ui.app import DoorstepApp
    from mobile.ui.runner import ThreadRunner
    from mobile.viewmodels.context import AppContext

    transport = FakeTransport(make_pack())
    store = Store.open(path)
    ctx = AppContext(store, lambda url: transport, SyncEngine, runner=ThreadRunner())
    app = DoorstepApp(ctx, server_url="http://127.0.0.1:8000", use_gps=False)
    app._run_prepare()
    driver = Driver(window, app, transport)
    driver.pump(3)
    return driver


def _stop(driver) -> None:
    from kivy.app import App

    app = driver.app
    app.ctx.stop_engine()
    app.dispatch("on_stop")
    for child in list(driver.window.children):
        driver.window.remove_widget(child)
    App._running_app = None
    driver.pump(2)
    app.ctx.store.close()


def test_the_interface_language_is_chosen_at_sign_in_and_kept_across_restarts(kivy_window, tmp_path):
    from mobile.ui.i18n import tr

    kivy_window.size = (WIDTH, HEIGHT)
    path = tmp_path / "app.sqlite3"
    ui = _start(kivy_window, path)
    try:
        assert ui.screen.name == "signin" and ui.screen.ids.submit.text == "Sign in"
        switch = ui.app.root.ids.interface_language
        assert switch.text == "Cymraeg" and switch.opacity == 1 and not switch.disabled
        ui.tap(switch)
        ui.pump(3)
        assert ui.screen.ids.submit.text == "Mewngofnodi" and ui.app.screen_title == "Doorstep: mewngofnodi"
        assert switch.text == "English"  # the way back, by its own name
        ui.screenshot("language_signin_welsh")
    finally:
        _stop(ui)
    tr.switch("en")  # as a fresh process would be: only the store remembers

    ui = _start(kivy_window, path)  # the app started again
    try:
        assert tr.language == "cy" and ui.screen.ids.submit.text == "Mewngofnodi"
        assert ui.app.root.ids.interface_language.text == "English"
        ui.tap(ui.app.root.ids.interface_language)  # back to English, kept too
        ui.pump(3)
        assert ui.screen.ids.submit.text == "Sign in"
    finally:
        _stop(ui)
    ui = _start(kivy_window, path)
    try:
        assert tr.language == "en" and ui.screen.ids.submit.text == "Sign in"
    finally:
        _stop(ui)
