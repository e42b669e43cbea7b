"""View-model tests: the app's behaviour without a window (real store, real sync engine, fake server)."""

from __future__ import annotations

import msgspec
import pytest

from mobile.viewmodels.map import MapDoor, MapStreet, MapViewModel, Position
from mobile.viewmodels.operations import OperationsViewModel
from mobile.viewmodels.signin import SignInViewModel
from mobile.viewmodels.street import StreetViewModel
from mobile.viewmodels.street_record import StreetRecordViewModel
from mobile.viewmodels.streets import StreetsViewModel
from mobile.viewmodels.sync import SyncViewModel
from mobile.viewmodels.visit import VisitViewModel
from shared_schemas.codes import Outcome

from .support import OP_ID, PASSWORD, make_pack, pushed_records

# ---------------------------------------------------------------- sign-in


def test_sign_in_online_then_offline(ctx, transport):
    vm = SignInViewModel(ctx, "http://fake")
    signed = []
    vm.on_signed_in = lambda: signed.append(1)
    vm.submit(username="officer", password=PASSWORD)
    assert vm.error == "" and signed == [1]
    assert ctx.session.username == "officer" and not ctx.session.offline

    transport.online = False  # no signal: the same user signs in against the stored verifier
    vm2 = SignInViewModel(ctx, "http://fake")
    vm2.submit(username="officer", password=PASSWORD)
    assert vm2.error == ""
    assert ctx.session.offline and "offline" in vm2.info.lower()

    vm3 = SignInViewModel(ctx, "http://fake")
    vm3.submit(username="officer", password="wrong")
    assert vm3.error and ctx.session.offline  # refused, nothing changed
    assert vm3.password == ""


def test_sign_in_wrong_password_and_unreachable_server(ctx, transport):
    vm = SignInViewModel(ctx, "http://fake")
    vm.submit(username="officer", password="nope")
    assert "password" in vm.error.lower()
    assert ctx.session is None

    transport.online = False  # never signed in here: offline sign-in cannot work
    vm.submit(username="officer", password=PASSWORD)
    assert vm.error and ctx.session is None

    vm.submit(server_url="127.0.0.1:8000")
    assert "http://" in vm.error


# ---------------------------------------------------------------- operations


def test_operations_download_shows_the_pair(ctx, transport):
    SignInViewModel(ctx, "http://fake").submit(username="officer", password=PASSWORD)
    vm = OperationsViewModel(ctx)
    vm.refresh()
    assert [r.name for r in vm.rows] == ["Easton StreetSafe"] and not vm.rows[0].downloaded
    progress = []
    vm.subscribe(lambda _vm, names: "progress" in names and progress.append(vm.progress))
    vm.download(OP_ID)
    assert vm.error == "" and vm.rows[0].downloaded
    assert progress and progress[-1] == 1.0
    assert "PC Sam Patel (Avon and Somerset Police)" in vm.rows[0].pair
    assert "Cllr Jo Evans (Bristol City Council)" in vm.rows[0].pair
    vm.open(OP_ID)
    assert ctx.pair.team_id == 1


def test_operations_offline_lists_downloaded_packs(signed_in, transport):
    transport.online = False
    vm = OperationsViewModel(signed_in)
    vm.refresh()
    assert [r.id for r in vm.rows] == [OP_ID] and vm.rows[0].downloaded
    assert "offline" in vm.info.lower() and vm.error == ""


def _visit(ctx):
    """A visit view-model whose no-answers are not held back for Undo (these tests sync at once)."""
    vm = VisitViewModel(ctx)
    vm.undo_seconds = 0
    return vm


def test_removed_from_operation_keeps_records(signed_in, transport, store):
    visit = _visit(signed_in)
    visit.start(101)
    visit.choose_outcome("no_answer")
    transport.removed_from.add(OP_ID)
    vm = OperationsViewModel(signed_in)
    vm.download(OP_ID)
    assert "no longer on" in vm.error
    assert store.current_pack(OP_ID) is None
    assert len(store.outbox_waiting()) == 1  # what was recorded is still there to send


def test_expired_token_asks_to_sign_in_again(signed_in, transport):
    transport.expire_tokens()
    asked = []
    vm = OperationsViewModel(signed_in)
    vm.on_needs_sign_in = asked.append
    vm.refresh()
    assert vm.needs_sign_in and asked and "sign in again" in asked[0].lower()


# ---------------------------------------------------------------- streets and street


def test_walk_list_search_and_sort(signed_in):
    vm = StreetsViewModel(signed_in)
    vm.load()
    assert [r.name for r in vm.rows] == ["Avon Road", "Beech Street", "Cedar Close"]  # not the other pair's
    assert vm.rows[0].counts == "0 / 4 knocked"
    vm.set_query("cedar")
    assert [r.name for r in vm.rows] == ["Cedar Close"]
    vm.set_query("")
    vm.set_sort("distance")  # no position on a desktop: stays by name, says why
    assert vm.sort == "name" and "position" in vm.message
    signed_in.set_position(Position(lon=-2.5485, lat=51.4572))  # standing on Cedar Close
    vm.load()
    vm.set_sort("distance")
    assert [r.name for r in vm.rows][0] == "Cedar Close" and vm.rows[0].distance.endswith(" m")


def test_street_statuses_and_no_answer_count(signed_in, transport):
    street = StreetViewModel(signed_in)
    street.load(11)
    assert [r.address for r in street.rows][:2] == ["1 Avon Road, Bristol", "3 Avon Road, Bristol"]  # odd side first
    assert {r.status_text for r in street.rows} == {"Not knocked"}
    # a door placed along the street says so (it may not exist); the council's and OSM's doors do not
    assert [r.id for r in street.rows if r.generated] == [104]
    visit = _visit(signed_in)
    for _ in range(2):
        visit.start(101)
        visit.choose_outcome("no_answer")
    visit.start(102)
    visit.choose_outcome("do_not_visit")
    visit.save()
    street.load()
    by_id = {r.id: r for r in street.rows}
    assert by_id[101].status == "revisit" and by_id[101].status_text == "Knock again: No answer ×2"
    assert by_id[102].status_text == "Do not visit" and not by_id[102].can_visit
    street.set_side("odd")
    assert {r.side for r in street.rows} == {"odd"}

    # another pair's visit, pulled from the server, shows on the door
    from shared_schemas.sync import VisitChange

    transport.changes.append(msgspec.convert({
        "kind": "visit", "id": "6b1f0d38-4a43-4d0c-8f55-3c2f1d7e9a01", "household_id": 103,
        "team_id": 2, "outcome": "answered", "visited_at": "2026-05-14T10:00:00Z"}, VisitChange))
    SyncViewModel(signed_in).sync_now()
    street.load()
    row = street.row(103)
    assert row.status == "done" and row.others == "Other pair: 1 visit"
    visit.start(103)
    assert visit.earlier and visit.earlier[0].startswith("Answered") and "another pair" in visit.earlier[0]


# ---------------------------------------------------------------- visit


def test_no_answer_saves_at_once_and_can_be_undone_while_held(signed_in, store):
    vm = VisitViewModel(signed_in)
    done = []
    vm.on_finished = lambda message, visit_id, undoable: done.append((message, undoable))
    vm.start(101)
    vm.choose_outcome("no_answer")
    assert vm.saved and done == [("Saved: No answer at 1 Avon Road, Bristol", True)]
    assert store.outbox_waiting() == [] and len(store.outbox_waiting(include_held=True)) == 1
    assert vm.undo(str(vm.visit_id))
    assert store.outbox_waiting(include_held=True) == []


def test_one_page_skip_logic_and_required_answers(signed_in):
    vm = _visit(signed_in)
    vm.start(101)
    vm.choose_outcome("answered")
    assert [q.id for q in vm.questions] == ["feel_safe", "asb_seen", "smoke_alarm", "comments"]
    vm.save()
    assert not vm.saved and vm.errors["q:feel_safe"] == "An answer is required." and vm.first_error == "q:feel_safe"
    vm.answer("feel_safe", 2)
    vm.answer("asb_seen", True)
    assert "asb_kind" in [q.id for q in vm.questions]  # the follow-on question now applies, live
    vm.answer("asb_seen", False)
    assert "asb_kind" not in [q.id for q in vm.questions]
    vm.answer("smoke_alarm", True)
    vm.answer_text("comments", "x" * 501)
    assert vm.errors["q:comments"] == "The answer is 501 characters; the limit is 500. Shorten it by 1."
    assert vm.text_counter("comments") == "501 / 500"
    vm.answer_text("comments", "Street lights out on the corner")
    visit, fixes, followups, errors = vm.build_records()
    assert not errors and visit.answers == {"feel_safe": 2, "asb_seen": False, "smoke_alarm": True,
                                            "comments": "Street lights out on the corner"}


def test_a_visit_in_progress_is_a_draft_that_reopening_the_door_resumes(signed_in, store):
    vm = _visit(signed_in)
    vm.start(104)
    vm.choose_outcome("answered")
    vm.answer("feel_safe", 4)
    vm.toggle_fix("advice_given")
    vm.set_notes("Dog in the garden")
    assert store.draft(signed_in.operation_id, 104) is not None
    again = _visit(signed_in)  # e.g. the app was killed and opened again
    again.start(104)
    assert again.resumed and again.outcome == "answered" and again.answers == {"feel_safe": 4}
    assert again.fixes == ["advice_given"] and again.notes == "Dog in the garden" and again.visit_id == vm.visit_id
    again.discard()
    assert store.draft(signed_in.operation_id, 104) is None


def test_full_visit_with_fix_and_followup_with_consent(signed_in, store, transport):
    vm = _visit(signed_in)
    vm.start(104)
    vm.choose_outcome("answered")
    for qid, value in (("feel_safe", 4), ("asb_seen", True), ("asb_kind", "drugs"), ("smoke_alarm", False)):
        vm.answer(qid, value)
    vm.toggle_fix("smoke_alarm_fitted")
    draft = vm.add_followup()
    assert not draft.shows_contact
    vm.save()
    assert not vm.saved and {k.rsplit(":", 1)[1] for k in vm.errors if k.startswith("fu:")} == \
        {"category", "description", "consent"}
    vm.edit_followup(draft.id, category="drugs", priority="high", description="Dealing from the alley behind 4")
    vm.edit_followup(draft.id, consent=True)
    assert draft.shows_contact
    vm.edit_followup(draft.id, contact_name="Pat", contact_phone="call after 6pm")
    vm.save()
    assert not vm.saved and vm.errors[f"fu:{draft.id}:contact_phone"].startswith("The phone number is not")
    vm.edit_followup(draft.id, contact_phone="07911 123123")
    vm.save()
    assert vm.saved and store.draft(signed_in.operation_id, 104) is None
    assert {e.record_type for e in store.outbox_waiting()} == {"visit", "fix", "followup"}
    SyncViewModel(signed_in).sync_now()
    records = {type(r).__name__: r for r in pushed_records(transport)}
    assert records["Followup"].resident_consent and records["Followup"].resident.phone == "+447911123123"
    assert records["Fix"].visit_id == records["Visit"].id


def test_a_sent_visit_is_corrected_as_a_draft_and_a_new_visit_that_supersedes_it(signed_in, store, transport):
    vm = _visit(signed_in)
    vm.start(105)
    vm.choose_outcome("answered")
    for qid, value in (("feel_safe", 2), ("asb_seen", False), ("smoke_alarm", True)):
        vm.answer(qid, value)
    vm.set_notes("Dog in the garden")
    vm.toggle_fix("advice_given")
    vm.save()
    SyncViewModel(signed_in).sync_now()
    first = vm.visit_id

    vm.start(105)  # the door again: its attempt, sent, with Correct
    [row] = vm.attempts
    assert (row.record_id, row.state, row.can_correct) == (str(first), "Sent", True)
    assert row.text.startswith("Answered · ") and row.text.endswith(" · this tablet")
    vm.correct_attempt(row.record_id)
    assert vm.supersedes == str(first) and vm.visit_id != first
    assert (vm.outcome, vm.answers, vm.notes) == ("answered", {"feel_safe": 2, "asb_seen": False,
                                                               "smoke_alarm": True}, "Dog in the garden")
    assert vm.fixes == [] and "Correcting the visit of" in vm.corrects_text  # the first fix stays as it was
    vm.answer("feel_safe", 4)
    again = _visit(signed_in)  # left and opened again: the correction is a draft like any visit
    again.start(105)
    assert again.resumed and again.supersedes == str(first) and again.answers["feel_safe"] == 4
    again.choose_outcome("no_answer")  # a correction never saves on an outcome's tap
    assert not again.saved
    again.choose_outcome("answered")
    again.save()
    assert again.saved
    correction = again.visit_id
    SyncViewModel(signed_in).sync_now()
    sent = {r.id: r for r in pushed_records(transport) if type(r).__name__ == "Visit"}
    assert sent[correction].supersedes == first and sent[correction].visited_at == sent[first].visited_at
    again.start(105)
    assert [(r.record_id, r.corrected, r.can_correct) for r in again.attempts] == [
        (str(correction), False, True), (str(first), True, False)]
    assert again.attempts[0].text.startswith("Correction: Answered") and again.attempts[1].state.startswith(
        "Corrected")
    door = store.household(signed_in.operation_id, 105)
    assert (door.visits, door.last_outcome) == (1, "answered")


def test_correcting_waits_for_a_visit_in_progress(signed_in):
    vm = _visit(signed_in)
    vm.start(106)
    vm.choose_outcome("refused")
    vm.save()
    vm.start(106)
    vm.choose_outcome("answered")  # a new visit started at the door
    vm.correct_attempt(vm.attempts[0].record_id)
    assert vm.supersedes is None and "in progress" in vm.error


def test_no_consent_means_no_contact_details(signed_in):
    vm = _visit(signed_in)
    vm.start(101)
    vm.choose_outcome("refused")
    assert vm.questions == []  # no questionnaire for a refusal
    draft = vm.add_followup()
    vm.edit_followup(draft.id, category="fly_tipping", description="Mattress in the lane", consent=True,
                     contact_phone="0123")
    vm.edit_followup(draft.id, consent=False)
    assert draft.contact_phone == "" and not draft.shows_contact
    _, _, [followup], errors = vm.build_records()
    assert not errors and followup.resident is None and not followup.resident_consent


def test_an_over_long_note_is_caught_before_saving(signed_in):
    vm = _visit(signed_in)
    vm.start(101)
    vm.choose_outcome("refused")
    vm.set_notes("x" * 4500)
    assert vm.errors["notes"].startswith("The note is 4,500 characters; the limit is 4,000")
    assert vm.notes_counter == "4,500 / 4,000"
    vm.save()
    assert not vm.saved and vm.first_error == "notes"


def test_full_disk_keeps_the_draft(signed_in, store, monkeypatch):
    from mobile.store import StorageFullError
    from mobile.store.errors import FULL_DISK_MESSAGE

    real = store.record_visit
    calls = []

    def full(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise StorageFullError(FULL_DISK_MESSAGE)
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "record_visit", full)
    vm = _visit(signed_in)
    vm.start(101)
    vm.choose_outcome("card_left")
    assert not vm.saved and vm.error == FULL_DISK_MESSAGE
    vm.save()  # space freed: the same visit saves
    assert vm.saved and len(store.outbox_waiting()) == 1


def test_street_fix_and_followup(signed_in, store):
    vm = StreetRecordViewModel(signed_in)
    vm.start(12, "fix")
    vm.log_fix("graffiti_removed")
    assert vm.message == "Saved: Graffiti removed on Beech Street"
    vm.start(12, "followup")
    vm.edit_followup(category="street_lighting", description="Two lights out", consent=False)
    assert vm.save()
    kinds = sorted(e.record_type for e in store.outbox_waiting())
    assert kinds == ["fix", "followup"]


# ---------------------------------------------------------------- sync


def test_sync_status_and_rejections(signed_in, transport):
    sync = SyncViewModel(signed_in)
    sync.refresh()
    assert sync.waiting == 0 and sync.status_kind == "unknown" or sync.status_kind == "sent"
    visit = _visit(signed_in)
    visit.start(101)
    visit.choose_outcome("no_answer")
    sync.refresh()
    assert sync.waiting == 1 and sync.status_text == "1 waiting to send" and sync.status_kind == "waiting"

    transport.online = False
    sync.sync_now()
    assert sync.online is False and sync.waiting == 1 and sync.status_kind == "offline"
    assert sync.status_text == "Offline · 1 saved on this tablet"  # not an error: nothing is lost
    assert sync.error  # says what happened and what to do

    transport.online = True
    transport.reject["visit"] = "household 101 is not in operation 7"
    sync.sync_now()
    assert sync.online is True and sync.waiting == 0 and sync.rejected == 1
    assert sync.status_kind == "rejected"  # never the all-good colour
    [row] = sync.rejected_rows
    assert row.reason == "household 101 is not in operation 7" and "coordinator" in row.advice
    assert row.title == "Visit: No answer · 1 Avon Road, Bristol"  # names the address

    transport.reject.clear()
    sync.retry(row.record_id)
    assert sync.rejected == 0 and sync.waiting == 1
    sync.sync_now()
    assert sync.waiting == 0 and sync.rejected == 0 and sync.last_sync and sync.status_kind == "sent"


# ---------------------------------------------------------------- map


def test_map_fit_pan_zoom_and_tap():
    vm = MapViewModel()
    vm.load([MapStreet("s1", "A", [[[-2.56, 51.46], [-2.55, 51.46]]])],
            [MapDoor("d1", "s1", -2.555, 51.46, "done")])
    vm.fit(1000, 600)
    (_, flat), = vm.screen_lines()
    assert 0 <= flat[0] < flat[2] <= 1000  # west to east across the view
    door = vm.screen_doors()["done"]
    assert vm.door_at(door[0], door[1], 10).id == "d1"
    vm.zoom(2.0, door[0], door[1])
    assert vm.zoom_level == pytest.approx(2.0)
    assert vm.screen_doors()["done"] == pytest.approx(door)  # the pinch centre stays put
    vm.pan(50, -20)
    assert vm.screen_doors()["done"] == pytest.approx([door[0] + 50, door[1] - 20])
    vm.set_position(Position(-2.555, 51.46, 10))
    assert vm.screen_position() == pytest.approx((door[0] + 50, door[1] - 20))


def test_outcome_buttons_put_the_two_tap_outcomes_first():
    codes = [c for c, _, _ in VisitViewModel.outcome_choices()]
    assert codes[:2] == [Outcome.NO_ANSWER, Outcome.CARD_LEFT]
    assert [c for c, _, instant in VisitViewModel.outcome_choices() if instant] == codes[:2]


def test_pack_fixture_is_valid():
    pack = make_pack()
    assert {t.id for t in pack.teams} == {1, 2} and len(pack.households) == 16


def test_map_labels_never_overlap_and_keep_the_more_important():
    from mobile.viewmodels.map import place_labels

    candidates = [("street", 10, 10, 100, 20), ("door 1", 50, 15, 20, 20), ("door 2", 200, 10, 20, 20),
                  ("off", 390, 10, 30, 20)]
    kept = [key for key, *_ in place_labels(candidates, 400, 300)]
    assert kept == ["street", "door 2"]  # door 1 under the street name, "off" leaves the view
