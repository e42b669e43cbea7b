"""UI under Xvfb: the questionnaire switched to Urdu and to Punjabi mid-visit, and the interface in
Welsh. Screenshots: .artifacts/screens/language_*.png."""

from __future__ import annotations

import arabic_reshaper
import pytest

from .support import STREETSAFE_V3, make_pack, pushed_records

pytestmark = pytest.mark.ui

URDU_QUESTION = STREETSAFE_V3["questions"][2]["translations"]["ur"]["text"]  # asb_seen: a long one
PUNJABI_QUESTION = STREETSAFE_V3["questions"][0]["translations"]["pa"]["text"]


@pytest.fixture
def v3_ui(ui):
    from mobile.ui.i18n import tr

    ui.transport.pack = make_pack(questionnaire=STREETSAFE_V3)
    try:
        yield ui
    finally:
        tr.switch("en")  # the interface language is the app's, and the next test's app starts in English


PORTRAIT = (800, 1280)


def _visit_answered(ui, size=None):
    if size:
        ui.window.size = size
    ui.open_walk_list()
    streets = ui.screen
    ui.tap(ui.rv_row(streets.ids.rv, lambda w: w.name == "Beech Street"))
    ui.tap(ui.rv_row(ui.screen.ids.rv, lambda w: w.address == "2 Beech Street, Bristol"))
    ui.tap_text("Answered")
    return ui.screen


def _toggle(root, value):
    from kivy.uix.togglebutton import ToggleButton

    [toggle] = [t for t in root.children if isinstance(t, ToggleButton) and t.value == value]
    return toggle


def _language(ui, visit, code):
    visit.ids.scroll.scroll_y = 1  # the switch is at the top of the questions, as the screenshots show
    ui.pump(2)
    ui.tap(_toggle(visit.ids.languages, code))
    ui.pump(3)


def test_the_resident_language_switches_mid_visit_to_urdu_and_punjabi(v3_ui):
    ui = v3_ui
    visit = _visit_answered(ui, PORTRAIT)  # a tablet held upright: the Urdu question wraps
    ui.tap(_toggle(visit.question_block("feel_safe_after_dark").ids.answers, 2))
    ui.tap(_toggle(visit.question_block("asb_seen").ids.answers, True))
    visit.ids.scroll.scroll_y = 1
    ui.screenshot("language_1_english", size=PORTRAIT)

    _language(ui, visit, "ur")
    block = visit.question_block("feel_safe_after_dark")
    label = visit.question_block("asb_seen").ids.text
    assert label.font_name == "DoorstepArabic" and label.halign == "right"
    lines = label.text.split("\n")
    words = URDU_QUESTION.split(" ")
    # Wrapped in reading order first, then each line put right to left: the question's first word is
    # on the first line (its letters joined, then reversed into visual order), its last word on the last.
    assert arabic_reshaper.reshape(words[0])[::-1] in lines[0]
    assert arabic_reshaper.reshape(words[-1].rstrip("؟"))[::-1] in lines[-1]
    assert label.texture_size[0] <= label.width + 1  # every line fits: Kivy did not wrap it again
    # Somewhere on the page (the options, in half the width) Urdu wraps: each wrapped label has its
    # lines cut in reading order, so each one's first word is on its first line.
    wrapped = [(w, o) for q in visit.vm.questions for o in q.options
               for w in visit.question_block(q.id).ids.answers.children
               if getattr(w, "value", None) == o.value and "\n" in w.text]
    assert wrapped, "no Urdu option wrapped at this width"
    for toggle, option in wrapped:
        first_line = toggle.text.split("\n")[0]
        assert arabic_reshaper.reshape(option.label.split(" ")[0])[::-1] in first_line, (option.label, toggle.text)
    # The answers stayed; the buttons are still in the interface language.
    assert _toggle(block.ids.answers, 2).state == "down"
    yes = _toggle(visit.question_block("asb_seen").ids.answers, True)
    assert yes.state == "down" and yes.text == arabic_reshaper.reshape("ہاں")[::-1]
    assert ui.button("Save visit") and ui.button("Answered")
    assert visit.ids.save.text == "Save visit"
    # Read from the right: each radio and check mark on the right of its answer, the first answer on
    # the right of its row (the interface's own toggles keep theirs on the left).
    for qid in ("asb_seen", "asb_types"):
        answers = visit.question_block(qid).ids.answers
        assert answers.orientation == "rl-tb"
        marked = [t for t in answers.children if t.kind]
        assert marked and all(t.mark_right for t in marked)
        for t in marked:
            [mark] = [c for c in t.children if getattr(c, "icon", "") == t.icon]
            assert mark.x > t.center_x, (qid, t.value)  # the mark sits in the toggle's right half
    first, second = list(reversed(visit.question_block("asb_seen").ids.answers.children))[:2]
    assert (first.value, second.value) == (True, False) and first.x > second.x  # "yes" on the right
    assert not ui.button("Answered").mark_right
    ui.screenshot("language_2_urdu", size=PORTRAIT)

    _language(ui, visit, "pa")
    assert visit.question_block("asb_seen").ids.answers.orientation == "lr-tb"
    assert not any(t.mark_right for t in visit.question_block("asb_seen").ids.answers.children)
    label = visit.question_block("feel_safe_after_dark").ids.text
    assert label.font_name == "DoorstepGurmukhi" and label.font_script_name == "Guru"
    assert label.halign == "left" and label.text == PUNJABI_QUESTION  # HarfBuzz shapes it, left to right
    assert _toggle(visit.question_block("feel_safe_after_dark").ids.answers, 2).state == "down"
    ui.screenshot("language_3_punjabi", size=PORTRAIT)

    for qid, value in (("smoke_alarm", True), ("hear_back", "not_needed")):
        ui.tap(_toggle(visit.question_block(qid).ids.answers, value))
    ui.tap(visit.ids.save)
    ui.wait_until(lambda: ui.screen.name == "street", message="saved")
    ui.wait_until(lambda: len(ui.transport.pushed) == 1, message="sent")
    [record] = pushed_records(ui.transport)
    assert record.communication.language == "pa"
    assert record.answers["feel_safe_after_dark"] == 2 and record.answers["asb_seen"] is True


def test_right_to_left_text_is_wrapped_before_each_line_is_reordered(kivy_window):
    from bidi import get_display

    from mobile.ui.resident_text import drawn

    shown = drawn(URDU_QUESTION, width=260, font_size=28)
    lines = shown.text.split("\n")
    assert shown.rtl and shown.font_name == "DoorstepArabic" and len(lines) >= 3
    # Reordering the whole paragraph first and wrapping after would put its end on the first line.
    whole = get_display(arabic_reshaper.reshape(URDU_QUESTION), base_dir="R")
    assert lines[0] != whole[:len(lines[0])]
    words = URDU_QUESTION.split(" ")
    assert lines[0].endswith(arabic_reshaper.reshape(words[0])[::-1])  # read from the right: first word first
    assert lines[-1].startswith(arabic_reshaper.reshape(words[-1])[::-1][:1])


def test_gurmukhi_is_shaped_by_harfbuzz(kivy_window):
    """The vowel sign ਿ is written after its consonant but drawn before it: only shaping moves it."""
    from kivy.core.text import Label as CoreLabel

    from mobile.ui.resident_text import register_fonts

    assert "DoorstepGurmukhi" in register_fonts()

    def pixels(script: str) -> bytes:
        label = CoreLabel(text="ਕਿ", font_name="DoorstepGurmukhi", font_size=64, font_script_name=script)
        label.refresh()
        return label.texture.pixels

    assert pixels("Guru") != pixels("Latn")


def test_the_interface_in_welsh_while_the_resident_answers_in_polish(v3_ui):
    ui = v3_ui
    visit = _visit_answered(ui)
    ui.tap(ui.app.root.ids.interface_language)
    ui.pump(3)
    assert visit.ids.save.text == "Cadw'r ymweliad"
    assert ui.button("Atebwyd") and ui.button("Dim ateb")  # the outcomes, in Welsh
    assert ui.app.root.ids.nav_streets.text == "Strydoedd"
    _language(ui, visit, "pl")
    label = visit.question_block("feel_safe_after_dark").ids.text
    assert label.text == STREETSAFE_V3["questions"][0]["translations"]["pl"]["text"]
    assert visit.ids.save.text == "Cadw'r ymweliad"  # the resident's language did not change the app's
    ui.screenshot("language_4_welsh_interface_polish_questions")
    visit.ids.scroll.scroll_to(visit.ids.communication_box, animate=False)
    ui.pump(2)
    ui.tap_text("Cyfieithydd ar y ffôn")  # how the visit was held: the app's words, in Welsh
    ui.tap_text("Print bras")
    assert visit.vm.interpreter == "telephone" and visit.vm.adjustments == ["large_print"]
    ui.screenshot("language_5_welsh_interface_how_the_visit_was_held")
    ui.tap(ui.app.root.ids.interface_language)
    ui.pump(3)
    assert visit.ids.save.text == "Save visit" and ui.button("Answered")
