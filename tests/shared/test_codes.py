"""Codes are the wire values of DESIGN.md; every one has a label for people."""

from __future__ import annotations

import msgspec
import pytest

from shared_schemas import codes
from shared_schemas.codes import (
    FOLLOWUP_TRANSITIONS,
    Concern,
    FixCategory,
    FollowupCategory,
    FollowupStatus,
    Outcome,
    Priority,
    Role,
    label,
)

DESIGN_CODES = {
    Outcome: ["answered", "no_answer", "card_left", "come_back_later", "refused", "vacant",
              "inaccessible", "do_not_visit", "answered_online"],
    FixCategory: ["fly_tipping_removed", "graffiti_removed", "smoke_alarm_fitted",
                  "street_light_reported", "litter_picked", "advice_given"],
    FollowupCategory: ["fly_tipping", "graffiti", "street_lighting", "abandoned_vehicle",
                       "housing_disrepair", "home_fire_safety_visit", "anti_social_behaviour",
                       "drugs", "safeguarding", "other"],
    Priority: ["low", "normal", "high", "urgent"],
    FollowupStatus: ["open", "acknowledged", "in_progress", "resolved", "declined"],
    Role: ["visitor", "coordinator", "partner", "admin"],
}

LABELS = {
    Outcome: codes.OUTCOME_LABELS,
    FixCategory: codes.FIX_CATEGORY_LABELS,
    FollowupCategory: codes.FOLLOWUP_CATEGORY_LABELS,
    Priority: codes.PRIORITY_LABELS,
    FollowupStatus: codes.FOLLOWUP_STATUS_LABELS,
    Role: codes.ROLE_LABELS,
    Concern: codes.CONCERN_LABELS,
    codes.OperationStatus: codes.OPERATION_STATUS_LABELS,
}


@pytest.mark.parametrize("enum", list(DESIGN_CODES), ids=lambda enum: enum.__name__)
def test_codes_are_the_design_codes_in_order(enum):
    assert [member.value for member in enum] == DESIGN_CODES[enum]


@pytest.mark.parametrize("enum", list(LABELS), ids=lambda enum: enum.__name__)
def test_every_code_has_a_label(enum):
    labels = LABELS[enum]
    assert set(labels) == set(enum)
    assert all(text and text[0].isupper() for text in labels.values())


def test_codes_travel_as_plain_strings():
    assert msgspec.json.encode([Outcome.CARD_LEFT, Priority.URGENT]) == b'["card_left","urgent"]'
    assert msgspec.json.decode(b'"graffiti"', type=FollowupCategory) is FollowupCategory.GRAFFITI


def test_label_finds_any_code_and_falls_back_to_the_code():
    assert label("come_back_later") == "Come back later"
    assert label("smoke_alarm_fitted") == "Smoke alarm fitted"
    assert label(Outcome.DO_NOT_VISIT) == "Do not visit"
    assert label("no_smoke_alarm") == "No working smoke alarm"
    assert label("something_new") == "something_new"


def test_most_concerns_reuse_follow_up_categories():
    assert {"anti_social_behaviour", "drugs", "fly_tipping", "graffiti", "street_lighting"} <= (
        {c.value for c in Concern} & {c.value for c in FollowupCategory}
    )


def test_followup_workflow_moves_forward_and_ends_at_resolved_or_declined():
    assert set(FOLLOWUP_TRANSITIONS) == set(FollowupStatus)
    assert FOLLOWUP_TRANSITIONS[FollowupStatus.RESOLVED] == frozenset()
    assert FOLLOWUP_TRANSITIONS[FollowupStatus.DECLINED] == frozenset()
    order = list(FollowupStatus)
    for status, allowed in FOLLOWUP_TRANSITIONS.items():
        assert all(order.index(target) > order.index(status) for target in allowed)
        assert status in (FollowupStatus.RESOLVED, FollowupStatus.DECLINED) or {
            FollowupStatus.RESOLVED, FollowupStatus.DECLINED} <= allowed
