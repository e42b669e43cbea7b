"""Small, real packs and records for the mobile core tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared_schemas.codes import OperationStatus, Outcome
from shared_schemas.pack import Pack, PackHousehold, PackMember, PackOperation, PackStreet, PackTeam
from shared_schemas.questionnaire import load_questionnaire
from shared_schemas.records import Fix, Followup, ResidentContact, Visit

ROOT = Path(__file__).resolve().parents[2]
QUESTIONNAIRE = load_questionnaire(ROOT / "fixtures" / "questionnaires" / "streetsafe-community-v1.json")

OPERATION_ID = 7
TEAM_A, TEAM_B = 11, 12
T0 = datetime(2026, 5, 14, 18, 0, tzinfo=UTC)
VALID_ANSWERS = {"feel_safe_after_dark": 4, "asb_seen": False, "smoke_alarm": True, "hear_back": "not_needed"}


def make_pack(
    operation_id: int = OPERATION_ID, streets: int = 3, doors_per_street: int = 6, cursor: str = "0"
) -> Pack:
    """`streets` streets of `doors_per_street` doors, numbered 1, 2, 3… with odd and even sides.

    Team A has every street but the last; team B the last one.
    """
    street_list, households = [], []
    for s in range(1, streets + 1):
        street_id = operation_id * 1000 + s
        street_list.append(
            PackStreet(id=street_id, ref=f"USRN{street_id}", name=f"Street {s:02d}", locality="Woodhouse",
                       geometry={"type": "MultiLineString", "coordinates": [[[-1.56, 53.8], [-1.55, 53.81]]]})
        )
        for n in range(1, doors_per_street + 1):
            households.append(
                PackHousehold(
                    id=street_id * 1000 + n, ref=f"UPRN{street_id}{n:04d}", address=f"{n} Street {s:02d}",
                    house_number=str(n), postcode="LS6 2AA", street_id=street_id,
                    lon=-1.56 + n * 1e-5, lat=53.8, side="odd" if n % 2 else "even", door_order=(n + 1) // 2,
                )
            )
    ids = [s.id for s in street_list]
    teams = [
        PackTeam(id=TEAM_A, name="Pair A", street_ids=ids[:-1], members=[
            PackMember(user_id=1, username="officer", agency_code="police"),
            PackMember(user_id=2, username="councillor", agency_code="council"),
        ]),
        PackTeam(id=TEAM_B, name="Pair B", street_ids=ids[-1:], members=[
            PackMember(user_id=3, username="pcso", agency_code="police"),
            PackMember(user_id=4, username="firefighter", agency_code="fire"),
        ]),
    ]
    return Pack(
        operation=PackOperation(id=operation_id, name=f"Operation {operation_id}", status=OperationStatus.ACTIVE,
                                questionnaire_id=QUESTIONNAIRE.id),
        questionnaire=QUESTIONNAIRE, streets=street_list, households=households, teams=teams, cursor=cursor,
    )


def household_ids(pack: Pack, street_index: int = 0) -> list[int]:
    street_id = pack.streets[street_index].id
    return [h.id for h in pack.households if h.street_id == street_id]


def visit(
    household_id: int,
    outcome: Outcome = Outcome.NO_ANSWER,
    *,
    minutes: int = 0,
    team_id: int = TEAM_A,
    operation_id: int = OPERATION_ID,
    answers: dict | None = None,
) -> Visit:
    if answers is None and outcome == Outcome.ANSWERED:
        answers = dict(VALID_ANSWERS)
    return Visit(
        id=uuid.uuid4(), operation_id=operation_id, household_id=household_id, team_id=team_id,
        visited_at=T0 + timedelta(minutes=minutes), outcome=outcome,
        questionnaire=QUESTIONNAIRE.id if answers else None, answers=answers or {},
    )


def fix_for(v: Visit) -> Fix:
    return Fix(id=uuid.uuid4(), operation_id=v.operation_id, team_id=v.team_id, category="smoke_alarm_fitted",
               done_at=v.visited_at, visit_id=v.id)


def followup_for(v: Visit, *, with_contact: bool = True) -> Followup:
    return Followup(
        id=uuid.uuid4(), operation_id=v.operation_id, team_id=v.team_id, category="home_fire_safety_visit",
        description="Resident would like a home fire safety visit", resident_consent=with_contact,
        resident=ResidentContact(name="Ada Resident", phone="07911 123123") if with_contact else None,
        raised_at=v.visited_at, visit_id=v.id,
    )
