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
    ui.tap(_door(ui, "1 Avon Road, Bristol"))          # tap 1: the door
    assert ui.screen.name == "visit"
    ui.tap_text("No answer")                           # tap 2: the outcome, saved at once
    ui.wait_until(lambda: ui.screen.name == "street", message="back on the street")
    ui.wait_until(lambda: _door(ui, "1 Avon Road, Bristol").status_text == "No answer ×1")
    assert ui.app.toast.startswith("Saved: No answer")
    ui.screenshot("street_after_no_answer")


def test_questionnaire_with_skip_logic(ui):
    ui.open_walk_list()
    _open_street(ui, "Beech Street")
    ui.tap(_door(ui, "2 Beech Street, Bristol"))
    ui.tap_text("Answered")
    visit = ui.screen
    assert visit.progress_text == "Question 1 of 4"
    ui.tap(visit.ids.question_next)                    # nothing chosen: required
    assert visit.ids.question_error.text == "An answer is required"
    ui.screenshot("question_required")
    ui.tap_text("2")
    ui.tap(visit.ids.question_next)
    assert visit.question_text.startswith("Have you seen anti-social")
    ui.tap_text("Yes")
    assert visit.progress_text == "Question 2 of 5"    # skip logic: a follow-on question appears
    ui.tap(visit.ids.question_next)
    assert visit.question_text == "What kind of anti-social behaviour?"
    ui.tap_text("Drug dealing")
    ui.screenshot("question_choice")
    ui.tap(visit.ids.question_next)
    ui.tap_text("No")
    ui.tap(visit.ids.question_next)
    ui.tap(visit.ids.question_next)                    # comments are optional
    assert visit.vm.page == "fixes"
    ui.tap(visit.ids.fixes_next)
    ui.tap(visit.ids.followups_next)
    assert visit.vm.page == "review"
    ui.screenshot("visit_review")
    ui.tap(visit.ids.save)
    ui.wait_until(lambda: ui.screen.name == "street", message="saved")
    ui.wait_until(lambda: len(ui.transport.pushed) == 1, message="sent by the sync engine")
    [record] = pushed_records(ui.transport)
    assert record.answers == {"feel_safe": 2, "asb_seen": True, "asb_kind": "drugs", "smoke_alarm": False}


def test_fix_and_followup_with_consent(ui):
    ui.open_walk_list()
    _open_street(ui, "Cedar Close")
    ui.tap(_door(ui, "3 Cedar Close, Bristol"))
    ui.tap_text("Come back later")
    visit = ui.screen
    assert visit.vm.page == "fixes"
    ui.tap_text("Smoke alarm fitted")
    ui.tap(visit.ids.fixes_next)
    ui.tap(visit.ids.add_followup)
    form = visit.ids.form
    ui.tap(form.ids.add)                               # empty form: says what is missing
    assert form.ids.category_error.text and form.ids.consent_error.text
    assert form.ids.contact_box.height == 0            # no consent yet: no contact fields
    ui.tap_text("Home fire safety visit", root=form)
    ui.tap_text("High", root=form)
    ui.type_into(form.ids.description, "Elderly resident, no smoke alarm upstairs")
    ui.tap(form.ids.consent_yes)
    assert form.ids.contact_box.height > 0             # consent: contact fields appear
    ui.type_into(form.ids.contact_name, "Mrs Khan")
    form.scroll_y = 0
    ui.pump(3)
    ui.type_into(form.ids.contact_phone, "07911 123456")
    ui.screenshot("followup_with_consent")
    ui.tap(form.ids.add)
    assert visit.vm.page == "followups" and len(visit.vm.followups) == 1
    ui.tap(visit.ids.followups_next)
    ui.tap(visit.ids.save)
    ui.wait_until(lambda: ui.screen.name == "street", message="saved")
    ui.wait_until(lambda: len(ui.transport.pushed) == 3, message="sent by the sync engine")
    records = {type(r).__name__: r for r in pushed_records(ui.transport)}
    assert records["Fix"].category == "smoke_alarm_fitted"
    followup = records["Followup"]
    assert followup.category == "home_fire_safety_visit" and followup.priority == "high"
    assert followup.resident_consent and followup.resident.name == "Mrs Khan"
    assert followup.resident.phone == "07911 123456"
