"""Who may see an operation. One place for the rule, used by every slice.

- admins: every operation;
- coordinators: the operations they run (operation_coordinator);
- visitors: the operations where they are on a team;
- partners: operations whose routing table sends follow-ups to their agency.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from server.db.models import Operation, OperationCoordinator, Team, TeamMember
from server.lib.auth import CurrentUser
from server.lib.exceptions import Forbidden, NotFound


@dataclass(frozen=True)
class OperationAccess:
    operation: Operation
    is_coordinator: bool  # runs it (or admin)
    team_id: int | None  # the user's team on it, if any


def visible_operations(user: CurrentUser) -> Select:
    """A SELECT of the operations this user may see."""
    q = select(Operation)
    if "admin" in user.roles:
        return q
    conditions = []
    if "coordinator" in user.roles:
        conditions.append(exists().where(OperationCoordinator.operation_id == Operation.id,
                                         OperationCoordinator.user_id == user.id))
    if "visitor" in user.roles:
        conditions.append(exists().where(Team.operation_id == Operation.id, TeamMember.team_id == Team.id,
                                         TeamMember.user_id == user.id))
    if "partner" in user.roles:
        # Any follow-up category of the routing table sent to the partner's agency.
        conditions.append(text("EXISTS (SELECT 1 FROM jsonb_each_text(operation.routing) AS r "
                               "WHERE r.value = :partner_agency)").bindparams(partner_agency=user.agency_code))
    if not conditions:
        return q.where(False)
    return q.where(or_(*conditions))


async def operation_access(session: AsyncSession, user: CurrentUser, operation_id: int) -> OperationAccess:
    """The operation and the user's standing on it; 404 if there is none, 403 if not theirs."""
    operation = await session.get(Operation, operation_id)
    if operation is None:
        raise NotFound(f"There is no operation {operation_id}.")
    team_id = (await session.execute(
        select(Team.id).join(TeamMember, TeamMember.team_id == Team.id)
        .where(Team.operation_id == operation_id, TeamMember.user_id == user.id)
    )).scalar()
    runs = "admin" in user.roles or (
        "coordinator" in user.roles and (await session.execute(
            select(OperationCoordinator.user_id).where(OperationCoordinator.operation_id == operation_id,
                                                      OperationCoordinator.user_id == user.id)
        )).scalar() is not None
    )
    return OperationAccess(operation=operation, is_coordinator=runs, team_id=team_id)


async def require_team_or_coordinator(session: AsyncSession, user: CurrentUser, operation_id: int) -> OperationAccess:
    access = await operation_access(session, user, operation_id)
    if not access.is_coordinator and access.team_id is None:
        raise Forbidden(f"You are not on a team of operation {operation_id} ({access.operation.name!r}) "
                        "and do not coordinate it; ask its coordinator to add you.")
    return access


async def require_coordinator(session: AsyncSession, user: CurrentUser, operation_id: int) -> OperationAccess:
    access = await operation_access(session, user, operation_id)
    if not access.is_coordinator:
        raise Forbidden(f"You do not coordinate operation {operation_id} ({access.operation.name!r}).")
    return access
