"""A questionnaire in the resident's language: translations, with the default language's words
wherever one is missing.

Only words change from one language to another: question ids, option values, conditions,
concerns and follow-up suggestions are the same objects, so the skip logic, the checks and what
is counted are the same in every language (``tests/shared/test_languages.py`` walks them all).
An answer is stored by question id and option value, never by the words shown.
"""

from __future__ import annotations

from typing import NamedTuple

import msgspec

from .definition import Language, Option, Question, Questionnaire


def language_codes(questionnaire: Questionnaire) -> list[str]:
    """The languages it can be asked in, the default first."""
    codes = [questionnaire.default_language]
    codes += [language.code for language in questionnaire.languages if language.code not in codes]
    return codes


def language_of(questionnaire: Questionnaire, code: str) -> Language:
    """The declared language ``code`` (a bare one, named by its code, when it is not declared)."""
    for language in questionnaire.languages:
        if language.code == code:
            return language
    return Language(code=code, name=code)


def best_language(questionnaire: Questionnaire, wanted: str | None) -> str:
    """The questionnaire's language closest to ``wanted`` ("pl-PL" finds "pl"); else the default."""
    codes = language_codes(questionnaire)
    if not wanted:
        return questionnaire.default_language
    if wanted in codes:
        return wanted
    base = wanted.split("-", 1)[0].lower()
    for code in codes:
        if code.split("-", 1)[0].lower() == base:
            return code
    return questionnaire.default_language


_TRANSLATED: dict[tuple[int, str], tuple[Questionnaire, Questionnaire]] = {}


def translated(questionnaire: Questionnaire, code: str) -> Questionnaire:
    """The questionnaire with every word in language ``code``, falling back to the default language's
    word by word. For showing: it is a single-language copy (its default language is ``code``),
    never a definition to store. The same object comes back for the same questionnaire and language
    (versions never change once published), so its compiled plan is reused too."""
    if code == questionnaire.default_language or code not in language_codes(questionnaire):
        return questionnaire
    key = (id(questionnaire), code)
    kept = _TRANSLATED.get(key)
    if kept is not None and kept[0] is questionnaire:
        return kept[1]
    words = questionnaire.translations.get(code)
    yes, no = yes_no_words(questionnaire, code)
    copy = msgspec.structs.replace(
        questionnaire,
        title=(words.title if words else "") or questionnaire.title,
        description=(words.description if words else "") or questionnaire.description,
        questions=[_question(question, code) for question in questionnaire.questions],
        default_language=code,
        languages=[msgspec.structs.replace(language_of(questionnaire, code), yes=yes, no=no)],
        translations={},
    )
    if len(_TRANSLATED) >= 64:
        _TRANSLATED.clear()
    _TRANSLATED[key] = (questionnaire, copy)
    return copy


def _question(question: Question, code: str) -> Question:
    words = question.translations.get(code)
    return msgspec.structs.replace(
        question,
        text=(words.text if words else "") or question.text,
        help=(words.help if words else "") or question.help,
        low_label=(words.low_label if words else "") or question.low_label,
        high_label=(words.high_label if words else "") or question.high_label,
        constraint_message=(words.constraint_message if words else "") or question.constraint_message,
        options=[_option(option, code) for option in question.options],
        translations={},
    )


def _option(option: Option, code: str) -> Option:
    words = option.translations.get(code)
    label = (words.label if words else "") or option.label
    return msgspec.structs.replace(option, label=label, translations={})


class Missing(NamedTuple):
    """A word with no translation into ``language`` (the default language's is shown instead)."""

    language: str
    question_id: str  # "" for the questionnaire's title and description, and a language's yes/no
    field: str  # "text", "help", "low_label", "high_label", "constraint_message", "label", "title", …
    option: str = ""  # the option's value, for an option's label

    def describe(self) -> str:
        where = (f"question {self.question_id!r}" + (f" option {self.option!r}" if self.option else "")
                 if self.question_id else "the questionnaire")
        return f"{where}: no {self.field.replace('_', ' ')} in {self.language!r}"


def missing_translations(questionnaire: Questionnaire) -> list[Missing]:
    """Every word written in the default language that has no translation into a declared language.

    Not an error: the default language's words are shown instead. An import warns about each."""
    found: list[Missing] = []
    others = [code for code in language_codes(questionnaire) if code != questionnaire.default_language]
    for code in others:
        words = questionnaire.translations.get(code)
        for name in ("title", "description"):
            if getattr(questionnaire, name) and not (words and getattr(words, name)):
                found.append(Missing(code, "", name))
        language = language_of(questionnaire, code)
        default = language_of(questionnaire, questionnaire.default_language)
        if any(q.type.value == "yes_no" for q in questionnaire.questions):
            for name in ("yes", "no"):
                if getattr(default, name) and not getattr(language, name):
                    found.append(Missing(code, "", name))
        for question in questionnaire.questions:
            qwords = question.translations.get(code)
            for name in ("text", "help", "low_label", "high_label", "constraint_message"):
                if getattr(question, name) and not (qwords and getattr(qwords, name)):
                    found.append(Missing(code, question.id, name))
            for option in question.options:
                owords = option.translations.get(code)
                if not (owords and owords.label):
                    found.append(Missing(code, question.id, "label", option.value))
    return found


def yes_no_words(questionnaire: Questionnaire, code: str) -> tuple[str, str]:
    """The answers of a yes/no question in language ``code`` ("" where the questionnaire gives none:
    the screen then uses its own words)."""
    language, default = language_of(questionnaire, code), language_of(questionnaire, questionnaire.default_language)
    return language.yes or default.yes, language.no or default.no
