"""The shapes of the results API. Nothing here can hold a resident's name, phone, note or free text:
a visit contributes only its outcome, its time, its team and the concern categories its answers map to."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec


class StreetResult(msgspec.Struct):
    street_id: int
    ref: str
    name: str
    locality: str | None
    households: int
    knocked: int  # households with at least one attempt
    closed: int  # households with a closing outcome (answered + refused + vacant + do_not_visit)
    answered: int
    to_revisit: int  # knocked, not closed
    refused: int
    vacant: int
    do_not_visit: int
    coverage: float | None  # knocked / households (None for a street without households)
    contact_rate: float | None  # answered / households
    concerns: dict[str, int]  # concern category -> households whose answers raised it
    fixes: dict[str, int]  # fix category -> fixes done on the street
    followups: dict[str, int]  # follow-up status -> follow-ups raised on the street
    team_id: int | None = None  # the pair the street is assigned to (first by id if several)
    #: Communication needs (issue 16), of the households that answered with them recorded:
    languages: dict[str, int] = {}  # language code -> households that answered in it
    interpreters: dict[str, int] = {}  # interpreter kind (not "none") -> households that needed one
    adjustments: int = 0  # households that asked for an adjustment
    answered_online: int = 0  # households that answered online with the card's code (in ``answered`` too)
    other_language: int = 0  # households that answered in a language other than English
    with_interpreter: int = 0  # households that answered with an interpreter of any kind


class Totals(msgspec.Struct):
    streets: int
    households: int
    knocked: int
    closed: int
    answered: int
    to_revisit: int
    refused: int
    vacant: int
    do_not_visit: int
    coverage: float | None
    contact_rate: float | None
    concerns: dict[str, int]
    fixes: dict[str, int]
    followups: dict[str, int]
    visits: int  # attempts recorded
    households_without_street: int  # counted in the totals, on no street's row
    languages: dict[str, int] = {}
    interpreters: dict[str, int] = {}
    adjustments: int = 0
    answered_online: int = 0
    other_language: int = 0
    with_interpreter: int = 0


class StreetResults(msgspec.Struct):
    operation_id: int
    items: list[StreetResult]
    totals: Totals
    next: str | None = None  # every street of the operation is in one answer


class ResultsVersion(msgspec.Struct):
    operation_id: int
    version: str


class Door(msgspec.Struct):
    """One household as a door to knock: where it is and how far the pair got. No resident data."""

    household_id: int
    ref: str
    address: str
    house_number: str | None
    street_id: int | None
    street_name: str | None
    door_order: int
    status: str  # not_knocked, to_revisit, answered, refused, vacant, do_not_visit
    attempts: int
    last_outcome: str | None
    last_visited_at: dt.datetime | None
    #: building, address_point, address_list, or generated: placed along the street where OSM had no
    #: house numbers, so the door may not exist.
    source: str = "building"
    lon: float | None = None  # where the door is (WGS 84)
    lat: float | None = None
    corrected: int = 0  # visits here that a correction replaced (kept, not counted in attempts)


class DoorPage(msgspec.Struct):
    items: list[Door]
    next: str | None


class VisitOut(msgspec.Struct):
    id: uuid.UUID
    household_id: int
    street_id: int | None
    team_id: int
    outcome: str
    visited_at: dt.datetime
    concerns: list[str]
    received_at: dt.datetime | None = None  # when the server got it (for a correction: about when it was made)
    supersedes: uuid.UUID | None = None  # the earlier visit this one corrects
    superseded_by: uuid.UUID | None = None  # the correction that replaced this one: kept, no longer counted


class VisitPage(msgspec.Struct):
    items: list[VisitOut]
    next: str | None


class PairProgress(msgspec.Struct):
    team_id: int
    name: str
    members: list[str]  # display names of the officers on the pair
    agencies: list[str]
    streets: int  # streets assigned
    households: int  # households on those streets
    knocked: int
    closed: int
    to_revisit: int
    coverage: float | None
    visits: int  # attempts this pair recorded (on any street)
    answered: int  # households this pair recorded an answer at
    last_visit_at: dt.datetime | None


class PairList(msgspec.Struct):
    items: list[PairProgress]
    next: str | None = None


class FollowupCount(msgspec.Struct):
    category: str
    status: str
    count: int


class FollowupSummary(msgspec.Struct):
    operation_id: int
    total: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    items: list[FollowupCount]  # every (category, status) pair that occurs
