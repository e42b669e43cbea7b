"""Questionnaires in residents' languages (issue 16): every word of the demo in every declared
language, the default language's words where a translation is missing, and the skip logic, checks,
concerns and suggestions the same in every language."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest

from shared_schemas.questionnaire import (
    QuestionnaireError,
    QuestionType,
    applicable_questions,
    best_language,
    check_answers,
    language_codes,
    load_questionnaire,
    missing_translations,
    suggested_followups,
    translated,
    validate_answers,
    yes_no_words,
)

ROOT = Path(__file__).resolve().parents[2]
V3_FILE = ROOT / "fixtures" / "questionnaires" / "streetsafe-community-v3.json"
V3 = load_questionnaire(V3_FILE)


def test_the_demo_comes_in_five_languages_each_translation_marked_for_checking():
    assert language_codes(V3) == ["en", "cy", "pl", "ur", "pa"]
    names = {language.code: language for language in V3.languages}
    assert names["cy"].name == "Cymraeg" and names["pa"].name == "ਪੰਜਾਬੀ" and names["ur"].name == "اردو"
    assert not names["en"].demonstration
    assert all(names[code].demonstration for code in ("cy", "pl", "ur", "pa"))


def test_every_question_and_choice_has_every_declared_language():
    assert missing_translations(V3) == []
    for code in language_codes(V3)[1:]:
        shown = translated(V3, code)
        assert shown.title != V3.title and shown.description != V3.description
        for original, question in zip(V3.questions, shown.questions, strict=True):
            assert question.text and question.text != original.text, (code, question.id)
            for name in ("help", "low_label", "high_label", "constraint_message"):
                if getattr(original, name):
                    assert getattr(question, name) not in ("", getattr(original, name)), (code, question.id, name)
            for option, was in zip(question.options, original.options, strict=True):
                assert option.value == was.value and option.label and option.label != was.label, (code, option.value)
        yes, no = yes_no_words(V3, code)
        assert yes and no and (yes, no) != ("Yes", "No")


def test_scripts_are_the_ones_each_language_is_written_in():
    def scripts(code: str) -> set[str]:
        shown = translated(V3, code)
        text = "".join(q.text + "".join(o.label for o in q.options) for q in shown.questions)
        found = set()
        for char in text:
            point = ord(char)
            if 0x0600 <= point <= 0x06FF:
                found.add("Arabic")
            elif 0x0A00 <= point <= 0x0A7F:
                found.add("Gurmukhi")
        return found

    assert scripts("ur") == {"Arabic"}
    assert scripts("pa") == {"Gurmukhi"}
    assert scripts("pl") == set() and scripts("cy") == set()


def test_a_missing_translation_falls_back_to_the_default_words_and_is_listed():
    raw = json.loads(V3_FILE.read_text())
    smoke = next(q for q in raw["questions"] if q["id"] == "smoke_alarm")
    del smoke["translations"]["pl"]
    lighting = next(q for q in raw["questions"] if q["id"] == "street_lighting")
    lighting["options"][2]["translations"]["pl"]["label"] = ""
    questionnaire = load_questionnaire(raw)  # a missing translation is not an error

    shown = translated(questionnaire, "pl")
    assert shown.question("smoke_alarm").text == "Do you have a working smoke alarm on every floor of your home?"
    assert [o.label for o in shown.question("street_lighting").options][2] == "Poor"
    assert shown.question("asb_seen").text.startswith("Czy w ciągu")  # the rest stays Polish
    assert [m.describe() for m in missing_translations(questionnaire)] == [
        "question 'street_lighting' option 'poor': no label in 'pl'",
        "question 'smoke_alarm': no text in 'pl'",
    ]


def test_skip_logic_checks_concerns_and_suggestions_are_the_same_in_every_language():
    rng = random.Random(16)
    languages = [translated(V3, code) for code in language_codes(V3)]
    assert len({id(q) for q in languages}) == 5
    for _ in range(400):
        answers = _random_answers(rng)
        expected = None
        for shown in languages:
            seen = (
                [q.id for q in applicable_questions(shown, answers)],
                [(e.question_id, e.kind) for e in validate_answers(shown, answers)],
                sorted(check_answers(shown, answers)[1]),
                [(s.category, s.description) for s in suggested_followups(shown, answers)],
            )
            expected = expected or seen
            assert seen == expected, shown.default_language


def _random_answers(rng: random.Random) -> dict:
    answers: dict = {}
    for question in V3.questions:
        if rng.random() < 0.25:
            continue
        kind = question.type
        if kind is QuestionType.YES_NO:
            answers[question.id] = rng.random() < 0.5
        elif kind is QuestionType.SCALE_1_5:
            answers[question.id] = rng.randint(0, 6)  # now and then out of range
        elif kind is QuestionType.SINGLE_CHOICE:
            answers[question.id] = rng.choice([o.value for o in question.options] + ["nonsense"])
        elif kind is QuestionType.MULTIPLE_CHOICE:
            answers[question.id] = rng.sample([o.value for o in question.options], rng.randint(0, 2))
        elif kind is QuestionType.TEXT:
            answers[question.id] = "x" * rng.choice([3, 600])
    return answers


def test_a_translated_copy_is_kept_and_the_default_is_the_definition_itself():
    assert translated(V3, "en") is V3
    assert translated(V3, "de") is V3  # not one of its languages: the default
    assert translated(V3, "ur") is translated(V3, "ur")
    urdu = translated(V3, "ur")
    assert urdu.default_language == "ur" and urdu.translations == {}
    assert [language.code for language in urdu.languages] == ["ur"]


def test_the_closest_language_is_chosen_for_a_request():
    assert best_language(V3, "pl-PL") == "pl"
    assert best_language(V3, "cy") == "cy"
    assert best_language(V3, "fr") == "en"
    assert best_language(V3, None) == "en"


def _problems(raw: dict) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(raw)
    return caught.value.problems


def test_translations_only_into_declared_languages():
    raw = json.loads(V3_FILE.read_text())
    bad = copy.deepcopy(raw)
    bad["questions"][0]["translations"]["de"] = {"text": "Wie sicher …"}
    assert _problems(bad) == ["question 'feel_safe_after_dark': a translation into 'de', which is not one of the "
                              "questionnaire's languages (declared: cy, pa, pl, ur)"]
    bad = copy.deepcopy(raw)
    bad["questions"][1]["options"][0]["translations"]["en"] = {"label": "Lights"}
    assert _problems(bad) == ["question 'unsafe_reasons' option 'poor_lighting': a translation into the default "
                              "language 'en'; its words go in the text itself"]
    bad = copy.deepcopy(raw)
    bad["default_language"] = "fr"
    assert "the default language 'fr' is not among the languages (en, cy, pl, ur, pa)" in _problems(bad)[0]
    bad = copy.deepcopy(raw)
    bad["languages"].append({"code": "pl", "name": "Polish"})
    assert _problems(bad) == ["languages declared twice: pl"]
    bad = copy.deepcopy(raw)
    bad["languages"][2]["code"] = "Polish"
    assert "$.languages[2].code" in _problems(bad)[0]
    bad = copy.deepcopy(raw)
    bad["questions"][0]["translations"]["cy"]["txet"] = "typo"
    assert _problems(bad) == ["question 'feel_safe_after_dark' translation 'cy': unknown key 'txet'"]


def test_dates_and_notes():
    raw = {"id": "dates", "version": 1, "title": "Dates", "questions": [
        {"id": "intro", "text": "Thank you for answering.", "type": "note"},
        {"id": "moved_in", "text": "When did you move in?", "type": "date", "required": True},
    ]}
    questionnaire = load_questionnaire(raw)
    assert validate_answers(questionnaire, {"moved_in": "2024-02-29"}) == []
    [error] = validate_answers(questionnaire, {"moved_in": "2023-02-29"})
    assert error.kind == "type" and "2026-05-14" in error.message
    [error] = validate_answers(questionnaire, {"moved_in": "2024-01-01", "intro": "hello"})
    assert (error.question_id, error.kind) == ("intro", "type") and "takes no answer" in error.message
    assert [q.id for q in applicable_questions(questionnaire, {})] == ["intro", "moved_in"]
    bad = copy.deepcopy(raw)
    bad["questions"][0]["required"] = True
    bad["questions"][1]["show_if"] = {"question": "intro", "answered": True}
    assert _problems(bad) == ["question 'intro': a note is shown, not answered: it cannot be required",
                              "question 'moved_in': show_if refers to 'intro', a note, which is never answered"]


def test_constraint_problems_say_so_for_the_residents_words():
    errors = validate_answers(V3, {"feel_safe_after_dark": 4, "asb_seen": False, "smoke_alarm": True,
                                   "hear_back": "online", "other_comments": "x" * 501})
    assert [(e.question_id, e.kind) for e in errors] == [("other_comments", "constraint")]
    assert translated(V3, "pl").question("other_comments").constraint_message == "Prosimy o nie więcej niż 500 znaków."
