"""UI: the walk from street list to saved visit, with real touches."""

import pytest

from .support import pushed_records

pytestmark = pytest.mark.ui


def _open_street(ui, name):
    streets = ui.screen
    row = ui.rv_row(streets.ids.rv, lambda w: w.name == name)
    ui.tap(row)
    assert ui.screen.name == "street"


def _door(ui, address):
    return ui.rv_row(ui.screen.ids.rv, lambda w: w.address == address)


def test_no_answer_in_two_taps(ui):
    ui.open_walk_list()
    _open_street(ui, "Avon Road")
    # the door OpenStreetMap had no number for, placed along the street, says it may not exist
    def muted(w):
        return type(w).__name__ == "MutedLabel"

    placed = _door(ui, "4 Avon Road, Bristol")
    [line] = ui.find(muted, placed)
    assert line.text == "Even side  ·  May not exist (placed along the street)"
    [line] = ui.find(muted, _door(ui, "2 Avon Road, Bristol"))
    assert line.text == "Even side"
    ui.tap(_door(ui, "1 Avon Road, Bristol"))          # tap 1: the door
    assert ui.screen.name == "visit"
    ui.tap_text("No answer")                           # tap 2: the outcome, saved at once
    ui.wait_until(lambda: ui.screen.name == "street", message="back on the street")
    ui.wait_until(lambda: _door(ui, "1 Avon Road, Bristol").status_text == "Knock again: No answer ×1")
    assert ui.app.toast.startswith("Saved: No answer")
    ui.screenshot("street_after_no_answer")


def _answer(ui, question_id, label):
    from kivy.uix.togglebutton import ToggleButton

    block = ui.screen.question_block(question_id)
    [toggle] = [t for t in block.ids.answers.children if isinstance(t, ToggleButton)
                and t.text.split("\n")[0] == label]
    ui.tap(toggle)


def test_questionnaire_on_one_page_with_live_skip_logic(ui):
    ui.open_walk_list()
    _open_street(ui, "Beech Street")
    ui.tap(_door(ui, "2 Beech Street, Bristol"))
    ui.tap_text("Answered")
    visit = ui.screen
    assert [q.id for q in visit.vm.questions] == ["feel_safe", "asb_seen", "smoke_alarm", "comments"]
    ui.tap(visit.ids.save)                             # nothing answered: the required ones say so
    block = visit.question_block("feel_safe")
    assert block.message == "An answer is required." and block.is_error
    ui.screenshot("question_required")
    _answer(ui, "feel_safe", "2")
    assert not block.is_error
    _answer(ui, "asb_seen", "Yes")                     # skip logic, live: a follow-on question appears
    assert "asb_kind" in [q.id for q in visit.vm.questions]
    _answer(ui, "asb_kind", "Drug dealing")
    _answer(ui, "smoke_alarm", "No")
    ui.screenshot("question_choice")
    ui.tap(visit.ids.save)
    ui.wait_until(lambda: ui.screen.name == "street", message="saved")
    ui.wait_until(lambda: len(ui.transport.pushed) == 1, message="sent by the sync engine")
    [record] = pushed_records(ui.transport)
    assert record.answers == {"feel_safe": 2, "asb_seen": True, "asb_kind": "drugs", "smoke_alarm": False}


def test_single_and_multiple_choice_look_different(ui):
    ui.open_walk_list()
    _open_street(ui, "Beech Street")
    ui.tap(_door(ui, "4 Beech Street, Bristol"))
    ui.tap_text("Come back later")
    visit = ui.screen
    outcome = ui.button("Come back later")
    fix = ui.button("Smoke alarm fitted")
    assert outcome.kind == "radio" and outcome.icon == "radio_on"       # one of a group: a round mark
    assert fix.kind == "check" and fix.icon == "check_off"              # any number: a square mark
    ui.tap(fix)
    assert fix.icon == "check_on" and visit.vm.fixes == ["smoke_alarm_fitted"]


def test_fix_and_followup_with_consent(ui):
    ui.open_walk_list()
    _open_street(ui, "Cedar Close")
    ui.tap(_door(ui, "3 Cedar Close, Bristol"))
    ui.tap_text("Come back later")
    visit = ui.screen
    ui.tap_text("Smoke alarm fitted")
    ui.tap(visit.ids.add_followup)
    [draft] = visit.vm.followups
    form = visit.card(draft.id)
    assert form.ids.contact_box.children == []         # no consent yet: no contact fields
    below_top = form.top - form.ids.consent_yes.top
    ui.tap(visit.ids.save)          # empty form: says what is missing (and scrolls to it); nothing moves in it
    assert form.messages.get("category") and form.messages.get("consent")
    assert form.top - form.ids.consent_yes.top == below_top
    ui.tap_text("Home fire safety visit", root=form)
    ui.tap_text("High", root=form)
    ui.type_into(form.ids.description, "Elderly resident, no smoke alarm upstairs")
    ui.tap(form.ids.consent_yes)
    assert form.ids.contact_box.children               # consent: contact fields appear
    ui.type_into(form.ids.contact_name, "Mrs Khan")
    ui.type_into(form.ids.contact_phone, "07911 123456")
    ui.screenshot("followup_with_consent")
    ui.tap(visit.ids.save)
    ui.wait_until(lambda: ui.screen.name == "street", message="saved")
    ui.wait_until(lambda: len(ui.transport.pushed) == 3, message="sent by the sync engine")
    records = {type(r).__name__: r for r in pushed_records(ui.transport)}
    assert records["Fix"].category == "smoke_alarm_fitted"
    followup = records["Followup"]
    assert followup.category == "home_fire_safety_visit" and followup.priority == "high"
    assert followup.resident_consent and followup.resident.name == "Mrs Khan"
    assert followup.resident.phone == "+447911123456"
