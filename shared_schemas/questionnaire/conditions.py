"""Skip logic: what a ``show_if`` condition means, in code (compiled) and in words.

``show_if`` is a small JSON condition on EARLIER answers::

    {"question": "asb_seen", "equals": true}
    {"question": "contact", "in": ["phone", "email"]}
    {"question": "contact", "not_equals": "none"}
    {"question": "age", "answered": true}
    {"all": [cond, ...]}   {"any": [cond, ...]}

For a multiple-choice answer, ``equals`` means "this value is among those chosen", ``in``
means "any of these values is chosen", and ``not_equals`` means "answered, and this value is
not chosen". ``equals``/``in``/``not_equals`` are false when the question is not answered.
(That a question which does not apply counts as not answered, so skips cascade, is the walk's
business: ``answers.walk``.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from msgspec import UNSET

from .definition import Condition, Question, QuestionType, could_be, what_fits

Predicate = Callable[[dict[str, Any]], bool]
LEAF_TESTS = ("equals", "in_", "not_equals", "answered")


def is_answered(value: Any) -> bool:
    """A missing or null value, a blank string and an empty list are not answers."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list):
        return bool(value)
    return True


def compile_condition(condition: Condition) -> Predicate:
    """A show_if condition as a function of the answers so far: the one place its meaning is written.

    Compiled once per questionnaire (``answers.plan_of``) so that checking a visit's answers does
    not interpret the condition's structure again for every question of every visit.
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
    return bool(a == b)


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


def condition_problems(condition: Condition, earlier: dict[str, Question], own_id: str) -> list[str]:
    """What is wrong with a condition's shape: one test per leaf, only earlier questions, values
    those questions can take."""
    tests = [name for name in LEAF_TESTS if getattr(condition, name) is not UNSET]
    combos = [name for name in ("all", "any") if getattr(condition, name) is not UNSET]
    if combos:
        if condition.question is not None or tests or len(combos) > 1:
            return ["a combination has only 'all' or only 'any', nothing else"]
        parts: list[Condition] = getattr(condition, combos[0])
        if not parts:
            return [f"'{combos[0]}' needs at least one condition"]
        return [p for part in parts for p in condition_problems(part, earlier, own_id)]
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
    if target.type is QuestionType.NOTE:
        return [f"refers to {condition.question!r}, a note, which is never answered"]
    test = tests[0]
    if test == "answered":
        return []
    values: list[Any] = condition.in_ if isinstance(condition.in_, list) else [getattr(condition, test)]
    if test == "in_" and not values:
        return [f"'in' on {condition.question!r} needs at least one value"]
    return [
        f"compares {condition.question!r} with {value!r}, which it can never be ({what_fits(target)})"
        for value in values
        if not could_be(target, value)
    ]
