"""The questionnaire engine: a definition, its skip logic, and answer validation.

The tablet runs ``applicable_questions`` to decide what to ask next and
``validate_answers`` before saving; the server runs ``validate_answers``
before storing and ``concerns`` when it counts street results. One code path,
so the two sides never disagree.

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
==================  =============================================

A missing key, ``null``, an empty or blank string and an empty list all mean
"not answered".

Skip logic: ``show_if`` is a small JSON condition on EARLIER answers::

    {"question": "asb_seen", "equals": true}
    {"question": "contact", "in": ["phone", "email"]}
    {"question": "contact", "not_equals": "none"}
    {"question": "age", "answered": true}
    {"all": [cond, ...]}   {"any": [cond, ...]}

A question that does not apply counts as not answered for later conditions,
so skips cascade. For a multiple-choice answer, ``equals`` means "this value
is among those chosen", ``in`` means "any of these values is chosen", and
``not_equals`` means "answered, and this value is not chosen".
``equals``/``in``/``not_equals`` are false when the question is not answered.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import msgspec
from msgspec import UNSET, Meta, UnsetType, field

from .codes import Concern

CODE_PATTERN = r"^[a-z][a-z0-9_]*$"
Code = Annotated[str, Meta(pattern=CODE_PATTERN, max_length=64)]
#: Used when a text question gives no max_length, so one answer cannot be a novel.
TEXT_MAX_LENGTH = 2000


class QuestionType(StrEnum):
    YES_NO = "yes_no"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    SCALE_1_5 = "scale_1_5"
    NUMBER = "number"
    TEXT = "text"


CHOICE_TYPES = frozenset({QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE})


class Option(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    value: Annotated[str, Meta(min_length=1, max_length=64)]
    label: str
    #: The concern category this option counts toward in street results.
    concern: Code | None = None


class Condition(msgspec.Struct, forbid_unknown_fields=False, kw_only=True, omit_defaults=True):
    """A show_if condition. A leaf names a question and exactly one test;
    a combination has only ``all`` or only ``any``."""

    question: str | None = None
    equals: Any | UnsetType = UNSET
    #: "in" on the wire; ``in`` is a Python keyword, so ``Condition(in_=[...])`` in code.
    in_: list[Any] | UnsetType = field(default=UNSET, name="in")
    not_equals: Any | UnsetType = UNSET
    answered: bool | UnsetType = UNSET
    all: list[Condition] | UnsetType = UNSET
    any: list[Condition] | UnsetType = UNSET


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


class Questionnaire(msgspec.Struct, forbid_unknown_fields=False, kw_only=True, omit_defaults=True):
    id: Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=100)]
    version: Annotated[int, Meta(ge=1)]
    title: str
    questions: list[Question]
    description: str = ""

    def question(self, question_id: str) -> Question | None:
        for question in self.questions:
            if question.id == question_id:
                return question
        return None


class AnswerError(msgspec.Struct, frozen=True):
    question_id: str
    message: str


class QuestionnaireError(ValueError):
    """A questionnaire definition that cannot be used; ``problems`` lists them all."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid questionnaire:\n- " + "\n- ".join(problems))
        self.problems = problems


# ---------------------------------------------------------------- loading

_decoder = msgspec.json.Decoder(Questionnaire)


def load_questionnaire(
    source: bytes | str | os.PathLike[str] | dict[str, Any], *, strict: bool = True
) -> Questionnaire:
    """Load and check a questionnaire from JSON bytes, a file path or a parsed dict.

    Raises QuestionnaireError listing every problem. ``strict`` also refuses
    keys this version does not know (a typo like ``"requried"`` would
    otherwise be silently ignored) and concern codes not in ``codes.Concern``;
    turn it off to read a definition written for a newer version.
    """
    if isinstance(source, (str, os.PathLike)):
        source = Path(source).read_bytes()
    try:
        if isinstance(source, dict):
            raw = source
            questionnaire = msgspec.convert(source, Questionnaire)
        else:
            raw = msgspec.json.decode(source)
            questionnaire = _decoder.decode(source)
    except msgspec.ValidationError as exc:
        raise QuestionnaireError([str(exc)]) from None
    except msgspec.DecodeError as exc:
        raise QuestionnaireError([f"not valid JSON: {exc}"]) from None
    problems = check_questionnaire(questionnaire)
    if strict:
        problems += _unknown_keys(raw) + _unknown_concerns(questionnaire)
    if problems:
        raise QuestionnaireError(problems)
    return questionnaire


def check_questionnaire(questionnaire: Questionnaire) -> list[str]:
    """Structural rules: unique ids, show_if only on earlier questions, options fit types."""
    problems: list[str] = []
    if not questionnaire.questions:
        problems.append("the questionnaire has no questions")
    earlier: dict[str, Question] = {}
    for question in questionnaire.questions:
        where = f"question {question.id!r}"
        if question.id in earlier:
            problems.append(f"{where}: the id is used twice")
        problems += [f"{where}: {p}" for p in _check_question(question)]
        if question.show_if is not None:
            problems += [f"{where}: show_if {p}" for p in _check_condition(question.show_if, earlier, question.id)]
        earlier[question.id] = question
    return problems


def _check_question(question: Question) -> list[str]:
    problems: list[str] = []
    kind = question.type
    if kind in CHOICE_TYPES:
        if len(question.options) < 2:
            problems.append(f"a {kind.value} question needs at least two options")
        values = [option.value for option in question.options]
        duplicates = sorted({value for value in values if values.count(value) > 1})
        if duplicates:
            problems.append(f"option values used twice: {', '.join(duplicates)}")
        if question.concern is not None:
            problems.append("put concerns on the options of a choice question, not on the question")
    elif question.options:
        problems.append(f"options are only for choice questions, not {kind.value}")
    if kind is QuestionType.SCALE_1_5:
        if (question.concern is None) != (question.concern_at_or_below is None):
            problems.append("a scale concern needs both concern and concern_at_or_below")
    elif question.concern_at_or_below is not None:
        problems.append("concern_at_or_below is only for scale_1_5 questions")
    if question.concern is not None and kind in (QuestionType.NUMBER, QuestionType.TEXT):
        problems.append(f"a {kind.value} question cannot count toward a concern")
    if kind is QuestionType.NUMBER:
        if question.min is not None and question.max is not None and question.min > question.max:
            problems.append(f"min {_num(question.min)} is above max {_num(question.max)}")
    elif question.min is not None or question.max is not None or question.integer:
        problems.append("min, max and integer are only for number questions")
    if kind is not QuestionType.TEXT and question.max_length is not None:
        problems.append("max_length is only for text questions")
    if kind is not QuestionType.SCALE_1_5 and (question.low_label or question.high_label):
        problems.append("low_label and high_label are only for scale_1_5 questions")
    return problems


def _check_condition(condition: Condition, earlier: dict[str, Question], own_id: str) -> list[str]:
    tests = [name for name in _LEAF_TESTS if getattr(condition, name) is not UNSET]
    combos = [name for name in ("all", "any") if getattr(condition, name) is not UNSET]
    if combos:
        if condition.question is not None or tests or len(combos) > 1:
            return ["a combination has only 'all' or only 'any', nothing else"]
        parts: list[Condition] = getattr(condition, combos[0])
        if not parts:
            return [f"'{combos[0]}' needs at least one condition"]
        return [p for part in parts for p in _check_condition(part, earlier, own_id)]
    if condition.question is None:
        return ["needs a 'question', or 'all'/'any'"]
    if len(tests) != 1:
        return [
            f"on {condition.question!r} needs exactly one of equals, in, not_equals, answered"
        ]
    target = earlier.get(condition.question)
    if target is None:
        if condition.question == own_id:
            return [f"refers to its own question {own_id!r}"]
        return [f"refers to {condition.question!r}, which is not an earlier question"]
    test = tests[0]
    if test == "answered":
        return []
    values = condition.in_ if test == "in_" else [getattr(condition, test)]
    if test == "in_" and not values:
        return [f"'in' on {condition.question!r} needs at least one value"]
    problem = [
        f"compares {condition.question!r} with {value!r}, which it can never be ({_expected(target)})"
        for value in values
        if not _value_fits(target, value)
    ]
    return problem


_LEAF_TESTS = ("equals", "in_", "not_equals", "answered")


def _value_fits(question: Question, value: Any) -> bool:
    """Could a single answer value (or one chosen option) ever equal ``value``?"""
    if question.type in CHOICE_TYPES:
        return isinstance(value, str) and value in {option.value for option in question.options}
    return not _check_type(question, value)


def _unknown_keys(raw: Any) -> list[str]:
    """Keys this version does not know, anywhere in the definition."""
    problems: list[str] = []

    def check(obj: Any, struct: type[msgspec.Struct], where: str) -> None:
        if not isinstance(obj, dict):
            return
        known = set(struct.__struct_encode_fields__)
        for key in obj:
            if key not in known:
                problems.append(f"{where}: unknown key {key!r}")
        if struct is Question:
            for i, option in enumerate(obj.get("options") or []):
                check(option, Option, f"{where} option {i + 1}")
            check(obj.get("show_if"), Condition, f"{where} show_if")
        if struct is Condition:
            for combo in ("all", "any"):
                for part in obj.get(combo) or []:
                    check(part, Condition, where)

    check(raw, Questionnaire, "questionnaire")
    if isinstance(raw, dict):
        for question in raw.get("questions") or []:
            name = question.get("id") if isinstance(question, dict) else None
            check(question, Question, f"question {name!r}")
    return problems


def _unknown_concerns(questionnaire: Questionnaire) -> list[str]:
    known = {concern.value for concern in Concern}
    problems = []
    for question in questionnaire.questions:
        codes = [question.concern] + [option.concern for option in question.options]
        for code in codes:
            if code is not None and code not in known:
                problems.append(
                    f"question {question.id!r}: unknown concern {code!r}; "
                    f"known concerns are {', '.join(sorted(known))}"
                )
    return problems


# ---------------------------------------------------------------- skip logic


def is_answered(value: Any) -> bool:
    """A missing or null value, a blank string and an empty list are not answers."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list):
        return bool(value)
    return True


def applicable_questions(questionnaire: Questionnaire, answers: dict[str, Any]) -> list[Question]:
    """The questions to ask, in order, given the answers so far."""
    applicable: list[Question] = []
    seen: dict[str, Any] = {}  # answers to applicable questions only, so skips cascade
    for question, step in zip(questionnaire.questions, _plan(questionnaire).steps, strict=True):
        if step.shown is None or step.shown(seen):
            applicable.append(question)
            if question.id in answers:
                seen[question.id] = answers[question.id]
    return applicable


def prune_answers(questionnaire: Questionnaire, answers: dict[str, Any]) -> dict[str, Any]:
    """Drop answers that no longer apply (a resident went back and changed an
    earlier answer) and empty answers, so what is saved validates."""
    ids = {question.id for question in applicable_questions(questionnaire, answers)}
    return {key: value for key, value in answers.items() if key in ids and is_answered(value)}


Predicate = Callable[[dict[str, Any]], bool]


def compile_condition(condition: Condition) -> Predicate:
    """A show_if condition as a function of the answers so far: the one place its meaning is written.

    Compiled once per questionnaire (``_plan``) so that checking a visit's answers does not
    interpret the condition's structure again for every question of every visit.
    """
    if condition.all is not UNSET:
        parts = [compile_condition(part) for part in condition.all]
        return lambda answers: all(part(answers) for part in parts)
    if condition.any is not UNSET:
        parts = [compile_condition(part) for part in condition.any]
        return lambda answers: any(part(answers) for part in parts)
    name = condition.question

    def chosen(answers: dict[str, Any]) -> list[Any] | tuple[Any] | tuple[()]:
        """The answer as the values chosen; empty when not answered."""
        value = answers.get(name) if name is not None else None
        if type(value) is bool or type(value) is int:  # the common case, answered
            return (value,)
        if not is_answered(value):
            return ()
        return value if isinstance(value, list) else (value,)

    if condition.answered is not UNSET:
        wanted = condition.answered
        return lambda answers: bool(chosen(answers)) == wanted
    if condition.equals is not UNSET:
        equals = condition.equals
        return lambda answers: any(_same(item, equals) for item in chosen(answers))
    if condition.in_ is not UNSET:
        wanted_values = condition.in_
        return lambda answers: any(_same(item, wanted) for item in chosen(answers) for wanted in wanted_values)
    if condition.not_equals is not UNSET:
        not_equals = condition.not_equals

        def holds(answers: dict[str, Any]) -> bool:
            items = chosen(answers)
            return bool(items) and not any(_same(item, not_equals) for item in items)
        return holds
    return lambda answers: False


def _same(a: Any, b: Any) -> bool:
    # True == 1 in Python; a yes/no answer must never match a number.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    return a == b


def describe_condition(condition: Condition | None) -> str:
    """A condition in words, for error messages and the tablet's help text."""
    if condition is None:
        return "always"
    if condition.all is not UNSET:
        return "(" + " and ".join(describe_condition(part) for part in condition.all) + ")"
    if condition.any is not UNSET:
        return "(" + " or ".join(describe_condition(part) for part in condition.any) + ")"
    name = condition.question
    if condition.answered is not UNSET:
        return f"{name} is answered" if condition.answered else f"{name} is not answered"
    if condition.equals is not UNSET:
        return f"{name} is {_word(condition.equals)}"
    if condition.in_ is not UNSET:
        words = [_word(value) for value in condition.in_]
        return f"{name} is {', '.join(words[:-1]) + ' or ' + words[-1] if len(words) > 1 else words[0]}"
    if condition.not_equals is not UNSET:
        return f"{name} is not {_word(condition.not_equals)}"
    return "never"


def _word(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# ---------------------------------------------------------------- validation


def validate_answers(questionnaire: Questionnaire, answers: Any) -> list[AnswerError]:
    """Every problem with these answers, each with its question id, in question order.

    Unknown question ids, answers to questions that do not apply, required
    questions left unanswered and values of the wrong type are all errors.
    """
    if not isinstance(answers, dict):
        return [AnswerError("", f"answers must be an object of question id -> answer, not {_kind(answers)}")]
    errors: list[AnswerError] = []
    applicable = {question.id for question in applicable_questions(questionnaire, answers)}
    known = set()
    for question in questionnaire.questions:
        known.add(question.id)
        value = answers.get(question.id)
        if question.id not in applicable:
            if is_answered(value):
                errors.append(AnswerError(
                    question.id,
                    f"this question does not apply: it is asked only when {describe_condition(question.show_if)}; "
                    "remove its answer",
                ))
            continue
        if not is_answered(value):
            if question.required:
                errors.append(AnswerError(question.id, "an answer is required"))
            continue
        for message in _check_type(question, value):
            errors.append(AnswerError(question.id, message))
    for key in answers:
        if key not in known:
            errors.append(AnswerError(key, f"no question {key!r} in questionnaire {questionnaire.id!r}"))
    return errors


def _check_type(question: Question, value: Any) -> list[str]:
    kind = question.type
    if kind is QuestionType.YES_NO:
        return [] if isinstance(value, bool) else [f"expected yes or no (true/false), got {_kind(value)}"]
    if kind is QuestionType.SINGLE_CHOICE:
        values = [option.value for option in question.options]
        if not isinstance(value, str) or value not in values:
            return [f"expected one of {', '.join(values)}; got {value!r}"]
        return []
    if kind is QuestionType.MULTIPLE_CHOICE:
        values = [option.value for option in question.options]
        if not isinstance(value, list):
            return [f"expected a list of values from {', '.join(values)}; got {_kind(value)}"]
        problems = [f"{item!r} is not one of {', '.join(values)}" for item in value if not isinstance(item, str) or item not in values]
        repeated = sorted({item for item in value if isinstance(item, str) and value.count(item) > 1})
        if repeated:
            problems.append(f"chosen more than once: {', '.join(repeated)}")
        return problems
    if kind is QuestionType.SCALE_1_5:
        if not _is_int(value) or not 1 <= value <= 5:
            return [f"expected a whole number from 1 to 5, got {value!r}"]
        return []
    if kind is QuestionType.NUMBER:
        if not _is_number(value):
            return [f"expected a number, got {_kind(value)}"]
        if question.integer and not _is_int(value):
            return [f"expected a whole number, got {value!r}"]
        if question.min is not None and value < question.min:
            return [f"{value!r} is below the minimum {_num(question.min)}"]
        if question.max is not None and value > question.max:
            return [f"{value!r} is above the maximum {_num(question.max)}"]
        return []
    # text
    if not isinstance(value, str):
        return [f"expected text, got {_kind(value)}"]
    limit = question.max_length or TEXT_MAX_LENGTH
    if len(value) > limit:
        return [f"text is {len(value)} characters long; at most {limit} are allowed"]
    return []


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _kind(value: Any) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "an object"}
    if value is None:
        return "null"
    return names.get(type(value), type(value).__name__)


def _expected(question: Question) -> str:
    return {
        QuestionType.YES_NO: "it is a yes/no question",
        QuestionType.SCALE_1_5: "it is a 1-5 scale",
        QuestionType.NUMBER: "it is a number question",
        QuestionType.TEXT: "it is a text question",
    }.get(question.type, "options are " + ", ".join(option.value for option in question.options))


# ---------------------------------------------------------------- results


def concerns(questionnaire: Questionnaire, answers: dict[str, Any]) -> set[str]:
    """The concern categories these answers count toward in street results.

    Only answers to applicable questions count; values of the wrong type are
    ignored here (``validate_answers`` reports them).
    """
    found: set[str] = set()
    seen: dict[str, Any] = {}  # answers to applicable questions only, so skips cascade
    for question, step in zip(questionnaire.questions, _plan(questionnaire).steps, strict=True):
        if step.shown is not None and not step.shown(seen):
            continue
        value = answers.get(question.id)
        if question.id in answers:
            seen[question.id] = value
        if is_answered(value) and not _check_type(question, value):
            step.count(value, found)
    return found


# ---------------------------------------------------------------- the compiled form (the server's hot path)


class _Step(NamedTuple):
    """One question, ready to check many answer sets against: built once per questionnaire."""

    id: str
    required: bool
    #: show_if compiled (``compile_condition``); None when always shown.
    shown: Predicate | None
    #: True when a value (already known to be an answer) surely has the right type; False means
    #: "let the full check decide", never "wrong" by itself.
    fits: Callable[[Any], bool]
    #: Adds the concerns a fitting value counts toward.
    count: Callable[[Any, set[str]], None]


class _Plan:
    def __init__(self, questionnaire: Questionnaire):
        self.steps = [_step(question) for question in questionnaire.questions]
        self.known = frozenset(question.id for question in questionnaire.questions)


def _no_concern(value: Any, found: set[str]) -> None:
    return None


def _step(question: Question) -> _Step:
    kind = question.type
    count = _no_concern
    fits: Callable[[Any], bool]
    if kind is QuestionType.YES_NO:
        def fits(value: Any) -> bool:
            return value is True or value is False
        if question.concern:
            concern, when = question.concern, question.concern_answer

            def count(value: Any, found: set[str]) -> None:
                if value is when:
                    found.add(concern)
    elif kind is QuestionType.SCALE_1_5:
        def fits(value: Any) -> bool:
            return type(value) is int and 1 <= value <= 5
        if question.concern and question.concern_at_or_below is not None:
            concern, limit = question.concern, question.concern_at_or_below

            def count(value: Any, found: set[str]) -> None:
                if value <= limit:
                    found.add(concern)
    elif kind in CHOICE_TYPES:
        values = frozenset(option.value for option in question.options)
        concern_of = {option.value: option.concern for option in question.options if option.concern}
        if kind is QuestionType.SINGLE_CHOICE:
            def fits(value: Any) -> bool:
                return type(value) is str and value in values

            def count(value: Any, found: set[str]) -> None:
                if value in concern_of:
                    found.add(concern_of[value])
        else:
            def fits(value: Any) -> bool:
                return type(value) is list and all(type(item) is str and item in values for item in value) \
                    and len(set(value)) == len(value)

            def count(value: Any, found: set[str]) -> None:
                for item in value:
                    if item in concern_of:
                        found.add(concern_of[item])
    else:  # number and text: rare, checked in full
        def fits(value: Any) -> bool:
            return not _check_type(question, value)
    shown = compile_condition(question.show_if) if question.show_if is not None else None
    return _Step(question.id, question.required, shown, fits, count)


_PLANS: dict[int, tuple[Questionnaire, _Plan]] = {}
_MISSING = object()


def _plan(questionnaire: Questionnaire) -> _Plan:
    """The compiled form of a questionnaire, kept while the same object is in use.

    Questionnaire versions never change once published, so a definition object is not
    edited after it is loaded; the object itself is kept with its plan, so an id that Python
    reuses for another object never finds the wrong plan.
    """
    cached = _PLANS.get(id(questionnaire))
    if cached is not None and cached[0] is questionnaire:
        return cached[1]
    plan = _Plan(questionnaire)
    if len(_PLANS) >= 64:
        _PLANS.clear()
    _PLANS[id(questionnaire)] = (questionnaire, plan)
    return plan


def _surely_valid(plan: _Plan, answers: dict[str, Any]) -> set[str] | None:
    """The concerns of answers that are certainly valid; None when the full check must decide.

    It never calls anything valid that ``validate_answers`` would reject: every doubt (an
    unknown key, an answer to a question that does not apply, a missing required answer, a
    value of an unusual type) returns None, and ``check_answers`` then walks the questions
    again, building every error message.
    """
    if not plan.known.issuperset(answers):
        return None
    found: set[str] = set()
    seen: dict[str, Any] = {}
    for qid, required, shown, fits, count in plan.steps:
        value = answers.get(qid, _MISSING)
        if shown is not None and not shown(seen):
            if value is _MISSING or not is_answered(value):
                continue
            return None
        if value is _MISSING:
            if required:
                return None
            continue
        seen[qid] = value
        if type(value) is not bool and type(value) is not int and not is_answered(value):
            if required:
                return None
            continue
        if not fits(value):
            return None
        count(value, found)
    return found


def check_answers(questionnaire: Questionnaire, answers: Any) -> tuple[list[AnswerError], set[str]]:
    """``(validate_answers(...), concerns(...))`` in one walk over the questions.

    The same errors, in the same order, and the same concerns as the two functions called
    one after the other (tests/shared/test_questionnaire.py proves it on many answer sets);
    the server calls this once per answered visit. Answers that are not an object give the
    one error ``validate_answers`` gives and no concerns.
    """
    if not isinstance(answers, dict):
        return validate_answers(questionnaire, answers), set()
    surely = _surely_valid(_plan(questionnaire), answers)
    if surely is not None:
        return [], surely
    # Some answer has a problem: walk the questions again and say every one.
    errors: list[AnswerError] = []
    found: set[str] = set()
    seen: dict[str, Any] = {}  # answers to applicable questions only, so skips cascade
    known = set()
    for question, step in zip(questionnaire.questions, _plan(questionnaire).steps, strict=True):
        qid = question.id
        known.add(qid)
        value = answers.get(qid)
        if step.shown is not None and not step.shown(seen):
            if is_answered(value):
                errors.append(AnswerError(
                    qid,
                    f"this question does not apply: it is asked only when {describe_condition(question.show_if)}; "
                    "remove its answer",
                ))
            continue
        if qid in answers:
            seen[qid] = value
        if not is_answered(value):
            if question.required:
                errors.append(AnswerError(qid, "an answer is required"))
            continue
        if not step.fits(value):
            problems = _check_type(question, value)
            if problems:
                errors.extend(AnswerError(qid, message) for message in problems)
                continue
        step.count(value, found)
    for key in answers:
        if key not in known:
            errors.append(AnswerError(key, f"no question {key!r} in questionnaire {questionnaire.id!r}"))
    return errors, found


def concern_codes(questionnaire: Questionnaire) -> list[str]:
    """Every concern this questionnaire can count toward, in question order."""
    codes: list[str] = []
    for question in questionnaire.questions:
        for code in [question.concern] + [option.concern for option in question.options]:
            if code and code not in codes:
                codes.append(code)
    return codes


__all__ = [
    "AnswerError",
    "CHOICE_TYPES",
    "Condition",
    "Option",
    "Question",
    "QuestionType",
    "Questionnaire",
    "QuestionnaireError",
    "TEXT_MAX_LENGTH",
    "applicable_questions",
    "check_answers",
    "check_questionnaire",
    "compile_condition",
    "concern_codes",
    "concerns",
    "describe_condition",
    "is_answered",
    "load_questionnaire",
    "prune_answers",
    "validate_answers",
]
