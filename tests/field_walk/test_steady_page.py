"""A steady page (issue 10, build 6): answering a question on the one-page visit never moves the page
under the officer's finger. Skip logic adds and removes questions, suggestions appear, help and error
lines change: the answer just tapped stays where it was on screen (within a couple of pixels)."""

from __future__ import annotations

import pytest

from .conftest import open_walk_list, street_with_free_doors
from .test_shift import _toggle

pytestmark = [pytest.mark.ui, pytest.mark.slow]

#: Answers that change the page: each adds or removes questions below, or a suggestion.
ANSWERS = [
    ("feel_safe_after_dark", "2"),       # unsafe: asks why (a question appears below)
    ("unsafe_reasons", "Poor street lighting"),
    ("asb_seen", "Yes"),                 # seen: two questions appear below
    ("asb_types", "Rowdy groups"),
    ("asb_reported", "No"),
    ("asb_seen", "No"),                  # and they go again
    ("asb_seen", "Yes"),
    ("feel_safe_after_dark", "4"),       # safe: the why question goes
    ("drug_dealing", "No"),
    ("fly_tipping", "Yes"),
    ("street_lighting", "Poor"),
    ("smoke_alarm", "No"),               # no alarm: asks about a fire safety visit
    ("fire_safety_visit", "Yes"),        # ... and a follow-up is suggested below
    ("smoke_alarm", "Yes"),              # the question and the suggestion go
    ("hear_back", "A community meeting"),
]


def _window_y(widget) -> float:
    return widget.to_window(widget.x, widget.y)[1]


def _tap_in_place(walk, widget, step: str, moved: list[str]) -> None:
    """Tap ``widget`` (scrolled into view first, as a finger would) and note how far it moved."""
    walk.scroll_into_view(widget)
    walk.pump(3)
    before = _window_y(widget)
    walk.tap(widget, step=step)
    walk.pump(5)
    after = _window_y(widget)
    if abs(after - before) > 2:
        moved.append(f"{step}: {after - before:+.0f} px")


@pytest.mark.parametrize("orientation", ["landscape", "portrait"], indirect=True)
def test_an_answer_stays_under_the_finger(walk, orientation):
    open_walk_list(walk)
    walk.open_street(street_with_free_doors(walk, 1))
    walk.tap(walk.door_row(walk.free_doors(1)[0]), step="door")
    moved: list[str] = []
    _tap_in_place(walk, walk.button("Answered"), "answered", moved)  # the questions and the save bar appear
    visit = walk.screen
    for question_id, label in ANSWERS:
        _tap_in_place(walk, _toggle(visit.question_block(question_id), label), f"{question_id}={label}", moved)
    _tap_in_place(walk, walk.button("Smoke alarm fitted"), "fix", moved)
    add = walk.button("Add a follow-up")
    walk.scroll_into_view(add)
    walk.pump(3)
    top = _window_y(add) + add.height
    walk.tap(add, step="add_followup")
    walk.pump(5)
    [draft] = visit.vm.followups
    card = visit.card(draft.id)  # the new card opens where the button was (give or take the page's
    if abs(_window_y(card) + card.height - top) > 8:  # 6 px spacing); the button goes below it
        moved.append(f"add_followup: the card's top is {_window_y(card) + card.height - top:+.0f} px from the button's")
    _tap_in_place(walk, visit.card(draft.id).ids.consent_yes, "consent", moved)  # contact fields appear below
    _tap_in_place(walk, visit.ids.save, "save_refused", moved)  # refused: messages in their kept lines
    assert visit.vm.errors and walk.screen is visit
    assert not moved, "the page moved under the finger: " + ", ".join(moved)
