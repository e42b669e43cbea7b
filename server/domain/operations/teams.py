"""Forming visit pairs and assigning streets: the invariants live here, used by the API and the demo.

- A pair has at least two members from at least two agencies, all visitors (``check_members``).
- Its streets are streets of its operation (``check_streets``).
- A street goes to one pair, and a pair's name is unique in its operation: database constraints
  (``uq_team_street_street_id``, migration 0011; ``uq_team_operation_name``), so every writer,
  racing or not, is held to them. A violation is answered in server/lib/exceptions.py
  (``CONSTRAINT_ANSWERS``); ``save_team`` adds which pair holds the street.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Agency, Street, Team, TeamEvent, TeamMember, TeamStreet, User
from server.lib.exceptions import ONE_PAIR_PER_STREET, Invalid, NotFound, constraint_error, violated_constraint

#: The members of the pair ``t`` (a ``team`` row in the enclosing query) as a JSON array of
#: shared_schemas.pack.PackMember, for the hand-written SQL of the pack and the pull.
TEAM_MEMBERS_JSON = """coalesce((
    SELECT json_agg(json_build_object('user_id', u.id, 'username', u.username, 'display_name', u.display_name,
                                      'agency_code', ag.code, 'agency_name', ag.name) ORDER BY u.id)
      FROM team_member AS m JOIN app_user AS u ON u.id = m.user_id JOIN agency AS ag ON ag.id = u.agency_id
     WHERE m.team_id = t.id), '[]'::json)"""


async def check_members(session: AsyncSession, user_ids: Iterable[int]) -> list[User]:
    """A pair needs at least two members from at least two agencies, all visitors."""
    ids = sorted(set(user_ids))
    users = (await session.execute(select(User).where(User.id.in_(ids)))).scalars().all()
    missing = sorted(set(ids) - {u.id for u in users})
    if missing:
        raise Invalid(f"No user with id {', '.join(map(str, missing))}.", field="$.member_ids")
    if len(users) < 2:
        raise Invalid("A pair needs at least two members.", field="$.member_ids")
    not_visitors = [u.username for u in users if "visitor" not in u.roles and "admin" not in u.roles]
    if not_visitors:
        raise Invalid(f"Only visitors can be on a pair; {', '.join(not_visitors)} do not have the visitor role.",
                      field="$.member_ids")
    if len({u.agency_id for u in users}) < 2:
        agency = await session.get(Agency, users[0].agency_id)
        raise Invalid(
            f"A pair must have members from at least two agencies; all of these are from "
            f"{agency.name if agency else 'one agency'}. Add someone from a partner agency.",
            field="$.member_ids",
        )
    return list(users)


async def check_streets(session: AsyncSession, operation_id: int, street_ids: Iterable[int]) -> list[int]:
    ids = sorted(set(street_ids))
    if not ids:
        return []
    rows = (await session.execute(select(Street.id, Street.operation_id).where(Street.id.in_(ids)))).all()
    found = {r.id: r.operation_id for r in rows}
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise Invalid(f"No street with id {', '.join(map(str, unknown))}.", field="$.street_ids")
    foreign = [i for i in ids if found[i] != operation_id]
    if foreign:
        raise Invalid(f"Street(s) {', '.join(map(str, foreign))} belong to another operation; "
                      f"assign only streets of operation {operation_id}.", field="$.street_ids")
    return ids


async def record_team_event(session: AsyncSession, operation_id: int, team_id: int, removed: bool = False) -> None:
    """Tablets learn of team and assignment changes by pulling these."""
    await session.execute(insert(TeamEvent).values(operation_id=operation_id, team_id=team_id, removed=removed))


async def save_team(session: AsyncSession, operation_id: int, name: str, member_ids: Iterable[int],
                    street_ids: Iterable[int], team_id: int | None = None) -> Team:
    """Create a team (or replace an existing one's members and streets), after checking the rules."""
    await check_members(session, member_ids)
    streets = await check_streets(session, operation_id, street_ids)
    if team_id is None:
        team = Team(operation_id=operation_id, name=name)
        session.add(team)
        await session.flush()
    else:
        found = await session.get(Team, team_id)
        if found is None or found.operation_id != operation_id:
            raise NotFound(f"There is no team {team_id} on operation {operation_id}.")
        team = found
        team.name = name
        await session.execute(delete(TeamMember).where(TeamMember.team_id == team.id))
        await session.execute(delete(TeamStreet).where(TeamStreet.team_id == team.id))
    await session.execute(insert(TeamMember), [{"team_id": team.id, "user_id": u} for u in sorted(set(member_ids))])
    if streets:
        try:
            async with session.begin_nested():  # so the transaction can still say who holds the street
                await session.execute(insert(TeamStreet), [{"team_id": team.id, "street_id": s} for s in streets])
        except IntegrityError as exc:
            if violated_constraint(exc) != ONE_PAIR_PER_STREET:
                raise
            raise await _street_held(session, operation_id, streets, team.id) from None
    await record_team_event(session, operation_id, team.id)
    return team


async def _street_held(session: AsyncSession, operation_id: int, street_ids: list[int], team_id: int) -> Invalid:
    """The answer to a street that already has a pair, naming the streets and the pairs."""
    rows = (await session.execute(
        select(TeamStreet.street_id, Street.name, Team.name)
        .join(Team, Team.id == TeamStreet.team_id).join(Street, Street.id == TeamStreet.street_id)
        .where(TeamStreet.street_id.in_(street_ids), TeamStreet.team_id != team_id)
        .order_by(TeamStreet.street_id))).all()
    answer = constraint_error(ONE_PAIR_PER_STREET)
    assert answer is not None  # the table names it
    held = "; ".join(f"{street} (street {street_id}) is with {pair}" for street_id, street, pair in rows)
    return Invalid(f"{answer.detail} {held}." if held else answer.detail, field=answer.field)
