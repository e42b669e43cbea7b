"""Visit screen: one scrolling page (outcome, the questions that apply, fixes, follow-ups, notes).

The view-model decides everything (which questions apply, what a tap means, what is wrong);
this screen keeps one widget per question and per follow-up, shows or hides them as the
view-model says, and copies states and messages into them. Text typed into a field goes to
the view-model; the screen writes text into a field only when a visit is opened (a resumed
draft), so typing is never fought.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from kivy.factory import Factory
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from mobile.ui import resident_text
from mobile.ui.base import BoundScreen
from mobile.ui.i18n import tr
from mobile.ui.photos import PhotoStrip
from mobile.ui.widgets import AppToggle, load_kv
from mobile.viewmodels.followup import (
    FIELD_RULES,
    category_choices,
    contact_language_choices,
    contact_method_choices,
    priority_choices,
)
from mobile.viewmodels.visit import INSTANT_OUTCOMES, VisitViewModel
from shared_schemas import cards, fields
from shared_schemas.codes import FIX_CATEGORY_LABELS, FOLLOWUP_CATEGORY_LABELS, Outcome
from shared_schemas.communication import BSL
from shared_schemas.questionnaire import QuestionType
from shared_schemas.scripts import is_rtl

load_kv(__file__)


class QuestionBlock(BoxLayout):
    """One question: its words (always shown), its answers, one line for help or an error.

    Its words are the resident's (``question`` comes from the questionnaire in their language), drawn
    by ``resident_text``; "optional" and the errors are the app's, in the interface language."""

    text = StringProperty("")
    message = StringProperty("")
    is_error = BooleanProperty(False)
    counter = StringProperty("")
    cols = NumericProperty(2)

    def __init__(self, screen, question, number: int, yes_no: tuple[str, str] = ("", ""), **kwargs):
        super().__init__(**kwargs)
        self.question = question
        self.text = question.text
        resident_text.follow(self.ids.text, question.text)
        self.input = None
        kind = question.type
        box = self.ids.answers
        if kind in (QuestionType.NUMBER, QuestionType.TEXT):
            self.cols = 1
            self.input = Factory.AppTextInput(multiline=kind is QuestionType.TEXT,
                                              input_filter="float" if kind is QuestionType.NUMBER else None)
            if kind is QuestionType.TEXT:
                self.input.height = dp(110)
            self.input.bind(text=lambda _w, text: screen.vm.answer_text(question.id, text))
            box.add_widget(self.input)
            return
        choices: list[tuple[Any, str]]
        if kind is QuestionType.YES_NO:
            choices, mark = [(True, yes_no[0] or tr._("Yes")), (False, yes_no[1] or tr._("No"))], "radio"
        elif kind is QuestionType.SCALE_1_5:
            low, high = question.low_label, question.high_label
            choices = [(i, f"{i}\n{low}" if i == 1 and low else (f"{i}\n{high}" if i == 5 and high else str(i)))
                       for i in range(1, 6)]
            mark = ""
        else:
            choices = [(o.value, o.label) for o in question.options]
            mark = "check" if kind is QuestionType.MULTIPLE_CHOICE else "radio"
        self.cols = 5 if kind is QuestionType.SCALE_1_5 else 2
        group = None if kind is QuestionType.MULTIPLE_CHOICE else f"q_{question.id}_{id(screen)}"
        # Read from the right in a right-to-left language: the first answer and each mark on the right.
        rtl = is_rtl(question.text)
        box.orientation = "rl-tb" if rtl else "lr-tb"
        for value, text in choices:
            t = AppToggle(text=text, group=group, kind=mark, height=dp(72 if kind is QuestionType.SCALE_1_5 else 60),
                          mark_right=rtl)
            if group:
                t.allow_no_selection = False
            t.value = value
            t.bind(on_release=partial(lambda v, *_: screen.vm.answer(question.id, v), value))
            if kind is not QuestionType.SCALE_1_5 or low or high:
                resident_text.follow(t, text, centered=True)
            box.add_widget(t)

    def show(self, answer, message: str, is_error: bool, counter: str) -> None:
        """``message``: an error (the app's words) when ``is_error``, else the question's help (the resident's)."""
        chosen = answer if isinstance(answer, list) else [answer]
        for w in self.ids.answers.children:
            if isinstance(w, AppToggle):
                w.state = "down" if any(_same(w.value, a) for a in chosen) else "normal"
        if not is_error and not message and not self.question.required:
            message = tr._("Optional")
        self.message, self.is_error, self.counter = message, is_error, counter
        resident_text.apply(self.ids.message.ids.line, message, width=0)


class AttemptLine(BoxLayout):
    """One earlier visit at the door: what, when, by whom, where it stands, and Correct on the pair's own."""

    screen = ObjectProperty(None)
    record_id = StringProperty("")
    text = StringProperty("")
    state = StringProperty("")
    corrected = BooleanProperty(False)
    can_correct = BooleanProperty(False)


class SuggestionRow(BoxLayout):
    screen = ObjectProperty(None)
    category = StringProperty("")
    title = StringProperty("")


class FollowupCard(BoxLayout):
    """A follow-up being written, inside a visit or for a street. ``owner`` is its view-model."""

    owner = ObjectProperty(None)
    followup_id = StringProperty("")
    title = StringProperty("")
    suggested = BooleanProperty(False)
    consent = StringProperty("")  # "", "yes", "no"
    category_message = StringProperty("")
    description_message = StringProperty("")
    consent_message = StringProperty("")
    contact_name_message = StringProperty("")
    contact_phone_message = StringProperty("")
    contact_email_message = StringProperty("")
    contact_method_message = StringProperty("")
    description_counter = StringProperty("")
    category_cols = NumericProperty(2)
    choice_cols = NumericProperty(2)  # the ways and languages of contact
    removable = BooleanProperty(True)

    def __init__(self, owner, draft, **kwargs):
        self.messages: dict[str, str] = {}
        self._loading = True
        super().__init__(**kwargs)
        self.owner = owner
        self.followup_id = draft.id
        self.suggested = draft.suggested
        self.bind(width=lambda *_: setattr(self, "category_cols", 5 if self.width > dp(1000) else 2))
        self.bind(width=lambda *_: setattr(self, "choice_cols", 4 if self.width > dp(1000) else 2))
        for code, text in category_choices():
            t = AppToggle(text=tr._(text), group=f"fu_cat_{draft.id}", allow_no_selection=False, kind="radio")
            t.value, t.english = code, text
            t.bind(on_release=partial(lambda c, *_: self.edit(category=c), code))
            self.ids.categories.add_widget(t)
        for code, text in priority_choices():
            t = AppToggle(text=tr._(text), group=f"fu_pri_{draft.id}", allow_no_selection=False)
            t.value, t.english = code, text
            t.bind(on_release=partial(lambda c, *_: self.edit(priority=c), code))
            self.ids.priorities.add_widget(t)
        for code, text in contact_method_choices():
            t = AppToggle(text=tr._(text), group=f"fu_how_{draft.id}", allow_no_selection=True, kind="radio")
            t.value, t.english = code, text
            t.bind(on_release=partial(self._choose, "contact_method", code))
            self.ids.contact_methods.add_widget(t)
        questionnaire = getattr(getattr(owner, "ctx", None), "pack", None)
        for code, name in contact_language_choices(getattr(questionnaire, "questionnaire", None)):
            t = AppToggle(group=f"fu_lang_{draft.id}", allow_no_selection=True, kind="radio")
            t.value = code
            if code == BSL:
                t.text, t.english = tr._(name), name
            else:  # each language by its own name, in its own script
                resident_text.follow(t, name, centered=True)
            t.bind(on_release=partial(self._choose, "contact_language", code))
            self.ids.contact_languages.add_widget(t)
        tr.on_switch(self._relabel)
        for name in ("description", "contact_name", "contact_phone", "contact_email"):
            self.ids[name].text = getattr(draft, name)
        self.photo_strip = PhotoStrip(owner=owner, target=f"fu:{draft.id}",
                                      heading=tr._("Photos of the scene (optional)"))
        self.ids.photos.add_widget(self.photo_strip)
        self._loading = False

    def show(self, draft, errors: dict[str, str]) -> None:
        self.title = draft.title
        for t in self.ids.categories.children:
            t.state = "down" if t.value == draft.category else "normal"
        for t in self.ids.priorities.children:
            t.state = "down" if t.value == draft.priority else "normal"
        for t in self.ids.contact_methods.children:
            t.state = "down" if t.value == draft.contact_method else "normal"
        for t in self.ids.contact_languages.children:
            t.state = "down" if t.value == draft.contact_language else "normal"
        self.consent = {True: "yes", False: "no", None: ""}[draft.consent]
        if draft.consent is False:
            self._loading = True
            for key in ("contact_name", "contact_phone", "contact_email"):
                self.ids[key].text = ""
            self._loading = False
        for name in ("category", "description", "consent", "contact_name", "contact_phone", "contact_email",
                     "contact_method"):
            setattr(self, f"{name}_message", errors.get(name, ""))
        self.messages = dict(errors)
        self.description_counter = fields.counter(FIELD_RULES["description"], draft.description)
        self.photo_strip.show()

    def edit(self, **values) -> None:
        if self._loading or self.owner is None:
            return
        self.owner.edit_followup(self.followup_id, **values)

    def remove(self) -> None:
        self.owner.remove_followup(self.followup_id)

    def _choose(self, name: str, code: str, toggle) -> None:
        """A way or language of contact tapped: chosen, or unchosen by tapping it again."""
        self.edit(**{name: code if toggle.state == "down" else ""})

    def _relabel(self) -> None:
        for t in [*self.ids.categories.children, *self.ids.priorities.children,
                  *self.ids.contact_methods.children, *self.ids.contact_languages.children]:
            if getattr(t, "english", ""):
                t.text = tr._(t.english)


class VisitScreen(BoundScreen):
    address = StringProperty("")
    has_attempts = BooleanProperty(False)
    corrects_text = StringProperty("")
    correction = BooleanProperty(False)  # a correction (of a sent or a refused visit) is on the page
    error = StringProperty("")
    saving = BooleanProperty(False)
    has_outcome = BooleanProperty(False)
    outcome_message = StringProperty("")
    outcome_error = BooleanProperty(False)
    notes_message = StringProperty("")
    notes_error = BooleanProperty(False)
    notes_counter = StringProperty("")
    has_languages = BooleanProperty(False)
    is_answered = BooleanProperty(False)
    other_adjustment = BooleanProperty(False)
    adjustment_message = StringProperty("")
    adjustment_counter = StringProperty("")
    card_code_text = StringProperty("")

    bindings = {"address": "address", "error": "error", "saving": "saving", "corrects_text": "corrects_text"}

    def __init__(self, app, vm, **kwargs):
        self._blocks: dict[str, QuestionBlock] = {}
        self._shown_questions: list[str] = []
        self._cards: dict[str, FollowupCard] = {}
        self._fix_strips: dict[str, PhotoStrip] = {}
        self._suggested: list[str] | None = []
        self._loaded_visit = None
        self._block_language: str | None = None
        self._language_choices: list[tuple[str, str]] | None = None
        self._attempts: tuple = ()
        self._typing = False
        super().__init__(app, vm, **kwargs)
        self._build_outcomes()
        self._build_fixes()
        self._build_communication()
        tr.on_switch(self._relabel)
        self.refresh(frozenset())

    # -- static parts ---------------------------------------------------------------
    def _build_outcomes(self) -> None:
        box = self.ids.outcomes
        for code, text, instant in VisitViewModel.outcome_choices():
            t = AppToggle(text=tr._(text), group=f"outcome_{id(self)}", allow_no_selection=False, kind="radio",
                          height=dp(72), bold=instant or code == "answered")
            t.english = text
            t.value = code
            t.bind(on_release=partial(lambda c, *_: self.vm.choose_outcome(c), code))
            box.add_widget(t)

    def _build_fixes(self) -> None:
        box = self.ids.fixes
        for code, text in VisitViewModel.fix_choices():
            t = AppToggle(text=tr._(text), kind="check")
            t.english = text
            t.value = code
            t.bind(on_release=partial(lambda c, *_: self.vm.toggle_fix(c), code))
            box.add_widget(t)

    def _build_communication(self) -> None:
        """How an answered visit was held: the interpreter (one of) and the adjustments (any of)."""
        for code, text in VisitViewModel.interpreter_choices():
            t = AppToggle(text=tr._(text), group=f"interpreter_{id(self)}", allow_no_selection=False, kind="radio")
            t.english, t.value = text, code
            t.bind(on_release=partial(lambda c, *_: self.vm.choose_interpreter(c), code))
            self.ids.interpreters.add_widget(t)
        for code, text in VisitViewModel.adjustment_choices():
            t = AppToggle(text=tr._(text), kind="check")
            t.english, t.value = text, code
            t.bind(on_release=partial(lambda c, *_: self.vm.toggle_adjustment(c), code))
            self.ids.adjustments.add_widget(t)

    def adjustment_other_typed(self, text: str) -> None:
        if not self._typing:
            self.vm.set_adjustment_other(text)

    def _build_languages(self, choices: list[tuple[str, str]]) -> None:
        """The resident's-language switch: each language by its own name, in its own script."""
        box = self.ids.languages
        box.clear_widgets()
        for code, name in choices:
            t = AppToggle(group=f"language_{id(self)}", allow_no_selection=False, kind="radio")
            t.value = code
            resident_text.follow(t, name, centered=True)
            t.bind(on_release=partial(lambda c, *_: self.vm.choose_language(c), code))
            box.add_widget(t)
        self._language_choices = choices

    def _relabel(self) -> None:
        """The interface language changed: the words this screen set from Python."""
        for t in [*self.ids.outcomes.children, *self.ids.fixes.children, *self.ids.interpreters.children,
                  *self.ids.adjustments.children]:
            t.text = tr._(t.english)
        self._blocks.clear()  # "Optional", Yes and No where the questionnaire has no words for them
        self._shown_questions = []
        self._suggested = None
        self.refresh(frozenset())

    # -- refresh --------------------------------------------------------------------------
    def refresh(self, names):
        vm = self.vm
        if vm.visit_id != self._loaded_visit:
            self._load(vm)
        self.correction = bool(vm.supersedes or vm.correcting)
        self.title = (f"{tr._('Correct') if self.correction else tr._('Visit')}: {vm.address}" if vm.address
                      else tr._("Visit"))
        self._show_attempts(vm)
        choices = vm.language_choices() if vm.asks_questions else []
        if choices != self._language_choices:
            self._build_languages(choices)
        self.has_languages = bool(choices)
        for t in self.ids.languages.children:
            t.state = "down" if t.value == vm.resident_language else "normal"
        self.has_outcome = vm.outcome is not None and not (vm.outcome in INSTANT_OUTCOMES and vm.saving)
        self.card_code_text = (
            tr._("Leaving a card? Write this code on it: {code}").format(code=cards.shown(vm.card_code))
            if vm.card_code and not self.correction and vm.outcome in (None, Outcome.CARD_LEFT) else "")
        for t in self.ids.outcomes.children:
            t.state = "down" if vm.outcome is not None and t.value == vm.outcome.value else "normal"
        if vm.errors.get("outcome"):
            self.outcome_message, self.outcome_error = vm.errors["outcome"], True
        else:
            self.outcome_error = False
            self.outcome_message = (tr._("Carried on from where you left off: this visit was kept as a draft.")
                                    if vm.resumed else tr._("Choose what happened, then Save.") if vm.supersedes
                                    or vm.correcting else tr._("No answer and Card left are saved at once."))
        self._show_questions(vm)
        for t in self.ids.fixes.children:
            t.state = "down" if t.value in vm.fixes else "normal"
        self._show_fix_photos(vm)
        self.is_answered = vm.asks_questions
        for t in self.ids.interpreters.children:
            t.state = "down" if t.value == vm.interpreter.value else "normal"
        for t in self.ids.adjustments.children:
            t.state = "down" if t.value in vm.adjustments else "normal"
        self.other_adjustment = "other" in vm.adjustments
        self.adjustment_message = tr._(vm.errors["adjustment_other"]) if vm.errors.get("adjustment_other") else ""
        self.adjustment_counter = fields.counter("visit.adjustment_other", vm.adjustment_other)
        self._show_suggestions(vm)
        self._show_followups(vm)
        self.notes_message = vm.errors.get("notes", "")
        self.notes_error = bool(self.notes_message)
        self.notes_counter = vm.notes_counter
        if "first_error" in names and vm.first_error:
            self.scroll_to_key(vm.first_error)

    def _load(self, vm) -> None:
        """A visit was opened (new, or a draft resumed): fresh fields with what it holds."""
        self._loaded_visit = vm.visit_id
        for block in self._blocks.values():
            if block.parent is not None:
                block.parent.remove_widget(block)
        self._blocks.clear()
        self._shown_questions = []
        self.ids.followups.clear_widgets()
        self._cards.clear()
        self.ids.fix_photos.clear_widgets()
        self._fix_strips.clear()
        self._suggested = None
        self._typing = True
        self.ids.notes.text = vm.notes
        self.ids.adjustment_other.text = vm.adjustment_other
        self._typing = False
        self.ids.scroll.scroll_y = 1

    def _show_questions(self, vm) -> None:
        questions = vm.questions
        ids = [q.id for q in questions]
        if vm.resident_language != self._block_language:  # the words change, the answers stay
            self._blocks.clear()
            self._shown_questions = []
            self._block_language = vm.resident_language
        shown = vm.shown_questionnaire
        yes_no = (shown.languages[0].yes, shown.languages[0].no) if shown is not None and shown.languages else ("", "")
        for n, q in enumerate(questions, start=1):
            if q.id not in self._blocks:
                block = QuestionBlock(self, q, n, yes_no)
                if block.input is not None:
                    self._typing = True
                    block.input.text = vm.raw_text.get(q.id, "" if vm.answers.get(q.id) is None
                                                       else str(vm.answers.get(q.id)))
                    self._typing = False
                self._blocks[q.id] = block
        if ids != self._shown_questions:
            box = self.ids.questions
            box.clear_widgets()
            for qid in ids:
                box.add_widget(self._blocks[qid])
            self._shown_questions = ids
        for q in questions:
            error = vm.errors.get(f"q:{q.id}", "")
            self._blocks[q.id].show(vm.answers.get(q.id), tr._(error) if error else q.help, bool(error),
                                    vm.text_counter(q.id))

    def _show_attempts(self, vm) -> None:
        """The door's earlier attempts (rebuilt only when they change: they sit above the outcomes).
        Correct shows only while nothing is being recorded on the page (one visit at a time)."""
        busy = vm.has_work or bool(vm.correcting)
        shown = (tuple(vm.attempts), busy, vm.supersedes, vm.correcting)
        if shown == self._attempts:
            return
        box = self.ids.attempts
        box.clear_widgets()
        for row in vm.attempts:
            being_corrected = row.record_id in (vm.supersedes, vm.correcting)
            box.add_widget(AttemptLine(screen=self, record_id=row.record_id, text=row.text,
                                       state=tr._("Being corrected below") if being_corrected else row.state,
                                       corrected=row.corrected, can_correct=row.can_correct and not busy))
        self._attempts = shown
        self.has_attempts = bool(vm.attempts)

    def attempt_line(self, record_id: str) -> AttemptLine:
        return next(w for w in self.ids.attempts.children if w.record_id == record_id)

    def _show_suggestions(self, vm) -> None:
        categories = [s.category for s in vm.suggestions]
        if categories == self._suggested:
            return
        box = self.ids.suggestions
        box.clear_widgets()
        for category in categories:
            box.add_widget(SuggestionRow(screen=self, category=category,
                                         title=tr._(FOLLOWUP_CATEGORY_LABELS.get(category, category))))
        self._suggested = categories

    def _show_followups(self, vm) -> None:
        wanted = [f.id for f in vm.followups]
        for fid in [fid for fid in self._cards if fid not in wanted]:
            self.ids.followups.remove_widget(self._cards.pop(fid))
        for draft in vm.followups:
            card = self._cards.get(draft.id)
            if card is None:
                card = FollowupCard(vm, draft)
                self._cards[draft.id] = card
                self.ids.followups.add_widget(card)
            prefix = f"fu:{draft.id}:"
            card.show(draft, {k[len(prefix):]: v for k, v in vm.errors.items() if k.startswith(prefix)})
        self.ids.add_followup.text = tr._("Add another follow-up") if vm.followups else tr._("Add a follow-up")

    def _show_fix_photos(self, vm) -> None:
        """Under the fixes, each fix toggled on gets its photos: before and after (optional)."""
        for category in [c for c in self._fix_strips if c not in vm.fixes]:
            self.ids.fix_photos.remove_widget(self._fix_strips.pop(category))
        for category in vm.fixes:
            strip = self._fix_strips.get(category)
            if strip is None:
                what = tr._(FIX_CATEGORY_LABELS.get(category, category))
                strip = PhotoStrip(owner=vm, target=f"fix:{category}", stages=["before", "after"],
                                   heading=tr._("{fix}: photos (optional)").format(fix=what))
                self._fix_strips[category] = strip
                self.ids.fix_photos.add_widget(strip)
            strip.show()

    def fix_photo_strip(self, category: str) -> PhotoStrip:
        return self._fix_strips[category]

    def notes_typed(self, text: str) -> None:
        if not self._typing:
            self.vm.set_notes(text)

    # -- finding things (after a refused save, and for tests) ---------------------------
    def widget_for(self, key: str):
        """The widget showing the field ``key`` of the view-model's errors."""
        if key == "outcome":
            return self.ids.outcomes
        if key == "notes":
            return self.ids.notes
        if key == "adjustment_other":
            return self.ids.adjustment_other
        if key.startswith("q:"):
            return self._blocks.get(key[2:])
        if key.startswith("fu:"):
            _, fid, name = key.split(":", 2)
            card = self._cards.get(fid)
            if card is None:
                return None
            alias = {"consent": "consent_yes", "category": "categories"}.get(name, "")
            return card.ids.get(name) or card.ids.get(alias) or card
        return None

    def question_block(self, question_id: str) -> QuestionBlock:
        return self._blocks[question_id]

    def card(self, followup_id: str) -> FollowupCard:
        return self._cards[followup_id]

    def scroll_to_key(self, key: str) -> None:
        widget = self.widget_for(key)
        if widget is not None and widget.parent is not None:
            self.ids.scroll.scroll_to(widget, padding=dp(40), animate=False)


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b

