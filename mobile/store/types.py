"""Plain read-only values the store hands to the UI and the sync engine.

They are frozen dataclasses, so a view-model can keep them without holding a
database connection, and they can cross threads safely.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared_schemas.doors import DoorStatus


class HouseholdStatus(StrEnum):
    """Where a household stands, from every visit the tablet knows of (ours and pulled ones)."""

    NOT_KNOCKED = "not_knocked"
    TO_REVISIT = "to_revisit"  # no_answer, card_left, come_back_later, inaccessible: knock again
    DONE = "done"  # answered, refused or vacant: closed
    DO_NOT_VISIT = "do_not_visit"  # closed, and never knock again


class OutboxState(StrEnum):
    WAITING = "waiting"
    REJECTED = "rejected"


class AttemptState(StrEnum):
    """Where a visit at a door stands, as far as this tablet knows."""

    HELD = "held"  # saved a moment ago, waiting for its Undo window to close
    WAITING = "waiting"  # waiting to be sent
    SENT = "sent"  # the server has it (made here and acknowledged, or pulled from the server)
    REFUSED = "refused"  # the server refused it: corrected in place from the sync page or the door


@dataclass(frozen=True, slots=True)
class OperationSummary:
    """An operation whose pack is on the tablet."""

    id: int
    name: str
    downloaded_at: str  # UTC ISO 8601
    households: int
    streets: int
    etag: str | None


@dataclass(frozen=True, slots=True)
class StreetSummary:
    """One street assigned to a team, with its progress."""

    id: int
    name: str
    locality: str | None
    households: int
    knocked: int  # households with at least one visit that counts (shared_schemas.doors: DoorStatus.knocked)
    closed: int  # households that need no more knocks (DoorStatus.closed)
    drafts: int = 0  # households with a visit in progress on this tablet (not knocked for that)


@dataclass(frozen=True, slots=True)
class HouseholdRow:
    """One door on a street, in walking order, with what has happened there."""

    id: int
    ref: str
    address: str
    house_number: str | None
    postcode: str | None
    side: str | None
    door_order: int | None
    lon: float | None
    lat: float | None
    status: HouseholdStatus
    visits: int  # every visit recorded here, by any team
    no_answers: int  # visits that left it to revisit (no answer, card left, come back later, inaccessible)
    last_outcome: str | None
    last_visited_at: str | None
    other_team_visits: int  # visits pulled from the server, made by other pairs
    #: Where the door comes from (shared_schemas.pack.Household.source); "generated": it may not exist.
    source: str | None = None
    #: The door's status by the shared rule (``status`` is its colour on the screens).
    door_status: DoorStatus = DoorStatus.NOT_KNOCKED

    @property
    def generated(self) -> bool:
        return self.source == "generated"


@dataclass(frozen=True, slots=True)
class Attempt:
    """One visit at a door (made here or pulled), for the door's list of earlier attempts."""

    record_id: str
    team_id: int | None
    outcome: str
    visited_at: str  # UTC ISO 8601
    origin: str  # "local": made on this tablet; "remote": pulled (the partner's tablet, another pair)
    state: AttemptState
    supersedes: str | None  # the visit this one corrects
    superseded_by: str | None  # the correction that replaced it (not refused), so it no longer counts
    card_code: str | None = None  # a card_left visit's code (shared_schemas.cards), for the pair to read out


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A record waiting to be sent, or set aside because the server rejected it."""

    seq: int  # position in the queue: lower is older and is sent first
    record_id: str  # the record's UUID, as text
    record_type: str  # "visit", "fix" or "followup"
    created_at: str
    attempts: int
    state: OutboxState
    reason: str | None  # the server's reason, when rejected
    payload: bytes  # the record exactly as it will be sent (JSON)


@dataclass(frozen=True, slots=True)
class DraftRow:
    """A visit in progress at one door (its body is the visit screen's state as JSON)."""

    operation_id: int
    household_id: int
    body: bytes
    username: str | None
    started_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class SyncState:
    """What the sync status bar shows."""

    waiting: int
    rejected: int
    last_sync_at: str | None  # UTC ISO 8601 of the last complete, successful sync
    online: bool | None  # None until the first attempt
    last_error: str | None  # a message a person can act on, or None
    drafts: int = 0  # visits in progress (not records yet: they are never sent)
    photos_waiting: int = 0  # photos of saved records not yet uploaded ("on its way")
    photos_refused: int = 0  # photos the server would not take (the sync page says why)


@dataclass(frozen=True, slots=True)
class Session:
    """Who is signed in on this tablet, and the token the server last gave them."""

    username: str
    user: dict  # the "user" object of the token answer (id, name, agency, roles…)
    token: str | None
    token_expires_at: str | None
    offline: bool  # True when this sign-in was checked against the stored verifier only


@dataclass(frozen=True, slots=True)
class TeamMember:
    user_id: int
    username: str
    display_name: str
    agency_code: str
    agency_name: str


@dataclass(frozen=True, slots=True)
class TeamInfo:
    """A visit pair and the streets it is assigned (pack, updated by pulled team changes)."""

    id: int
    name: str
    members: tuple[TeamMember, ...]
    street_ids: tuple[int, ...]
