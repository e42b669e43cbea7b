"""Fixtures for the app's view-model tests (no window) and UI tests (a real Kivy window).

View-model tests get an AppContext over a real SQLite store, the real sync engine
and a fake server (support.FakeTransport), with an InlineRunner: no window, no clock.

UI tests (marked ``ui``) open one real 1280x800 Kivy window on the DISPLAY they
are given (``make test`` starts Xvfb), build a fresh DoorstepApp per test and
drive it with real touch events (kivy.tests.common.UnitTestTouch).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from tests.support import eventually

# Before Kivy is imported anywhere: no argv parsing, a throw-away home, quiet console.
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="doorstep-kivy-home-"))
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")

from .support import FakeTransport, make_pack  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / ".artifacts" / "screens"
WIDTH, HEIGHT = 1280, 800


# ---------------------------------------------------------------- view-model fixtures


@pytest.fixture
def store(tmp_path):
    from mobile.store import Store

    s = Store.open(tmp_path / "store.sqlite3")
    yield s
    s.close()


@pytest.fixture
def transport():
    return FakeTransport(make_pack())


@pytest.fixture
def ctx(store, transport):
    from mobile.sync import SyncEngine
    from mobile.viewmodels.base import InlineRunner
    from mobile.viewmodels.context import AppContext

    c = AppContext(store, lambda url: transport, SyncEngine, runner=InlineRunner())
    yield c
    c.stop_engine()


@pytest.fixture
def signed_in(ctx):
    """Signed in as ``officer`` with the pack downloaded and the operation open."""
    from mobile.viewmodels.operations import OperationsViewModel
    from mobile.viewmodels.signin import SignInViewModel

    vm = SignInViewModel(ctx, "http://fake")
    vm.submit(username="officer", password="doorstep-demo")
    assert vm.error == "" and ctx.session is not None
    ops = OperationsViewModel(ctx)
    ops.refresh()
    ops.download(make_pack().operation.id)
    assert ops.error == ""
    ops.open(make_pack().operation.id)
    assert ctx.pair is not None
    return ctx


# ---------------------------------------------------------------- the window


@pytest.fixture(scope="session")
def kivy_window():
    if not os.environ.get("DISPLAY"):
        pytest.skip("UI tests need an X display: `make test` starts Xvfb; or run `Xvfb :97 -screen 0 1280x800x24 &` "
                    "and set DISPLAY=:97")
    from kivy.config import Config

    Config.set("graphics", "width", str(WIDTH))
    Config.set("graphics", "height", str(HEIGHT))
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("graphics", "maxfps", "0")  # do not sleep between frames in tests
    for key, _ in Config.items("input"):
        Config.remove_option("input", key)  # only our synthetic touches

    from kivy.base import EventLoop
    from kivy.core.window import Window

    EventLoop.ensure_window()
    Window.size = (WIDTH, HEIGHT)
    EventLoop.start()
    SCREENS.mkdir(parents=True, exist_ok=True)
    yield Window


class Driver:
    """Drives a DoorstepApp in the real window: taps, typing, waiting, screenshots."""

    def __init__(self, window, app, transport):
        self.window = window
        self.app = app
        self.transport = transport

    # -- frames ----------------------------------------------------------------------
    def pump(self, frames: int = 3) -> None:
        from kivy.base import EventLoop

        for _ in range(frames):
            EventLoop.idle()

    def wait_until(self, condition, timeout: float = 10.0, message: str = "") -> None:
        """Pump frames until ``condition()`` is true (background work lands via the Clock)."""

        def pumped() -> bool:
            self.pump(1)
            return bool(condition())

        eventually(pumped, timeout=timeout, interval=0.01, what=message or repr(condition))
        self.pump(2)

    def settle(self) -> None:
        """Let background work finish and its results reach the screen."""
        runner = self.app.ctx.runner
        self.wait_until(lambda: not getattr(runner, "busy", False), message="background work")

    # -- finding ------------------------------------------------------------------------
    @property
    def screen(self):
        return self.app.sm.current_screen

    def find(self, predicate, root=None):
        """Every visible widget under ``root`` (default: the window) matching ``predicate``."""
        root = root or self.app.root
        found = []
        for w in root.walk(restrict=True):
            if predicate(w) and is_shown(w):
                found.append(w)
        return found

    def button(self, text: str, root=None):
        """The one shown button (or toggle) whose text is ``text``."""
        from kivy.uix.button import Button

        matches = self.find(lambda w: isinstance(w, Button) and w.text == text, root)
        assert matches, f"no shown button {text!r} on {self.screen.name}"
        return matches[0]

    def rv_row(self, rv, predicate):
        """The shown RecycleView row (a view widget) matching ``predicate``."""
        self.pump(2)
        layout = rv.children[0]
        for w in layout.children:
            if predicate(w):
                return w
        raise AssertionError("no matching row in the list")

    def scroll_rv_to(self, rv, predicate_on_data, timeout: float = 5.0):
        """Scroll a RecycleView to the first data item matching ``predicate_on_data`` (as a finger
        would) and return its view once it is laid out inside the window."""
        index = next(i for i, item in enumerate(rv.data) if predicate_on_data(item))
        item = rv.data[index]
        count = len(rv.data)
        rv.scroll_y = 1.0 if count <= 1 else max(0.0, min(1.0, 1.0 - index / (count - 1)))
        deadline = time.monotonic() + timeout
        while True:
            self.pump(1)
            for w in rv.children[0].children:
                if all(getattr(w, k, None) == v for k, v in item.items() if k in ("op_id", "name")):
                    x, y = w.to_window(*w.center)
                    if 0 <= y < self.window.height:
                        return w
            assert time.monotonic() < deadline, f"{item} never came into view"

    # -- touching -------------------------------------------------------------------------
    def tap(self, widget, frames: int = 2) -> None:
        """A real touch down and up at the centre of ``widget``."""
        from kivy.tests.common import UnitTestTouch

        self.pump(1)
        assert is_shown(widget), f"{widget} is not shown"

        def reachable() -> tuple[float, float, str]:
            """Where a finger would touch, and what (if anything) stops it touching there."""
            x, y = widget.to_window(*widget.center)
            if not (0 <= x < self.window.width and 0 <= y < self.window.height):
                return x, y, f"outside the window at {(x, y)}"
            for clip in _clipping_ancestors(widget):
                cx, cy = clip.to_window(clip.x, clip.y)
                if not (cx <= x <= cx + clip.width and cy <= y <= cy + clip.height):
                    return x, y, f"{getattr(widget, 'text', widget)!r} is scrolled out of view"
            return x, y, ""

        # A page that was just built is laid out (and scrolled) over the next frames; on a busy
        # machine that takes more than one. Scroll and wait, bounded, as a person waits for the screen.
        deadline = time.monotonic() + 5
        while True:
            self.scroll_into_view(widget)
            x, y, problem = reachable()
            if not problem or time.monotonic() > deadline:
                break
            self.pump(1)
        assert not problem, problem
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.pump(1)
        touch.touch_up()
        self.pump(frames)

    def scroll_into_view(self, widget) -> None:
        """Scroll every ScrollView above ``widget`` so that it is visible (as a finger would)."""
        from kivy.uix.scrollview import ScrollView

        parent = widget.parent
        while parent is not None and parent is not parent.parent:
            # (kv's Factory may load RecycleView as kivy.uix.recycleview.__init__: compare by name)
            is_recycle = any(c.__name__ == "RecycleView" for c in type(parent).__mro__)
            if isinstance(parent, ScrollView) and not is_recycle:
                parent.scroll_to(widget, padding=10, animate=False)
                self.pump(2)
            parent = parent.parent

    def tap_text(self, text: str, root=None) -> None:
        self.tap(self.button(text, root))

    def type_into(self, text_input, text: str) -> None:
        """Focus a TextInput with a tap, then type (as the on-screen keyboard would insert)."""
        self.tap(text_input)
        text_input.select_all()
        text_input.delete_selection()
        text_input.insert_text(text)
        self.pump(2)

    def drag(self, start, end, steps: int = 8) -> None:
        from kivy.tests.common import UnitTestTouch

        touch = UnitTestTouch(*start)
        touch.touch_down()
        self.pump(1)
        for i in range(1, steps + 1):
            touch.touch_move(start[0] + (end[0] - start[0]) * i / steps, start[1] + (end[1] - start[1]) * i / steps)
            self.pump(1)
        touch.touch_up()
        self.pump(2)

    # -- set-up shortcuts (the sign-in test does these with touches) ------------------
    def open_walk_list(self, username: str = "officer") -> None:
        """Sign in, download the pack and open the walk list through the view-models."""
        from .support import OP_ID, PASSWORD

        app = self.app
        app.signin_vm.submit(username=username, password=PASSWORD)
        self.wait_until(lambda: self.screen.name == "operations", message="signed in")
        self.settle()
        app.operations_vm.download(OP_ID)
        self.wait_until(lambda: app.operations_vm.downloading_id is None, message="pack downloaded")
        self.settle()
        app.operations_vm.open(OP_ID)
        self.wait_until(lambda: self.screen.name == "streets", message="walk list")
        self.pump(3)

    # -- evidence --------------------------------------------------------------------------
    def screenshot(self, name: str, *, size=(WIDTH, HEIGHT)) -> Path:
        """Save the window as .artifacts/screens/<name>.png (1280x800 unless told)."""
        self.pump(3)
        assert tuple(self.window.size) == tuple(size), self.window.size
        target = SCREENS / f"{name}.png"
        written = self.window.screenshot(name=str(target))
        Path(written).replace(target)
        return target


def _clipping_ancestors(widget):
    from kivy.uix.stencilview import StencilView

    parent = widget.parent
    while parent is not None and parent is not parent.parent:
        if isinstance(parent, StencilView):
            yield parent
        parent = parent.parent


def is_shown(widget) -> bool:
    """Visible on screen: every ancestor is shown, opaque and sized, and on the current screen."""
    from kivy.uix.screenmanager import Screen, ScreenManager

    w = widget
    while w is not None:
        if getattr(w, "opacity", 1) == 0 or w.width <= 0 or w.height <= 0:
            return False
        parent = w.parent
        if isinstance(parent, ScreenManager) and isinstance(w, Screen) and parent.current_screen is not w:
            return False
        if parent is w:
            break
        w = parent
    return True


@pytest.fixture
def ui(kivy_window, tmp_path):
    """A fresh DoorstepApp in the window, over a real store and the fake server."""
    from kivy.app import App

    from mobile.store import Store
    from mobile.sync import SyncEngine
    from mobile.ui.app import DoorstepApp
    from mobile.ui.runner import ThreadRunner
    from mobile.viewmodels.context import AppContext

    kivy_window.size = (WIDTH, HEIGHT)
    transport = FakeTransport(make_pack())
    store = Store.open(tmp_path / "app.sqlite3")
    ctx = AppContext(store, lambda url: transport, SyncEngine, runner=ThreadRunner())
    app = DoorstepApp(ctx, server_url="http://127.0.0.1:8000", use_gps=False)
    app._run_prepare()
    app.visit_vm.undo_seconds = 0  # the fake server's tests send at once; tests/field_walk covers Undo
    driver = Driver(kivy_window, app, transport)
    driver.pump(3)
    try:
        yield driver
    finally:
        transport.gate = None
        ctx.stop_engine()
        app.dispatch("on_stop")
        for child in list(kivy_window.children):
            kivy_window.remove_widget(child)
        App._running_app = None
        driver.pump(2)
        store.close()
