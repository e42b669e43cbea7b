"""Sessions: one per sign-in (web) or per user and tablet (device); ended, never deleted.

The per-request check lives in server/lib/auth.py (SessionGate); this module starts, ends and
lists sessions in the request's transaction, and tells this process's gate what it ended.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, cast

import msgspec
from sqlalchemy import CursorResult, delete, insert, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.db.models import Agency, AuditLog, DeviceOrder, User, UserSession
from server.domain.operations.access import sees_person
from server.lib.audit import audit
from server.lib.auth import CurrentUser, SessionGate
from server.lib.exceptions import NotFound
from server.lib.paging import Keyset
from server.settings import Settings

#: A device token's own expiry: far, because the session row (which moves forward while the
#: tablet keeps using it) decides. A tablet that never once signs in with signal for a year
#: needs its password online again.
DEVICE_TOKEN_DAYS = 365


@dataclass(frozen=True)
class StartedSession:
    id: uuid.UUID
    kind: str
    token_expires_at: dt.datetime


async def start_session(session: AsyncSession, settings: Settings, user_id: int, *, device_id: str | None,
                        device_name: str | None) -> StartedSession:
    """A new session for a user who just proved their password. A tablet keeps one live session
    per user: a new sign-in on it ends the previous one (reason ``replaced``)."""
    now = dt.datetime.now(dt.UTC)
    sid = uuid.uuid4()
    if device_id:
        await session.execute(
            update(UserSession)
            .where(UserSession.user_id == user_id, UserSession.device_id == device_id, UserSession.kind == "device",
                   UserSession.ended_at.is_(None))
            .values(ended_at=now, ended_reason="replaced"))
        expires_at = now + dt.timedelta(days=settings.device_session_days)
        token_expires_at = now + dt.timedelta(days=DEVICE_TOKEN_DAYS)
        kind = "device"
    else:
        expires_at = token_expires_at = now + dt.timedelta(seconds=settings.token_ttl_seconds)
        kind = "web"
    session.add(UserSession(id=sid, user_id=user_id, kind=kind, device_id=device_id if device_id else None,
                            device_name=(device_name or None) if device_id else None, expires_at=expires_at))
    await session.flush()
    return StartedSession(id=sid, kind=kind, token_expires_at=token_expires_at)


async def end_session(session: AsyncSession, gate: SessionGate, session_id: str, reason: str,
                      by: CurrentUser | None = None) -> bool:
    """End one session (if still live); True if it was."""
    result = await session.execute(
        update(UserSession).where(UserSession.id == uuid.UUID(session_id), UserSession.ended_at.is_(None))
        .values(ended_at=text("now()"), ended_reason=reason, ended_by_user_id=by.id if by else None))
    gate.ended(session_id, reason)
    return bool(cast("CursorResult[Any]", result).rowcount)  # an UPDATE's result is a cursor's


async def end_user_sessions(session: AsyncSession, gate: SessionGate, user_id: int, reason: str,
                            by: CurrentUser | None = None) -> int:
    """End every live session of a user (deactivation, new password); how many ended."""
    ended = (await session.execute(
        update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=text("now()"), ended_reason=reason, ended_by_user_id=by.id if by else None)
        .returning(UserSession.id))).scalars().all()
    for sid in ended:
        gate.ended(str(sid), reason)
    gate.user_changed(user_id)
    return len(ended)


# ---------------------------------------------------------------- tablets (device sessions)


class Device(msgspec.Struct, frozen=True):
    """A tablet signed in (a live device session), as GET /api/v1/devices lists it."""

    session_id: uuid.UUID
    username: str
    display_name: str
    agency_code: str
    device_id: str
    device_name: str | None
    signed_in_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime


#: Most recently seen first.
DEVICES = Keyset(tuple[dt.datetime, uuid.UUID], default=100, maximum=500)


async def live_devices(session: AsyncSession, user: CurrentUser, *, limit: int = DEVICES.default,
                       cursor: str | None = None) -> tuple[list[Device], str | None]:
    """Live device sessions this user may see (access.sees_person), most recently seen first (keyset paged)."""
    limit, after = DEVICES.limit(limit), DEVICES.after(cursor)
    q = (select(UserSession.id, User.username, User.display_name, Agency.code, UserSession.device_id,
                UserSession.device_name, UserSession.created_at, UserSession.last_seen_at, UserSession.expires_at)
         .join(User, User.id == UserSession.user_id).join(Agency, Agency.id == User.agency_id)
         .where(UserSession.kind == "device", UserSession.ended_at.is_(None),
                UserSession.expires_at > text("now()"), sees_person(user, UserSession.user_id)))
    if after is not None:
        q = q.where(tuple_(UserSession.last_seen_at, UserSession.id) < tuple_(*after))
    q = q.order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()).limit(limit + 1)
    rows = [Device(*cast(tuple[Any, ...], r)) for r in (await session.execute(q)).all()]  # device_id: kind "device"
    return DEVICES.page(rows, limit, key=lambda d: (d.last_seen_at, d.session_id))


async def revoke_device(session: AsyncSession, gate: SessionGate, user: CurrentUser, session_id: uuid.UUID) -> None:
    """End a tablet's session (an admin, or a coordinator for a tablet on their operations); 404 if
    there is no such live device session that they may see."""
    found = (await session.execute(
        select(UserSession.id, UserSession.user_id, UserSession.device_name)
        .where(UserSession.id == session_id, UserSession.kind == "device", UserSession.ended_at.is_(None),
               sees_person(user, UserSession.user_id)))).first()
    if found is None:
        raise NotFound("There is no live tablet session with that id that you may see (it may have ended already).")
    await end_session(session, gate, str(session_id), "revoked", by=user)
    await audit(session, user, "session.revoke", "user_session", str(session_id),
                {"user_id": found.user_id, "device_name": found.device_name})


# ---------------------------------------------------------------- lost and retired tablets

#: What an admin or coordinator may order a tablet to do.
ORDER_KINDS = ("lost", "retired")


class DeviceOrderOut(msgspec.Struct, frozen=True):
    """A tablet marked lost or retired, as GET /api/v1/devices/orders lists it: ``done_at`` is when
    the tablet reported that it had erased itself (None: it has not reached the server since)."""

    id: uuid.UUID
    kind: str
    device_id: str
    device_name: str | None
    username: str
    display_name: str
    ordered_at: dt.datetime
    ordered_by: str
    done_at: dt.datetime | None


async def order_device(session: AsyncSession, gate: SessionGate, user: CurrentUser, session_id: uuid.UUID,
                       kind: str) -> None:
    """Mark the tablet of a live device session lost or retired (admins; coordinators for tablets on
    their operations). Lost ends every live session on that tablet at once (reason ``lost``), so its
    next request learns it; retired lets the tablet send what it holds first. A second order for the
    same tablet replaces an open one (retired, then lost: lost). 404 as for ending a session."""
    found = (await session.execute(
        select(UserSession.id, UserSession.user_id, UserSession.device_id, UserSession.device_name)
        .where(UserSession.id == session_id, UserSession.kind == "device", UserSession.ended_at.is_(None),
               sees_person(user, UserSession.user_id)))).first()
    if found is None:
        raise NotFound("There is no live tablet session with that id that you may see (it may have ended already).")
    await session.execute(
        delete(DeviceOrder).where(DeviceOrder.device_id == found.device_id, DeviceOrder.done_at.is_(None)))
    order_id = uuid.uuid4()
    session.add(DeviceOrder(id=order_id, device_id=found.device_id, device_name=found.device_name, kind=kind,
                            session_id=session_id, ordered_by_user_id=user.id))
    await session.flush()
    if kind == "lost":
        ended = (await session.execute(
            update(UserSession)
            .where(UserSession.device_id == found.device_id, UserSession.kind == "device",
                   UserSession.ended_at.is_(None))
            .values(ended_at=text("now()"), ended_reason="lost", ended_by_user_id=user.id)
            .returning(UserSession.id))).scalars().all()
        for sid in ended:
            gate.ended(str(sid), "lost")
    await audit(session, user, f"device.{kind}", "device_order", str(order_id),
                {"user_id": found.user_id, "device_name": found.device_name, "session_id": str(session_id)})


async def open_order(session: AsyncSession, device_id: str) -> str | None:
    """The kind of the open order for this tablet (lost or retired), or None."""
    return (await session.execute(select(DeviceOrder.kind).where(
        DeviceOrder.device_id == device_id, DeviceOrder.done_at.is_(None)))).scalar_one_or_none()


async def device_of_session(session: AsyncSession, session_id: str) -> tuple[str | None, int] | None:
    """(device_id, user_id) of a session, live or ended; None if there is no such session."""
    row = (await session.execute(select(UserSession.device_id, UserSession.user_id)
                                 .where(UserSession.id == uuid.UUID(session_id)))).first()
    return (row.device_id, row.user_id) if row else None


async def record_erased(session: AsyncSession, gate: SessionGate, session_id: str) -> bool:
    """The tablet of this session (its token, live or ended, proves it) says it has erased itself:
    the open order is done (with the time), every live session on it ends (reason ``retired`` or
    ``lost``), and the audit log says so. False if that tablet has no open order."""
    found = await device_of_session(session, session_id)
    if found is None or found[0] is None:
        return False
    device_id, user_id = found
    order = (await session.execute(
        update(DeviceOrder).where(DeviceOrder.device_id == device_id, DeviceOrder.done_at.is_(None))
        .values(done_at=text("now()")).returning(DeviceOrder.id, DeviceOrder.kind))).first()
    if order is None:
        return False
    ended = (await session.execute(
        update(UserSession)
        .where(UserSession.device_id == device_id, UserSession.kind == "device", UserSession.ended_at.is_(None))
        .values(ended_at=text("now()"), ended_reason=order.kind).returning(UserSession.id))).scalars().all()
    for sid in ended:
        gate.ended(str(sid), order.kind)
    await session.execute(insert(AuditLog).values(
        actor_user_id=user_id, actor_agency_id=select(User.agency_id).where(User.id == user_id).scalar_subquery(),
        action="device.erased", entity_type="device_order", entity_id=str(order.id),
        detail={"device_id": device_id, "kind": order.kind}))
    return True


async def device_orders(session: AsyncSession, user: CurrentUser, *, limit: int = 200) -> list[DeviceOrderOut]:
    """Orders for tablets whose session's user this user may see, newest first."""
    by = aliased(User)
    q = (select(DeviceOrder.id, DeviceOrder.kind, DeviceOrder.device_id, DeviceOrder.device_name, User.username,
                User.display_name, DeviceOrder.ordered_at, by.display_name, DeviceOrder.done_at)
         .join(UserSession, UserSession.id == DeviceOrder.session_id)
         .join(User, User.id == UserSession.user_id).join(by, by.id == DeviceOrder.ordered_by_user_id)
         .where(sees_person(user, UserSession.user_id))
         .order_by(DeviceOrder.ordered_at.desc(), DeviceOrder.id.desc()).limit(limit))
    return [DeviceOrderOut(*r) for r in (await session.execute(q)).all()]
