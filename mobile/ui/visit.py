"""Visit screen: outcome buttons, one question per page, fixes, follow-ups, review.

Pages follow ``VisitViewModel.page``; answer buttons are made from the question
the view-model says is current (the shared questionnaire engine decides which).
"""

from __future__ import annotations

from functools import partial

from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.label import Label

from mobile.ui import theme
from mobile.ui.base import BoundScreen
from mobile.ui.followup_form import FollowupForm  # noqa: F401  (kv rule)
from mobile.ui.widgets import AppButton, AppToggle, DangerButton, SecondaryButton, load_kv
from mobile.viewmodels.visit import VisitViewModel
from shared_schemas.questionnaire import QuestionType

load_kv(__file__)


def _label(text: str, *, bold: bool = False, muted: bool = False) -> Label:
    lbl = Label(text=text, bold=bold, font_size=sp(theme.SMALL_SP if muted else theme.BODY_SP),
                color=theme.c.MUTED if muted else theme.c.TEXT, halign="left", valign="top",
                size_hint_y=None)
    lbl.bind(width=lambda w, v: setattr(w, "text_size", (v, None)),
             texture_size=lambda w, v: setattr(w, "height", max(v[1], dp(28))))
    return lbl


class VisitScreen(BoundScreen):
    address = StringProperty("")
    page = StringProperty("outcome")
    error = StringProperty("")
    progress_text = StringProperty("")
    progress = NumericProperty(0.0)
    question_text = StringProperty("")
    question_help = StringProperty("")
    answer_cols = NumericProperty(2)
    saving = BooleanProperty(False)

    def __init__(self, app, vm, **kwargs):
        self._question_key = None
        self._outcomes_built = False
        super().__init__(app, vm, **kwargs)
        self.ids.form.vm = vm
        self._build_outcomes()
        self._build_fixes()

    # -- static pages ---------------------------------------------------------------
    def _build_outcomes(self) -> None:
        box = self.ids.outcomes
        box.clear_widgets()
        for code, text, instant in VisitViewModel.outcome_choices():
            cls = AppButton if instant or code == "answered" else SecondaryButton
            if code == "do_not_visit":
                cls = DangerButton
            b = cls(text=text, font_size=sp(theme.BIG_SP), bold=instant or code == "answered", height=dp(96))
            b.outcome = code
            b.bind(on_release=partial(self._choose_outcome, code))
            box.add_widget(b)

    def _choose_outcome(self, code, *_):
        self.vm.choose_outcome(code)

    def _build_fixes(self) -> None:
        box = self.ids.fixes
        box.clear_widgets()
        for code, text in VisitViewModel.fix_choices():
            t = AppToggle(text=text)
            t.value = code
            t.bind(on_release=partial(lambda c, *_: self.vm.toggle_fix(c), code))
            box.add_widget(t)

    # -- refresh --------------------------------------------------------------------------
    def refresh(self, names):
        vm = self.vm
        self.address = vm.address
        self.page = vm.page
        self.error = vm.error
        self.saving = vm.saving
        self.title = f"Visit: {vm.address}" if vm.address else "Visit"
        pages = self.ids.pages
        if pages.current != vm.page:
            pages.current = vm.page
        if vm.page == "question":
            self._show_question()
        elif vm.page == "fixes":
            for t in self.ids.fixes.children:
                t.state = "down" if t.value in vm.fixes else "normal"
        elif vm.page == "followups":
            self._show_followups()
        elif vm.page == "followup":
            self.ids.form.load()
        elif vm.page == "review":
            self._show_review()
        if self.manager is not None and self.manager.current == self.name:
            self.app.refresh_title()

    def _show_question(self) -> None:
        vm = self.vm
        q = vm.question
        if q is None:
            return
        n, total = vm.progress
        self.progress_text = vm.progress_text
        self.progress = n / total if total else 0
        self.question_text = q.text
        self.question_help = q.help
        key = (vm.household_id, vm.visit_id, q.id)
        if key != self._question_key:
            self._question_key = key
            self._build_answers(q)
        answer = vm.current_answer()
        for w in self.ids.answers.children:
            if isinstance(w, AppToggle):
                chosen = answer if isinstance(answer, list) else [answer]
                w.state = "down" if any(_same(w.value, a) for a in chosen) else "normal"

    def _build_answers(self, q) -> None:
        box = self.ids.answers
        box.clear_widgets()
        kind = q.type
        self.answer_cols = 1
        if kind is QuestionType.YES_NO:
            self.answer_cols = 2
            choices = [(True, "Yes"), (False, "No")]
        elif kind in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
            self.answer_cols = 2
            choices = [(o.value, o.label) for o in q.options]
        elif kind is QuestionType.SCALE_1_5:
            self.answer_cols = 5
            low, high = q.low_label, q.high_label
            choices = [(i, f"{i}\n{low}" if i == 1 and low else (f"{i}\n{high}" if i == 5 and high else str(i)))
                       for i in range(1, 6)]
        else:
            from kivy.factory import Factory

            ti = Factory.AppTextInput(multiline=kind is QuestionType.TEXT,
                                      input_filter="float" if kind is QuestionType.NUMBER else None)
            if kind is QuestionType.TEXT:
                ti.height = dp(160)
            ti.text = self.vm.raw_text.get(q.id, "" if self.vm.current_answer() is None
                                           else str(self.vm.current_answer()))
            ti.bind(text=lambda _w, text: self.vm.answer_text(text))
            ti.answer_input = True
            box.add_widget(ti)
            return
        group = None if kind is QuestionType.MULTIPLE_CHOICE else f"q_{q.id}_{id(self)}"
        for value, text in choices:
            t = AppToggle(text=text, group=group, height=dp(80))
            if group:
                t.allow_no_selection = False
            t.value = value
            t.bind(on_release=partial(lambda v, *_: self.vm.answer(v), value))
            box.add_widget(t)

    def _show_followups(self) -> None:
        box = self.ids.followup_list
        box.clear_widgets()
        if not self.vm.followups:
            box.add_widget(_label("None yet.", muted=True))
        for i, draft in enumerate(self.vm.followups):
            from kivy.uix.boxlayout import BoxLayout

            row = BoxLayout(size_hint_y=None, height=dp(theme.TOUCH_DP), spacing=dp(8))
            row.add_widget(_label(draft.summary()))
            rm = SecondaryButton(text="Remove", size_hint_x=None, width=dp(140))
            rm.bind(on_release=partial(lambda idx, *_: self.vm.remove_followup(idx), i))
            row.add_widget(rm)
            box.add_widget(row)

    def _show_review(self) -> None:
        if self.ids.notes.text != self.vm.notes:
            self.ids.notes.text = self.vm.notes
        box = self.ids.review
        box.clear_widgets()
        for heading, text in self.vm.review_lines():
            h = _label(heading, bold=True)
            h.size_hint_x = 0.4
            box.add_widget(h)
            box.add_widget(_label(text))

    def handle_back(self) -> bool:
        if self.vm.page == "outcome":
            return False
        self.vm.back()
        return True


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b
