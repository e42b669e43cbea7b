"""Operation set-up: the rules live here; the API and the web pages both call these.

Pairs are saved through server.domain.operations.teams.save_team, which checks that members come
from at least two agencies and that streets belong to the operation, and records a team event for
the tablets to pull.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Operation, OperationCoordinator, Team, TeamMember
from server.domain.areas.boundary import check_area
from server.domain.operations.lifecycle import ensure_editable, ensure_planned
from server.domain.operations.teams import check_streets, save_team
from server.domain.questionnaires.repository import published_ids
from server.lib.auth import CurrentUser
from server.lib.exceptions import Conflict, Invalid, NotFound
from shared_schemas.codes import OperationStatus

from .schemas import Member, OperationCreate, OperationDetail, SetupView, StreetOut, TeamOut, TeamSave

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
    new_id = (await session.execute(text("""
        INSERT INTO operation (name, area, starts_on, ends_on, status, questionnaire_id)
        VALUES (:name, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(:area), 4326)), :starts_on, :ends_on, 'planned', :q)
        ON CONFLICT (name) DO NOTHING
        RETURNING id"""), {"name": name, "area": area, "starts_on": data.starts_on, "ends_on": data.ends_on,
                           "q": data.questionnaire_id})).scalar()
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
    await session.execute(text(
        "UPDATE operation SET area = ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(:area), 4326)) WHERE id = :op"),
        {"area": multi, "op": operation.id})
    return await operation_detail(session, operation.id)


async def operation_detail(session: AsyncSession, operation_id: int) -> OperationDetail:
    row = (await session.execute(text("""
        SELECT o.id, o.name, o.status, o.starts_on, o.ends_on, o.questionnaire_id,
               ST_AsGeoJSON(o.area, 7) AS area,
               (SELECT count(*) FROM street s WHERE s.operation_id = o.id) AS streets,
               (SELECT count(*) FROM household h WHERE h.operation_id = o.id) AS households,
               (SELECT count(*) FROM household h WHERE h.operation_id = o.id AND h.source = 'generated')
                 AS generated_households,
               (SELECT count(*) FROM household h WHERE h.operation_id = o.id AND o.area IS NOT NULL
                  AND NOT ST_Intersects(o.area, h.geom)) AS households_outside_area,
               o.closed_at
        FROM operation o WHERE o.id = :op"""), {"op": operation_id})).mappings().first()
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
        teams = (await session.execute(text(
            "SELECT count(*) FROM team t WHERE t.operation_id = :op "
            "AND EXISTS (SELECT 1 FROM team_street ts WHERE ts.team_id = t.id)"), {"op": operation.id})).scalar_one()
        if not teams:
            raise Conflict(f"Operation {operation.name!r} has no pair with streets yet: form a pair and assign "
                           "it streets before opening.")
    operation.status = to.value
    # Visits made after closed_at are refused (lifecycle.closed_reason); reopening lets them in again.
    operation.closed_at = dt.datetime.now(dt.UTC) if action == "close" else None
    await session.flush()
    return await operation_detail(session, operation.id)


# ---------------------------------------------------------------- pairs


async def _held_elsewhere(session: AsyncSession, operation_id: int, street_ids: list[int],
                          team_id: int | None) -> None:
    if not street_ids:
        return
    rows = (await session.execute(text("""
        SELECT ts.street_id, s.name AS street, t.name AS team
        FROM team_street ts JOIN team t ON t.id = ts.team_id JOIN street s ON s.id = ts.street_id
        WHERE t.operation_id = :op AND ts.street_id = ANY(:ids) AND (CAST(:team AS integer) IS NULL OR t.id <> :team)
        ORDER BY ts.street_id"""), {"op": operation_id, "ids": street_ids, "team": team_id})).mappings().all()
    if rows:
        held = "; ".join(f"{r['street']} (street {r['street_id']}) is with {r['team']}" for r in rows)
        raise Invalid(f"A street goes to one pair: {held}. Move it with PUT "
                      f"/api/v1/operations/{operation_id}/streets/{{street_id}}/team, or leave it out.",
                      field="$.street_ids")


async def _name_taken(session: AsyncSession, operation_id: int, name: str, team_id: int | None) -> None:
    other = (await session.execute(select(Team.id).where(Team.operation_id == operation_id, Team.name == name,
                                                         Team.id != (team_id or 0)))).scalar()
    if other is not None:
        raise Conflict(f"Operation {operation_id} already has a pair called {name!r}; choose another name.",
                       extra={"field": "$.name"})


async def create_team(session: AsyncSession, operation_id: int, data: TeamSave) -> TeamOut:
    name = data.name.strip()
    await _name_taken(session, operation_id, name, None)
    streets = await check_streets(session, operation_id, data.street_ids)
    await _held_elsewhere(session, operation_id, streets, None)
    team = await save_team(session, operation_id, name, data.member_ids, streets)
    return (await teams(session, operation_id, team.id))[0]


async def _team(session: AsyncSession, operation_id: int, team_id: int) -> Team:
    team = await session.get(Team, team_id)
    if team is None or team.operation_id != operation_id:
        raise NotFound(f"There is no pair {team_id} on operation {operation_id}.")
    return team


async def update_team(session: AsyncSession, operation_id: int, team_id: int, data: TeamSave) -> TeamOut:
    await _team(session, operation_id, team_id)
    name = data.name.strip()
    await _name_taken(session, operation_id, name, team_id)
    streets = await check_streets(session, operation_id, data.street_ids)
    await _held_elsewhere(session, operation_id, streets, team_id)
    await save_team(session, operation_id, name, data.member_ids, streets, team_id=team_id)
    return (await teams(session, operation_id, team_id))[0]


async def _members(session: AsyncSession, team_id: int) -> list[int]:
    return list((await session.execute(select(TeamMember.user_id).where(TeamMember.team_id == team_id))).scalars())


async def assign_streets(session: AsyncSession, operation_id: int, team_id: int, street_ids: list[int]) -> TeamOut:
    """Give a pair exactly these streets (its members stay)."""
    team = await _team(session, operation_id, team_id)
    streets = await check_streets(session, operation_id, street_ids)
    await _held_elsewhere(session, operation_id, streets, team_id)
    await save_team(session, operation_id, team.name, await _members(session, team_id), streets, team_id=team_id)
    return (await teams(session, operation_id, team_id))[0]


async def move_street(session: AsyncSession, operation_id: int, street_id: int, team_id: int | None) -> StreetOut:
    """Put one street with one pair (or with none), taking it off any other pair of the operation."""
    await check_streets(session, operation_id, [street_id])
    if team_id is not None:
        await _team(session, operation_id, team_id)
    current = (await session.execute(text("""
        SELECT ts.team_id FROM team_street ts JOIN team t ON t.id = ts.team_id
        WHERE t.operation_id = :op AND ts.street_id = :street"""), {"op": operation_id, "street": street_id})).scalars()
    for other in list(current):
        if other == team_id:
            continue
        team = await _team(session, operation_id, other)
        kept = [s for s in await _street_ids(session, other) if s != street_id]
        await save_team(session, operation_id, team.name, await _members(session, other), kept, team_id=other)
    if team_id is not None:
        held = await _street_ids(session, team_id)
        if street_id not in held:
            team = await _team(session, operation_id, team_id)
            await save_team(session, operation_id, team.name, await _members(session, team_id),
                            [*held, street_id], team_id=team_id)
    return next(s for s in await streets(session, operation_id) if s.id == street_id)


async def _street_ids(session: AsyncSession, team_id: int) -> list[int]:
    return list((await session.execute(text(
        "SELECT street_id FROM team_street WHERE team_id = :t ORDER BY street_id"), {"t": team_id})).scalars())


# ---------------------------------------------------------------- what the set-up page shows


async def teams(session: AsyncSession, operation_id: int, team_id: int | None = None) -> list[TeamOut]:
    rows = (await session.execute(text("""
        SELECT t.id, t.name,
               coalesce((SELECT json_agg(json_build_object('id', u.id, 'username', u.username,
                                  'display_name', u.display_name, 'agency_code', a.code, 'agency_name', a.name)
                                  ORDER BY u.display_name)
                         FROM team_member tm JOIN app_user u ON u.id = tm.user_id JOIN agency a ON a.id = u.agency_id
                         WHERE tm.team_id = t.id), '[]') AS members,
               coalesce((SELECT array_agg(ts.street_id ORDER BY ts.street_id) FROM team_street ts
                         WHERE ts.team_id = t.id), '{}') AS street_ids
        FROM team t WHERE t.operation_id = :op AND (CAST(:team AS integer) IS NULL OR t.id = :team)
        ORDER BY t.name, t.id"""), {"op": operation_id, "team": team_id})).mappings().all()
    return [TeamOut(id=r["id"], name=r["name"], members=msgspec.convert(r["members"], list[Member]),
                    street_ids=list(r["street_ids"])) for r in rows]


async def streets(session: AsyncSession, operation_id: int) -> list[StreetOut]:
    rows = (await session.execute(text("""
        SELECT s.id, s.ref, s.name,
               (SELECT count(*) FROM household h WHERE h.street_id = s.id) AS households,
               (SELECT min(ts.team_id) FROM team_street ts JOIN team t ON t.id = ts.team_id
                WHERE ts.street_id = s.id AND t.operation_id = :op) AS team_id
        FROM street s WHERE s.operation_id = :op ORDER BY s.name, s.id"""), {"op": operation_id})).mappings().all()
    return [StreetOut(**r) for r in rows]


async def visitors(session: AsyncSession) -> list[Member]:
    rows = (await session.execute(text("""
        SELECT u.id, u.username, u.display_name, a.code AS agency_code, a.name AS agency_name
        FROM app_user u JOIN agency a ON a.id = u.agency_id
        WHERE u.active AND 'visitor' = ANY(u.roles)
        ORDER BY a.name, u.display_name"""))).mappings().all()
    return [Member(**r) for r in rows]


async def setup_view(session: AsyncSession, operation_id: int) -> SetupView:
    return SetupView(
        operation=await operation_detail(session, operation_id),
        teams=await teams(session, operation_id),
        streets=await streets(session, operation_id),
        visitors=await visitors(session),
        questionnaires=await published_ids(session),
    )

