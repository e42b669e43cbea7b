"""Loads the demo: agencies, users, the StreetSafe questionnaire, the Woodhouse operation with
its area from OpenStreetMap, and the two demo pairs. Idempotent: a second load changes nothing
it already made (passwords of existing users are left alone)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Agency, Household, Operation, OperationCoordinator, RoutingDefault, Street, Team, User
from server.domain.areas.importer import import_area
from server.domain.areas.osm_reader import read_area
from server.domain.operations.teams import save_team
from server.domain.questionnaires.repository import publish
from server.lib.passwords import hash_password

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"


@dataclass
class DemoSummary:
    operation_id: int
    streets: int
    households: int
    teams: int


def _routing(path: Path) -> dict[str, str]:
    return {k: v for k, v in json.loads(path.read_text()).items() if not k.startswith("_")}


async def load_demo(session: AsyncSession, fixtures: Path = FIXTURES, progress=None) -> DemoSummary:
    demo = json.loads((fixtures / "demo.json").read_text())
    for a in demo["agencies"]:
        await session.execute(pg_insert(Agency).values(**a).on_conflict_do_update(
            index_elements=["code"], set_={"name": a["name"], "kind": a["kind"], "email": a["email"]}))
    agencies = dict((await session.execute(select(Agency.code, Agency.id))).all())
    for u in demo["users"]:
        await session.execute(pg_insert(User).values(
            username=u["username"], display_name=u["display_name"], agency_id=agencies[u["agency"]],
            roles=u["roles"], password_hash=hash_password(demo["password"]),
        ).on_conflict_do_nothing(index_elements=["username"]))
    users = dict((await session.execute(select(User.username, User.id))).all())
    # The admins' routing defaults (new operations start with them), unless an admin has set them.
    defaults = _routing(fixtures / demo["operation"]["routing"])
    await session.execute(pg_insert(RoutingDefault).values(
        [{"category": c, "agency_id": agencies[code]} for c, code in defaults.items()]).on_conflict_do_nothing())

    spec = demo["operation"]
    # Every version stays published (stored answers are read against the one they were given to);
    # the operation uses the one it names.
    for path in sorted((fixtures / "questionnaires").glob("*.json")):
        await publish(session, path)
    questionnaire_id = await publish(session, fixtures / spec["questionnaire"])
    await session.execute(pg_insert(Operation).values(
        name=spec["name"], status=spec["status"], questionnaire_id=questionnaire_id,
        routing=_routing(fixtures / spec["routing"]),
    ).on_conflict_do_nothing(index_elements=["name"]))
    operation = (await session.execute(select(Operation).where(Operation.name == spec["name"]))).scalar_one()
    for username in spec["coordinators"]:
        await session.execute(pg_insert(OperationCoordinator).values(
            operation_id=operation.id, user_id=users[username]).on_conflict_do_nothing())

    area = read_area(fixtures / spec["area_file"])
    await import_area(session, area, operation.name, progress=progress)
    # The operation's area: the convex hull of its streets, grown by 50 m.
    hull = (select(func.ST_Multi(func.ST_Transform(func.ST_Buffer(func.ST_ConvexHull(
        func.ST_Collect(func.ST_Transform(Street.geom, 27700))), 50), 4326)))
        .where(Street.operation_id == operation.id).scalar_subquery())
    await session.execute(update(Operation).where(Operation.id == operation.id, Operation.area.is_(None))
                          .values(area=hull))

    existing = set((await session.execute(select(Team.name).where(Team.operation_id == operation.id))).scalars())
    halves = await _streets_west_east(session, operation.id)
    for team in spec["teams"]:
        if team["name"] in existing:
            continue
        await save_team(session, operation.id, team["name"], [users[m] for m in team["members"]],
                        halves[team["streets"]])
    streets = (await session.execute(select(func.count()).select_from(Street)
                                     .where(Street.operation_id == operation.id))).scalar_one()
    households = (await session.execute(select(func.count()).select_from(Household)
                                        .where(Household.operation_id == operation.id))).scalar_one()
    teams = (await session.execute(select(func.count()).select_from(Team)
                                   .where(Team.operation_id == operation.id))).scalar_one()
    return DemoSummary(operation.id, streets, households, teams)


async def _streets_west_east(session: AsyncSession, operation_id: int) -> dict[str, list[int]]:
    """Streets with households, split in two by the east-west position of their middle."""
    ids = (await session.execute(
        select(Street.id).where(Street.operation_id == operation_id, exists().where(Household.street_id == Street.id))
        .order_by(func.ST_X(func.ST_Centroid(Street.geom)), Street.id))).scalars().all()
    half = (len(ids) + 1) // 2
    return {"west": list(ids[:half]), "east": list(ids[half:])}

