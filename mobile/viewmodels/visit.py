"""A visit at one door, on one page: outcome, the questions that apply, fixes, follow-ups, notes.

The page follows ODK's field-list and MiniVAN's one-page survey: every question that applies
is shown at once and skip logic is applied as answers change (``shared_schemas``'s engine,
never re-implemented here); a choice needs no "Next"; fixes are toggles; the follow-ups the
answers call for are proposed pre-filled (``suggested_followups``) and one tap accepts one.

No answer and Card left save at once (two taps from the street) when nothing else was entered,
held back from sending for a few seconds so the toast's Undo can take them back.

Nothing is lost: once an outcome is chosen, the visit is a draft in the store, written at
every change; leaving the screen, signing out or the app being killed keeps it, and opening
the door again resumes it. Saving turns the draft into records in one transaction.

A door lists its earlier attempts (this tablet's, the partner's tablet's and other pairs', pulled),
each with its outcome, time and where it stands. Correct on one of the pair's own: a visit the
server refused is opened to put right and sent again in its place (same id: it was never
stored); a visit already sent is opened pre-filled as a draft and saved as a new visit that
supersedes it (``Visit.supersedes``), so the server keeps both and counts the latest, and so
does the tablet. Fixes and follow-ups made at the first visit stay as they were.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from mobile import words
from shared_schemas import cards, fields
from shared_schemas.codes import FIX_CATEGORY_LABELS, OUTCOME_LABELS, FixCategory, Outcome, label
from shared_schemas.communication import (
    ADJUSTMENT_LABELS,
    INTERPRETER_LABELS,
    Adjustment,
    CommunicationNeeds,
    Interpreter,
    needs_problems,
)
from shared_schemas.questionnaire import (
    Question,
    QuestionType,
    applicable_questions,
    language_codes,
    language_of,
    prune_answers,
    suggested_followups,
    translated,
    validate_answers,
)
from shared_schemas.records import Fix, Location, Visit

from .base import Observable
from .context import AppContext
from .followup import CONTACT_FIELDS, FollowupDraft, check_followup, live_problems
from .messages import message_for
from .photos import PhotoFields
from .photos import refs as photo_refs

#: Outcomes saved the moment they are tapped (when nothing else was entered).
INSTANT_OUTCOMES = (Outcome.NO_ANSWER, Outcome.CARD_LEFT)
#: The order of the outcome buttons.
OUTCOME_ORDER = (
    Outcome.NO_ANSWER, Outcome.CARD_LEFT, Outcome.ANSWERED, Outcome.COME_BACK_LATER,
    Outcome.REFUSED, Outcome.VACANT, Outcome.INACCESSIBLE, Outcome.DO_NOT_VISIT,
)
#: How long an instant outcome waits before it is sent: the toast's Undo works until then.
UNDO_SECONDS = 8
NOTES = "visit.notes"
ADJUSTMENT_OTHER = "visit.adjustment_other"
#: The commonest answer error, one sentence the interface catalogs translate.
ANSWER_REQUIRED = "An answer is required."


class VisitDraftBody(msgspec.Struct, kw_only=True):
    """What the store keeps of a visit in progress (``Store.save_draft``)."""

    visit_id: str
    outcome: str | None = None
    answers: dict[str, Any] = {}
    raw_text: dict[str, str] = {}
    fixes: list[str] = []
    fix_ids: dict[str, str] = {}
    #: A fix's photos by its category: [{"sha256", "stage"}] (mobile.viewmodels.photos).
    fix_photos: dict[str, list[dict]] = {}
    followups: list[dict] = []
    dismissed: list[str] = []
    notes: str = ""
    language: str | None = None
    card_code: str | None = None
    interpreter: str = "none"
    adjustments: list[str] = []
    adjustment_other: str = ""
    #: A correction of a sent visit: the visit it replaces, and that visit's time (kept).
    supersedes: str | None = None
    visited_at: str | None = None


@dataclass(frozen=True)
class AttemptRow:
    """One earlier visit at the door, as the visit page lists it."""

    record_id: str
    text: str  # "Answered · 14:03 · this tablet"
    state: str  # "Sent", "Not sent yet", "Refused by the server: …", "Corrected"
    corrected: bool  # a correction replaced it: kept, no longer counted
    can_correct: bool  # one of the pair's own, still counting
    origin: str = "local"  # "local": made on this tablet; "remote": pulled from the server
    refused: bool = False  # the server refused it: corrected in place (same id), not superseded


#: How each place an attempt stands in reads on the page.
_STATE_TEXT = {"held": "Not sent yet", "waiting": "Not sent yet", "sent": "Sent",
               "refused": "Refused by the server: Correct to put it right"}


_draft_encoder = msgspec.json.Encoder()
_draft_decoder = msgspec.json.Decoder(VisitDraftBody)


class VisitViewModel(PhotoFields, Observable):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        #: Called after saving with (message, visit id, whether Undo can take it back).
        self.on_finished: Callable[[str, str, bool], None] | None = None
        self.undo_seconds = UNDO_SECONDS  # how long a no-answer waits for Undo before it may be sent
        self.reset(None)

    # -- set-up ---------------------------------------------------------------------
    def reset(self, household_id: int | None, address: str = "") -> None:
        self.household_id = household_id
        self.address = address
        self.outcome: Outcome | None = None
        self.answers: dict[str, Any] = {}
        self.raw_text: dict[str, str] = {}  # what was typed in number and text questions
        self.fixes: list[str] = []
        self.fix_photos: dict[str, list[dict]] = {}
        self.photo_error = self.adding_photo = ""
        self.followups: list[FollowupDraft] = []
        self.dismissed: list[str] = []  # suggested categories the person said no to
        self.notes = ""
        self.errors: dict[str, str] = {}  # "q:<id>", "notes", "fu:<id>:<field>", "outcome" -> message
        self.error = ""  # the one line beside Save
        self.first_error = ""  # the key the screen scrolls to after a refused save
        self.attempts: list[AttemptRow] = []  # earlier attempts at this door, newest first
        self.earlier: list[str] = []  # the same as one line each
        self.resumed = False
        self.correcting: str | None = None  # the id of a refused visit being corrected (same id)
        self.supersedes: str | None = None  # the id of a sent visit this new one corrects
        self.corrects_text = ""  # what is being corrected, in words (shown above the outcomes)
        self._visited_at: datetime | None = None
        self.visit_id = uuid.uuid4()
        self._fix_ids: dict[str, str] = {}
        #: The resident's language for the questionnaire (None: its default); the app's own words
        #: stay in the interface language (mobile/ui/i18n.py).
        self.language: str | None = None
        #: The code on the card left at this door (shared_schemas/cards.py), made when the visit opens so
        #: it can be written on a pre-printed card before saving; sent only with a card_left visit.
        self.card_code = cards.new_code()
        # How an answered visit was held (shared_schemas/communication.py), beside the language.
        self.interpreter = Interpreter.NONE
        self.adjustments: list[Adjustment] = []
        self.adjustment_other = ""
        self.saving = False
        self.saved = False
        self.changed("address", "outcome", "answers", "fixes", "followups", "notes", "errors", "error", "saving",
                     "language", "supersedes")

    def start(self, household_id: int) -> None:
        """Open a door: its earlier attempts, and the visit in progress there if there is one."""
        ctx = self.ctx
        row = ctx.store.household(ctx.operation_id, household_id)
        self.reset(household_id, getattr(row, "address", "") if row else "")
        self._load_attempts()
        draft = ctx.store.draft(ctx.operation_id, household_id)
        if draft is not None:
            self._restore(draft.body)
        self.changed("earlier", "attempts", "resumed")

    def _load_attempts(self) -> None:
        ctx = self.ctx
        mine = ctx.team_id
        rows = []
        for a in ctx.store.attempts(ctx.operation_id, self.household_id):
            if a.origin == "local":
                who = words._("this tablet")
            else:
                who = words._("your partner's tablet") if a.team_id == mine else words._("another pair")
            outcome = words._(OUTCOME_LABELS.get(a.outcome, label(str(a.outcome))))
            when = _when(_aware(a.visited_at), ctx.now())
            text = f"{words._('Correction: ') if a.supersedes else ''}{outcome} · {when} · {who}"
            if a.card_code:
                text += " · " + words._("Card code {code}").format(code=cards.shown(a.card_code))
            corrected = a.superseded_by is not None
            rows.append(AttemptRow(record_id=a.record_id, text=text,
                                   state=words._("Corrected: see above" if corrected else _STATE_TEXT[str(a.state)]),
                                   corrected=corrected, can_correct=not corrected and a.team_id == mine,
                                   origin=a.origin, refused=str(a.state) == "refused"))
        self.attempts = rows
        self.earlier = [row.text for row in rows]

    def correct_attempt(self, record_id: str) -> None:
        """Correct on one of the door's attempts: a refused one in place, a sent one by a new visit."""
        row = next((r for r in self.attempts if r.record_id == record_id), None)
        if row is None or not row.can_correct:
            return
        if self.has_work:
            self.set(error=words._("A visit is in progress here: save it, or leave and discard it, before "
                                   "correcting an earlier one."))
            return
        if row.refused:
            self.start_correction(record_id)
        else:
            self.start_superseding(record_id)

    def start_correction(self, record_id: str) -> None:
        """Open a visit the server refused, to correct it; saving sends the corrected copy in its
        place (same id: the refused one was never stored, so nothing is counted twice)."""
        ctx = self.ctx
        # Read as plain JSON: a refused record may break the very limits it is opened to fix.
        raw = msgspec.json.decode(ctx.store.record_body(record_id))
        self.start(int(raw["household_id"]))
        self.visit_id, self.correcting = uuid.UUID(raw["id"]), str(raw["id"])
        self._fill(raw)
        self.errors = self.check()
        self.changed("outcome", "answers", "notes", "errors", "correcting")

    def start_superseding(self, record_id: str) -> None:
        """Open a visit already sent (or waiting to go), pre-filled as a draft, to correct it: saving
        sends a new visit that supersedes it. The server keeps both and counts the new one."""
        ctx = self.ctx
        raw = msgspec.json.decode(ctx.store.record_body(record_id))
        self.start(int(raw["household_id"]))
        attempt = next((a for a in self.attempts if a.record_id == record_id), None)
        self.supersedes = str(raw["id"])
        self._fill(raw)
        self._describe_correction(attempt)
        self._edited("outcome", "answers", "notes", "supersedes")

    def _fill(self, raw: dict) -> None:
        """The page filled in from a stored visit (as plain JSON)."""
        self._visited_at = msgspec.convert(raw["visited_at"], datetime)
        self.outcome = Outcome(raw["outcome"])
        self.answers = dict(raw.get("answers") or {})
        self.raw_text = {k: str(v) for k, v in self.answers.items()
                         if isinstance(v, (str, int, float)) and not isinstance(v, bool)}
        self.notes = str(raw.get("notes") or "")
        q, held_in = self.questionnaire, (raw.get("communication") or {}).get("language")
        if q is not None and held_in in language_codes(q) and held_in != q.default_language:
            self.language = held_in
        self.card_code = raw.get("card_code") or self.card_code
        self.errors = self.check()
        self.changed("outcome", "answers", "notes", "errors", "correcting")

    def _describe_correction(self, attempt: AttemptRow | None) -> None:
        when = _when(self._visited_at, self.ctx.now()) if self._visited_at else ""
        text = words._("Correcting the visit of {when}: Save sends this in its place (the first one is kept, "
                       "marked corrected). Fixes and follow-ups recorded then stay as they were; add only new "
                       "ones.").format(when=when)
        if attempt is not None and attempt.origin == "remote" and self.outcome is Outcome.ANSWERED \
                and not self.answers:
            text += " " + words._("Its answers are on your partner's tablet: answer again here, or correct it there.")
        self.corrects_text = text
        self.changed("corrects_text")

    @property
    def questionnaire(self):
        return getattr(self.ctx.pack, "questionnaire", None)

    # -- the resident's language ------------------------------------------------------------
    def language_choices(self) -> list[tuple[str, str]]:
        """(code, name in its own language) for each language the questionnaire is in, the default
        first; empty when it has only one (no switch to show)."""
        q = self.questionnaire
        if q is None:
            return []
        codes = language_codes(q)
        return [(code, language_of(q, code).name) for code in codes] if len(codes) > 1 else []

    @property
    def resident_language(self) -> str:
        q = self.questionnaire
        return self.language or (q.default_language if q is not None else "en")

    def choose_language(self, code: str) -> None:
        """Ask the questionnaire in ``code`` from now on. Answers are kept: they are stored by question
        id and option value, which are the same in every language."""
        q = self.questionnaire
        if q is None or code not in language_codes(q):
            raise ValueError(f"the questionnaire is not in {code!r}")
        self.language = None if code == q.default_language else code
        self._edited("language", "answers")

    @property
    def shown_questionnaire(self):
        """The questionnaire in the resident's language (the default language's words where one is missing)."""
        q = self.questionnaire
        return translated(q, self.resident_language) if q is not None else None

    @property
    def has_work(self) -> bool:
        """Something would be lost by leaving without saving (the draft keeps it)."""
        return self.outcome is not None and not self.saved

    def _is_empty(self) -> bool:
        return not (self.answers or self.fixes or self.followups or self.notes.strip())

    # -- outcome ----------------------------------------------------------------------
    @staticmethod
    def outcome_choices() -> list[tuple[str, str, bool]]:
        """(code, label, saves at once) for the outcome buttons."""
        return [(o.value, OUTCOME_LABELS[o], o in INSTANT_OUTCOMES) for o in OUTCOME_ORDER]

    def choose_outcome(self, outcome: str) -> None:
        self.outcome = Outcome(outcome)
        self.errors.pop("outcome", None)
        # A correction is saved with a tap on Save, never by choosing an outcome.
        if self.outcome in INSTANT_OUTCOMES and self._is_empty() and not (self.supersedes or self.correcting):
            self.save()
            return
        self._edited("outcome", "errors")

    # -- questionnaire ------------------------------------------------------------------
    @property
    def asks_questions(self) -> bool:
        return self.outcome is Outcome.ANSWERED and self.questionnaire is not None

    @property
    def questions(self) -> list[Question]:
        """The questions that apply now (all shown on the page)."""
        return applicable_questions(self.shown_questionnaire, self.answers) if self.asks_questions else []

    def answer(self, question_id: str, value: Any) -> None:
        """A tap on an answer: sets it (a multiple choice toggles the option)."""
        question = self._question(question_id)
        if question.type is QuestionType.MULTIPLE_CHOICE and isinstance(value, str):
            chosen = list(self.answers.get(question_id) or [])
            chosen.remove(value) if value in chosen else chosen.append(value)
            value = chosen
        self.answers[question_id] = value
        self.errors.pop(f"q:{question_id}", None)
        self._edited("answers", "errors")

    def answer_text(self, question_id: str, text: str) -> None:
        """Typed text for number and text questions (numbers are parsed here)."""
        question = self._question(question_id)
        self.raw_text[question_id] = text
        value: Any = text
        if question.type is QuestionType.NUMBER:
            t = text.strip().replace(",", ".")
            if not t:
                value = None
            else:
                try:
                    value = int(t) if t.lstrip("-").isdigit() else float(t)
                except ValueError:
                    value = text  # the engine says "expected a number"
        self.answers[question_id] = value
        self.errors.pop(f"q:{question_id}", None)
        if question.type is QuestionType.TEXT:
            limit = question.max_length
            if limit is not None and len(text) > limit:
                self.errors[f"q:{question_id}"] = fields.text_answer_too_long(len(text), limit, words._)
        self._edited("answers", "errors")

    def text_counter(self, question_id: str) -> str:
        question = self._question(question_id)
        if question.type is not QuestionType.TEXT or question.max_length is None:
            return ""
        return f"{len(self.raw_text.get(question_id, '')):,} / {question.max_length:,}"

    def _question(self, question_id: str) -> Question:
        question = self.questionnaire.question(question_id) if self.questionnaire is not None else None
        if question is None:
            raise KeyError(question_id)
        return question

    # -- communication needs ---------------------------------------------------------------
    @staticmethod
    def interpreter_choices() -> list[tuple[str, str]]:
        return [(i.value, INTERPRETER_LABELS[i]) for i in Interpreter]

    @staticmethod
    def adjustment_choices() -> list[tuple[str, str]]:
        return [(a.value, ADJUSTMENT_LABELS[a]) for a in Adjustment]

    def choose_interpreter(self, code: str) -> None:
        self.interpreter = Interpreter(code)
        self._edited("communication")

    def toggle_adjustment(self, code: str) -> None:
        adjustment = Adjustment(code)
        if adjustment in self.adjustments:
            self.adjustments.remove(adjustment)
        else:
            self.adjustments.append(adjustment)
        self.errors.pop("adjustment_other", None)
        self._edited("communication", "errors")

    def set_adjustment_other(self, text: str) -> None:
        self.adjustment_other = text
        self.errors.pop("adjustment_other", None)
        if fields.over_limit(ADJUSTMENT_OTHER, text):
            self.errors["adjustment_other"] = fields.too_long(ADJUSTMENT_OTHER, len(text), words._)
        self._edited("communication", "errors")

    def _communication(self) -> CommunicationNeeds:
        return CommunicationNeeds(language=self.resident_language, interpreter=self.interpreter,
                                  adjustments=list(self.adjustments),
                                  adjustment_other=self.adjustment_other.strip())

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
        self._edited("fixes")

    # -- follow-ups ----------------------------------------------------------------------
    @property
    def suggestions(self) -> list:
        """Follow-ups the answers call for that are neither accepted nor turned down."""
        if not self.asks_questions:
            return []
        taken = {f.category for f in self.followups} | set(self.dismissed)
        return [s for s in suggested_followups(self.questionnaire, self.answers) if s.category not in taken]

    def accept_suggestion(self, category: str) -> FollowupDraft:
        """One tap: the suggested follow-up, pre-filled (category, description, priority)."""
        suggestion = next(s for s in self.suggestions if s.category == category)
        draft = FollowupDraft(category=suggestion.category, priority=suggestion.priority,
                              description=suggestion.description, suggested=True)
        self.followups.append(draft)
        self._edited("followups")
        return draft

    def dismiss_suggestion(self, category: str) -> None:
        self.dismissed.append(category)
        self._edited("followups")

    def add_followup(self) -> FollowupDraft:
        draft = FollowupDraft()
        self.followups.append(draft)
        self._edited("followups")
        return draft

    def followup(self, followup_id: str) -> FollowupDraft:
        return next(f for f in self.followups if f.id == followup_id)

    def edit_followup(self, followup_id: str, **values: Any) -> None:
        """Set form fields: category, priority, description, consent, contact_name/phone/email."""
        draft = self.followup(followup_id)
        draft.edit(**values)
        if values.get("consent") is True and not draft.contact_language:
            draft.contact_language = self.resident_language  # to be contacted in the language of the visit
        prefix = f"fu:{followup_id}:"
        for key in values:
            self.errors.pop(prefix + key, None)
            if key in ("consent", "contact_method", "contact_phone", "contact_email"):
                for name in ("contact_phone", "contact_method", *(CONTACT_FIELDS if key == "consent" else ())):
                    self.errors.pop(prefix + name, None)
        for name, message in live_problems(draft).items():
            self.errors[prefix + name] = message
        self._edited("followups", "errors")

    def remove_followup(self, followup_id: str) -> None:
        gone = {item["sha256"] for item in self.followup(followup_id).photos}
        self.followups = [f for f in self.followups if f.id != followup_id]
        self._drop_all(gone - self._form_photos())
        self.errors = {k: v for k, v in self.errors.items() if not k.startswith(f"fu:{followup_id}:")}
        self._edited("followups", "errors")

    # -- photos (mobile.viewmodels.photos) -------------------------------------------------
    def _photo_list(self, target: str) -> list[dict]:
        kind, _, key = target.partition(":")
        if kind == "fix":
            FixCategory(key)
            return self.fix_photos.setdefault(key, [])
        if kind == "fu":
            return self.followup(key).photos
        raise ValueError(target)

    def _photos_changed(self) -> None:
        self._edited("photos")

    def _form_photos(self) -> set[str]:
        return ({item["sha256"] for items in self.fix_photos.values() for item in items}
                | {item["sha256"] for f in self.followups for item in f.photos})

    # -- notes ---------------------------------------------------------------------------
    def set_notes(self, text: str) -> None:
        self.notes = text
        self.errors.pop("notes", None)
        if fields.over_limit(NOTES, text):
            self.errors["notes"] = fields.too_long(NOTES, len(text), words._)
        self._edited("notes", "errors")

    @property
    def notes_counter(self) -> str:
        return fields.counter(NOTES, self.notes)

    # -- drafts ---------------------------------------------------------------------------
    def _edited(self, *names: str) -> None:
        """Every change: written to the store at once (the app may be killed at any moment)."""
        self.error = ""
        if self.outcome is not None and not self.saved and self.household_id is not None and not self.correcting:
            try:
                self.ctx.store.save_draft(self.ctx.operation_id, self.household_id, self._draft_body(),
                                          getattr(self.ctx.session, "username", None))
            except Exception as exc:  # a full disk: say so; the visit is still on screen
                self.error = message_for(exc)
        self.changed(*names, "error")

    def _draft_body(self) -> bytes:
        return _draft_encoder.encode(VisitDraftBody(
            visit_id=str(self.visit_id), outcome=self.outcome.value if self.outcome else None,
            answers=self.answers, raw_text=self.raw_text, fixes=self.fixes, fix_ids=self._fix_ids,
            fix_photos=self.fix_photos,
            followups=[f.to_dict() for f in self.followups], dismissed=self.dismissed, notes=self.notes,
            language=self.language, card_code=self.card_code, interpreter=self.interpreter.value,
            adjustments=[a.value for a in self.adjustments], adjustment_other=self.adjustment_other,
            supersedes=self.supersedes,
            visited_at=self._visited_at.isoformat() if self.supersedes and self._visited_at else None,
        ))

    def _restore(self, body: bytes) -> None:
        try:
            draft = _draft_decoder.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return  # written by another app version: start afresh rather than fail to open the door
        self.visit_id = uuid.UUID(draft.visit_id)
        self.outcome = Outcome(draft.outcome) if draft.outcome else None
        self.answers, self.raw_text = dict(draft.answers), dict(draft.raw_text)
        self.fixes, self._fix_ids = list(draft.fixes), dict(draft.fix_ids)
        self.fix_photos = {c: list(items) for c, items in draft.fix_photos.items()}
        self.followups = [FollowupDraft.from_dict(f) for f in draft.followups]
        self.dismissed, self.notes = list(draft.dismissed), draft.notes
        q = self.questionnaire
        self.language = draft.language if q is not None and draft.language in language_codes(q) else None
        self.card_code = draft.card_code or self.card_code
        try:
            self.interpreter = Interpreter(draft.interpreter)
            self.adjustments = [Adjustment(a) for a in draft.adjustments]
        except ValueError:
            pass  # an older app's words: start these afresh, keep the rest
        self.adjustment_other = draft.adjustment_other
        self.resumed = True
        if draft.supersedes:
            self.supersedes = draft.supersedes
            self._visited_at = datetime.fromisoformat(draft.visited_at) if draft.visited_at else None
            self._describe_correction(next((a for a in self.attempts if a.record_id == draft.supersedes), None))
        self.changed("outcome", "answers", "fixes", "followups", "notes", "supersedes", "photos")

    def discard(self) -> None:
        """Throw the visit in progress away (the person chose Discard); its photos leave the tablet."""
        self._drop_all(self._form_photos())
        if self.household_id is not None:
            self.ctx.store.discard_draft(self.ctx.operation_id, self.household_id)
        self.reset(None)

    # -- save ---------------------------------------------------------------------------
    def build_records(self):
        ctx = self.ctx
        q = self.questionnaire
        pos = ctx.position
        now = ctx.now()
        visit = Visit(
            id=self.visit_id, operation_id=ctx.operation_id, household_id=self.household_id,
            team_id=ctx.team_id, visited_at=self._visited_at or now, outcome=self.outcome,
            questionnaire=q.id if self.asks_questions else None,
            answers=prune_answers(q, self.answers) if self.asks_questions else {},
            location=Location(lon=pos.lon, lat=pos.lat, accuracy_m=pos.accuracy_m) if pos else None,
            notes=self.notes.strip(),
            communication=self._communication() if self.outcome is Outcome.ANSWERED else None,
            card_code=self.card_code if self.outcome is Outcome.CARD_LEFT else None,
            supersedes=uuid.UUID(self.supersedes) if self.supersedes else msgspec.UNSET,
        )
        fixes = [Fix(id=uuid.UUID(self._fix_ids.setdefault(c, str(uuid.uuid4()))), operation_id=ctx.operation_id,
                     team_id=ctx.team_id, category=FixCategory(c), done_at=now, visit_id=self.visit_id,
                     photos=photo_refs(self.fix_photos.get(c, [])))
                 for c in self.fixes]
        followups, errors = [], {}
        for draft in self.followups:
            record, found = check_followup(draft, operation_id=ctx.operation_id, team_id=ctx.team_id,
                                           raised_at=now, visit_id=self.visit_id)
            errors.update({f"fu:{draft.id}:{k}": v for k, v in found.items()})
            if record is not None:
                followups.append(record)
        return visit, fixes, followups, errors

    def check(self) -> dict[str, str]:
        """Everything the server would refuse, found here first (key -> message)."""
        errors: dict[str, str] = {}
        if self.outcome is None:
            errors["outcome"] = words._("Choose what happened at the door.")
        q = self.questionnaire
        if self.asks_questions:
            for e in validate_answers(q, prune_answers(q, self.answers)):
                message = ANSWER_REQUIRED if e.kind == "required" else e.message[:1].upper() + e.message[1:] + "."
                errors.setdefault(f"q:{e.question_id}", message)
        problem = fields.check(NOTES, self.notes, words._)
        if problem:
            errors["notes"] = problem
        if self.outcome is Outcome.ANSWERED:
            problem = fields.check(ADJUSTMENT_OTHER, self.adjustment_other, words._) or next(
                iter(needs_problems(self._communication())), None)
            if problem:
                errors["adjustment_other"] = problem[:1].upper() + problem[1:] + ("" if problem.endswith(".") else ".")
        return errors

    def save(self) -> None:
        if self.saving or self.saved:
            return
        if self.ctx.team_id is None:
            self.set(error=words._("You are not in a pair on this operation, so visits cannot be recorded."))
            return
        errors = self.check()
        visit = fixes = followups = None
        if self.outcome is not None:
            visit, fixes, followups, found = self.build_records()
            errors.update(found)
        if errors:
            self.errors = errors
            self.first_error = next(iter(self._in_page_order(errors)))
            count = len(errors)
            first = words._(next(iter(self._in_page_order(errors).values())))
            self.error = (words._("1 thing to put right before saving: {first}") if count == 1 else
                          words._("{count} things to put right before saving: {first}")).format(
                count=count, first=first)
            self.changed("errors", "error", "first_error")
            return
        store = self.ctx.store
        self.set(saving=True)
        if self.correcting:
            record_id = self.correcting
            self.ctx.runner.run(lambda: store.retry_rejected(record_id, visit),
                                lambda _r: self._saved(False), self._save_failed)
            return
        instant = self.outcome in INSTANT_OUTCOMES and self._is_empty()
        hold = timedelta(seconds=self.undo_seconds) if instant and self.undo_seconds > 0 else None
        self.ctx.runner.run(lambda: store.record_visit(visit, fixes, followups, hold=hold),
                            lambda _r: self._saved(hold is not None), self._save_failed)

    def _in_page_order(self, errors: dict[str, str]) -> dict[str, str]:
        order = ["outcome"] + [f"q:{q.id}" for q in self.questions]
        for f in self.followups:
            order += [f"fu:{f.id}:{name}" for name in ("form", "category", "description", "consent",
                                                          "contact_name", "contact_phone", "contact_email",
                                                          "contact_method")]
        order += ["adjustment_other", "notes"]
        ranked = sorted(errors, key=lambda k: order.index(k) if k in order else len(order))
        return {k: errors[k] for k in ranked}

    def _saved(self, undoable: bool) -> None:
        kept = {item["sha256"] for c in self.fixes for item in self.fix_photos.get(c, [])}
        kept |= {item["sha256"] for f in self.followups for item in f.photos}
        self._drop_all(self._form_photos() - kept)  # photos of fixes toggled off were not saved
        self.saving, self.saved, self.error = False, True, ""
        self.changed("saving", "saved", "error")
        self.ctx.request_sync()
        if self.on_finished:
            what = (words._("Corrected and sent again") if self.correcting else words._("Corrected")
                    if self.supersedes else words._("Saved"))
            card = (" · " + words._("card code {code}").format(code=cards.shown(self.card_code))
                    if self.outcome is Outcome.CARD_LEFT else "")
            said = words._(OUTCOME_LABELS[self.outcome]) if self.outcome else ""
            self.on_finished(words._("{what}: {outcome} at {address}").format(
                what=what, outcome=said, address=self.address) + card, str(self.visit_id),
                             undoable)

    def _save_failed(self, exc: BaseException) -> None:
        # The draft stays (in memory and in the store): free space and tap Save again.
        self.saving = False
        self.error = message_for(exc)
        self.changed("saving", "error")

    def undo(self, visit_id: str) -> bool:
        """Take back a visit saved at once (No answer, Card left) while it is still held."""
        done = self.ctx.store.undo_visit(visit_id)
        if done:
            self.ctx.request_sync()
        return done


def _aware(text: str) -> datetime:
    """A stored UTC time (ISO 8601 text) as an aware datetime."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _when(moment: datetime, now: datetime) -> str:
    local = moment.astimezone()
    today = now.astimezone().date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%d %b %H:%M")


__all__ = ["INSTANT_OUTCOMES", "OUTCOME_ORDER", "UNDO_SECONDS", "AttemptRow", "VisitViewModel"]
