"""People as the admin pages list them: each user with their agency, roles, whether they can sign in,
their live sign-ins and when one was last used. Changes go through server/domain/auth/services.py
(add_user, update_user), the one place users are written."""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Agency, User, UserSession
from server.lib.exceptions import NotFound
from server.lib.paging import Keyset

USERS = Keyset(tuple[str], default=200, maximum=1000)


class Person(msgspec.Struct):
    id: int
    username: str
    display_name: str
    agency_code: str
    agency_name: str
    roles: list[str]
    active: bool
    live_sessions: int
    last_seen_at: dt.datetime | None


def _people():
    live = (select(UserSession.user_id, func.count().label("n"), func.max(UserSession.last_seen_at).label("seen"))
            .where(UserSession.ended_at.is_(None), UserSession.expires_at > func.now())
            .group_by(UserSession.user_id).subquery())
    ever = (select(UserSession.user_id, func.max(UserSession.last_seen_at).label("seen"))
            .group_by(UserSession.user_id).subquery())
    return (select(User.id, User.username, User.display_name, Agency.code, Agency.name, User.roles, User.active,
                   func.coalesce(live.c.n, 0), ever.c.seen)
            .join(Agency, Agency.id == User.agency_id)
            .outerjoin(live, live.c.user_id == User.id).outerjoin(ever, ever.c.user_id == User.id))


async def people(session: AsyncSession, *, search: str = "", agency: str = "", role: str = "",
                 active: bool | None = None, limit: int = USERS.default, cursor: str | None = None
                 ) -> tuple[list[Person], str | None]:
    """Users by username (keyset), optionally matching a name, of an agency, holding a role, active or not."""
    limit, after = USERS.limit(limit), USERS.after(cursor)
    q = _people()
    if search.strip():
        like = f"%{search.strip().replace('%', '').replace('_', '')}%"
        q = q.where(or_(User.username.ilike(like), User.display_name.ilike(like)))
    if agency:
        q = q.where(Agency.code == agency)
    if role:
        q = q.where(User.roles.contains([role]))
    if active is not None:
        q = q.where(User.active.is_(active))
    if after is not None:
        q = q.where(User.username > after[0])
    rows = [Person(id=r[0], username=r[1], display_name=r[2], agency_code=r[3], agency_name=r[4], roles=list(r[5]),
                   active=r[6], live_sessions=r[7], last_seen_at=r[8])
            for r in (await session.execute(q.order_by(User.username).limit(limit + 1))).all()]
    return USERS.page(rows, limit, key=lambda p: (p.username,))


async def person(session: AsyncSession, username: str) -> Person:
    r = (await session.execute(_people().where(User.username == username))).first()
    if r is None:
        raise NotFound(f"There is no user {username!r}.")
    return Person(id=r[0], username=r[1], display_name=r[2], agency_code=r[3], agency_name=r[4], roles=list(r[5]),
                  active=r[6], live_sessions=r[7], last_seen_at=r[8])


class SignIn(msgspec.Struct):
    kind: str
    device_name: str | None
    created_at: dt.datetime
    last_seen_at: dt.datetime


async def live_sign_ins(session: AsyncSession, user_id: int) -> list[SignIn]:
    rows = (await session.execute(
        select(UserSession.kind, UserSession.device_name, UserSession.created_at, UserSession.last_seen_at)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None), UserSession.expires_at > func.now())
        .order_by(UserSession.last_seen_at.desc()).limit(50))).all()
    return [SignIn(*r) for r in rows]
