"""UI: a store this tablet cannot open (copied from another device, its key gone, damaged) is
named for what it is, and the one way on keeps it aside (renamed, never deleted)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.ui


def test_a_store_without_its_key_is_explained_then_kept_aside_for_a_fresh_start(kivy_window, tmp_path):
    from kivy.app import App

    from mobile.store import Store
    from mobile.store.keys import FileKeys
    from mobile.ui.app import STORE_FILE, DoorstepApp
    from mobile.ui.store_problem import StoreProblem

    from .conftest import Driver

    with Store.open(tmp_path / STORE_FILE, keys=FileKeys(tmp_path / "another-device-keys")) as store:
        store.remember_sign_in("officer", "doorstep-demo", "token", 60, {"username": "officer"})
    app = DoorstepApp(server_url="http://127.0.0.1:9", data_dir=tmp_path, use_gps=False)
    app._run_prepare()
    ui = Driver(kivy_window, app, None)
    try:
        ui.pump(3)
        assert isinstance(app.root, StoreProblem)
        assert "no key for it on this device" in app.root.ids.message.text
        ui.screenshot("store_problem")
        ui.tap(app.root.ids.set_aside)
        ui.screenshot("store_problem_confirm")
        [confirm] = [w for w in kivy_window.children if type(w).__name__ == "ChoiceDialog"]
        ui.tap(ui.button("Keep it aside and start afresh", root=confirm))
        ui.wait_until(lambda: not isinstance(app.root, StoreProblem), message="a fresh store")
        assert app.sm.current == "signin"
        aside = [p.name for p in tmp_path.iterdir() if ".unreadable-" in p.name]
        assert any(name.endswith(".id") for name in aside) and any(not name.endswith(".id") for name in aside)
        assert app.ctx.store.current_session() is None  # a new, empty store
        ui.screenshot("store_problem_fresh")
    finally:
        app.dispatch("on_stop")
        for child in list(kivy_window.children):
            kivy_window.remove_widget(child)
        App._running_app = None
        ui.pump(2)
