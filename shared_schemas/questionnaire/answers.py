"""Answers against a questionnaire: which questions apply, what is wrong, which concerns count.

A missing key, ``null``, an empty or blank string and an empty list all mean "not answered".
A question that does not apply counts as not answered for later conditions, so skips cascade:
:func:`walk` is the one place that rule is written, and everything here goes through it.

The tablet runs ``applicable_questions`` to decide what to ask next and ``validate_answers``
before saving; the server runs ``check_answers`` (errors and concerns in one walk) before
storing. One code path, so the two sides never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from .conditions import Predicate, compile_condition, describe_condition, is_answered
from .definition import (
    CHOICE_TYPES,
    AnswerError,
    FollowupSuggestion,
    Question,
    Questionnaire,
    QuestionType,
    kind_of,
    kinded_problems,
)

#: The value of a question that has no key in the answers.
MISSING: Any = object()


class Step(NamedTuple):
    """One question, ready to check many answer sets against: built once per questionnaire."""

    question: Question
    id: str
    required: bool
    #: show_if compiled (``compile_condition``); None when always shown.
    shown: Predicate | None
    #: True when a value (already known to be an answer) surely has the right type; False means
    #: "let the full check decide", never "wrong" by itself.
    fits: Callable[[Any], bool]
    #: Adds the concerns a fitting value counts toward.
    count: Callable[[Any, set[str]], None]  # type: ignore[assignment]  # a field, not tuple.count


class Plan:
    """A questionnaire compiled: its steps in question order and its question ids."""

    def __init__(self, questionnaire: Questionnaire):
        self.questionnaire = questionnaire
        self.steps = [_step(question) for question in questionnaire.questions]
        self.known = frozenset(question.id for question in questionnaire.questions)
        #: What ``walk`` reads of each step, unpacked once.
        self.order = [(step, step.id, step.shown) for step in self.steps]


def walk(plan: Plan, answers: dict[str, Any]) -> Iterator[tuple[Step, Any, bool]]:
    """Each question in order with its answer (``MISSING`` without a key) and whether it applies.

    The skip cascade, written once: a condition sees only the answers to questions that apply,
    so a question skipped because of an earlier answer skips those that depend on it too.
    """
    seen: dict[str, Any] = {}
    for step, qid, shown in plan.order:
        value = answers.get(qid, MISSING)
        if shown is None or shown(seen):
            if value is not MISSING:
                seen[qid] = value
            yield step, value, True
        else:
            yield step, value, False


def applicable_questions(questionnaire: Questionnaire, answers: dict[str, Any]) -> list[Question]:
    """The questions to ask, in order, given the answers so far."""
    return [step.question for step, _, applies in walk(plan_of(questionnaire), answers) if applies]


def prune_answers(questionnaire: Questionnaire, answers: dict[str, Any]) -> dict[str, Any]:
    """Drop answers that no longer apply (a resident went back and changed an
    earlier answer) and empty answers, so what is saved validates."""
    applies = {step.id for step, _, applies in walk(plan_of(questionnaire), answers) if applies}
    return {key: value for key, value in answers.items() if key in applies and is_answered(value)}


def check_answers(questionnaire: Questionnaire, answers: Any) -> tuple[list[AnswerError], set[str]]:
    """Every problem with these answers, in question order, and the concerns they count toward.

    Unknown question ids, answers to questions that do not apply, required questions left
    unanswered and values of the wrong type are all errors. Only answers to applicable questions
    count toward concerns, and values of the wrong type are left out of them. The server calls
    this once per answered visit: a valid answer set (nearly all) is recognised from the compiled
    plan; only answers with a problem are walked again to say every problem.
    """
    if not isinstance(answers, dict):
        return [AnswerError("", f"answers must be an object of question id -> answer, not {kind_of(answers)}",
                            "type")], set()
    plan = plan_of(questionnaire)
    surely = surely_valid(plan, answers)
    if surely is not None:
        return [], surely
    return every_problem(plan, answers)


def validate_answers(questionnaire: Questionnaire, answers: Any) -> list[AnswerError]:
    """Every problem with these answers, each with its question id, in question order."""
    return check_answers(questionnaire, answers)[0]


def concerns(questionnaire: Questionnaire, answers: dict[str, Any]) -> set[str]:
    """The concern categories these answers count toward in street results."""
    return check_answers(questionnaire, answers)[1]


def surely_valid(plan: Plan, answers: dict[str, Any]) -> set[str] | None:
    """The concerns of answers that are certainly valid; None when the full check must decide.

    It never calls anything valid that the full check would reject: every doubt (an unknown
    key, an answer to a question that does not apply, a missing required answer, a value of an
    unusual type) returns None.
    """
    if not plan.known.issuperset(answers):
        return None
    found: set[str] = set()
    for step, value, applies in walk(plan, answers):
        if not applies:
            if value is MISSING or not is_answered(value):
                continue
            return None
        if value is MISSING:
            if step.required:
                return None
            continue
        if type(value) is not bool and type(value) is not int and not is_answered(value):
            if step.required:
                return None
            continue
        if not step.fits(value):
            return None
        step.count(value, found)
    return found


def every_problem(plan: Plan, answers: dict[str, Any]) -> tuple[list[AnswerError], set[str]]:
    """The full check: every error with its message, and the concerns of the answers that fit."""
    errors: list[AnswerError] = []
    found: set[str] = set()
    for step, value, applies in walk(plan, answers):
        answered = value is not MISSING and is_answered(value)
        if not applies:
            if answered:
                errors.append(AnswerError(
                    step.id,
                    "this question does not apply: it is asked only when "
                    f"{describe_condition(step.question.show_if)}; remove its answer",
                    "not_applicable",
                ))
            continue
        if not answered:
            if step.required:
                errors.append(AnswerError(step.id, "an answer is required", "required"))
            continue
        if not step.fits(value):
            problems = kinded_problems(step.question, value)
            if problems:
                errors.extend(AnswerError(step.id, message, kind) for kind, message in problems)
                continue
        step.count(value, found)
    errors += [AnswerError(key, f"no question {key!r} in questionnaire {plan.questionnaire.id!r}", "unknown")
               for key in answers if key not in plan.known]
    return errors, found


# ---------------------------------------------------------------- the compiled form


def _no_concern(value: Any, found: set[str]) -> None:
    return None


def _step(question: Question) -> Step:
    kind = question.type
    count: Callable[[Any, set[str]], None] = _no_concern
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
            scale_concern, limit = question.concern, question.concern_at_or_below

            def count(value: Any, found: set[str]) -> None:
                if value <= limit:
                    found.add(scale_concern)
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
    else:  # number, text, date and note: rare, checked in full
        def fits(value: Any) -> bool:
            return not kinded_problems(question, value)
    shown = compile_condition(question.show_if) if question.show_if is not None else None
    return Step(question, question.id, question.required, shown, fits, count)


_PLANS: dict[int, Plan] = {}


def plan_of(questionnaire: Questionnaire) -> Plan:
    """The compiled form of a questionnaire, kept while the same object is in use.

    Questionnaire versions never change once published, so a definition object is not edited
    after it is loaded; the plan holds the object itself, so an id that Python reuses for
    another object never finds the wrong plan.
    """
    plan = _PLANS.get(id(questionnaire))
    if plan is not None and plan.questionnaire is questionnaire:
        return plan
    plan = Plan(questionnaire)
    if len(_PLANS) >= 64:
        _PLANS.clear()
    _PLANS[id(questionnaire)] = plan
    return plan


def suggested_followups(questionnaire: Questionnaire, answers: dict[str, Any]) -> list[FollowupSuggestion]:
    """The follow-ups these answers suggest (each category once, in question order).

    Only answers to questions that apply count, so a suggestion on a follow-on question
    ("would you like a fire safety visit?", asked when there is no smoke alarm) holds the
    whole rule: no smoke alarm and wants a visit.
    """
    found: list[FollowupSuggestion] = []
    for step, value, applies in walk(plan_of(questionnaire), answers):
        if not applies or value is MISSING or not is_answered(value) or not step.question.suggests:
            continue
        for suggestion in step.question.suggests:
            if _suggested_by(value, suggestion.when) and all(s.category != suggestion.category for s in found):
                found.append(suggestion)
    return found


def _suggested_by(value: Any, when: Any) -> bool:
    wanted = when if isinstance(when, list) else [when]
    chosen = value if isinstance(value, list) else [value]
    return any(_same(a, b) for a in chosen for b in wanted)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b
