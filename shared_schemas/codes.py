"""Codes shared by the tablet and the server, with labels for people.

Codes are wire values: extend them, never rename one that has shipped
(DESIGN.md "Codes"). Each enum is a ``StrEnum`` so code can iterate it and
msgspec encodes/decodes it by value.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """What happened at the door."""

    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    CARD_LEFT = "card_left"
    COME_BACK_LATER = "come_back_later"
    REFUSED = "refused"
    VACANT = "vacant"
    INACCESSIBLE = "inaccessible"
    DO_NOT_VISIT = "do_not_visit"
    #: A resident answered online with the code on the card left at the door (recorded by the
    #: server at /respond, never pushed by a tablet).
    ANSWERED_ONLINE = "answered_online"


#: Outcomes that close a household; any other outcome leaves it to revisit.
CLOSING_OUTCOMES: frozenset[Outcome] = frozenset(
    {Outcome.ANSWERED, Outcome.ANSWERED_ONLINE, Outcome.REFUSED, Outcome.VACANT, Outcome.DO_NOT_VISIT}
)
#: What a pair records at a door (``answered_online`` is the server's, from the card's code).
TABLET_OUTCOMES: tuple[Outcome, ...] = tuple(o for o in Outcome if o is not Outcome.ANSWERED_ONLINE)
#: Outcomes whose visit carries the questionnaire's answers: the door counts as answered.
ANSWERED_OUTCOMES: frozenset[Outcome] = frozenset({Outcome.ANSWERED, Outcome.ANSWERED_ONLINE})


class FixCategory(StrEnum):
    """Something the pair fixed on the spot."""

    FLY_TIPPING_REMOVED = "fly_tipping_removed"
    GRAFFITI_REMOVED = "graffiti_removed"
    SMOKE_ALARM_FITTED = "smoke_alarm_fitted"
    STREET_LIGHT_REPORTED = "street_light_reported"
    LITTER_PICKED = "litter_picked"
    ADVICE_GIVEN = "advice_given"


class FollowupCategory(StrEnum):
    """Work raised for a partner agency; routed by category."""

    FLY_TIPPING = "fly_tipping"
    GRAFFITI = "graffiti"
    STREET_LIGHTING = "street_lighting"
    ABANDONED_VEHICLE = "abandoned_vehicle"
    HOUSING_DISREPAIR = "housing_disrepair"
    HOME_FIRE_SAFETY_VISIT = "home_fire_safety_visit"
    ANTI_SOCIAL_BEHAVIOUR = "anti_social_behaviour"
    DRUGS = "drugs"
    SAFEGUARDING = "safeguarding"
    OTHER = "other"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class FollowupStatus(StrEnum):
    """Server-side workflow: open → acknowledged → in_progress → resolved | declined."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    DECLINED = "declined"


#: Statuses a follow-up may move to from each status (resolved and declined are final).
FOLLOWUP_TRANSITIONS: dict[FollowupStatus, frozenset[FollowupStatus]] = {
    FollowupStatus.OPEN: frozenset(
        {FollowupStatus.ACKNOWLEDGED, FollowupStatus.IN_PROGRESS,
         FollowupStatus.RESOLVED, FollowupStatus.DECLINED}
    ),
    FollowupStatus.ACKNOWLEDGED: frozenset(
        {FollowupStatus.IN_PROGRESS, FollowupStatus.RESOLVED, FollowupStatus.DECLINED}
    ),
    FollowupStatus.IN_PROGRESS: frozenset({FollowupStatus.RESOLVED, FollowupStatus.DECLINED}),
    FollowupStatus.RESOLVED: frozenset(),
    FollowupStatus.DECLINED: frozenset(),
}


class Role(StrEnum):
    VISITOR = "visitor"
    COORDINATOR = "coordinator"
    PARTNER = "partner"
    ADMIN = "admin"


class OperationStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    CLOSED = "closed"


class Concern(StrEnum):
    """Concern categories a questionnaire answer can count toward in street results.

    Most reuse follow-up category codes so a concern and the follow-up that
    answers it share a name; the rest have no agency work attached.
    """

    ANTI_SOCIAL_BEHAVIOUR = "anti_social_behaviour"
    DRUGS = "drugs"
    FLY_TIPPING = "fly_tipping"
    GRAFFITI = "graffiti"
    STREET_LIGHTING = "street_lighting"
    ABANDONED_VEHICLE = "abandoned_vehicle"
    HOUSING_DISREPAIR = "housing_disrepair"
    HOME_FIRE_SAFETY_VISIT = "home_fire_safety_visit"
    SAFEGUARDING = "safeguarding"
    SPEEDING = "speeding"
    FEELING_UNSAFE = "feeling_unsafe"
    NO_SMOKE_ALARM = "no_smoke_alarm"


OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.ANSWERED: "Answered",
    Outcome.NO_ANSWER: "No answer",
    Outcome.CARD_LEFT: "Card left",
    Outcome.COME_BACK_LATER: "Come back later",
    Outcome.REFUSED: "Refused",
    Outcome.VACANT: "Vacant",
    Outcome.INACCESSIBLE: "Inaccessible",
    Outcome.DO_NOT_VISIT: "Do not visit",
    Outcome.ANSWERED_ONLINE: "Answered online",
}

FIX_CATEGORY_LABELS: dict[FixCategory, str] = {
    FixCategory.FLY_TIPPING_REMOVED: "Fly-tipping cleared",
    FixCategory.GRAFFITI_REMOVED: "Graffiti removed",
    FixCategory.SMOKE_ALARM_FITTED: "Smoke alarm fitted",
    FixCategory.STREET_LIGHT_REPORTED: "Street light reported",
    FixCategory.LITTER_PICKED: "Litter picked",
    FixCategory.ADVICE_GIVEN: "Advice given",
}

FOLLOWUP_CATEGORY_LABELS: dict[FollowupCategory, str] = {
    FollowupCategory.FLY_TIPPING: "Fly-tipping",
    FollowupCategory.GRAFFITI: "Graffiti",
    FollowupCategory.STREET_LIGHTING: "Street lighting",
    FollowupCategory.ABANDONED_VEHICLE: "Abandoned vehicle",
    FollowupCategory.HOUSING_DISREPAIR: "Housing disrepair",
    FollowupCategory.HOME_FIRE_SAFETY_VISIT: "Home fire safety visit",
    FollowupCategory.ANTI_SOCIAL_BEHAVIOUR: "Anti-social behaviour",
    FollowupCategory.DRUGS: "Drugs",
    FollowupCategory.SAFEGUARDING: "Safeguarding",
    FollowupCategory.OTHER: "Other",
}

PRIORITY_LABELS: dict[Priority, str] = {
    Priority.LOW: "Low",
    Priority.NORMAL: "Normal",
    Priority.HIGH: "High",
    Priority.URGENT: "Urgent",
}

FOLLOWUP_STATUS_LABELS: dict[FollowupStatus, str] = {
    FollowupStatus.OPEN: "Open",
    FollowupStatus.ACKNOWLEDGED: "Acknowledged",
    FollowupStatus.IN_PROGRESS: "In progress",
    FollowupStatus.RESOLVED: "Resolved",
    FollowupStatus.DECLINED: "Declined",
}

ROLE_LABELS: dict[Role, str] = {
    Role.VISITOR: "Visitor",
    Role.COORDINATOR: "Coordinator",
    Role.PARTNER: "Partner agency",
    Role.ADMIN: "Administrator",
}

OPERATION_STATUS_LABELS: dict[OperationStatus, str] = {
    OperationStatus.PLANNED: "Planned",
    OperationStatus.ACTIVE: "Active",
    OperationStatus.CLOSED: "Closed",
}

CONCERN_LABELS: dict[Concern, str] = {
    Concern.ANTI_SOCIAL_BEHAVIOUR: "Anti-social behaviour",
    Concern.DRUGS: "Drug dealing or use",
    Concern.FLY_TIPPING: "Fly-tipping",
    Concern.GRAFFITI: "Graffiti",
    Concern.STREET_LIGHTING: "Street lighting",
    Concern.ABANDONED_VEHICLE: "Abandoned vehicles",
    Concern.HOUSING_DISREPAIR: "Housing disrepair",
    Concern.HOME_FIRE_SAFETY_VISIT: "Home fire safety visit wanted",
    Concern.SAFEGUARDING: "Safeguarding",
    Concern.SPEEDING: "Speeding",
    Concern.FEELING_UNSAFE: "Feeling unsafe",
    Concern.NO_SMOKE_ALARM: "No working smoke alarm",
}


def label(code: str) -> str:
    """A person's label for any code above; falls back to the code itself.

    Outcome, fix and follow-up codes never collide; concern codes that reuse a
    follow-up category code get the follow-up label unless looked up directly.
    """
    return _ALL_LABELS.get(code, code)


_ALL_LABELS: dict[str, str] = {
    str(code): text
    for labels in (CONCERN_LABELS, OPERATION_STATUS_LABELS, ROLE_LABELS, FOLLOWUP_STATUS_LABELS, PRIORITY_LABELS,
                   FOLLOWUP_CATEGORY_LABELS, FIX_CATEGORY_LABELS, OUTCOME_LABELS)
    for code, text in labels.items()
}
