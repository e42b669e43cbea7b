"""Follow-ups proposed from answers: the rule lives in the questionnaire definition (shared_schemas)."""

from pathlib import Path

import pytest

from shared_schemas.questionnaire import (
    QuestionnaireError,
    concerns,
    load_questionnaire,
    suggested_followups,
    validate_answers,
)

ROOT = Path(__file__).resolve().parents[2]
V2 = load_questionnaire(ROOT / "fixtures" / "questionnaires" / "streetsafe-community-v2.json")


def _categories(answers):
    return [s.category for s in suggested_followups(V2, answers)]


def test_no_smoke_alarm_and_wants_a_visit_suggests_a_home_fire_safety_visit():
    answers = {"smoke_alarm": False, "fire_safety_visit": True}
    [suggestion] = suggested_followups(V2, answers)
    assert suggestion.category == "home_fire_safety_visit" and suggestion.priority == "normal"
    assert "smoke alarm" in suggestion.description


@pytest.mark.parametrize("answers", [
    {"smoke_alarm": False, "fire_safety_visit": False},   # does not want one
    {"smoke_alarm": True, "fire_safety_visit": True},     # has an alarm: the follow-on question does not apply
    {"smoke_alarm": True},
    {},
])
def test_nothing_suggested_otherwise(answers):
    assert "home_fire_safety_visit" not in _categories(answers)


def test_a_choice_option_suggests_and_each_category_comes_once():
    assert _categories({"street_lighting": "lights_out", "smoke_alarm": False, "fire_safety_visit": True}) == \
        ["street_lighting", "home_fire_safety_visit"]
    assert _categories({"street_lighting": "poor"}) == []


def test_suggestions_change_nothing_that_is_valid_or_counted():
    v1 = load_questionnaire(ROOT / "fixtures" / "questionnaires" / "streetsafe-community-v1.json")
    answers = {"feel_safe_after_dark": 2, "unsafe_reasons": ["poor_lighting"], "asb_seen": False,
               "smoke_alarm": False, "fire_safety_visit": True, "hear_back": "online", "street_lighting": "lights_out"}
    assert validate_answers(V2, answers) == validate_answers(v1, answers) == []
    assert concerns(V2, answers) == concerns(v1, answers)


def _with(suggests, question_type="yes_no", **extra):
    return {"id": "t", "version": 1, "title": "t", "questions": [
        {"id": "q", "text": "Q?", "type": question_type, "suggests": suggests, **extra}]}


@pytest.mark.parametrize("suggests,problem", [
    ([{"category": "not_a_category"}], "not a follow-up category"),
    ([{"category": "graffiti", "priority": "whenever"}], "priority"),
    ([{"category": "graffiti", "when": "maybe"}], "can never be"),
    ([{"category": "graffiti", "wehn": True}], "unknown key 'wehn'"),
])
def test_a_bad_suggestion_is_refused_when_loading(suggests, problem):
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(_with(suggests))
    assert any(problem in p for p in caught.value.problems), caught.value.problems
