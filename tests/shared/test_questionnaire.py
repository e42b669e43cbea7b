"""The questionnaire engine: loading checks, skip logic, validation of every type, concerns."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import msgspec
import pytest

from shared_schemas import (
    AnswerError,
    Concern,
    Questionnaire,
    QuestionnaireError,
    QuestionType,
    applicable_questions,
    concern_codes,
    concerns,
    describe_condition,
    load_questionnaire,
    prune_answers,
    validate_answers,
)
from shared_schemas.questionnaire import TEXT_MAX_LENGTH

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "questionnaires" / "streetsafe-community-v1.json"

#: One question of every type, with skip logic of every kind.
EVERY_TYPE = {
    "id": "every-type",
    "version": 3,
    "title": "Every type",
    "questions": [
        {"id": "asb_seen", "text": "Seen anti-social behaviour?", "type": "yes_no", "required": True,
         "concern": "anti_social_behaviour"},
        {"id": "asb_kind", "text": "What kind?", "type": "single_choice", "required": True,
         "show_if": {"question": "asb_seen", "equals": True},
         "options": [{"value": "noise", "label": "Noise"},
                     {"value": "dealing", "label": "Drug dealing", "concern": "drugs"},
                     {"value": "other", "label": "Other"}]},
        {"id": "asb_where", "text": "Where?", "type": "text", "max_length": 20,
         "show_if": {"question": "asb_kind", "in": ["noise", "other"]}},
        {"id": "problems", "text": "Problems in the street?", "type": "multiple_choice",
         "options": [{"value": "fly_tipping", "label": "Fly-tipping", "concern": "fly_tipping"},
                     {"value": "graffiti", "label": "Graffiti", "concern": "graffiti"},
                     {"value": "none", "label": "None"}]},
        {"id": "graffiti_where", "text": "Where is the graffiti?", "type": "text",
         "show_if": {"question": "problems", "equals": "graffiti"}},
        {"id": "safe", "text": "How safe after dark?", "type": "scale_1_5", "required": True,
         "concern": "feeling_unsafe", "concern_at_or_below": 2, "low_label": "Unsafe", "high_label": "Safe"},
        {"id": "unsafe_why", "text": "Why?", "type": "text",
         "show_if": {"any": [{"question": "safe", "in": [1, 2]}, {"question": "asb_seen", "equals": True}]}},
        {"id": "people", "text": "People living here", "type": "number", "integer": True, "min": 1, "max": 20},
        {"id": "weekly_spend", "text": "Spend", "type": "number", "min": 0},
        {"id": "alarm", "text": "Working smoke alarm?", "type": "yes_no", "required": True,
         "concern": "no_smoke_alarm", "concern_answer": False},
        {"id": "visit_wanted", "text": "Fire safety visit?", "type": "yes_no",
         "show_if": {"all": [{"question": "alarm", "equals": False}, {"question": "people", "answered": True}]}},
        {"id": "why_no_count", "text": "Why not say how many live here?", "type": "text",
         "show_if": {"question": "people", "answered": False}},
        {"id": "hear_back", "text": "How to hear back?", "type": "single_choice",
         "options": [{"value": "leaflet", "label": "Leaflet"}, {"value": "none", "label": "No need"}]},
        {"id": "hear_back_when", "text": "When?", "type": "text",
         "show_if": {"question": "hear_back", "not_equals": "none"}},
    ],
}

#: Answers to EVERY_TYPE that are all valid and make every conditional question apply
#: except those whose condition is exclusive with another.
GOOD = {
    "asb_seen": True,
    "asb_kind": "noise",
    "asb_where": "by the shops",
    "problems": ["graffiti", "fly_tipping"],
    "graffiti_where": "bus shelter",
    "safe": 2,
    "unsafe_why": "dark alley",
    "people": 3,
    "weekly_spend": 12.5,
    "alarm": False,
    "visit_wanted": True,
    "hear_back": "leaflet",
    "hear_back_when": "after the operation",
}


@pytest.fixture
def every_type() -> Questionnaire:
    return load_questionnaire(copy.deepcopy(EVERY_TYPE))


def ids(questions) -> list[str]:
    return [question.id for question in questions]


def errors_for(errors: list[AnswerError], question_id: str) -> list[str]:
    return [error.message for error in errors if error.question_id == question_id]


def definition_with(**question_changes) -> dict:
    """EVERY_TYPE with changes applied to questions by id (None removes the key)."""
    definition = copy.deepcopy(EVERY_TYPE)
    for question in definition["questions"]:
        for key, value in question_changes.get(question["id"], {}).items():
            if value is None:
                question.pop(key, None)
            else:
                question[key] = value
    return definition


def load_problems(definition, **kwargs) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(definition, **kwargs)
    return caught.value.problems


# ------------------------------------------------------------------ loading


def test_the_demo_questionnaire_loads_strictly_and_asks_what_streetsafe_asks():
    questionnaire = load_questionnaire(FIXTURE)
    assert questionnaire.id == "streetsafe-community-v1" == FIXTURE.stem
    assert 12 <= len(questionnaire.questions) <= 15
    assert any(question.show_if for question in questionnaire.questions)
    asked = set(concern_codes(questionnaire))
    assert {"feeling_unsafe", "anti_social_behaviour", "drugs", "fly_tipping", "graffiti",
            "street_lighting", "speeding", "no_smoke_alarm", "home_fire_safety_visit"} <= asked
    assert asked <= {concern.value for concern in Concern}
    assert questionnaire.question("hear_back").type is QuestionType.SINGLE_CHOICE


def test_the_demo_questionnaire_skip_logic():
    questionnaire = load_questionnaire(FIXTURE)
    calm = {"feel_safe_after_dark": 5, "asb_seen": False, "smoke_alarm": True, "hear_back": "online"}
    assert validate_answers(questionnaire, calm) == []
    assert "fire_safety_visit" not in ids(applicable_questions(questionnaire, calm))
    assert concerns(questionnaire, calm) == set()

    worried = {
        "feel_safe_after_dark": 1, "unsafe_reasons": ["drug_activity", "poor_lighting"],
        "asb_seen": True, "asb_types": ["groups"], "asb_reported": False,
        "drug_dealing": True, "fly_tipping": True, "graffiti": False, "street_lighting": "lights_out",
        "speeding": True, "smoke_alarm": False, "fire_safety_visit": True,
        "hear_back": "community_meeting", "other_comments": "Bins left out all week",
    }
    assert validate_answers(questionnaire, worried) == []
    assert concerns(questionnaire, worried) == {
        "feeling_unsafe", "drugs", "street_lighting", "anti_social_behaviour", "fly_tipping",
        "speeding", "no_smoke_alarm", "home_fire_safety_visit",
    }
    # The fire safety visit is required once the resident has no working alarm.
    missing = dict(worried, fire_safety_visit=None)
    assert validate_answers(questionnaire, missing) == [
        AnswerError("fire_safety_visit", "an answer is required", "required")
    ]


@pytest.mark.parametrize("path", sorted(FIXTURE.parent.glob("*.json")), ids=lambda path: path.name)
def test_every_questionnaire_fixture_loads_strictly_under_its_own_id(path):
    assert load_questionnaire(path).id == path.stem


def test_load_from_bytes_path_string_and_dict_agree():
    from_path = load_questionnaire(FIXTURE)
    assert load_questionnaire(str(FIXTURE)) == from_path
    assert load_questionnaire(FIXTURE.read_bytes()) == from_path
    assert load_questionnaire(msgspec.json.decode(FIXTURE.read_bytes())) == from_path


def test_a_questionnaire_round_trips_on_the_wire_with_in_spelled_in(every_type):
    wire = msgspec.json.encode(every_type)
    assert b'"in":["noise","other"]' in wire
    assert b"in_" not in wire and b"UNSET" not in wire
    assert load_questionnaire(wire) == every_type


def test_question_ids_must_be_unique():
    definition = copy.deepcopy(EVERY_TYPE)
    definition["questions"][2]["id"] = "asb_seen"
    assert "question 'asb_seen': the id is used twice" in load_problems(definition)


@pytest.mark.parametrize(
    ("show_if", "expected"),
    [
        ({"question": "alarm", "equals": True}, "refers to 'alarm', which is not an earlier question"),
        ({"question": "nowhere", "answered": True}, "refers to 'nowhere', which is not an earlier question"),
        ({"question": "asb_kind", "equals": "noise"}, "refers to its own question 'asb_kind'"),
        ({"question": "asb_seen"}, "needs exactly one of equals, in, not_equals, answered"),
        ({"question": "asb_seen", "equals": True, "answered": True}, "needs exactly one of"),
        ({"equals": True}, "needs a 'question', or 'all'/'any'"),
        ({"all": []}, "'all' needs at least one condition"),
        ({"all": [{"question": "asb_seen", "equals": True}], "question": "asb_seen"}, "only 'all' or only 'any'"),
        ({"any": [{"question": "later", "equals": 1}]}, "refers to 'later'"),
        ({"question": "asb_seen", "equals": "yes"}, "compares 'asb_seen' with 'yes', which it can never be"),
        ({"question": "asb_seen", "in": []}, "'in' on 'asb_seen' needs at least one value"),
    ],
)
def test_show_if_must_be_well_formed_and_look_only_backwards(show_if, expected):
    problems = load_problems(definition_with(asb_kind={"show_if": show_if}))
    assert any(expected in problem and problem.startswith("question 'asb_kind': show_if") for problem in problems), (
        problems
    )


def test_show_if_values_must_be_possible_answers():
    problems = load_problems(definition_with(
        asb_where={"show_if": {"question": "asb_kind", "in": ["noise", "nosie"]}},
        unsafe_why={"show_if": {"question": "safe", "equals": 6}},
    ))
    assert any("'nosie'" in problem for problem in problems)
    assert any("with 6" in problem for problem in problems)
    assert not any("'noise'" in problem for problem in problems)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"asb_kind": {"options": [{"value": "noise", "label": "Noise"}]}}, "needs at least two options"),
        ({"problems": {"options": []}}, "needs at least two options"),
        ({"hear_back": {"options": [{"value": "a", "label": "A"}, {"value": "a", "label": "B"}]}},
         "option values used twice: a"),
        ({"asb_seen": {"options": [{"value": "a", "label": "A"}]}}, "options are only for choice questions"),
        ({"problems": {"concern": "graffiti"}}, "put concerns on the options"),
        ({"safe": {"concern_at_or_below": None}}, "needs both concern and concern_at_or_below"),
        ({"asb_seen": {"concern_at_or_below": 2}}, "concern_at_or_below is only for scale_1_5"),
        ({"graffiti_where": {"concern": "graffiti"}}, "a text question cannot count toward a concern"),
        ({"people": {"min": 30}}, "min 30 is above max 20"),
        ({"asb_seen": {"max": 3}}, "min, max and integer are only for number questions"),
        ({"people": {"max_length": 3}}, "max_length is only for text questions"),
        ({"asb_seen": {"low_label": "no"}}, "low_label and high_label are only for scale_1_5"),
    ],
)
def test_question_rules(changes, expected):
    problems = load_problems(definition_with(**changes))
    assert any(expected in problem for problem in problems), problems


def test_every_problem_is_reported_at_once():
    problems = load_problems(definition_with(
        asb_kind={"options": [{"value": "noise", "label": "A"}, {"value": "noise", "label": "B"},
                              {"value": "dealing", "label": "C"}, {"value": "other", "label": "D"}]},
        people={"min": 30},
        alarm={"show_if": {"question": "hear_back", "equals": "none"}},
        hear_back={"requried": True},
    ))
    assert len(problems) == 4, problems


def test_strict_loading_catches_typos_and_unknown_concerns():
    definition = definition_with(
        hear_back={"requried": True},
        asb_kind={"show_if": {"question": "asb_seen", "equals": True, "equal": False}},
        problems={"options": [{"value": "fly_tipping", "label": "A", "concerm": "graffiti"},
                              {"value": "graffiti", "label": "B", "concern": "graffitti"}]},
    )
    definition["titel"] = "typo"
    problems = load_problems(definition)
    assert "question 'hear_back': unknown key 'requried'" in problems
    assert "question 'asb_kind' show_if: unknown key 'equal'" in problems
    assert "question 'problems' option 1: unknown key 'concerm'" in problems
    assert "questionnaire: unknown key 'titel'" in problems
    assert any("unknown concern 'graffitti'" in problem for problem in problems)
    # Not strict: a definition written for a newer version still loads, unknown keys ignored.
    questionnaire = load_questionnaire(definition, strict=False)
    assert questionnaire.question("hear_back").required is False


def test_types_and_shapes_are_checked_with_the_path():
    problems = load_problems(msgspec.json.encode(dict(EVERY_TYPE, version="three")))
    assert problems == ["Expected `int`, got `str` - at `$.version`"]
    problems = load_problems(definition_with(people={"type": "datetime"}))
    assert "$.questions[7].type" in problems[0]
    problems = load_problems(definition_with(asb_seen={"id": "Bad Id"}))
    assert "$.questions[0].id" in problems[0]
    assert load_problems(b"{")[0].startswith("not valid JSON")
    assert load_problems(dict(EVERY_TYPE, questions=[])) == ["the questionnaire has no questions"]


# ------------------------------------------------------------------ skip logic


def test_without_answers_only_unconditional_questions_and_not_answered_conditions_apply(every_type):
    assert ids(applicable_questions(every_type, {})) == [
        "asb_seen", "problems", "safe", "people", "weekly_spend", "alarm", "why_no_count", "hear_back",
    ]


def test_with_every_condition_met_all_but_the_exclusive_question_apply(every_type):
    applicable = ids(applicable_questions(every_type, GOOD))
    assert applicable == [q["id"] for q in EVERY_TYPE["questions"] if q["id"] != "why_no_count"]
    assert validate_answers(every_type, GOOD) == []


def test_equals(every_type):
    assert "asb_kind" in ids(applicable_questions(every_type, {"asb_seen": True}))
    assert "asb_kind" not in ids(applicable_questions(every_type, {"asb_seen": False}))


def test_in(every_type):
    for kind, shown in (("noise", True), ("other", True), ("dealing", False)):
        answers = {"asb_seen": True, "asb_kind": kind}
        assert ("asb_where" in ids(applicable_questions(every_type, answers))) is shown


def test_not_equals_is_false_until_answered(every_type):
    assert "hear_back_when" not in ids(applicable_questions(every_type, {}))
    assert "hear_back_when" in ids(applicable_questions(every_type, {"hear_back": "leaflet"}))
    assert "hear_back_when" not in ids(applicable_questions(every_type, {"hear_back": "none"}))


def test_answered_true_and_false(every_type):
    no_count = {"alarm": False}
    assert "why_no_count" in ids(applicable_questions(every_type, no_count))
    assert "visit_wanted" not in ids(applicable_questions(every_type, no_count))
    with_count = {"alarm": False, "people": 2}
    assert "why_no_count" not in ids(applicable_questions(every_type, with_count))
    assert "visit_wanted" in ids(applicable_questions(every_type, with_count))


def test_all_needs_every_part_and_any_needs_one(every_type):
    assert "visit_wanted" not in ids(applicable_questions(every_type, {"alarm": True, "people": 2}))
    assert "unsafe_why" in ids(applicable_questions(every_type, {"safe": 1}))
    assert "unsafe_why" in ids(applicable_questions(every_type, {"safe": 5, "asb_seen": True}))
    assert "unsafe_why" not in ids(applicable_questions(every_type, {"safe": 5, "asb_seen": False}))


def test_multiple_choice_equals_means_chosen(every_type):
    assert "graffiti_where" in ids(applicable_questions(every_type, {"problems": ["fly_tipping", "graffiti"]}))
    assert "graffiti_where" not in ids(applicable_questions(every_type, {"problems": ["fly_tipping"]}))
    assert "graffiti_where" not in ids(applicable_questions(every_type, {"problems": []}))


def test_skips_cascade(every_type):
    """asb_where depends on asb_kind which depends on asb_seen: a stale asb_kind must not show it."""
    stale = {"asb_seen": False, "asb_kind": "noise"}
    assert "asb_where" not in ids(applicable_questions(every_type, stale))
    assert errors_for(validate_answers(every_type, dict(stale, asb_where="x")), "asb_where") == [
        "this question does not apply: it is asked only when asb_kind is noise or other; remove its answer"
    ]


def test_a_yes_answer_never_equals_the_number_one():
    definition = {
        "id": "t", "version": 1, "title": "t",
        "questions": [
            {"id": "count", "text": "How many?", "type": "number"},
            {"id": "one", "text": "Only one?", "type": "yes_no", "show_if": {"question": "count", "equals": 1}},
        ],
    }
    questionnaire = load_questionnaire(definition)
    assert "one" in ids(applicable_questions(questionnaire, {"count": 1}))
    assert "one" not in ids(applicable_questions(questionnaire, {"count": True}))


def test_prune_answers_drops_what_no_longer_applies_and_empty_answers(every_type):
    changed_mind = dict(GOOD, asb_seen=False, weekly_spend=None, unsafe_why="  ")
    pruned = prune_answers(every_type, changed_mind)
    assert "asb_kind" not in pruned and "asb_where" not in pruned
    assert "weekly_spend" not in pruned and "unsafe_why" not in pruned
    assert pruned["graffiti_where"] == "bus shelter"
    assert validate_answers(every_type, pruned) == []


def test_describe_condition(every_type):
    assert describe_condition(every_type.question("unsafe_why").show_if) == "(safe is 1 or 2 or asb_seen is yes)"
    assert describe_condition(every_type.question("visit_wanted").show_if) == "(alarm is no and people is answered)"
    assert describe_condition(every_type.question("hear_back_when").show_if) == "hear_back is not none"
    assert describe_condition(every_type.question("why_no_count").show_if) == "people is not answered"


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("question_id", "value", "expected"),
    [
        ("asb_seen", "yes", "expected yes or no (true/false), got text"),
        ("asb_seen", 1, "expected yes or no (true/false), got a number"),
        ("asb_kind", "loud", "expected one of noise, dealing, other; got 'loud'"),
        ("asb_kind", ["noise"], "expected one of noise, dealing, other; got ['noise']"),
        ("problems", "graffiti", "expected a list of values from fly_tipping, graffiti, none; got text"),
        ("problems", ["graffiti", "litter"], "'litter' is not one of fly_tipping, graffiti, none"),
        ("problems", ["graffiti", "graffiti"], "chosen more than once: graffiti"),
        ("problems", [1], "1 is not one of fly_tipping, graffiti, none"),
        ("safe", 0, "expected a whole number from 1 to 5, got 0"),
        ("safe", 6, "expected a whole number from 1 to 5, got 6"),
        ("safe", 2.5, "expected a whole number from 1 to 5, got 2.5"),
        ("safe", True, "expected a whole number from 1 to 5, got True"),
        ("safe", "3", "expected a whole number from 1 to 5, got '3'"),
        ("people", 0, "0 is below the minimum 1"),
        ("people", 21, "21 is above the maximum 20"),
        ("people", 2.5, "expected a whole number, got 2.5"),
        ("people", "3", "expected a number, got text"),
        ("weekly_spend", -0.5, "-0.5 is below the minimum 0"),
        ("weekly_spend", True, "expected a number, got true/false"),
        ("weekly_spend", math.nan, "expected a number, got a number"),
        ("asb_where", "x" * 21, "the answer is 21 characters; the limit is 20"),
        ("asb_where", 5, "expected text, got a number"),
        ("graffiti_where", "x" * (TEXT_MAX_LENGTH + 1), f"the limit is {TEXT_MAX_LENGTH:,}"),
    ],
)
def test_each_type_rejects_wrong_values(every_type, question_id, value, expected):
    errors = validate_answers(every_type, dict(GOOD, **{question_id: value}))
    messages = errors_for(errors, question_id)
    assert len(messages) == 1 and expected in messages[0], errors
    # A wrong answer meets no condition, so questions that hang on it no longer apply.
    others = [error for error in errors if error.question_id != question_id]
    assert all("does not apply" in error.message for error in others), others


@pytest.mark.parametrize(
    ("question_id", "value"),
    [
        ("asb_seen", False), ("asb_kind", "dealing"), ("problems", ["none"]), ("safe", 1), ("safe", 5),
        ("people", 1), ("people", 20), ("weekly_spend", 0), ("weekly_spend", 1e6), ("asb_where", "x" * 20),
    ],
)
def test_each_type_accepts_values_at_its_edges(every_type, question_id, value):
    answers = prune_answers(every_type, dict(GOOD, **{question_id: value}))
    assert answers[question_id] == value
    assert validate_answers(every_type, answers) == []


@pytest.mark.parametrize("empty", [None, "", "   ", []])
def test_required_questions_need_a_real_answer(every_type, empty):
    answers = dict(GOOD, asb_kind=empty, safe=empty, alarm=empty)
    errors = validate_answers(every_type, answers)
    assert AnswerError("asb_kind", "an answer is required", "required") in errors
    assert AnswerError("safe", "an answer is required", "required") in errors
    assert AnswerError("alarm", "an answer is required", "required") in errors


def test_optional_questions_may_be_left_out(every_type):
    answers = {"asb_seen": False, "safe": 4, "alarm": True, "why_no_count": ""}
    assert validate_answers(every_type, answers) == []


def test_required_only_when_the_question_applies(every_type):
    answers = {"asb_seen": False, "safe": 4, "alarm": True}
    assert "asb_kind" not in [error.question_id for error in validate_answers(every_type, answers)]


def test_an_empty_answer_to_a_question_that_does_not_apply_is_fine(every_type):
    answers = {"asb_seen": False, "asb_kind": None, "safe": 4, "alarm": True}
    assert validate_answers(every_type, answers) == []


def test_unknown_question_ids_are_errors(every_type):
    errors = validate_answers(every_type, dict(GOOD, asb_sen=True))
    assert errors == [AnswerError("asb_sen", "no question 'asb_sen' in questionnaire 'every-type'", "unknown")]


def test_every_error_is_returned_in_question_order(every_type):
    answers = {
        "asb_seen": "yes",          # wrong type, so asb_kind does not apply
        "asb_kind": "noise",        # does not apply
        "problems": ["litter"],     # not an option
        "safe": 9,                  # out of range
        "people": 0,                # below minimum
        "extra": 1,                 # unknown
    }                               # alarm: required, missing
    errors = validate_answers(every_type, answers)
    assert [error.question_id for error in errors] == [
        "asb_seen", "asb_kind", "problems", "safe", "people", "alarm", "extra",
    ]


def test_answers_must_be_an_object(every_type):
    assert validate_answers(every_type, ["asb_seen"]) == [
        AnswerError("", "answers must be an object of question id -> answer, not a list", "type")
    ]


# ------------------------------------------------------------------ concerns


def test_yes_no_concern_counts_on_its_answer(every_type):
    assert "anti_social_behaviour" in concerns(every_type, {"asb_seen": True})
    assert "anti_social_behaviour" not in concerns(every_type, {"asb_seen": False})
    assert "no_smoke_alarm" in concerns(every_type, {"alarm": False})
    assert "no_smoke_alarm" not in concerns(every_type, {"alarm": True})


def test_scale_concern_counts_at_or_below_its_threshold(every_type):
    assert [bool(concerns(every_type, {"safe": value})) for value in range(1, 6)] == [True, True, False, False, False]


def test_choice_concerns_come_from_the_chosen_options(every_type):
    assert concerns(every_type, {"asb_seen": True, "asb_kind": "dealing"}) == {"anti_social_behaviour", "drugs"}
    assert concerns(every_type, {"problems": ["graffiti", "fly_tipping"]}) == {"graffiti", "fly_tipping"}
    assert concerns(every_type, {"problems": ["none"]}) == set()


def test_answers_that_do_not_apply_or_are_invalid_count_for_nothing(every_type):
    assert concerns(every_type, {"asb_seen": False, "asb_kind": "dealing"}) == set()
    assert concerns(every_type, {"safe": 0, "asb_seen": "yes", "problems": "graffiti"}) == set()


def test_concern_codes_lists_every_possible_concern_once(every_type):
    assert concern_codes(every_type) == [
        "anti_social_behaviour", "drugs", "fly_tipping", "graffiti", "feeling_unsafe", "no_smoke_alarm",
    ]


# ---------------------------------------------------------------- check_answers: both in one walk

#: Values of every kind a tablet (or a broken client) might send for any question: right and
#: wrong types, edges, empties, unknown options, repeats, bool-vs-number traps.
_ANY_VALUES = [None, True, False, 0, 1, 2, 3, 5, 6, 1.5, -1, 21, float("nan"), "", "   ", "noise", "dealing",
               "other", "graffiti", "fly_tipping", "none", "x" * 25, "short", [], ["graffiti"],
               ["fly_tipping", "graffiti"], ["graffiti", "graffiti"], ["nope"], [1], {"a": 1}]


def _answer_sets(questionnaire: Questionnaire, count: int, seed: int) -> list[dict]:
    """Answer sets that hit skip logic both ways: mostly type-fitting values (so conditions
    hold and cascade), some of any kind, some keys left out, and some unknown keys."""
    import random

    from shared_schemas.questionnaire import Question

    rng = random.Random(seed)

    def fitting(question: Question):
        kind = question.type
        if kind is QuestionType.YES_NO:
            return rng.random() < 0.5
        if kind is QuestionType.SCALE_1_5:
            return rng.randint(1, 5)
        if kind is QuestionType.SINGLE_CHOICE:
            return rng.choice(question.options).value
        if kind is QuestionType.MULTIPLE_CHOICE:
            return rng.sample([o.value for o in question.options], rng.randint(1, 2))
        if kind is QuestionType.NUMBER:
            return rng.choice([1, 2, 7, 20, 0.5])
        return rng.choice(["", "by the shops", "x" * 30])

    sets = []
    for n in range(count):
        answers: dict = {}
        if n % 2:  # as a tablet fills it in: only what applies, valid values
            for question in questionnaire.questions:
                if question in applicable_questions(questionnaire, answers) and rng.random() < 0.8:
                    value = fitting(question)
                    if question.type in (QuestionType.NUMBER, QuestionType.TEXT):
                        value = 2 if question.type is QuestionType.NUMBER else "by the shops"
                    answers[question.id] = value
                elif question.required and question in applicable_questions(questionnaire, answers):
                    answers[question.id] = fitting(question) if question.type is not QuestionType.TEXT else "ok"
            sets.append(answers)
            continue
        for question in questionnaire.questions:
            roll = rng.random()
            if roll < 0.55:
                answers[question.id] = fitting(question)
            elif roll < 0.75:
                answers[question.id] = rng.choice(_ANY_VALUES)
        if rng.random() < 0.1:
            answers["not_a_question"] = rng.choice(_ANY_VALUES)
        sets.append(answers)
    return sets


@pytest.mark.parametrize("which", ["every_type", "streetsafe"])
def test_the_quick_path_and_the_full_walk_agree(every_type, which):
    """check_answers recognises valid answers from the compiled plan (surely_valid) and walks
    again only to say what is wrong (every_problem): the two must agree on every answer set."""
    from shared_schemas.questionnaire import check_answers
    from shared_schemas.questionnaire.answers import every_problem, plan_of, surely_valid

    questionnaire = every_type if which == "every_type" else load_questionnaire(FIXTURE)
    sets = _answer_sets(questionnaire, 3000, seed=7)
    skipped = applied = quick = 0
    plan = plan_of(questionnaire)
    for answers in sets:
        errors, found = every_problem(plan, answers)
        assert check_answers(questionnaire, answers) == (errors, found), answers
        assert validate_answers(questionnaire, answers) == errors and concerns(questionnaire, answers) == found
        # The quick path answers only for valid sets, and answers as the full walk does.
        surely = surely_valid(plan, answers)
        if surely is not None:
            quick += 1
            assert errors == [] and surely == found, answers
        elif not errors:
            pytest.fail(f"valid answers left to the slow path: {answers}")
        shown = {q.id for q in applicable_questions(questionnaire, answers)}
        skipped += any(q.show_if is not None and q.id not in shown for q in questionnaire.questions)
        applied += any(q.show_if is not None and q.id in shown for q in questionnaire.questions)
    # The sets really exercise skip logic both ways, and both valid and invalid answers.
    assert skipped > 300 and applied > 300
    assert sum(not validate_answers(questionnaire, a) for a in sets) == quick > 30
    assert sum(bool(concerns(questionnaire, a)) for a in sets) > 300


def test_check_answers_on_answers_that_are_not_an_object(every_type):
    from shared_schemas.questionnaire import check_answers

    for answers in (None, [], "yes", 3):
        assert check_answers(every_type, answers) == (validate_answers(every_type, answers), set())


def test_check_answers_on_valid_answers_gives_no_errors_and_the_concerns(every_type):
    from shared_schemas.questionnaire import check_answers

    answers = {"asb_seen": True, "asb_kind": "dealing", "safe": 2, "alarm": False, "problems": ["graffiti"]}
    assert check_answers(every_type, answers) == ([], {"anti_social_behaviour", "drugs", "feeling_unsafe",
                                                       "no_smoke_alarm", "graffiti"})
