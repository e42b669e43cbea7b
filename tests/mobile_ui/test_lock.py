"""The idle lock and the days-offline rule: a view-model driven with a fake clock (no window), and
the real window showing nothing but the lock screen, unlocked with a PIN by real touches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from .support import PASSWORD

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


class FakeClock:
    """Both clocks the lock reads: a monotonic one for idleness, the wall clock for days offline."""

    def __init__(self) -> None:
        self.seconds = 1000.0
        self.wall = T0

    def monotonic(self) -> float:
        return self.seconds

    def now(self) -> datetime:
        return self.wall

    def advance(self, **delta) -> None:
        step = timedelta(**delta)
        self.seconds += step.total_seconds()
        self.wall += step


@pytest.fixture
def clock(ctx):
    fake = FakeClock()
    ctx.now = fake.now
    return fake


@pytest.fixture
def lock(ctx, clock, signed_in):
    from mobile.viewmodels.lock import LockViewModel

    ctx.store.remember_sign_in("officer", PASSWORD, ctx.session.token, 3600, ctx.user, now=T0)
    return LockViewModel(ctx, monotonic=clock.monotonic)


def test_five_minutes_untouched_locks_and_a_touch_starts_the_clock_again(lock, clock):
    events = []
    lock.on_locked = lambda: events.append("locked")
    clock.advance(minutes=4, seconds=59)
    lock.tick()
    assert not lock.locked
    lock.activity()  # a touch
    clock.advance(minutes=4)
    lock.tick()
    assert not lock.locked
    clock.advance(minutes=1)
    lock.tick()
    assert lock.locked and lock.reason == "idle" and events == ["locked"]
    assert "Locked after 5 minutes untouched" in lock.prompt and "enter your password" in lock.prompt
    lock.activity()  # touching the lock screen does not unlock it
    assert lock.locked


def test_the_organisations_idle_time_and_the_pin_unlock(ctx, lock, clock):
    from mobile.store.credentials import DevicePolicy

    ctx.store.remember_sign_in("officer", PASSWORD, ctx.session.token, 3600, ctx.user, now=T0,
                               policy=DevicePolicy(idle_lock_seconds=120, offline_days=3))
    ctx.store.set_pin("2580")
    clock.advance(minutes=2)
    lock.tick()
    assert lock.locked and "Locked after 2 minutes untouched" in lock.prompt and "PIN or password" in lock.prompt
    lock.submit("1111")
    assert lock.locked and "Wrong PIN" in lock.error and lock.secret == ""
    lock.submit("2580")
    assert not lock.locked and lock.error == ""
    clock.advance(minutes=1, seconds=59)
    lock.tick()
    assert not lock.locked  # unlocking started the idle time again


def test_wrong_attempts_make_the_lock_wait_then_need_the_server(ctx, lock, clock, transport):
    lock.lock()
    for _ in range(4):
        lock.submit("nope")
        assert "more wrong attempt" in lock.error
    lock.submit("nope")
    assert "wait 30 seconds" in lock.error
    lock.submit(PASSWORD)  # too soon: not even checked
    assert lock.locked and "wait" in lock.error
    for _ in range(5):
        clock.advance(minutes=11)
        lock.submit("nope")
    assert lock.needs_online and "sign in where there is signal" in lock.error
    assert "sign in with your password where there is signal" in lock.prompt
    transport.online = False
    lock.submit(PASSWORD)
    assert lock.locked and "needs signal" in lock.error  # no offline way round it
    transport.online = True
    lock.submit(PASSWORD)
    assert not lock.locked and ctx.store.unlock_attempts().failures == 0


def test_three_days_without_the_server_locks_until_an_online_sign_in(ctx, lock, clock, transport):
    clock.wall = T0 + timedelta(days=3) - timedelta(minutes=1)
    lock.activity()
    lock.tick()
    assert not lock.locked
    clock.wall = T0 + timedelta(days=3, minutes=1)
    lock.tick()
    assert lock.locked and lock.reason == "offline" and lock.needs_online
    lock.submit("2580")  # no PIN or password checked on the tablet now: the server decides
    assert lock.locked and "needs signal" not in lock.error
    lock.submit(PASSWORD)
    assert not lock.locked


# ---------------------------------------------------------------- the real window

@pytest.mark.ui
def test_locked_the_window_shows_only_the_lock_screen_and_a_pin_opens_it_where_it_was(ui):
    ui.open_walk_list()
    app = ui.app
    app.ctx.store.set_pin("2580")
    ui.tap(ui.rv_row(ui.screen.ids.rv, lambda w: w.name == "Beech Street"))
    ui.tap(ui.rv_row(ui.screen.ids.rv, lambda w: w.address == "1 Beech Street, Bristol"))
    ui.tap_text("Answered")
    assert ui.screen.name == "visit"
    app.show_toast("A toast that must not show over the lock")
    app.lock_vm.lock()  # as the clock would after five minutes
    ui.pump(3)
    assert ui.screen.name == "lock" and app.locked
    topbar, toast = app.root.ids.topbar, app.root.ids.toast_bar
    assert topbar.height == 0 and topbar.opacity == 0 and toast.height == 0
    shown = [w for w in app.root.walk(restrict=True) if getattr(w, "text", "") and _visible(w)]
    assert not any("Beech" in w.text for w in shown)  # no address, no resident, nothing of the visit
    ui.screenshot("lock_screen")
    screen = ui.screen
    ui.type_into(screen.ids.secret, "1111")
    ui.tap(screen.ids.unlock)
    ui.wait_until(lambda: "Wrong PIN" in screen.ids.error.text, message="refused")
    ui.screenshot("lock_screen_wrong_pin")
    ui.type_into(screen.ids.secret, "2580")
    ui.tap(screen.ids.unlock)
    ui.wait_until(lambda: not app.locked, message="unlocked")
    assert ui.screen.name == "visit" and app.visit_vm.outcome == "answered"  # back where it was, nothing lost
    assert app.root.ids.topbar.height > 0
    # Whatever tries to move on while locked (a save finishing, a sync asking to sign in) keeps the lock
    # screen, and happens after unlocking.
    app.lock_vm.lock()
    ui.pump(2)
    app._go("streets")
    ui.pump(2)
    assert ui.screen.name == "lock"
    ui.type_into(screen.ids.secret, PASSWORD)
    ui.tap(screen.ids.unlock)
    ui.wait_until(lambda: not app.locked, message="unlocked with the password")
    assert ui.screen.name == "streets"


def _visible(widget) -> bool:
    from .conftest import is_shown

    return is_shown(widget)
