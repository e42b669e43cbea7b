"""Operation set-up: the rules live here; the API and the web pages both call these.

Pairs are saved through server.domain.operations.teams.save_team, which holds the pair rules (the
database keeps "one street, one pair" and unique pair names; save_team names the pair holding a
street) and records a team event for the tablets to pull. Screens, not hot paths: SQLAlchemy Core.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import msgspec
from sqlalchemy import any_, exists, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import (
    Agency,
    Household,
    Operation,
    OperationCoordinator,
    Street,
    Team,
    TeamMember,
    TeamStreet,
    User,
)
from server.domain.admin.routing import routing_defaults
from server.domain.areas.boundary import check_area
from server.domain.operations.lifecycle import ensure_planned
from server.domain.operations.teams import check_streets, save_team
from server.domain.questionnaires.repository import published_ids
from server.lib.auth import CurrentUser
from server.lib.exceptions import Conflict, Invalid, NotFound
from shared_schemas.codes import OperationStatus

from .schemas import Member, OperationCreate, OperationDetail, SetupView, StreetOut, TeamOut, TeamSave


def _multi(area: str) -> Any:
    """A checked GeoJSON area (``check_area``) as the operation's MultiPolygon."""
    return func.ST_Multi(func.ST_SetSRID(func.ST_GeomFromGeoJSON(area), 4326))


async def create_operation(session: AsyncSession, user: CurrentUser, data: OperationCreate,
                           max_km2: float) -> OperationDetail:
    """A planned operation over an area; its creator coordinates it. Streets and doors come from uploads
    on its set-up page (or `doorstep import-osm` / `import-addresses`)."""
    return await create_planned_operation(session, data, [user.id], max_km2)


async def create_planned_operation(session: AsyncSession, data: OperationCreate, coordinator_ids: list[int],
                                   max_km2: float) -> OperationDetail:
    """The one way an operation is made (API, dashboard, CLI --create): name, dates, questionnaire, area."""
    name = data.name.strip()
    if not name:
        raise Invalid("Give the operation a name.", field="$.name")
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise Invalid(f"The operation ends ({data.ends_on}) before it starts ({data.starts_on}).", field="$.ends_on")
    known = await published_ids(session)
    if data.questionnaire_id not in known:
        raise Invalid(f"No questionnaire {data.questionnaire_id!r}; the published ones are "
                      f"{', '.join(known) or 'none yet'}.", field="$.questionnaire_id")
    area = await check_area(session, data.area, max_km2)
    new_id = (await session.execute(
        pg_insert(Operation).values(name=name, area=_multi(area), starts_on=data.starts_on, ends_on=data.ends_on,
                                    status=OperationStatus.PLANNED.value, questionnaire_id=data.questionnaire_id,
                                    routing=await routing_defaults(session))
        .on_conflict_do_nothing(index_elements=["name"]).returning(Operation.id))).scalar()
    if new_id is None:
        raise Conflict(f"There is already an operation called {name!r}; choose another name.",
                       extra={"field": "$.name"})
    for user_id in coordinator_ids:
        session.add(OperationCoordinator(operation_id=new_id, user_id=user_id))
    await session.flush()
    return await operation_detail(session, new_id)


async def change_area(session: AsyncSession, operation: Operation, area: Any, max_km2: float) -> OperationDetail:
    """A planned operation's new area. Doors already imported stay; the answer counts those now outside it."""
    ensure_planned(operation, "its area")
    multi = await check_area(session, area, max_km2)
    await session.execute(update(Operation).where(Operation.id == operation.id).values(area=_multi(multi)))
    return await operation_detail(session, operation.id)


async def operation_detail(session: AsyncSession, operation_id: int) -> OperationDetail:
    def doors(*where: Any) -> Any:
        return select(func.count()).where(Household.operation_id == Operation.id, *where).scalar_subquery()

    row = (await session.execute(
        select(Operation.id, Operation.name, Operation.status, Operation.starts_on, Operation.ends_on,
               Operation.questionnaire_id, func.ST_AsGeoJSON(Operation.area, 7).label("area"),
               select(func.count()).where(Street.operation_id == Operation.id).scalar_subquery().label("streets"),
               doors().label("households"),
               doors(Household.source == "generated").label("generated_households"),
               doors(Operation.area.is_not(None), ~func.ST_Intersects(Operation.area, Household.geom))
               .label("households_outside_area"),
               Operation.closed_at)
        .where(Operation.id == operation_id))).mappings().first()
    if row is None:
        raise NotFound(f"There is no operation {operation_id}.")
    return OperationDetail(**{**row, "area": msgspec.Raw(row["area"].encode()) if row["area"] else None})


_TRANSITIONS = {
    "open": ({OperationStatus.PLANNED}, OperationStatus.ACTIVE),
    "close": ({OperationStatus.ACTIVE}, OperationStatus.CLOSED),
    "reopen": ({OperationStatus.CLOSED}, OperationStatus.ACTIVE),
}


async def change_status(session: AsyncSession, operation: Operation, action: str) -> OperationDetail:
    allowed, to = _TRANSITIONS[action]
    if operation.status not in allowed:
        raise Conflict(f"Operation {operation.name!r} is {operation.status}; only a "
                       f"{' or '.join(sorted(allowed))} operation can be {action}ed.",
                       extra={"status": operation.status})
    if action == "open":
        with_streets = (await session.execute(select(exists().where(
            Team.operation_id == operation.id, TeamStreet.team_id == Team.id)))).scalar()
        if not with_streets:
            raise Conflict(f"Operation {operation.name!r} has no pair with streets yet: form a pair and assign "
                           "it streets before opening.")
    operation.status = to.value
    # Visits made after closed_at are refused (lifecycle.closed_reason); reopening lets them in again.
    operation.closed_at = dt.datetime.now(dt.UTC) if action == "close" else None
    await session.flush()
    return await operation_detail(session, operation.id)


# ---------------------------------------------------------------- pairs


async def create_team(session: AsyncSession, operation_id: int, data: TeamSave) -> TeamOut:
    team = await save_team(session, operation_id, data.name.strip(), data.member_ids, data.street_ids)
    return (await teams(session, operation_id, team.id))[0]


async def _team(session: AsyncSession, operation_id: int, team_id: int) -> Team:
    team = await session.get(Team, team_id)
    if team is None or team.operation_id != operation_id:
        raise NotFound(f"There is no pair {team_id} on operation {operation_id}.")
    return team


async def update_team(session: AsyncSession, operation_id: int, team_id: int, data: TeamSave) -> TeamOut:
    await _team(session, operation_id, team_id)
    await save_team(session, operation_id, data.name.strip(), data.member_ids, data.street_ids, team_id=team_id)
    return (await teams(session, operation_id, team_id))[0]


async def _members(session: AsyncSession, team_id: int) -> list[int]:
    return list((await session.execute(select(TeamMember.user_id).where(TeamMember.team_id == team_id))).scalars())


async def _street_ids(session: AsyncSession, team_id: int) -> list[int]:
    return list((await session.execute(select(TeamStreet.street_id).where(TeamStreet.team_id == team_id)
                                       .order_by(TeamStreet.street_id))).scalars())


async def assign_streets(session: AsyncSession, operation_id: int, team_id: int, street_ids: list[int]) -> TeamOut:
    """Give a pair exactly these streets (its members stay)."""
    team = await _team(session, operation_id, team_id)
    await save_team(session, operation_id, team.name, await _members(session, team_id), street_ids, team_id=team_id)
    return (await teams(session, operation_id, team_id))[0]


async def move_street(session: AsyncSession, operation_id: int, street_id: int, team_id: int | None) -> StreetOut:
    """Put one street with one pair (or with none), taking it off the pair that has it."""
    await check_streets(session, operation_id, [street_id])
    if team_id is not None:
        await _team(session, operation_id, team_id)
    holder = (await session.execute(select(TeamStreet.team_id).where(TeamStreet.street_id == street_id))).scalar()
    if holder is not None and holder != team_id:
        team = await _team(session, operation_id, holder)
        kept = [s for s in await _street_ids(session, holder) if s != street_id]
        await save_team(session, operation_id, team.name, await _members(session, holder), kept, team_id=holder)
    if team_id is not None and holder != team_id:
        team = await _team(session, operation_id, team_id)
        await save_team(session, operation_id, team.name, await _members(session, team_id),
                        [*await _street_ids(session, team_id), street_id], team_id=team_id)
    return next(s for s in await streets(session, operation_id) if s.id == street_id)


# ---------------------------------------------------------------- what the set-up page shows

_MEMBER = (User.id, User.username, User.display_name, Agency.code.label("agency_code"),
           Agency.name.label("agency_name"))


async def teams(session: AsyncSession, operation_id: int, team_id: int | None = None) -> list[TeamOut]:
    which = select(Team.id, Team.name).where(Team.operation_id == operation_id).order_by(Team.name, Team.id)
    if team_id is not None:
        which = which.where(Team.id == team_id)
    pairs = (await session.execute(which)).all()
    ids = [pair.id for pair in pairs]
    members: dict[int, list[Member]] = defaultdict(list)
    for row in (await session.execute(
            select(TeamMember.team_id, *_MEMBER).join(User, User.id == TeamMember.user_id)
            .join(Agency, Agency.id == User.agency_id).where(TeamMember.team_id.in_(ids))
            .order_by(User.display_name))).mappings():
        members[row["team_id"]].append(Member(**{k: v for k, v in row.items() if k != "team_id"}))
    held: dict[int, list[int]] = defaultdict(list)
    for pair_id, street_id in (await session.execute(
            select(TeamStreet.team_id, TeamStreet.street_id).where(TeamStreet.team_id.in_(ids))
            .order_by(TeamStreet.street_id))).all():
        held[pair_id].append(street_id)
    return [TeamOut(id=pair.id, name=pair.name, members=members[pair.id], street_ids=held[pair.id])
            for pair in pairs]


async def streets(session: AsyncSession, operation_id: int) -> list[StreetOut]:
    households = select(func.count()).where(Household.street_id == Street.id).scalar_subquery()
    rows = (await session.execute(
        select(Street.id, Street.ref, Street.name, households.label("households"), TeamStreet.team_id)
        .outerjoin(TeamStreet, TeamStreet.street_id == Street.id)
        .where(Street.operation_id == operation_id).order_by(Street.name, Street.id))).mappings().all()
    return [StreetOut(**r) for r in rows]


async def visitors(session: AsyncSession) -> list[Member]:
    rows = (
        (
            await session.execute(
                select(*_MEMBER)
                .join(Agency, Agency.id == User.agency_id)
                .where(User.active, literal("visitor") == any_(User.roles))
                .order_by(Agency.name, User.display_name)
            )
        )
        .mappings()
        .all()
    )
    return [Member(**r) for r in rows]


async def setup_view(session: AsyncSession, operation_id: int) -> SetupView:
    return SetupView(
        operation=await operation_detail(session, operation_id),
        teams=await teams(session, operation_id),
        streets=await streets(session, operation_id),
        visitors=await visitors(session),
        questionnaires=await published_ids(session),
    )
