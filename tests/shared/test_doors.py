"""A door's status from its attempts: the one rule the tablet and the server share."""

from __future__ import annotations

import itertools

import pytest

from shared_schemas.codes import CLOSING_OUTCOMES, Outcome
from shared_schemas.doors import CLOSED_AS, STATUS_PRECEDENCE, DoorStatus, door_status


def test_no_attempt_is_not_knocked_and_attempts_without_a_closing_outcome_are_to_revisit():
    assert door_status([]) is DoorStatus.NOT_KNOCKED
    assert door_status(["no_answer", "card_left", "no_answer"]) is DoorStatus.TO_REVISIT
    assert not DoorStatus.TO_REVISIT.closed and not DoorStatus.NOT_KNOCKED.closed


@pytest.mark.parametrize(("outcomes", "status"), [
    (["do_not_visit", "answered"], DoorStatus.ANSWERED),  # answered wins, in either order
    (["answered", "do_not_visit"], DoorStatus.ANSWERED),
    (["vacant", "refused", "no_answer"], DoorStatus.REFUSED),
    (["vacant", "do_not_visit"], DoorStatus.DO_NOT_VISIT),
    (["no_answer", "vacant"], DoorStatus.VACANT),
])
def test_the_strongest_closing_outcome_counts(outcomes, status):
    assert door_status(outcomes) is status and status.closed


def test_every_pair_of_outcomes_follows_the_precedence():
    status_rank = {s: len(STATUS_PRECEDENCE) - i for i, s in enumerate(STATUS_PRECEDENCE)}
    rank = {o: status_rank[CLOSED_AS[o]] for o in CLOSED_AS}
    assert set(rank) == CLOSING_OUTCOMES
    for a, b in itertools.product(Outcome, repeat=2):
        strongest = max((a, b), key=lambda o: rank.get(o, 0))
        expected = CLOSED_AS[strongest].value if strongest in rank else "to_revisit"
        assert door_status([a, b]).value == expected, (a, b)


def test_answering_online_is_answering():
    assert door_status(["card_left", "answered_online"]) is DoorStatus.ANSWERED
    assert door_status(["answered_online", "refused"]) is DoorStatus.ANSWERED
    assert door_status(["answered", "answered_online"]) is DoorStatus.ANSWERED
