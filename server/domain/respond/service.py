"""A resident answers online with the code on the card left at their door.

The code is the only credential: it is checked (and wrong ones counted against the client, in
PostgreSQL) before anything about it is read, and nothing about the door is ever shown back. A
valid code gives the operation's questionnaire; the answers are checked by the same engine and
record rules as a tablet's visit, then stored as that door's ``answered_online`` visit under the pair
that left the card, with the follow-ups the answers ask for routed like any other. One answer per code:
the card is claimed with one ``UPDATE … WHERE answered_at IS NULL`` in the answer's transaction. Codes
stop working when the operation is closed.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import msgspec
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.db.models import Followup as FollowupRow
from server.db.models import FollowupResident
from server.db.models import Visit as VisitRow
from server.domain.auth.throttle import FailureThrottle, Rule, counted_client
from server.domain.followups.hooks import on_followups_stored
from server.domain.questionnaires.repository import published_version
from server.domain.sync.ingest import content_hash
from server.settings import Settings
from shared_schemas.cards import code_hash, normalised
from shared_schemas.codes import FollowupCategory, Outcome, Priority
from shared_schemas.communication import CommunicationNeeds, ContactMethod
from shared_schemas.questionnaire import Questionnaire, check_answers, prune_answers, suggested_followups
from shared_schemas.records import Followup, ResidentContact, Visit, check_record

#: The device id an online answer is stored under (a tablet's is its store's id).
DEVICE = "respond"


class Refusal(StrEnum):
    MALFORMED = "malformed"  # not the shape of a code: not counted as a guess
    UNKNOWN = "unknown"  # no such code (counted)
    USED = "used"  # already answered with
    CLOSED = "closed"  # its operation is closed
    WAIT = "wait"  # too many wrong codes from this client


class Refused(Exception):
    def __init__(self, why: Refusal, wait_seconds: int = 0):
        super().__init__(why.value)
        self.why = why
        self.wait_seconds = wait_seconds


@dataclass(frozen=True)
class Card:
    code_hash: str
    operation_id: int
    operation_name: str
    household_id: int
    street_id: int | None
    team_id: int
    questionnaire_id: str


#: Wrong codes from one client: five free, then each next attempt waits twice as long, up to 15
#: minutes. With 50-bit codes that is thousands of years of guessing per card; nobody who mistypes a
#: code waits more than a few seconds.
THROTTLE = FailureThrottle({"card-client": Rule(5, 900.0)})


def client_key(client: str) -> str:
    """The client as counted, by the sign-in throttle's rule (an IPv6 address by its /64)."""
    return f"card-client:{counted_client(client)[:100]}"


_CARD = text("""
SELECT c.code_hash, c.operation_id, o.name, c.household_id, h.street_id, c.team_id, o.questionnaire_id,
       c.answered_at IS NOT NULL AS used, o.status = 'closed' AS closed
  FROM response_card c
  JOIN operation o ON o.id = c.operation_id
  JOIN household h ON h.id = c.household_id
 WHERE c.code_hash = :hash
""")


async def card_for(session: AsyncSession, engine: AsyncEngine, typed: str, client: str) -> Card:
    """The card of a typed code, or Refused (a wrong code counted against the client first)."""
    code = normalised(typed)
    if code is None:
        raise Refused(Refusal.MALFORMED)
    keys = [client_key(client)]
    wait = await THROTTLE.seconds_to_wait(engine, keys)
    if wait > 0:
        raise Refused(Refusal.WAIT, math.ceil(wait))
    row = (await session.execute(_CARD, {"hash": code_hash(code)})).first()
    if row is None:
        await THROTTLE.count_failure(engine, keys)
        raise Refused(Refusal.UNKNOWN)
    if row.closed:
        raise Refused(Refusal.CLOSED)
    if row.used:
        raise Refused(Refusal.USED)
    return Card(row.code_hash, row.operation_id, row.name, row.household_id, row.street_id, row.team_id,
                row.questionnaire_id)


async def questionnaire_of(session: AsyncSession, card: Card) -> Questionnaire:
    questionnaire = await published_version(session, card.questionnaire_id)
    if questionnaire is None:  # pragma: no cover - an operation's questionnaire is always published (a key)
        raise RuntimeError(f"operation {card.operation_id} has no published questionnaire")
    return questionnaire


@dataclass
class Contact:
    """What the resident said about being contacted (all optional unless they consent)."""

    consent: bool = False
    name: str = ""
    phone: str = ""
    email: str = ""
    method: str = ""
    language: str = ""


_CLAIM = text("""
UPDATE response_card AS c SET answered_at = now(), answer_visit_id = :visit
  FROM operation AS o
 WHERE c.code_hash = :hash AND c.answered_at IS NULL AND o.id = c.operation_id AND o.status <> 'closed'
RETURNING c.code_hash
""")


@dataclass(frozen=True)
class Answered:
    visit_id: uuid.UUID
    followups: list[str]  # the categories passed on


async def record_answers(session: AsyncSession, card: Card, questionnaire: Questionnaire, answers: dict[str, Any],
                         needs: CommunicationNeeds, contact: Contact, settings: Settings) -> Answered:
    """Store the online answer (and the follow-ups it asks for) in the caller's transaction.

    The caller has checked ``answers``, ``needs`` and ``contact`` with ``problems`` (the same rules);
    they are checked again here as records, the way a push checks a tablet's. Refused(USED) when
    another answer took the card first."""
    now = dt.datetime.now(dt.UTC)
    kept = prune_answers(questionnaire, answers)
    visit = Visit(id=uuid.uuid4(), operation_id=card.operation_id, household_id=card.household_id,
                  team_id=card.team_id, visited_at=now, outcome=Outcome.ANSWERED_ONLINE,
                  questionnaire=questionnaire.id, answers=kept, communication=needs)
    errors, found = check_answers(questionnaire, kept)
    problems = check_record(visit) + [e.message for e in errors]
    if problems:  # pragma: no cover - the form's check runs the same rules first
        raise ValueError("; ".join(problems))
    claimed = (await session.execute(_CLAIM, {"hash": card.code_hash, "visit": visit.id})).first()
    if claimed is None:
        raise Refused(Refusal.USED)
    await session.execute(insert(VisitRow).values(
        id=visit.id, operation_id=visit.operation_id, household_id=visit.household_id, team_id=visit.team_id,
        user_id=None, device_id=DEVICE, visited_at=now, outcome=visit.outcome.value, questionnaire_id=questionnaire.id,
        answers=kept, concerns=sorted(found), notes="", content_hash=content_hash(visit),
        communication=msgspec.to_builtins(needs)))
    followups = _followups(questionnaire, kept, card, visit.id, contact, now)
    for record in followups:
        problems = check_record(record)
        if problems:  # pragma: no cover - checked by the form first
            raise ValueError("; ".join(problems))
        await session.execute(insert(FollowupRow).values(
            id=record.id, operation_id=record.operation_id, team_id=card.team_id, user_id=None, device_id=DEVICE,
            category=record.category.value, priority=record.priority.value, description=record.description,
            resident_consent=record.resident_consent, raised_at=now, visit_id=visit.id,
            household_id=card.household_id, street_id=card.street_id, content_hash=content_hash(record),
            status="open", version=1))
        if record.resident is not None:
            resident = record.resident
            await session.execute(insert(FollowupResident).values(
                followup_id=record.id, name=resident.name or None, phone=resident.phone, email=resident.email,
                contact_method=resident.contact_method.value if resident.contact_method else None,
                language=resident.language))
    if followups:
        await on_followups_stored(session, [f.id for f in followups], settings)
    return Answered(visit.id, [f.category.value for f in followups])


def _followups(questionnaire: Questionnaire, answers: dict[str, Any], card: Card, visit_id: uuid.UUID,
               contact: Contact, now: dt.datetime) -> list[Followup]:
    """The follow-ups the answers ask for, as a tablet would raise them when the resident accepts."""
    resident = None
    if contact.consent:
        from shared_schemas.fields import normalise_phone

        resident = ResidentContact(name=contact.name.strip(),
                                   phone=normalise_phone(contact.phone) if contact.phone.strip() else None,
                                   email=contact.email.strip() or None,
                                   contact_method=ContactMethod(contact.method) if contact.method else None,
                                   language=contact.language or None)
    out = []
    for suggestion in suggested_followups(questionnaire, answers):
        description = (suggestion.description or "Asked for by the resident.") + " (Asked for online.)"
        out.append(Followup(id=uuid.uuid4(), operation_id=card.operation_id, team_id=card.team_id,
                            category=FollowupCategory(suggestion.category), priority=Priority(suggestion.priority),
                            description=description, resident_consent=contact.consent, resident=resident,
                            raised_at=now, visit_id=visit_id))
    return out
