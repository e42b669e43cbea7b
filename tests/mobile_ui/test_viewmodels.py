"""View-model tests: the app's behaviour without a window (real store, real sync engine, fake server)."""

from __future__ import annotations

import msgspec
import pytest

from mobile.viewmodels.map import MapDoor, MapStreet, MapViewModel, Position
from mobile.viewmodels.operations import OperationsViewModel
from mobile.viewmodels.signin import SignInViewModel
from mobile.viewmodels.street import StreetViewModel
from mobile.viewmodels.streets import StreetsViewModel
from mobile.viewmodels.sync import SyncViewModel
from mobile.viewmodels.visit import StreetRecordViewModel, VisitViewModel
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


def test_removed_from_operation_keeps_records(signed_in, transport, store):
    visit = VisitViewModel(signed_in)
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
    assert [r.address for r in street.rows][:2] == ["1 Avon Road, Bristol", "2 Avon Road, Bristol"]
    assert {r.status_text for r in street.rows} == {"Not knocked"}
    visit = VisitViewModel(signed_in)
    for _ in range(2):
        visit.start(101)
        visit.choose_outcome("no_answer")
    visit.start(102)
    visit.choose_outcome("do_not_visit")
    visit.fixes_done()
    visit.followups_done()
    visit.save()
    street.load()
    by_id = {r.id: r for r in street.rows}
    assert by_id[101].status == "revisit" and by_id[101].status_text == "No answer ×2"
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


# ---------------------------------------------------------------- visit


def test_no_answer_saves_at_once(signed_in, store):
    vm = VisitViewModel(signed_in)
    done = []
    vm.on_finished = done.append
    vm.start(101)
    vm.choose_outcome("no_answer")
    assert vm.saved and done == ["Saved: No answer at 1 Avon Road, Bristol"]
    [entry] = store.outbox_waiting()
    assert entry.record_type == "visit"


def test_questionnaire_skip_logic_and_required_answers(signed_in):
    vm = VisitViewModel(signed_in)
    vm.start(101)
    vm.choose_outcome("answered")
    assert vm.page == "question" and vm.question.id == "feel_safe"
    assert vm.progress == (1, 4)  # asb_kind is skipped until asb_seen is yes
    vm.next()
    assert vm.error == "An answer is required" and vm.question.id == "feel_safe"
    vm.answer(2)
    vm.next()
    assert vm.question.id == "asb_seen"
    vm.answer(True)
    assert vm.progress == (2, 5)  # the follow-on question now applies
    vm.next()
    assert vm.question.id == "asb_kind"
    vm.back()
    vm.answer(False)
    vm.next()
    assert vm.question.id == "smoke_alarm" and vm.progress == (3, 4)
    vm.answer(True)
    vm.next()
    vm.answer_text("Street lights out on the corner")
    vm.next()
    assert vm.page == "fixes"
    visit, fixes, followups = vm.build_records()
    assert visit.answers == {"feel_safe": 2, "asb_seen": False, "smoke_alarm": True,
                             "comments": "Street lights out on the corner"}


def test_full_visit_with_fix_and_followup_with_consent(signed_in, store, transport):
    vm = VisitViewModel(signed_in)
    vm.start(104)
    vm.choose_outcome("answered")
    for value in (4, True, "drugs", False):
        vm.answer(value)
        vm.next()
    vm.next()  # comments are optional
    vm.toggle_fix("smoke_alarm_fitted")
    vm.fixes_done()
    vm.add_followup()
    assert not vm.draft.shows_contact
    assert not vm.save_followup_draft()
    assert set(vm.form_errors) == {"category", "description", "consent"}
    vm.edit_followup(category="drugs", priority="high", description="Dealing from the alley behind 4")
    vm.edit_followup(consent=True)
    assert vm.draft.shows_contact
    assert not vm.save_followup_draft() and "contact" in vm.form_errors
    vm.edit_followup(contact_name="Pat", contact_phone="07911 123123")
    assert vm.save_followup_draft() and vm.page == "followups"
    vm.followups_done()
    lines = dict(vm.review_lines())
    assert lines["What kind of anti-social behaviour?"] == "Drug dealing"
    assert lines["Fixed on the spot"] == "Smoke alarm fitted"
    vm.save()
    assert vm.saved
    assert {e.record_type for e in store.outbox_waiting()} == {"visit", "fix", "followup"}
    SyncViewModel(signed_in).sync_now()
    records = {type(r).__name__: r for r in pushed_records(transport)}
    assert records["Followup"].resident_consent and records["Followup"].resident.phone == "07911 123123"
    assert records["Fix"].visit_id == records["Visit"].id


def test_no_consent_means_no_contact_details(signed_in):
    vm = VisitViewModel(signed_in)
    vm.start(101)
    vm.choose_outcome("refused")
    assert vm.page == "fixes"  # no questionnaire for a refusal
    vm.fixes_done()
    vm.add_followup()
    vm.edit_followup(category="fly_tipping", description="Mattress in the lane", consent=True,
                     contact_phone="0123")
    vm.edit_followup(consent=False)
    assert vm.draft.contact_phone == "" and not vm.draft.shows_contact
    assert vm.save_followup_draft()
    _, _, [followup] = vm.build_records()
    assert followup.resident is None and not followup.resident_consent


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
    vm = VisitViewModel(signed_in)
    vm.start(101)
    vm.choose_outcome("card_left")
    assert not vm.saved and vm.error == FULL_DISK_MESSAGE and vm.page == "review"
    vm.save()  # space freed: the same draft saves
    assert vm.saved and len(store.outbox_waiting()) == 1


def test_street_fix_and_followup(signed_in, store):
    vm = StreetRecordViewModel(signed_in)
    vm.start(12, "fix")
    vm.log_fix("graffiti_removed")
    assert vm.message == "Saved: Graffiti removed on Beech Street"
    vm.start(12, "followup")
    vm.edit_followup(category="street_lighting", description="Two lights out", consent=False)
    assert vm.save_followup_draft()
    kinds = sorted(e.record_type for e in store.outbox_waiting())
    assert kinds == ["fix", "followup"]


# ---------------------------------------------------------------- sync


def test_sync_status_and_rejections(signed_in, transport):
    sync = SyncViewModel(signed_in)
    sync.refresh()
    assert sync.waiting == 0
    visit = VisitViewModel(signed_in)
    visit.start(101)
    visit.choose_outcome("no_answer")
    sync.refresh()
    assert sync.waiting == 1 and "1 waiting" in sync.status_text

    transport.online = False
    sync.sync_now()
    assert sync.online is False and sync.waiting == 1 and "Offline" in sync.status_text
    assert sync.error  # says what happened and what to do

    transport.online = True
    transport.reject["visit"] = "household 101 is not in operation 7"
    sync.sync_now()
    assert sync.online is True and sync.waiting == 0 and sync.rejected == 1
    [row] = sync.rejected_rows
    assert row.reason == "household 101 is not in operation 7" and "coordinator" in row.advice
    assert row.title == "Visit: No answer"

    transport.reject.clear()
    sync.retry(row.record_id)
    assert sync.rejected == 0 and sync.waiting == 1
    sync.sync_now()
    assert sync.waiting == 0 and sync.rejected == 0 and sync.last_sync


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
