"""No lost work, walked with real touches against the real server: leaving a visit half-way by each
way out keeps it as a draft (after asking), reopening the door resumes it, signing out warns and
keeps everything, a no-answer can be undone while it waits, a refused record is corrected and sent
again, the server going away and coming back, and the app killed mid-visit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from .conftest import LANDSCAPE, ROOT, Walk, close_app, make_app, open_walk_list
from .test_shift import answer

pytestmark = [pytest.mark.ui, pytest.mark.slow]

LEAVE_STREET = {"streets": 5, "map": 6, "back": 8, "escape": 9, "sign_out": 10}


def _street(w, index: int) -> str:
    names = sorted(r.name for r in w.app.streets_vm.rows)
    return names[index % len(names)]


def _start_a_visit(w: Walk, index: int) -> str:
    open_walk_list(w)
    w.open_street(_street(w, index))
    address = w.free_doors(1)[0]
    w.tap(w.door_row(address), step="door")
    w.tap(w.button("Answered"), step="answered")
    answer(w, "feel_safe_after_dark", "4")
    answer(w, "asb_seen", "No")
    return address


def _dialog(w):
    from mobile.ui.dialogs import ChoiceDialog

    dialogs = [c for c in w.window.children if isinstance(c, ChoiceDialog)]
    assert dialogs, "no question was asked"
    return dialogs[0]


def _choose(w, dialog, label: str) -> None:
    w.tap(w.button(label, root=dialog), step=label)


@pytest.mark.parametrize("route", ["streets", "map", "back", "escape"])
def test_leaving_half_way_asks_and_keeps_a_draft_that_the_door_resumes(walk, route):
    address = _start_a_visit(walk, LEAVE_STREET[route])
    walk.task(f"Leave a visit half-way ({route}) and keep it as a draft", 2)
    ids = walk.app.root.ids
    if route == "streets":
        walk.tap(ids.nav_streets, step="top_bar_streets")
    elif route == "map":
        walk.tap(ids.nav_map, step="top_bar_map")
    elif route == "back":
        walk.tap(ids.back_button, step="top_bar_back")
    else:
        walk.key(27)  # Android's Back key
    dialog = _dialog(walk)
    assert "not saved yet" in dialog.text and walk.screen.name == "visit"
    _choose(walk, dialog, "Keep as draft")
    walk.end_task()
    assert walk.screen.name != "visit"
    walk.app.go("streets", reset=True)
    walk.pump(3)
    walk.tap(walk.street_row(_street(walk, LEAVE_STREET[route])), step="street_again")
    row = walk.door_row(address)
    assert row.status == "draft" and row.status_text == "Draft: tap to carry on"
    walk.tap(row, step="door_again")
    visit = walk.screen
    assert visit.vm.resumed and visit.vm.answers == {"feel_safe_after_dark": 4, "asb_seen": False}
    assert visit.question_block("asb_seen").ids.answers.children[0].state == "down"  # "No" shows chosen
    walk.shot("resumed")


def test_discarding_a_visit_leaves_nothing(walk):
    address = _start_a_visit(walk, 11)
    walk.tap(walk.app.root.ids.nav_streets, step="top_bar_streets")
    _choose(walk, _dialog(walk), "Discard")
    store = walk.app.ctx.store
    assert store.drafts(walk.app.ctx.operation_id) == [] and walk.screen.name == "streets"
    assert address


def test_signing_out_with_a_draft_and_unsent_records_warns_and_keeps_them(walk):
    address = _start_a_visit(walk, LEAVE_STREET["sign_out"])
    walk.tap(walk.app.root.ids.nav_streets, step="top_bar_streets")
    _choose(walk, _dialog(walk), "Keep as draft")
    walk.app.go("operations")
    walk.pump(3)
    walk.tap(walk.screen.ids.sign_out, step="sign_out")
    dialog = _dialog(walk)
    assert "1 visit in progress" in dialog.text and "keeps them all" in dialog.text
    _choose(walk, dialog, "Sign out")
    assert walk.screen.name == "signin"
    assert len(walk.app.ctx.store.drafts()) == 1  # nothing discarded
    open_walk_list(walk, "councillor")             # the partner signs in on the same tablet: it is there
    walk.app.streets_vm.open(next(r.id for r in walk.app.streets_vm.rows
                                  if r.name == _street(walk, LEAVE_STREET["sign_out"])))
    walk.pump(3)
    assert walk.door_row(address).status == "draft"


def test_a_no_answer_can_be_undone_while_it_waits(walk):
    open_walk_list(walk)
    walk.open_street(_street(walk, 12))
    address = walk.free_doors(1)[0]
    walk.task("No answer, then Undo from the toast", 3)
    walk.tap(walk.door_row(address), step="door")
    walk.tap(walk.button("No answer"), step="no_answer")
    walk.wait_until(lambda: walk.screen.name == "street")
    walk.tap(walk.app.root.ids.toast_action, step="undo")
    walk.end_task()
    store = walk.app.ctx.store
    assert store.outbox_waiting(include_held=True) == []
    assert walk.door_row(address).status == "not_knocked" and walk.app.toast.startswith("Undone")


@pytest.mark.parametrize("orientation", ["landscape", "portrait"], indirect=True)
def test_a_refused_visit_is_opened_corrected_and_sent_again(walk, orientation):
    """An older app saved a 4,500-character note; the server refuses it in plain words, the row names the
    address, Correct opens it with the counter in red, and the shortened copy goes in its place."""
    import uuid

    from mobile.store import records
    from shared_schemas.codes import Outcome
    from shared_schemas.records import Visit

    open_walk_list(walk)
    ctx = walk.app.ctx
    walk.open_street(_street(walk, 13 if orientation == "landscape" else 17))
    address = walk.free_doors(1)[0]
    household = next(i["household_id"] for i in walk.screen.ids.rv.data if i["address"] == address)
    bad = Visit(id=uuid.uuid4(), operation_id=ctx.operation_id, household_id=household, team_id=ctx.team_id,
                visited_at=ctx.now(), outcome=Outcome.REFUSED, notes="x" * 4500)
    with ctx.store._write() as conn:  # as an app without the shared limits would have saved it
        records.insert_local(conn, bad)
    ctx.request_sync()
    walk.wait_until(lambda: ctx.store.outbox_rejected(), timeout=30, message="refused by the server")
    walk.app.go("sync")
    walk.pump(3)
    sync = walk.screen
    walk.wait_until(lambda: sync.ids.rv.data, message="the sync page lists it")
    item = sync.ids.rv.data[0]
    assert item["rejected"] and address in item["title"]
    assert item["reason"].startswith("The note is 4,500 characters; the limit is 4,000")
    assert walk.app.status_kind == "rejected"
    walk.shot("refused")
    walk.task("Correct a refused visit and send it again", 4)
    row = walk.rv_row(sync.ids.rv, lambda w: w.rejected)
    walk.tap(row.ids.correct, step="correct")
    visit = walk.screen
    assert visit.name == "visit" and visit.notes_error and visit.notes_counter == "4,500 / 4,000"
    walk.tap(visit.ids.notes, step="notes")
    visit.ids.notes.text = "Refused politely; said to come back in the spring."
    walk.pump(2)
    walk.tap(visit.ids.save, step="save")
    walk.end_task()
    walk.wait_sent()
    assert walk.app.status_kind == "sent"
    [stored] = ctx.store.visits_for_household(ctx.operation_id, household)
    assert stored.id == bad.id and stored.notes.startswith("Refused politely")  # one visit, corrected


@pytest.mark.parametrize("orientation", ["landscape", "portrait"], indirect=True)
def test_a_sent_visit_is_corrected_from_its_door(walk, orientation):
    """A no-answer that was really a refusal, already sent: the door lists it with Correct, which opens it
    as a draft; Save sends a new visit in its place. The server counts the latest and keeps both."""
    import httpx

    open_walk_list(walk)
    walk.app.visit_vm.undo_seconds = 0  # sent at once: this test corrects a visit the server has
    walk.open_street(_street(walk, 15 if orientation == "landscape" else 16))
    address = walk.free_doors(1)[0]
    walk.tap(walk.door_row(address), step="door")
    walk.tap(walk.button("No answer"), step="no_answer")
    walk.wait_until(lambda: walk.screen.name == "street", message="saved")
    walk.wait_sent()
    walk.task("Correct a sent visit (the door, Correct, the right outcome, Save)", 4)
    walk.tap(walk.door_row(address), step="door_again")
    visit = walk.screen
    [line] = visit.ids.attempts.children
    assert line.state == "Sent" and line.text.startswith("No answer · ") and line.can_correct
    walk.tap(line.ids.correct, step="correct")
    assert visit.vm.supersedes == line.record_id and visit.title == f"Correct: {address}"
    [line] = visit.ids.attempts.children
    assert line.state == "Being corrected below" and not line.can_correct
    assert visit.corrects_text.startswith("Correcting the visit of")
    walk.tap(walk.button("Refused"), step="refused")
    assert visit.ids.save.text == "Save correction" and walk.screen.name == "visit"  # not saved by the outcome
    walk.tap(visit.ids.save, step="save")
    walk.wait_until(lambda: walk.screen.name == "street", message="saved")
    walk.end_task()
    assert walk.app.toast.startswith("Corrected: Refused")
    assert walk.door_row(address).status == "done"
    walk.wait_sent()
    walk.tap(walk.door_row(address), step="history")
    lines = walk.screen.ids.attempts.children[::-1]  # as shown, top first
    assert [(w.text.split(" · ")[0], w.state, w.can_correct) for w in lines] == [
        ("Correction: Refused", "Sent", True), ("No answer", "Corrected: see above", False)]
    walk.shot("history")

    # The server counts the latest and keeps both.
    server = walk.app.ctx.server_url
    token = httpx.post(f"{server}/api/v1/auth/token", json={"username": "coordinator",
                                                            "password": "doorstep-demo"}).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    op = walk.app.ctx.operation_id
    doors = httpx.get(f"{server}/api/v1/operations/{op}/households", params={"limit": 1000}, headers=auth).json()
    door = next(d for d in doors["items"] if d["address"] == address)
    assert (door["status"], door["attempts"], door["corrected"], door["last_outcome"]) == ("refused", 1, 1, "refused")
    history = httpx.get(f"{server}/api/v1/operations/{op}/visits", params={"household_id": door["household_id"]},
                        headers=auth).json()["items"]
    assert sorted((v["outcome"], v["superseded_by"] is None) for v in history) == [("no_answer", False),
                                                                                 ("refused", True)]


def test_the_server_going_away_and_coming_back(kivy_window, tmp_path, database_url, demo):
    """Offline as soon as a request fails, 'saved on this tablet' (not an error colour), and the waiting
    record goes by itself within 15 s of the server coming back, with no tap. Its own server process."""
    from mobile.ui import theme
    from tests.support import free_port, start_server

    port = free_port()
    server = start_server(database_url, port=port, DOORSTEP_NOTIFY_INTERVAL_SECONDS="0")
    base = server.base
    running = True
    app = make_app(kivy_window, tmp_path, base, LANDSCAPE)
    w = Walk(kivy_window, app, "server_away", LANDSCAPE)
    try:
        open_walk_list(w)
        w.app.visit_vm.undo_seconds = 0  # sent at once: this test is about the server, not Undo
        w.open_street(_street(w, 14))
        address = w.free_doors(1)[0]
        server.stop()  # the server goes away
        running = False
        w.tap(w.door_row(address), step="door")
        w.tap(w.button("Card left"), step="card_left")
        w.wait_until(lambda: w.app.status_kind == "offline", timeout=20, message="offline once a request failed")
        chip = w.app.root.ids.sync_chip
        assert chip.text == "Offline · 1 saved on this tablet"
        assert tuple(chip.bg) == theme.hex_rgba(theme.SYNC_COLOURS["offline"]) != theme.hex_rgba(theme.DANGER)
        w.shot("offline")
        time.sleep(12)  # away long enough for the engine's retries to back off as far as they go
        again = start_server(database_url, port=port, DOORSTEP_NOTIFY_INTERVAL_SECONDS="0")
        try:
            back = time.monotonic()
            w.wait_until(lambda: w.app.status_kind == "sent", timeout=25, message="sent once the server was back")
            waited = time.monotonic() - back
            w.shot("sent_again")
        finally:
            again.stop()
        assert waited <= 15, f"the waiting record took {waited:.1f} s to go"
        assert not w.app.ctx.store.outbox_waiting(include_held=True)
    finally:
        close_app(app, kivy_window)
        if running:
            server.stop()


def test_the_app_killed_mid_visit_resumes_where_it_was(kivy_window, tmp_path, live_server):
    """A real kill (SIGKILL, in another process, mid-visit): the next start resumes the visit."""
    data = tmp_path / "tablet"
    data.mkdir()
    script = ROOT / "tests" / "field_walk" / "killed_mid_visit.py"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.run([sys.executable, str(script), str(data), live_server], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr[-3000:]
    address = (data / "address.txt").read_text()

    app = make_app(kivy_window, data, live_server, LANDSCAPE)
    w = Walk(kivy_window, app, "after_kill", LANDSCAPE)
    try:
        open_walk_list(w)
        street = (data / "street.txt").read_text()
        w.open_street(street)
        row = w.door_row(address)
        assert row.status == "draft"
        w.tap(row, step="door_after_restart")
        visit = w.screen
        assert visit.vm.resumed and visit.vm.answers["feel_safe_after_dark"] == 2
        assert visit.vm.notes == "Dog in the garden"
        answer(w, "asb_seen", "No")
        answer(w, "smoke_alarm", "Yes")
        answer(w, "hear_back", "No need to hear back")
        w.tap(visit.ids.save, step="save")
        w.wait_until(lambda: w.screen.name == "street", message="saved")
        w.wait_sent()
    finally:
        close_app(app, kivy_window)

