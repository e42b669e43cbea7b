"""What a questionnaire is: its questions and options, and which single values fit each type.

Answers are a dict of question id -> JSON value:

==================  =============================================
type                answer
==================  =============================================
``yes_no``          ``true`` / ``false``
``single_choice``   one option value (a string)
``multiple_choice`` a list of distinct option values
``scale_1_5``       an integer 1..5
``number``          a number within ``min``/``max`` (an integer if ``integer``)
``text``            a string of at most ``max_length`` characters
``date``            a calendar date, ``"2026-05-14"`` (ISO 8601)
``note``            none: words shown to the resident, nothing asked
==================  =============================================

Every text a resident reads (title, description, question text, help, scale labels, constraint
message, option labels, a language's yes/no) is written in ``default_language`` and may carry
translations keyed by language code; ``languages.py`` reads them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from enum import StrEnum
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType, field

CODE_PATTERN = r"^[a-z][a-z0-9_]*$"
Code = Annotated[str, Meta(pattern=CODE_PATTERN, max_length=64)]
#: A language tag (BCP 47, as XLSForm's ``label::Polski (pl)`` carries it): a language code, then
#: optional subtags such as a script or region ("pa", "pa-Guru", "pt-BR").
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
LanguageCode = Annotated[str, Meta(pattern=LANGUAGE_PATTERN, max_length=35)]
#: Used when a text question gives no max_length, so one answer cannot be a novel.
TEXT_MAX_LENGTH = 2000


class QuestionType(StrEnum):
    YES_NO = "yes_no"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    SCALE_1_5 = "scale_1_5"
    NUMBER = "number"
    TEXT = "text"
    DATE = "date"
    NOTE = "note"


CHOICE_TYPES = frozenset({QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE})


class OptionText(msgspec.Struct, forbid_unknown_fields=False, kw_only=True, omit_defaults=True):
    """An option's words in one more language."""

    label: str = ""


class Option(msgspec.Struct, forbid_unknown_fields=False, kw_only=True, omit_defaults=True):
    value: Annotated[str, Meta(min_length=1, max_length=64)]
    label: str
    #: The concern category this option counts toward in street results.
    concern: Code | None = None
    #: Language code -> the label in that language (``label`` is in the default language).
    translations: dict[LanguageCode, OptionText] = {}


class Condition(msgspec.Struct, forbid_unknown_fields=False, kw_only=True, omit_defaults=True):
    """A show_if condition (its meaning: ``conditions.py``). A leaf names a question and exactly
    one test; a combination has only ``all`` or only ``any``."""

    question: str | None = None
    equals: Any | UnsetType = UNSET
    #: "in" on the wire; ``in`` is a Python keyword, so ``Condition(in_=[...])`` in code.
    in_: list[Any] | UnsetType = field(default=UNSET, name="in")
    not_equals: Any | UnsetType = UNSET
    answered: bool | UnsetType = UNSET
    all: list[Condition] | UnsetType = UNSET
    any: list[Condition] | UnsetType = UNSET


class FollowupSuggestion(msgspec.Struct, forbid_unknown_fields=False, kw_only=True, omit_defaults=True):
    """An answer that calls for a partner agency's follow-up: the tablet proposes it pre-filled,
    one tap accepts it (``answers.suggested_followups``). It never changes what is valid or counted."""

    #: A follow-up category code (shared_schemas.codes.FollowupCategory).
    category: Code
    #: The answer that suggests it: a value, or a list of values any of which does (for a
    #: multiple-choice question: any of them chosen).
    when: Any = True
    #: Pre-fills the follow-up's description.
    description: str = ""
    #: A priority code (shared_schemas.codes.Priority).
    priority: str = "normal"


class QuestionText(msgspec.Struct, forbid_unknown_fields=False, kw_only=True, omit_defaults=True):
    """A question's words in one more language; what is left empty falls back to the default language."""

    text: str = ""
    help: str = ""
    low_label: str = ""
    high_label: str = ""
    constraint_message: str = ""


class Question(msgspec.Struct, forbid_unknown_fields=False, kw_only=True, omit_defaults=True):
    id: Code
    text: str
    type: QuestionType
    required: bool = False
    #: For single and multiple choice; each option may carry a concern.
    options: list[Option] = []
    show_if: Condition | None = None
    #: yes_no: counted when the answer equals ``concern_answer``;
    #: scale_1_5: counted when the answer is at or below ``concern_at_or_below``.
    concern: Code | None = None
    concern_answer: bool = True
    concern_at_or_below: Annotated[int, Meta(ge=1, le=5)] | None = None
    #: scale_1_5: what 1 and 5 mean, for the screen.
    low_label: str = ""
    high_label: str = ""
    #: number only.
    min: float | None = None
    max: float | None = None
    integer: bool = False
    #: text only.
    max_length: Annotated[int, Meta(ge=1)] | None = None
    help: str = ""
    #: Guidance for the officer asking (XLSForm's guidance_hint), in the default language: shown on the
    #: tablet, never to a resident answering online, never translated.
    guidance: str = ""
    #: What to tell the resident when an answer breaks ``min``/``max``/``max_length`` (XLSForm's
    #: constraint_message); empty: the engine's own words.
    constraint_message: str = ""
    #: Follow-ups this question's answer suggests.
    suggests: list[FollowupSuggestion] = []
    #: Language code -> the question's words in that language (``text``, ``help`` … are in the default).
    translations: dict[LanguageCode, QuestionText] = {}


class Language(msgspec.Struct, forbid_unknown_fields=False, kw_only=True, omit_defaults=True):
    """A language the questionnaire can be asked in."""

    code: LanguageCode
    #: The language's name as its speakers write it ("Cymraeg", "Polski"): what the switch shows.
    name: str
    #: The answers of a yes/no question in this language ("Tak" / "Nie").
    yes: str = ""
    no: str = ""
    #: Made for the demonstration (e.g. by a non-native speaker): to be checked by a native speaker
    #: before it is used with residents.
    demonstration: bool = False


class QuestionnaireText(msgspec.Struct, forbid_unknown_fields=False, kw_only=True, omit_defaults=True):
    """The questionnaire's title and description in one more language."""

    title: str = ""
    description: str = ""


class Questionnaire(msgspec.Struct, forbid_unknown_fields=False, kw_only=True, omit_defaults=True):
    id: Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=100)]
    version: Annotated[int, Meta(ge=1)]
    title: str
    questions: list[Question]
    description: str = ""
    #: The language every ``text``, ``label``, ``help`` … is written in.
    default_language: LanguageCode = "en"
    #: Every language it can be asked in, the default first; empty: the default language only.
    languages: list[Language] = []
    #: Language code -> title and description in that language.
    translations: dict[LanguageCode, QuestionnaireText] = {}

    def question(self, question_id: str) -> Question | None:
        for question in self.questions:
            if question.id == question_id:
                return question
        return None


class AnswerError(msgspec.Struct, frozen=True):
    question_id: str
    message: str
    #: What kind of problem, so a screen can say it in the resident's language: "required",
    #: "constraint" (outside min/max/max_length), "type", "not_applicable", "unknown" or "" (other).
    kind: str = ""


class QuestionnaireError(ValueError):
    """A questionnaire definition that cannot be used; ``problems`` lists them all."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid questionnaire:\n- " + "\n- ".join(problems))
        self.problems = problems


def concern_codes(questionnaire: Questionnaire) -> list[str]:
    """Every concern this questionnaire can count toward, in question order."""
    codes: list[str] = []
    for question in questionnaire.questions:
        for code in [question.concern] + [option.concern for option in question.options]:
            if code and code not in codes:
                codes.append(code)
    return codes


# ---------------------------------------------------------------- one value against its question's type


def value_problems(question: Question, value: Any) -> list[str]:
    """What is wrong with ``value`` (already known to be an answer) as an answer to ``question``:
    the one place each type's values are defined. Empty when it fits."""
    return [message for _kind, message in kinded_problems(question, value)]


def kinded_problems(question: Question, value: Any) -> list[tuple[str, str]]:
    """``value_problems`` with each problem's kind: "type" (not a value of the question's type) or
    "constraint" (the right type, outside ``min``/``max``/``max_length``)."""
    kind = question.type
    if kind is QuestionType.YES_NO:
        return [] if isinstance(value, bool) else [("type", f"expected yes or no (true/false), got {kind_of(value)}")]
    if kind is QuestionType.SINGLE_CHOICE:
        values = [option.value for option in question.options]
        if not isinstance(value, str) or value not in values:
            return [("type", f"expected one of {', '.join(values)}; got {value!r}")]
        return []
    if kind is QuestionType.MULTIPLE_CHOICE:
        values = [option.value for option in question.options]
        if not isinstance(value, list):
            return [("type", f"expected a list of values from {', '.join(values)}; got {kind_of(value)}")]
        problems = [("type", f"{item!r} is not one of {', '.join(values)}")
                    for item in value if not isinstance(item, str) or item not in values]
        repeated = sorted({item for item in value if isinstance(item, str) and value.count(item) > 1})
        if repeated:
            problems.append(("type", f"chosen more than once: {', '.join(repeated)}"))
        return problems
    if kind is QuestionType.SCALE_1_5:
        if not _is_int(value) or not 1 <= value <= 5:
            return [("type", f"expected a whole number from 1 to 5, got {value!r}")]
        return []
    if kind is QuestionType.NUMBER:
        if not _is_number(value):
            return [("type", f"expected a number, got {kind_of(value)}")]
        if question.integer and not _is_int(value):
            return [("type", f"expected a whole number, got {value!r}")]
        if question.min is not None and value < question.min:
            return [("constraint", f"{value!r} is below the minimum {number_text(question.min)}")]
        if question.max is not None and value > question.max:
            return [("constraint", f"{value!r} is above the maximum {number_text(question.max)}")]
        return []
    if kind is QuestionType.DATE:
        if not is_date(value):
            return [("type", f"expected a date written 2026-05-14 (year-month-day), got {kind_of(value)}"
                             + (f" {value!r}" if isinstance(value, str) and len(value) <= 40 else ""))]
        return []
    if kind is QuestionType.NOTE:
        return [("type", "this is a note, shown to the resident: it takes no answer")]
    # text
    if not isinstance(value, str):
        return [("type", f"expected text, got {kind_of(value)}")]
    limit = question.max_length or TEXT_MAX_LENGTH
    if len(value) > limit:
        return [("constraint", f"the answer is {len(value):,} characters; the limit is {limit:,}")]
    return []


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def is_date(value: Any) -> bool:
    """A calendar date written as ISO 8601 says it (``2026-05-14``), and nothing else."""
    if not isinstance(value, str) or not _DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def could_be(question: Question, value: Any) -> bool:
    """Could a single answer value (or one chosen option) ever equal ``value``?"""
    if question.type in CHOICE_TYPES:
        return isinstance(value, str) and value in {option.value for option in question.options}
    return not value_problems(question, value)


def what_fits(question: Question) -> str:
    """The values a question takes, in words, for messages about conditions on it."""
    return {
        QuestionType.YES_NO: "it is a yes/no question",
        QuestionType.SCALE_1_5: "it is a 1-5 scale",
        QuestionType.NUMBER: "it is a number question",
        QuestionType.TEXT: "it is a text question",
        QuestionType.DATE: "it is a date question",
        QuestionType.NOTE: "it is a note, which takes no answer",
    }.get(question.type, "options are " + ", ".join(option.value for option in question.options))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value)


def number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def kind_of(value: Any) -> str:
    """A JSON value's kind in words, for messages."""
    names = {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "an object"}
    if value is None:
        return "null"
    return names.get(type(value), type(value).__name__)
