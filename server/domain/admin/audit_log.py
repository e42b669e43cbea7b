"""Reading the audit log back (server/lib/audit.py writes it): newest first, keyset paged, by who, what
kind of change and which record. Entries say what changed, never a password, a secret or a resident's words."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.db.models import Agency, AuditLog, User
from server.lib.paging import Int64, Keyset

ENTRIES = Keyset(tuple[dt.datetime, Int64], default=100, maximum=500)

#: Each action in words (a newer action not listed shows as its code).
ACTIONS = {
    "user.add": "Added a user", "user.update": "Changed a user", "session.revoke": "Ended a tablet's sign-in",
    "agency.add": "Added an agency", "agency.update": "Changed an agency",
    "open311.key_issued": "Issued an Open311 key", "open311.key_revoked": "Revoked an Open311 key",
    "routing_defaults.update": "Changed the routing defaults", "operation.routing": "Changed an operation's routing",
    "followup.status": "Changed a follow-up's status", "followup.reassign": "Reassigned a follow-up",
    "followup.note": "Added a note to a follow-up", "followup.assign": "Assigned a follow-up",
    "resident.view": "Saw a resident's contact details", "resident.export": "Exported residents' contact details",
    "opendata.publish": "Published open data", "opendata.withdraw": "Withdrew open data",
    "notification.retry": "Asked for a notification to be sent now",
}


class Entry(msgspec.Struct):
    id: int
    at: dt.datetime
    actor: str | None
    actor_name: str | None
    actor_agency: str | None
    action: str
    entity_type: str
    entity_id: str
    detail: dict[str, Any]
    subject: str | None = None  # the username an entity "user" entry is about


async def entries(session: AsyncSession, *, actor: str = "", action: str = "", entity_type: str = "",
                  entity_id: str = "", limit: int = ENTRIES.default, cursor: str | None = None
                  ) -> tuple[list[Entry], str | None]:
    limit, after = ENTRIES.limit(limit), ENTRIES.after(cursor)
    subject = aliased(User)
    q = (select(AuditLog, User.username, User.display_name, Agency.name, subject.username)
         .outerjoin(User, User.id == AuditLog.actor_user_id)
         .outerjoin(Agency, Agency.id == AuditLog.actor_agency_id)
         .outerjoin(subject, (AuditLog.entity_type == "user")
                    & (AuditLog.entity_id == subject.id.cast(AuditLog.entity_id.type))))
    if actor:
        q = q.where(User.username == actor)
    if action:
        q = q.where(AuditLog.action == action)
    if entity_type:
        q = q.where(AuditLog.entity_type == entity_type)
    if entity_id:
        q = q.where(AuditLog.entity_id == entity_id)
    if after is not None:
        q = q.where(tuple_(AuditLog.at, AuditLog.id) < tuple_(*after))
    rows = (await session.execute(q.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit + 1))).all()
    out = [Entry(id=e.id, at=e.at, actor=username, actor_name=name, actor_agency=agency, action=e.action,
                 entity_type=e.entity_type, entity_id=e.entity_id, detail=dict(e.detail or {}), subject=about)
           for e, username, name, agency, about in rows]
    return ENTRIES.page(out, limit, key=lambda e: (e.at, e.id))


def describe(detail: dict[str, Any]) -> list[str]:
    """An entry's detail as short lines for people ("roles: visitor → partner")."""
    lines = []
    changes = detail.get("changes") if isinstance(detail.get("changes"), dict) else None
    for key, value in (changes or detail).items():
        if isinstance(value, dict) and set(value) == {"from", "to"}:
            lines.append(f"{key.replace('_', ' ')}: {_text(value['from'])} → {_text(value['to'])}")
        elif value is True or value == "changed":
            lines.append(f"{key.replace('_', ' ')} changed")
        else:
            lines.append(f"{key.replace('_', ' ')}: {_text(value)}")
    if changes is not None:
        lines += [f"{k.replace('_', ' ')}: {_text(v)}" for k, v in detail.items() if k != "changes"]
    return lines


def _text(value: Any) -> str:
    if value is None or value == "":
        return "none"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
