"""Reading a questionnaire definition and checking that it can be used."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import msgspec

from ..codes import Concern, FollowupCategory, Priority
from .conditions import condition_problems
from .definition import (
    CHOICE_TYPES,
    Condition,
    FollowupSuggestion,
    Language,
    Option,
    OptionText,
    Question,
    Questionnaire,
    QuestionnaireError,
    QuestionnaireText,
    QuestionText,
    QuestionType,
    could_be,
    number_text,
    what_fits,
)

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
    raw: Any
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
    """Structural rules: unique ids, show_if only on earlier questions, options fit types, translations
    only in declared languages. (A translation left out is not a problem: the default language's
    words are shown instead; ``languages.missing_translations`` lists them.)"""
    problems: list[str] = language_problems(questionnaire)
    if not questionnaire.questions:
        problems.append("the questionnaire has no questions")
    earlier: dict[str, Question] = {}
    for question in questionnaire.questions:
        where = f"question {question.id!r}"
        if question.id in earlier:
            problems.append(f"{where}: the id is used twice")
        problems += [f"{where}: {p}" for p in _question_problems(question)]
        if question.show_if is not None:
            problems += [f"{where}: show_if {p}" for p in condition_problems(question.show_if, earlier, question.id)]
        earlier[question.id] = question
    return problems


def language_problems(questionnaire: Questionnaire) -> list[str]:
    """Languages declared once each, the default among them, translations only in the others."""
    problems: list[str] = []
    codes = [language.code for language in questionnaire.languages]
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        problems.append(f"languages declared twice: {', '.join(repeated)}")
    if codes and questionnaire.default_language not in codes:
        problems.append(f"the default language {questionnaire.default_language!r} is not among the languages "
                        f"({', '.join(codes)}); add it, or make one of them the default")
    others = set(codes) - {questionnaire.default_language}

    def check(where: str, translations: dict[str, Any]) -> None:
        for code in translations:
            if code == questionnaire.default_language:
                problems.append(f"{where}: a translation into the default language {code!r}; its words go in "
                                "the text itself")
            elif code not in others:
                declared = ", ".join(sorted(others)) or "none"
                problems.append(f"{where}: a translation into {code!r}, which is not one of the questionnaire's "
                                f"languages (declared: {declared})")

    check("questionnaire", questionnaire.translations)
    for question in questionnaire.questions:
        check(f"question {question.id!r}", question.translations)
        for option in question.options:
            check(f"question {question.id!r} option {option.value!r}", option.translations)
    return problems


def _question_problems(question: Question) -> list[str]:
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
            problems.append(f"min {number_text(question.min)} is above max {number_text(question.max)}")
    elif question.min is not None or question.max is not None or question.integer:
        problems.append("min, max and integer are only for number questions")
    if kind is not QuestionType.TEXT and question.max_length is not None:
        problems.append("max_length is only for text questions")
    if kind is not QuestionType.SCALE_1_5 and (question.low_label or question.high_label):
        problems.append("low_label and high_label are only for scale_1_5 questions")
    if kind is QuestionType.NOTE:
        if question.required:
            problems.append("a note is shown, not answered: it cannot be required")
        if question.concern is not None or question.suggests:
            problems.append("a note takes no answer, so it cannot count toward a concern or suggest a follow-up")
    if kind is QuestionType.DATE and question.concern is not None:
        problems.append("a date question cannot count toward a concern")
    for suggestion in question.suggests:
        problems += [f"suggests {suggestion.category!r}: {p}" for p in _suggestion_problems(question, suggestion)]
    return problems


def _suggestion_problems(question: Question, suggestion: FollowupSuggestion) -> list[str]:
    problems = []
    if suggestion.category not in {c.value for c in FollowupCategory}:
        problems.append(f"not a follow-up category; known ones are {', '.join(c.value for c in FollowupCategory)}")
    if suggestion.priority not in {p.value for p in Priority}:
        problems.append(f"priority {suggestion.priority!r} is not one of {', '.join(p.value for p in Priority)}")
    values = suggestion.when if isinstance(suggestion.when, list) else [suggestion.when]
    if not values:
        problems.append("'when' needs at least one value")
    problems += [f"'when' is {value!r}, which the answer can never be ({what_fits(question)})"
                 for value in values if not could_be(question, value)]
    return problems


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
            for suggestion in obj.get("suggests") or []:
                check(suggestion, FollowupSuggestion, f"{where} suggests")
        texts: dict[type[msgspec.Struct], type[msgspec.Struct]] = {
            Question: QuestionText, Option: OptionText, Questionnaire: QuestionnaireText}
        translated = texts.get(struct)
        if translated is not None and isinstance(obj.get("translations"), dict):
            for code, words in obj["translations"].items():
                check(words, translated, f"{where} translation {code!r}")
        if struct is Questionnaire:
            for language in obj.get("languages") or []:
                check(language, Language, f"{where} language")
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
