"""The audit log: who did what to which record. One writer for every slice."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import AuditLog
from server.lib.auth import CurrentUser


async def audit(session: AsyncSession, user: CurrentUser, action: str, entity_type: str, entity_id: str,
                detail: dict[str, Any] | None = None) -> None:
    """One entry, in the caller's transaction (it is kept only if the change is)."""
    await session.execute(insert(AuditLog).values(
        actor_user_id=user.id, actor_agency_id=user.agency_id, action=action, entity_type=entity_type,
        entity_id=entity_id, detail=detail or {}))


async def audit_many(session: AsyncSession, user: CurrentUser, action: str, entity_type: str,
                     entity_ids: list[str], detail: dict[str, Any] | None = None) -> None:
    """The same entry for each of ``entity_ids``, in one statement."""
    if entity_ids:
        await session.execute(insert(AuditLog), [
            {"actor_user_id": user.id, "actor_agency_id": user.agency_id, "action": action,
             "entity_type": entity_type, "entity_id": entity_id, "detail": detail or {}} for entity_id in entity_ids])


async def audit_by_server(session: AsyncSession, action: str, entity_type: str, entity_id: str,
                          detail: dict[str, Any] | None = None) -> None:
    """An entry for what the server did on its own (a scheduled job, a command): no person, no agency."""
    await session.execute(insert(AuditLog).values(
        actor_user_id=None, actor_agency_id=None, action=action, entity_type=entity_type, entity_id=entity_id,
        detail=detail or {}))
