"""UI: field ergonomics on every screen, in landscape 1280x800 and portrait 800x1280.

Touch targets at least 48 dp, text at least 16 sp, every text colour one of the theme's
(whose pairs tests/mobile_core/test_theme.py computes at 7:1 or more).
"""

import pytest

from mobile.ui import theme

from .conftest import is_shown

pytestmark = pytest.mark.ui


def _screens(ui):
    """Visit every screen and every visit page; yield a name for each."""
    app = ui.app
    yield "signin"
    ui.open_walk_list()
    yield "streets"
    app.go("operations")
    ui.settle()
    yield "operations"
    app.streets_vm.open(11)
    yield "street"
    app.street_vm.visit(101)
    yield "visit_outcome"
    vm = app.visit_vm
    vm.choose_outcome("answered")
    yield "visit_questions"
    vm.answer("feel_safe", 3)
    vm.answer("asb_seen", True)
    vm.answer("asb_kind", "noise")
    vm.answer("smoke_alarm", False)
    vm.toggle_fix("advice_given")
    draft = vm.add_followup()
    vm.edit_followup(draft.id, consent=True)
    vm.save()  # refused: every message shown where it belongs
    yield "visit_with_errors"
    ui.screen.ids.scroll.scroll_y = 0
    yield "visit_followup_form"
    vm.discard()
    app.go("street")
    app.open_street_record("fix")
    yield "street_fix"
    app.back()
    app.open_street_record("followup")
    yield "street_followup"
    app.go("map")
    yield "map"
    app.go("sync")
    yield "sync"


def _problems(ui, where):
    from kivy.metrics import dp, sp
    from kivy.uix.behaviors import ButtonBehavior
    from kivy.uix.label import Label
    from kivy.uix.textinput import TextInput

    allowed = {theme.hex_rgba(fg) for fg, _ in theme.PAIRS.values()}
    width, height = ui.window.size
    problems = []
    for w in ui.app.root.walk(restrict=True):
        if not is_shown(w):
            continue
        name = f"{where}: {type(w).__name__} {getattr(w, 'text', '')[:30]!r}"
        if isinstance(w, (ButtonBehavior, TextInput)) and not w.disabled:
            if w.height < dp(theme.MIN_TOUCH_DP) or w.width < dp(theme.MIN_TOUCH_DP):
                problems.append(f"{name} is {w.width:.0f}x{w.height:.0f}, under 48 dp")
            x, y = w.to_window(w.x, w.y)
            if x < -1 or x + w.width > width + 1:
                problems.append(f"{name} runs off the {width}-wide window (x={x:.0f})")
        if isinstance(w, Label) and w.text.strip():
            if w.font_size < sp(theme.MIN_BODY_SP):
                problems.append(f"{name} text is {w.font_size:.0f}px, under 16 sp")
            colour = tuple(round(c, 3) for c in (w.disabled_color if w.disabled else w.color))
            if colour not in {tuple(round(c, 3) for c in a) for a in allowed}:
                problems.append(f"{name} uses colour {colour}, not a theme text colour")
        if isinstance(w, TextInput) and w.font_size < sp(theme.MIN_BODY_SP):
            problems.append(f"{name} text is under 16 sp")
    return problems


def test_landscape_targets_text_and_colours(ui):
    problems = []
    for where in _screens(ui):
        ui.pump(3)
        problems += _problems(ui, where)
    assert not problems, "\n".join(problems)
    ui.screenshot("ergonomics_landscape_sync")


def test_portrait_layout(ui):
    ui.window.size = (800, 1280)
    ui.pump(3)
    problems = []
    try:
        for where in _screens(ui):
            ui.pump(3)
            problems += _problems(ui, where)
            if where in ("streets", "visit_outcome", "visit_with_errors", "visit_followup_form", "street_followup",
                         "map", "sync"):
                ui.screenshot(f"portrait_{where}", size=(800, 1280))
    finally:
        ui.window.size = (1280, 800)
        ui.pump(3)
    assert not problems, "\n".join(problems)
    ui.screenshot("ergonomics_after_portrait")
