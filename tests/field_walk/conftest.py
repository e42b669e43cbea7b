"""Field walks: a pair's shift on the real app, with real touches in a real Kivy window under Xvfb,
against the real server (`doorstep serve`, uvicorn) and PostGIS with the demo loaded.

Every tap is counted (``Walk.tap``) and every step screenshotted under
``.artifacts/screens/walk_<test>_<NN>_<step>.png``. A test states its task's budget
(``walk.task(name, budget)``); going over it fails, and each task's count goes to
``.artifacts/taps.json``, which ``bench/taps.py`` prints as the tap table. Typing is not counted
(tapping a field to type into it is); scrolling the page to reach something is counted apart.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.mobile_ui.conftest import SCREENS, Driver, is_shown, kivy_window  # noqa: F401  (the window fixture)

ROOT = Path(__file__).resolve().parents[2]
TAPS = ROOT / ".artifacts" / "taps.json"
OPERATION = "Woodhouse StreetSafe"
PASSWORD = "doorstep-demo"
LANDSCAPE, PORTRAIT = (1280, 800), (800, 1280)


class Walk(Driver):
    """A Driver that counts taps and scrolls per task and screenshots every step."""

    def __init__(self, window, app, name: str, size):
        super().__init__(window, app, None)
        self.name = name
        self.size = size
        self.step = 0
        self.taps = 0
        self.scrolls = 0
        self.task_name: str | None = None
        self.budget: int | None = None

    # -- counting -------------------------------------------------------------------------
    def task(self, name: str, budget: int) -> None:
        """Start counting a task (the previous one, if any, is checked and recorded first)."""
        self.end_task()
        self.task_name, self.budget, self.taps, self.scrolls = name, budget, 0, 0

    def end_task(self) -> None:
        if self.task_name is None:
            return
        name, taps, budget, scrolls = self.task_name, self.taps, self.budget, self.scrolls
        self.task_name = None
        record_taps(name, taps, budget, scrolls, "portrait" if self.size == PORTRAIT else "landscape")
        assert taps <= budget, f"{name}: {taps} taps, over the budget of {budget}"

    def tap(self, widget, frames: int = 2, step: str = "") -> None:
        self.taps += 1
        super().tap(widget, frames)
        if _in_scrollview(widget):
            # A ScrollView holds a short touch until it knows it is not a scroll, then hands the
            # press and release to the button from the Clock: wait for that as a person would.
            deadline = time.monotonic() + 0.35
            while time.monotonic() < deadline:
                self.pump(1)
                time.sleep(0.01)
        self.shot(step or _describe(widget))

    def scroll_into_view(self, widget) -> None:
        from kivy.uix.scrollview import ScrollView

        parent = widget.parent
        while parent is not None and parent is not parent.parent:
            is_recycle = any(c.__name__ == "RecycleView" for c in type(parent).__mro__)
            if isinstance(parent, ScrollView) and not is_recycle:
                x, y = widget.to_window(*widget.center)
                px, py = parent.to_window(parent.x, parent.y)
                if not (py + 4 <= y <= py + parent.height - 4):  # off the visible page: a finger scrolls,
                    self.scrolls += 1  # as a person does: the next part of the page to the top half
                    parent.scroll_to(widget, padding=max(40, parent.height * 0.5 - widget.height), animate=False)
                    self.pump(2)
            parent = parent.parent

    def type_text(self, text_input, text: str) -> None:
        """Type into a field already focused by a (counted) tap, as the on-screen keyboard does."""
        text_input.insert_text(text)
        self.pump(2)

    def key(self, code: int) -> None:
        """A hardware key (27: Android's Back, Escape on a desktop): counted as a tap."""
        from kivy.core.window import Window

        self.taps += 1
        Window.dispatch("on_keyboard", code, 0, "", [])
        self.pump(3)
        self.shot(f"key{code}")

    def shot(self, step: str) -> Path:
        self.step += 1
        safe = "".join(ch if ch.isalnum() else "_" for ch in step)[:40].strip("_")
        return self.screenshot(f"walk_{self.name}_{self.step:02d}_{safe}", size=self.size)

    # -- the shift ------------------------------------------------------------------------
    def sign_in(self, username: str = "officer") -> None:
        screen = self.screen
        self.tap(screen.ids.username, step="username")
        self.type_text(screen.ids.username, username)
        self.tap(screen.ids.password, step="password")
        self.type_text(screen.ids.password, PASSWORD)
        self.tap(screen.ids.submit, step="sign_in")
        self.wait_until(lambda: self.screen.name == "operations", timeout=30, message="signed in")
        ops = self.screen
        self.wait_until(lambda: ops.ids.rv.data and not ops.busy, timeout=30, message="operations listed")

    def download_and_open(self) -> None:
        ops = self.screen
        row = self.scroll_rv_to(ops.ids.rv, lambda item: item["name"] == OPERATION)
        if not row.downloaded:
            self.tap(row.ids.download, step="download")
            self.wait_until(lambda: self.app.operations_vm.downloading_id is None, timeout=60, message="pack")
            row = self.scroll_rv_to(ops.ids.rv, lambda item: item["name"] == OPERATION)
        self.tap(row.ids.open, step="open_walk_list")
        self.wait_until(lambda: self.screen.name == "streets", message="walk list")

    def street_row(self, name: str):
        return self.scroll_rv_to(self.screen.ids.rv, lambda item: item["name"] == name)

    def door_row(self, address: str):
        rv = self.screen.ids.rv
        index = next(i for i, item in enumerate(rv.data) if item["address"] == address)
        count = len(rv.data)
        rv.scroll_y = 1.0 if count <= 1 else max(0.0, min(1.0, 1.0 - index / (count - 1)))
        deadline = time.monotonic() + 5
        while True:
            self.pump(1)
            for w in rv.children[0].children:
                if getattr(w, "address", None) == address:
                    x, y = w.to_window(*w.center)
                    if 0 <= y < self.window.height:
                        return w
            assert time.monotonic() < deadline, f"{address} never came into view"

    def open_street(self, name: str) -> None:
        self.tap(self.street_row(name), step=f"street_{name}")
        assert self.screen.name == "street"

    def free_doors(self, count: int = 1) -> list[str]:
        """Addresses on the open street that nobody has knocked yet (other tests share the demo)."""
        rows = [item for item in self.screen.ids.rv.data if item["status"] == "not_knocked" and item["can_visit"]]
        assert len(rows) >= count, "not enough unknocked doors left on this street"
        return [item["address"] for item in rows[:count]]

    def wait_sent(self, timeout: float = 30) -> None:
        store = self.app.ctx.store
        self.wait_until(lambda: not store.outbox_waiting(include_held=True) and not store.outbox_rejected(),
                        timeout=timeout, message="every record sent and acknowledged")


def _in_scrollview(widget) -> bool:
    from kivy.uix.scrollview import ScrollView

    parent = widget.parent
    while parent is not None and parent is not parent.parent:
        if isinstance(parent, ScrollView):
            return True
        parent = parent.parent
    return False


def _describe(widget) -> str:
    return str(getattr(widget, "text", "") or getattr(widget, "address", "") or getattr(widget, "name", "")
               or type(widget).__name__)


def record_taps(task: str, taps: int, budget: int, scrolls: int, orientation: str) -> None:
    TAPS.parent.mkdir(parents=True, exist_ok=True)
    table = json.loads(TAPS.read_text()) if TAPS.exists() else {}
    table[f"{task} ({orientation})"] = {"taps": taps, "budget": budget, "scrolls": scrolls,
                                        "orientation": orientation, "task": task}
    TAPS.write_text(json.dumps(table, indent=2, sort_keys=True))


def make_app(kivy_window, data_dir: Path, server: str, size):  # noqa: F811  (a window, not the fixture)
    from mobile.store import Store
    from mobile.sync import HttpTransport, SyncEngine
    from mobile.ui.app import DoorstepApp
    from mobile.ui.runner import ThreadRunner
    from mobile.viewmodels.context import AppContext

    kivy_window.size = size
    store = Store.open(data_dir / "doorstep.sqlite3")
    ctx = AppContext(store, HttpTransport, SyncEngine, runner=ThreadRunner())
    app = DoorstepApp(ctx, server_url=server, use_gps=False)
    app._run_prepare()
    return app


def close_app(app, kivy_window) -> None:  # noqa: F811
    from kivy.app import App

    app.ctx.stop_engine()
    app.dispatch("on_stop")
    for child in list(kivy_window.children):
        kivy_window.remove_widget(child)
    App._running_app = None
    app.ctx.store.close()


@pytest.fixture(params=["landscape"])
def orientation(request):
    return request.param


@pytest.fixture
def walk(request, kivy_window, tmp_path, live_server, orientation):  # noqa: F811  (the imported fixture)
    """The real app in the window, over a fresh store, against the session's real server."""
    size = PORTRAIT if orientation == "portrait" else LANDSCAPE
    app = make_app(kivy_window, tmp_path, live_server, size)
    name = request.node.name.replace("test_", "", 1)
    w = Walk(kivy_window, app, name, size)
    w.pump(3)
    try:
        yield w
        w.end_task()
    finally:
        close_app(app, kivy_window)
        kivy_window.size = LANDSCAPE
        w.pump(2)


__all__ = ["Walk", "is_shown", "make_app", "close_app", "record_taps", "SCREENS", "os"]


def open_walk_list(w: Walk, username: str = "officer") -> None:
    """Signed in, pack downloaded, walk list open: through the view-models (the sign-in walk taps them)."""
    app = w.app
    app.signin_vm.submit(username=username, password=PASSWORD)
    w.wait_until(lambda: w.screen.name == "operations", timeout=30, message="signed in")
    w.wait_until(lambda: app.operations_vm.rows and not app.operations_vm.busy, timeout=30, message="listed")
    op = next(r for r in app.operations_vm.rows if r.name == OPERATION)
    app.operations_vm.download(op.id)
    w.wait_until(lambda: app.operations_vm.downloading_id is None, timeout=60, message="pack downloaded")
    app.operations_vm.open(op.id)
    w.wait_until(lambda: w.screen.name == "streets", message="walk list")
    # The first pull brings the visits other tests' tablets of the same pair made (the pair's two
    # tablets see each other's): wait for it, as a pair would, so a door they knocked never looks free.
    store = app.ctx.store
    w.wait_until(lambda: store.pull_cursor(op.id) is not None and app.status_kind == "sent", timeout=30,
                 message="the first pull and push done")
    w.pump(3)


def street_with_free_doors(w: Walk, count: int) -> str:
    """A street of the pair's with at least ``count`` doors nobody has knocked (tests share the demo)."""
    ctx = w.app.ctx
    for row in w.app.streets_vm.rows:
        free = [h for h in ctx.store.households_on_street(ctx.operation_id, row.id)
                if str(h.status) == "not_knocked"]
        if len(free) >= count:
            return row.name
    raise AssertionError(f"no street with {count} unknocked doors left")
