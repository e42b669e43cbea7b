"""Test data made through the models (SQLAlchemy Core), in the caller's session: an operation like the
demo's, its streets and households, its coordinator. Each name is unique, so tests that commit for
real never meet each other's data."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Household, Operation, OperationCoordinator, Street, User


async def users(session: AsyncSession) -> dict[str, int]:
    """Every user's id by username (the demo's and any a test made)."""
    return dict((await session.execute(select(User.username, User.id))).all())


async def operation(session: AsyncSession, *, prefix: str, like: int | None = None, status: str = "active",
                    questionnaire_id: str | None = None, routing: dict[str, str] | None = None,
                    coordinator: str | None = "coordinator", **values: Any) -> tuple[int, str]:
    """A new operation (id, name): the questionnaire and routing of operation ``like`` unless given."""
    if like is not None:
        template = (await session.execute(select(Operation.questionnaire_id, Operation.routing)
                                          .where(Operation.id == like))).one()
        questionnaire_id = questionnaire_id or template.questionnaire_id
        routing = routing if routing is not None else dict(template.routing or {})
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    op_id = (await session.execute(insert(Operation).values(
        name=name, status=status, questionnaire_id=questionnaire_id, routing=routing or {}, **values)
        .returning(Operation.id))).scalar_one()
    if coordinator is not None:
        await session.execute(insert(OperationCoordinator).values(
            operation_id=op_id, user_id=(await users(session))[coordinator]))
    return op_id, name


async def streets(session: AsyncSession, operation_id: int, count: int, *, prefix: str = "S",
                  name: str = "Test Street", locality: str | None = None) -> list[int]:
    """``count`` short parallel streets in Leeds, refs ``{prefix}0``…"""
    ids = []
    for i in range(count):
        line = f"LINESTRING(-1.56 {53.81 + i * 0.001}, -1.55 {53.81 + i * 0.001})"
        ids.append((await session.execute(insert(Street).values(
            operation_id=operation_id, ref=f"{prefix}{i}", name=f"{name} {i}", locality=locality,
            geom=func.ST_Multi(func.ST_GeomFromText(line, 4326))).returning(Street.id))).scalar_one())
    return ids


async def households(session: AsyncSession, operation_id: int, street_ids: Sequence[int], count: int, *,
                     prefix: str = "H", street_name: str = "Test Street", postcode: str | None = "LS6 1AA"
                     ) -> list[int]:
    """``count`` households spread over the streets in turn, in door order, each with a point."""
    ids = []
    for i in range(count):
        ids.append((await session.execute(insert(Household).values(
            operation_id=operation_id, ref=f"{prefix}{i}", address=f"{i + 1} {street_name} {i % len(street_ids)}",
            house_number=str(i + 1), postcode=postcode, street_id=street_ids[i % len(street_ids)], door_order=i,
            geom=func.ST_SetSRID(func.ST_MakePoint(-1.56 + i * 0.0001, 53.81 + (i % len(street_ids)) * 0.001), 4326))
            .returning(Household.id))).scalar_one())
    return ids
