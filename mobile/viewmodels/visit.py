"""A visit at one door: outcome, questionnaire, on-the-spot fixes, follow-ups, review, save.

``no_answer`` and ``card_left`` save at once (two taps from the street list).
``answered`` runs the questionnaire one question per page; skip logic and
required checks come from ``shared_schemas.questionnaire`` (never re-implemented
here). Every other outcome goes straight to fixes, follow-ups and review.

Nothing is lost on a failed save: the draft stays in this view-model and the
review page shows the message; saving again uses the same record ids, so a
retry can never make a duplicate.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared_schemas.codes import (
    FIX_CATEGORY_LABELS,
    FOLLOWUP_CATEGORY_LABELS,
    OUTCOME_LABELS,
    PRIORITY_LABELS,
    FixCategory,
    FollowupCategory,
    Outcome,
    Priority,
)
from shared_schemas.questionnaire import (
    Question,
    QuestionType,
    applicable_questions,
    is_answered,
    prune_answers,
    validate_answers,
)
from shared_schemas.records import Fix, Followup, Location, ResidentContact, Visit, check_record

from .base import Observable
from .context import AppContext
from .messages import message_for

#: Outcomes saved the moment they are tapped.
INSTANT_OUTCOMES = (Outcome.NO_ANSWER, Outcome.CARD_LEFT)
#: The order of the outcome buttons.
OUTCOME_ORDER = (
    Outcome.NO_ANSWER, Outcome.CARD_LEFT, Outcome.ANSWERED, Outcome.COME_BACK_LATER,
    Outcome.REFUSED, Outcome.VACANT, Outcome.INACCESSIBLE, Outcome.DO_NOT_VISIT,
)

PAGES = ("outcome", "question", "fixes", "followups", "followup", "review")


@dataclass
class FollowupDraft:
    """The follow-up form's state. ``build()`` makes the record; ``problems()`` says what is missing."""

    category: str = ""
    priority: str = Priority.NORMAL.value
    description: str = ""
    consent: bool | None = None  # None until the resident was asked
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    id: uuid.UUID = field(default_factory=uuid.uuid4)

    @property
    def shows_contact(self) -> bool:
        """Contact details are asked for only when the resident consents."""
        return self.consent is True

    def summary(self) -> str:
        cat = FOLLOWUP_CATEGORY_LABELS.get(self.category, self.category) if self.category else "?"
        pri = PRIORITY_LABELS.get(self.priority, self.priority)
        consent = "consent given" if self.consent else "no consent"
        return f"{cat} ({pri}, {consent}): {self.description.strip()[:60]}"

    def build(self, ctx: AppContext, *, visit_id=None, household_id=None, street_id=None) -> Followup:
        resident = None
        if self.consent and any(v.strip() for v in (self.contact_name, self.contact_phone, self.contact_email)):
            resident = ResidentContact(
                name=self.contact_name.strip(),
                phone=self.contact_phone.strip() or None,
                email=self.contact_email.strip() or None,
            )
        return Followup(
            id=self.id, operation_id=ctx.operation_id, team_id=ctx.team_id,
            category=FollowupCategory(self.category), priority=Priority(self.priority),
            description=self.description.strip(), resident_consent=bool(self.consent),
            resident=resident, raised_at=ctx.now(),
            visit_id=visit_id, household_id=household_id, street_id=street_id,
        )

    def problems(self) -> dict[str, str]:
        """field -> message, for the form (empty when it can be added)."""
        out: dict[str, str] = {}
        if not self.category:
            out["category"] = "Choose what the follow-up is about."
        if not self.description.strip():
            out["description"] = "Say what the partner agency should do."
        if self.consent is None:
            out["consent"] = "Ask the resident whether they consent to be contacted."
        if self.consent and not any(v.strip() for v in (self.contact_phone, self.contact_email)):
            out["contact"] = "Give a phone number or an email address, or record that there is no consent."
        if self.contact_email.strip() and "@" not in self.contact_email:
            out["contact"] = "That email address has no @: check it with the resident."
        return out


class FollowupFormMixin:
    """The follow-up form shared by the visit and by a street-level follow-up."""

    draft: FollowupDraft
    form_errors: dict[str, str]

    def new_followup(self) -> None:
        self.draft = FollowupDraft()
        self.form_errors = {}
        self.changed("draft", "form_errors")

    def edit_followup(self, **values: Any) -> None:
        """Set form fields: category, priority, description, consent, contact_name/phone/email."""
        for key, value in values.items():
            if not hasattr(self.draft, key) or key == "id":
                raise AttributeError(key)
            setattr(self.draft, key, value)
        if values.get("consent") is False:
            # without consent no contact details are kept, not even in memory
            self.draft.contact_name = self.draft.contact_phone = self.draft.contact_email = ""
        for key in values:
            self.form_errors.pop("contact" if key.startswith("contact_") else key, None)
        self.changed("draft", "form_errors")


class VisitViewModel(FollowupFormMixin, Observable):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.on_finished: Callable[[str], None] | None = None  # called with a message after saving
        self.reset(None)

    # -- set-up ---------------------------------------------------------------------
    def reset(self, household_id: int | None, address: str = "") -> None:
        self.household_id = household_id
        self.address = address
        self.page = "outcome"
        self.outcome: Outcome | None = None
        self.answers: dict[str, Any] = {}
        self.raw_text: dict[str, str] = {}  # what was typed in number/text questions
        self.index = 0
        self.error = ""  # beside the question, or on the review page
        self.fixes: list[str] = []
        self.followups: list[FollowupDraft] = []
        self.draft = FollowupDraft()
        self.form_errors: dict[str, str] = {}
        self.notes = ""
        self.visit_id = uuid.uuid4()
        self._fix_ids: dict[str, uuid.UUID] = {}
        self.saving = False
        self.saved = False
        self.changed("page")

    def start(self, household_id: int) -> None:
        row = self.ctx.store.household(self.ctx.operation_id, household_id)
        self.reset(household_id, getattr(row, "address", "") if row else "")

    @property
    def questionnaire(self):
        return getattr(self.ctx.pack, "questionnaire", None)

    # -- outcome ----------------------------------------------------------------------
    @staticmethod
    def outcome_choices() -> list[tuple[str, str, bool]]:
        """(code, label, saves at once) for the outcome buttons."""
        return [(o.value, OUTCOME_LABELS[o], o in INSTANT_OUTCOMES) for o in OUTCOME_ORDER]

    def choose_outcome(self, outcome: str) -> None:
        self.outcome = Outcome(outcome)
        self.error = ""
        if self.outcome in INSTANT_OUTCOMES:
            self.save()
            return
        if self.outcome is Outcome.ANSWERED and self.questionnaire is not None and self.questions:
            self.index = 0
            self._go("question")
        else:
            self._go("fixes")

    # -- questionnaire ------------------------------------------------------------------
    @property
    def questions(self) -> list[Question]:
        q = self.questionnaire
        return applicable_questions(q, self.answers) if q is not None else []

    @property
    def question(self) -> Question | None:
        qs = self.questions
        return qs[self.index] if 0 <= self.index < len(qs) else None

    @property
    def progress(self) -> tuple[int, int]:
        """(current question number, questions that apply now)."""
        return self.index + 1, len(self.questions)

    @property
    def progress_text(self) -> str:
        n, total = self.progress
        return f"Question {n} of {total}"

    def current_answer(self) -> Any:
        q = self.question
        return self.answers.get(q.id) if q else None

    def answer(self, value: Any) -> None:
        """Set the current question's answer (bool, option value, 1-5, number or text)."""
        q = self.question
        if q is None:
            return
        if q.type is QuestionType.MULTIPLE_CHOICE and isinstance(value, str):
            chosen = list(self.answers.get(q.id) or [])
            chosen.remove(value) if value in chosen else chosen.append(value)
            value = chosen
        self.answers[q.id] = value
        self.error = ""
        self.changed("answers", "error")

    def answer_text(self, text: str) -> None:
        """Typed text for number and text questions (numbers are parsed here)."""
        q = self.question
        if q is None:
            return
        self.raw_text[q.id] = text
        value: Any = text
        if q.type is QuestionType.NUMBER:
            t = text.strip().replace(",", ".")
            if not t:
                value = None
            else:
                try:
                    value = int(t) if t.lstrip("-").isdigit() else float(t)
                except ValueError:
                    value = text  # the engine reports "expected a number"
        self.answers[q.id] = value
        self.error = ""
        self.changed("answers", "error")

    def _question_errors(self, question_id: str) -> list[str]:
        q = self.questionnaire
        errors = validate_answers(q, prune_answers(q, self.answers) | (
            {question_id: self.answers[question_id]} if question_id in self.answers else {}))
        return [e.message for e in errors if e.question_id == question_id]

    def next(self) -> None:
        q = self.question
        if q is None:
            self._go("fixes")
            return
        problems = self._question_errors(q.id)
        if problems:
            self.error = _sentence(problems[0])
            self.changed("error")
            return
        self.error = ""
        if self.index + 1 < len(self.questions):
            self.index += 1
            self.changed("index", "error")
            self._go("question")
        else:
            self._go("fixes")

    def back(self) -> None:
        self.error = ""
        if self.page == "question":
            if self.index > 0:
                self.index -= 1
                self._go("question")
            else:
                self._go("outcome")
        elif self.page == "fixes":
            if self.outcome is Outcome.ANSWERED and self.questions:
                self.index = len(self.questions) - 1
                self._go("question")
            else:
                self._go("outcome")
        elif self.page == "followups":
            self._go("fixes")
        elif self.page == "followup" or self.page == "review":
            self._go("followups")

    # -- fixes ---------------------------------------------------------------------------
    @staticmethod
    def fix_choices() -> list[tuple[str, str]]:
        return [(c.value, FIX_CATEGORY_LABELS[c]) for c in FixCategory]

    def toggle_fix(self, category: str) -> None:
        FixCategory(category)
        if category in self.fixes:
            self.fixes.remove(category)
        else:
            self.fixes.append(category)
        self.changed("fixes")

    def fixes_done(self) -> None:
        self._go("followups")

    # -- follow-ups ----------------------------------------------------------------------
    @staticmethod
    def followup_choices() -> list[tuple[str, str]]:
        return [(c.value, FOLLOWUP_CATEGORY_LABELS[c]) for c in FollowupCategory]

    @staticmethod
    def priority_choices() -> list[tuple[str, str]]:
        return [(p.value, PRIORITY_LABELS[p]) for p in Priority]

    def add_followup(self) -> None:
        self.new_followup()
        self._go("followup")

    def save_followup_draft(self) -> bool:
        """Check the form; add the follow-up to the visit and go back to the list."""
        problems = self.draft.problems()
        if not problems:
            record = self.draft.build(self.ctx, visit_id=self.visit_id)
            problems = {"form": _sentence(found[0])} if (found := check_record(record)) else {}
        self.form_errors = problems
        if problems:
            self.changed("form_errors")
            return False
        if self.draft not in self.followups:
            self.followups.append(self.draft)
        self.changed("followups")
        self._go("followups")
        return True

    def remove_followup(self, index: int) -> None:
        del self.followups[index]
        self.changed("followups")

    def followups_done(self) -> None:
        self._go("review")

    # -- review and save ---------------------------------------------------------------
    def review_lines(self) -> list[tuple[str, str]]:
        """(heading, text) lines for the review page."""
        lines = [("Address", self.address), ("Outcome", OUTCOME_LABELS.get(self.outcome, "") if self.outcome else "")]
        q = self.questionnaire
        if self.outcome is Outcome.ANSWERED and q is not None:
            answers = prune_answers(q, self.answers)
            for question in applicable_questions(q, answers):
                lines.append((question.text, _answer_text(question, answers.get(question.id))))
        lines.append(
            ("Fixed on the spot", ", ".join(FIX_CATEGORY_LABELS[FixCategory(f)] for f in self.fixes) or "None")
        )
        lines.append(("Follow-ups", "; ".join(d.summary() for d in self.followups) or "None"))
        return lines

    def build_records(self) -> tuple[Visit, list[Fix], list[Followup]]:
        ctx = self.ctx
        q = self.questionnaire
        answered = self.outcome is Outcome.ANSWERED and q is not None
        pos = ctx.position
        visit = Visit(
            id=self.visit_id, operation_id=ctx.operation_id, household_id=self.household_id,
            team_id=ctx.team_id, visited_at=ctx.now(), outcome=self.outcome,
            questionnaire=q.id if answered else None,
            answers=prune_answers(q, self.answers) if answered else {},
            location=Location(lon=pos.lon, lat=pos.lat, accuracy_m=pos.accuracy_m) if pos else None,
            notes=self.notes,
        )
        fixes = []
        for category in self.fixes:
            fix_id = self._fix_ids.setdefault(category, uuid.uuid4())
            fixes.append(Fix(id=fix_id, operation_id=ctx.operation_id, team_id=ctx.team_id,
                             category=FixCategory(category), done_at=ctx.now(), visit_id=self.visit_id))
        followups = [d.build(ctx, visit_id=self.visit_id) for d in self.followups]
        return visit, fixes, followups

    def save(self) -> None:
        if self.saving or self.saved:
            return
        if self.ctx.team_id is None:
            self.error = "You are not in a pair on this operation, so visits cannot be recorded."
            self.changed("error")
            return
        q = self.questionnaire
        if self.outcome is Outcome.ANSWERED and q is not None:
            errors = validate_answers(q, prune_answers(q, self.answers))
            if errors:
                ids = [x.id for x in self.questions]
                first = errors[0]
                if first.question_id in ids:
                    self.index = ids.index(first.question_id)
                    self.error = _sentence(first.message)
                    self._go("question")
                    return
        try:
            visit, fixes, followups = self.build_records()
        except Exception as exc:  # a code that fails to build: keep the draft, say why
            self.error = message_for(exc)
            self.changed("error")
            return
        self.saving = True
        self.changed("saving")
        store = self.ctx.store
        self.ctx.runner.run(lambda: store.record_visit(visit, fixes, followups),
                            lambda _r: self._saved(), self._save_failed)

    def _saved(self) -> None:
        self.saving, self.saved, self.error = False, True, ""
        self.changed("saving", "saved", "error")
        self.ctx.request_sync()
        if self.on_finished:
            self.on_finished(f"Saved: {OUTCOME_LABELS[self.outcome]} at {self.address}")

    def _save_failed(self, exc: BaseException) -> None:
        # The draft stays as it is: the person can free space and tap Save again.
        self.saving = False
        self.error = message_for(exc)
        if self.outcome in INSTANT_OUTCOMES:
            self.page = "review"
        self.changed("saving", "error", "page")

    def _go(self, page: str) -> None:
        self.page = page
        self.changed("page", "index", "error")


class StreetRecordViewModel(FollowupFormMixin, Observable):
    """A fix or a follow-up for the street itself (no door)."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.street_id: int | None = None
        self.street_name = ""
        self.mode = "fix"  # or "followup"
        self.draft = FollowupDraft()
        self.form_errors: dict[str, str] = {}
        self.error = ""
        self.message = ""
        self.on_finished: Callable[[str], None] | None = None

    def start(self, street_id: int, mode: str) -> None:
        if mode not in ("fix", "followup"):
            raise ValueError(mode)
        street = self.ctx.street(street_id)
        self.street_id, self.mode = street_id, mode
        self.street_name = getattr(street, "name", "") if street is not None else ""
        self.error = self.message = ""
        self.new_followup()
        self.changed("mode", "error")

    def log_fix(self, category: str) -> None:
        ctx = self.ctx
        fix = Fix(id=uuid.uuid4(), operation_id=ctx.operation_id, team_id=ctx.team_id,
                  category=FixCategory(category), done_at=ctx.now(), street_id=self.street_id)
        label_ = FIX_CATEGORY_LABELS[FixCategory(category)]
        ctx.runner.run(lambda: ctx.store.record_fix(fix),
                       lambda _r: self._done(f"Saved: {label_} on {self.street_name}"), self._failed)

    def save_followup_draft(self) -> bool:
        problems = self.draft.problems()
        record = None
        if not problems:
            record = self.draft.build(self.ctx, street_id=self.street_id)
            problems = {"form": _sentence(found[0])} if (found := check_record(record)) else {}
        self.form_errors = problems
        self.changed("form_errors")
        if problems:
            return False
        ctx = self.ctx
        cat = FOLLOWUP_CATEGORY_LABELS[FollowupCategory(self.draft.category)]
        ctx.runner.run(lambda: ctx.store.record_followup(record),
                       lambda _r: self._done(f"Follow-up raised: {cat} on {self.street_name}"), self._failed)
        return True

    def _done(self, message: str) -> None:
        self.message, self.error = message, ""
        self.changed("message", "error")
        self.ctx.request_sync()
        if self.on_finished:
            self.on_finished(message)

    def _failed(self, exc: BaseException) -> None:
        self.error = message_for(exc)
        self.changed("error")


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]) if text else text


def _answer_text(question: Question, value: Any) -> str:
    if not is_answered(value):
        return "Not answered"
    if question.type is QuestionType.YES_NO:
        return "Yes" if value else "No"
    if question.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
        labels = {o.value: o.label for o in question.options}
        values = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(v, str(v)) for v in values)
    return str(value)
