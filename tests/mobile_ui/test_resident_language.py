"""The questionnaire in the resident's language on the tablet, without a window: switching keeps the
answers, the skip logic is the same, the visit records the language it was held in; a card left at
the door carries its code."""

from __future__ import annotations

import pytest

from mobile.viewmodels.operations import OperationsViewModel
from mobile.viewmodels.signin import SignInViewModel
from mobile.viewmodels.visit import VisitViewModel
from shared_schemas import cards

from .support import STREETSAFE_V3, FakeTransport, make_pack


@pytest.fixture
def v3(store):
    """Signed in, the operation open, its questionnaire StreetSafe v3 (five languages)."""
    from mobile.sync import SyncEngine
    from mobile.viewmodels.base import InlineRunner
    from mobile.viewmodels.context import AppContext

    pack = make_pack(questionnaire=STREETSAFE_V3)
    transport = FakeTransport(pack)
    ctx = AppContext(store, lambda url: transport, SyncEngine, runner=InlineRunner())
    SignInViewModel(ctx, "http://fake").submit(username="officer", password="doorstep-demo")
    ops = OperationsViewModel(ctx)
    ops.refresh()
    ops.download(pack.operation.id)
    ops.open(pack.operation.id)
    yield ctx
    ctx.stop_engine()


def test_the_switch_offers_each_language_by_its_own_name(v3):
    vm = VisitViewModel(v3)
    vm.start(101)
    assert vm.language_choices() == [("en", "English"), ("cy", "Cymraeg"), ("pl", "Polski"), ("ur", "اردو"),
                                     ("pa", "ਪੰਜਾਬੀ")]
    assert vm.resident_language == "en"
    with pytest.raises(ValueError):
        vm.choose_language("fr")


def test_switching_mid_visit_keeps_answers_and_skip_logic_and_records_the_language(v3, store):
    vm = VisitViewModel(v3)
    vm.start(102)
    vm.choose_outcome("answered")
    vm.answer("feel_safe_after_dark", 2)
    vm.answer("asb_seen", True)
    english = [q.id for q in vm.questions]
    assert "unsafe_reasons" in english and "asb_types" in english
    vm.choose_language("ur")
    assert [q.id for q in vm.questions] == english  # the same questions apply in every language
    assert vm.questions[0].text.startswith("اندھیرا") and vm.answers["feel_safe_after_dark"] == 2
    vm.answer("asb_seen", False)  # skip logic acts the same in Urdu
    assert "asb_types" not in [q.id for q in vm.questions]
    vm.choose_language("pa")
    assert vm.questions[0].text.startswith("ਹਨੇਰਾ")
    assert VisitViewModel(v3).language_choices()  # a second view-model is unaffected by this one
    again = VisitViewModel(v3)  # the app killed mid-visit: the draft keeps the resident's language
    again.start(102)
    assert again.resident_language == "pa" and again.answers == vm.answers
    for qid, value in (("smoke_alarm", True), ("hear_back", "not_needed")):
        again.answer(qid, value)
    visit, _fixes, _followups, errors = again.build_records()
    assert not errors and visit.communication is not None and visit.communication.language == "pa"
    assert visit.card_code is None
    again.save()
    assert again.saved


def test_a_card_left_carries_a_code_the_toast_shows(v3, store):
    vm = VisitViewModel(v3)
    done = []
    vm.on_finished = lambda message, visit_id, undoable: done.append(message)
    vm.start(103)
    code = vm.card_code
    assert cards.normalised(code) == code
    vm.choose_outcome("answered")
    visit, *_ = vm.build_records()
    assert visit.card_code is None  # only a card_left visit carries it
    vm.discard()
    vm.start(103)
    vm.choose_outcome("card_left")
    [entry] = store.outbox_waiting(include_held=True)
    assert vm.saved and done and done[0].endswith(f"card code {cards.shown(vm.card_code)}")
    assert b'"card_code":"' + vm.card_code.encode() + b'"' in store.record_body(str(entry.record_id))


def test_how_the_visit_was_held_is_recorded_and_kept_in_the_draft(v3, store):
    vm = VisitViewModel(v3)
    vm.start(104)
    vm.choose_outcome("answered")
    for qid, value in (("feel_safe_after_dark", 4), ("asb_seen", False), ("smoke_alarm", True),
                       ("hear_back", "online")):
        vm.answer(qid, value)
    vm.choose_language("pl")
    vm.choose_interpreter("telephone")
    vm.toggle_adjustment("large_print")
    vm.toggle_adjustment("other")
    vm.save()
    assert not vm.saved and vm.errors["adjustment_other"] == "Say what the other adjustment was."
    vm.set_adjustment_other("x" * 201)
    assert vm.errors["adjustment_other"].startswith("The other adjustment is 201 characters")
    vm.set_adjustment_other("Speak slowly, hard of hearing")
    again = VisitViewModel(v3)
    again.start(104)
    assert again.interpreter == "telephone" and again.adjustments == ["large_print", "other"]
    assert again.adjustment_other == "Speak slowly, hard of hearing"
    again.save()
    assert again.saved
    [entry] = [e for e in store.outbox_waiting() if e.record_type == "visit"]
    body = store.record_body(str(entry.record_id))
    assert (b'"communication":{"language":"pl","interpreter":"telephone","adjustments":["large_print","other"],'
            b'"adjustment_other":"Speak slowly, hard of hearing"}') in body
