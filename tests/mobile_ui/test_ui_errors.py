"""UI: bad input shows a message that says what to do, and nothing recorded is lost."""

import pytest

pytestmark = pytest.mark.ui


def _sign_in(ui, username, password):
    screen = ui.screen
    ui.type_into(screen.ids.username, username)
    ui.type_into(screen.ids.password, password)
    ui.tap(screen.ids.submit)
    ui.settle()


def test_wrong_password_and_unreachable_server(ui):
    _sign_in(ui, "officer", "not-it")
    screen = ui.screen
    assert screen.name == "signin"
    assert "Wrong username or password" in screen.ids.error.text
    ui.screenshot("signin_wrong_password")

    ui.transport.online = False          # never signed in on this tablet, and no signal
    _sign_in(ui, "officer", "doorstep-demo")
    assert ui.screen.name == "signin" and screen.ids.error.text


def test_offline_sign_in_after_an_online_one(ui):
    _sign_in(ui, "officer", "doorstep-demo")
    ui.wait_until(lambda: ui.screen.name == "operations")
    ui.app.sign_out()
    ui.pump(3)
    ui.transport.online = False
    _sign_in(ui, "officer", "doorstep-demo")
    ui.wait_until(lambda: ui.screen.name == "operations", message="signed in offline")
    assert ui.app.ctx.session.offline


def test_expired_token_sends_back_to_sign_in_keeping_records(ui):
    ui.open_walk_list()
    ui.tap(ui.rv_row(ui.screen.ids.rv, lambda w: w.name == "Beech Street"))
    ui.transport.expire_tokens()
    ui.tap(ui.rv_row(ui.screen.ids.rv, lambda w: w.address == "1 Beech Street, Bristol"))
    ui.tap_text("No answer")
    ui.wait_until(lambda: ui.screen.name == "signin", message="asked to sign in again")
    assert "sign in again" in ui.screen.ids.error.text.lower()
    assert len(ui.app.ctx.store.outbox_waiting()) == 1   # kept
    ui.screenshot("signin_expired")
    _sign_in(ui, "officer", "doorstep-demo")                # back to the walk, and the record goes
    ui.wait_until(lambda: ui.screen.name == "streets", message="back on the walk list")
    ui.wait_until(lambda: len(ui.transport.pushed) == 1, message="sent after signing in again")


def test_expired_token_never_interrupts_a_visit(ui):
    ui.open_walk_list()
    ui.tap(ui.rv_row(ui.screen.ids.rv, lambda w: w.name == "Beech Street"))
    ui.tap(ui.rv_row(ui.screen.ids.rv, lambda w: w.address == "2 Beech Street, Bristol"))
    ui.tap_text("Refused")
    ui.app.require_sign_in("Your sign-in has expired. Sign in again.")   # as the sync engine would
    ui.pump(2)
    assert ui.screen.name == "visit" and "finish this visit" in ui.app.toast
    visit = ui.screen
    ui.tap(visit.ids.save)
    ui.wait_until(lambda: ui.screen.name == "signin", message="asked after the visit was saved")
    assert len(ui.app.ctx.store.outbox_waiting()) + len(ui.transport.pushed) == 1
    ui.screenshot("signin_after_visit")


def test_removed_from_operation(ui):
    ui.open_walk_list()
    ui.app.go("operations")
    ops = ui.screen
    ui.transport.removed_from.add(7)
    ui.settle()
    row = ui.rv_row(ops.ids.rv, lambda w: w.op_id == 7)
    ui.tap(row.ids.download)
    ui.wait_until(lambda: "no longer on" in ops.ids.error.text, message="removed message")
    ui.screenshot("operations_removed")


def test_full_disk_keeps_the_visit_to_save_again(ui, monkeypatch):
    from mobile.store import StorageFullError
    from mobile.store.errors import FULL_DISK_MESSAGE

    ui.open_walk_list()
    store = ui.app.ctx.store
    real = store.record_visit
    attempts = []

    def full_once(*args, **kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            raise StorageFullError(FULL_DISK_MESSAGE)
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "record_visit", full_once)
    ui.tap(ui.rv_row(ui.screen.ids.rv, lambda w: w.name == "Cedar Close"))
    ui.tap(ui.rv_row(ui.screen.ids.rv, lambda w: w.address == "4 Cedar Close, Bristol"))
    ui.tap_text("No answer")
    visit = ui.screen
    ui.wait_until(lambda: visit.ids.save_message.text == FULL_DISK_MESSAGE, message="full-disk message")
    assert visit.name == "visit" and visit.vm.outcome == "no_answer"   # the visit is still here
    ui.screenshot("visit_full_disk")
    ui.tap(visit.ids.save)                                      # space freed: save again
    ui.wait_until(lambda: ui.screen.name == "street", message="saved on the second try")
    assert len(attempts) == 2
