"""Who may see what: the one module of access rules. The API, the web pages, the CSV export,
Open311 and the notifications list all ask here.

Operations:

- admins: every operation;
- coordinators: the operations they run (``operation_coordinator``);
- visitors: the operations where they are on a pair;
- partners: operations whose routing table sends follow-ups to their agency.

Follow-ups (outside these, a follow-up answers 404, never 403, so its existence does not leak):

- a partner sees those routed to its agency; a coordinator those of the operations they run;
  an admin all. An Open311 key sees its agency's;
- residents' details only where the resident consented, and only to the assigned agency's
  partners and the operation's coordinators.

A route that takes an ``operation_id`` (in its path or query) gets the caller's standing on it
from one dependency, never by hand::

    @get("/api/v1/operations/{operation_id:int}/thing", dependencies={"access": COORDINATOR})
    async def thing(access: Access) -> ...:
        ...  # access.operation, access.user, access.runs, access.team_id

``COORDINATOR`` lets through those who run the operation (admins run all); ``TEAM_OR_COORDINATOR``
also its pairs' members. Both answer 404 for an operation that does not exist and 403 (saying
why) otherwise. tests/server/test_access.py fails for a route with an ``operation_id`` that
does not take one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.params import Parameter
from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Followup, Operation, OperationCoordinator, Team, TeamMember
from server.lib.auth import CurrentUser, current_user
from server.lib.exceptions import Forbidden, NotFound
from shared_schemas.records import MAX_ID

# ---------------------------------------------------------------- operations


def runs_operation(user: CurrentUser, operation_id: Any) -> ColumnElement[bool]:
    """SQL truth for "this user coordinates the operation ``operation_id``" (a column or a value)."""
    if "admin" in user.roles:
        return true()
    if "coordinator" not in user.roles:
        return false()
    return exists().where(OperationCoordinator.operation_id == operation_id, OperationCoordinator.user_id == user.id)


def on_a_pair_of(user: CurrentUser, operation_id: Any) -> ColumnElement[bool]:
    """SQL truth for "this user is on a pair of the operation ``operation_id``"."""
    return exists().where(Team.operation_id == operation_id, TeamMember.team_id == Team.id,
                          TeamMember.user_id == user.id)


def visible_operations(user: CurrentUser) -> Select[Operation]:
    """A SELECT of the operations this user may see."""
    q = select(Operation)
    if "admin" in user.roles:
        return q
    conditions: list[ColumnElement[bool]] = []
    if "coordinator" in user.roles:
        conditions.append(runs_operation(user, Operation.id))
    if "visitor" in user.roles:
        conditions.append(on_a_pair_of(user, Operation.id))
    if "partner" in user.roles:
        # Any follow-up category of the routing table sent to the partner's agency.
        routes = func.jsonb_each_text(Operation.routing).table_valued("key", "value").render_derived("route")
        conditions.append(exists(select(1).select_from(routes).where(routes.c.value == user.agency_code)))
    if not conditions:
        return q.where(false())
    return q.where(or_(*conditions))


@dataclass(frozen=True)
class OperationAccess:
    """The caller's standing on one operation."""

    operation: Operation
    user: CurrentUser
    runs: bool  # coordinates it (admins coordinate all)
    team_id: int | None  # the caller's pair on it, if any


async def operation_access(session: AsyncSession, user: CurrentUser, operation_id: int) -> OperationAccess:
    """The operation and the user's standing on it, in one query; 404 if there is none."""
    team = (select(Team.id).join(TeamMember, TeamMember.team_id == Team.id)
            .where(Team.operation_id == Operation.id, TeamMember.user_id == user.id)
            .order_by(Team.id).limit(1).scalar_subquery())
    row = (await session.execute(select(Operation, team, runs_operation(user, Operation.id))
                                 .where(Operation.id == operation_id))).first()
    if row is None:
        raise NotFound(f"There is no operation {operation_id}.")
    operation, team_id, runs = row
    return OperationAccess(operation=operation, user=user, runs=bool(runs), team_id=team_id)


async def runs(session: AsyncSession, user: CurrentUser, operation_id: int) -> bool:
    """Does this user coordinate the operation (admins coordinate all)?"""
    if "admin" in user.roles:
        return True
    return bool((await session.execute(select(runs_operation(user, operation_id)))).scalar())


def require_coordinator(access: OperationAccess) -> OperationAccess:
    if not access.runs:
        # The operation's name is not the caller's to see: only its id, which they sent.
        raise Forbidden(f"You do not coordinate operation {access.operation.id}; ask an admin if you should.")
    return access


def require_team_or_coordinator(access: OperationAccess) -> OperationAccess:
    if not access.runs and access.team_id is None:
        raise Forbidden(f"You are not on a team of operation {access.operation.id} and do not coordinate it; "
                        "ask its coordinator to add you.")
    return access


#: The operation id as routes take it: a path parameter (``{operation_id:int}``) or, where the
#: path has none, a query parameter.
OperationId = Annotated[int, Parameter(ge=1, le=MAX_ID, description="The operation's id.")]


async def _coordinator(request: Request[CurrentUser, Any, Any], db_session: NamedDependency[AsyncSession],
                       operation_id: OperationId) -> OperationAccess:
    return require_coordinator(await operation_access(db_session, current_user(request), operation_id))


async def _team_or_coordinator(request: Request[CurrentUser, Any, Any], db_session: NamedDependency[AsyncSession],
                               operation_id: OperationId) -> OperationAccess:
    return require_team_or_coordinator(await operation_access(db_session, current_user(request), operation_id))


#: Dependencies for the key ``"access"`` of a route or controller with an ``operation_id``.
COORDINATOR = Provide(_coordinator)
TEAM_OR_COORDINATOR = Provide(_team_or_coordinator)
ACCESS_PROVIDERS = (COORDINATOR, TEAM_OR_COORDINATOR)
#: How a handler takes it: ``access: Access``.
Access = NamedDependency[OperationAccess]


def sees_person(user: CurrentUser, user_id: Any) -> ColumnElement[bool]:
    """SQL truth for "this user may see the person ``user_id`` (e.g. their tablets)": admins everyone;
    others themselves, and a coordinator the people on pairs of the operations they run."""
    if "admin" in user.roles:
        return true()
    people = select(TeamMember.user_id).join(Team, Team.id == TeamMember.team_id)
    return or_(user_id == user.id, user_id.in_(people.where(runs_operation(user, Team.operation_id))))


# ---------------------------------------------------------------- follow-ups


def sees_followup(user: CurrentUser) -> ColumnElement[bool]:
    """SQL truth for "this user may see this follow-up"."""
    if "admin" in user.roles:
        return true()
    conditions: list[ColumnElement[bool]] = []
    if "partner" in user.roles:
        conditions.append(Followup.agency_id == user.agency_id)
    if "coordinator" in user.roles:
        conditions.append(runs_operation(user, Followup.operation_id))
    return or_(*conditions) if conditions else false()


def agency_sees_followup(agency_id: int) -> ColumnElement[bool]:
    """SQL truth for "this follow-up is routed to the agency" (what an agency's Open311 key sees)."""
    return Followup.agency_id == agency_id


def sees_residents(user: CurrentUser) -> ColumnElement[bool]:
    """SQL truth for "this user may see this follow-up's residents' details"."""
    assigned = Followup.agency_id == user.agency_id if "partner" in user.roles else false()
    return and_(Followup.resident_consent.is_(True), or_(assigned, runs_operation(user, Followup.operation_id)))


def may_see_resident(user: CurrentUser, followup: Followup, runs_operation: bool) -> bool:
    """The same rule as ``sees_residents``, for one follow-up already read."""
    if not followup.resident_consent:
        return False
    return runs_operation or ("partner" in user.roles and followup.agency_id == user.agency_id)
