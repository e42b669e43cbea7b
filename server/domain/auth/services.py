"""Signing in and managing users."""

from __future__ import annotations

import time
from collections import defaultdict, deque

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Agency, AuditLog, User
from server.domain.auth.sessions import end_user_sessions
from server.lib.audit import audit
from server.lib.auth import CurrentUser, SessionGate
from server.lib.exceptions import Conflict, Invalid, NotAuthenticated, NotFound, TooManyRequests
from server.lib.passwords import hash_password, verify_password
from shared_schemas.codes import Role

KNOWN_ROLES = {r.value for r in Role}


class LoginThrottle:
    """Failed sign-ins per username, and per client address, in a sliding minute; past the limit, 429.

    A client address gets five times the per-user allowance: an office or a police station
    shares one address. In memory, per server process: enough to stop password guessing
    against one process; several processes behind a load balancer each keep their own window.
    """

    CLIENT_FACTOR = 5

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _limit(self, key: str) -> int:
        return self.per_minute * (self.CLIENT_FACTOR if key.startswith("client:") else 1)

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures[key]
        while q and now - q[0] > 60:
            q.popleft()
        return q

    def check(self, *keys: str) -> None:
        now = time.monotonic()
        for key in keys:
            q = self._recent(key, now)
            if len(q) >= self._limit(key):
                wait = int(60 - (now - q[0])) + 1
                raise TooManyRequests(f"Too many failed sign-ins; wait {wait} seconds and try again.")

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        for key in keys:
            self._failures[key].append(now)

    def succeeded(self, username_key: str) -> None:
        self._failures.pop(username_key, None)


def to_current_user(user: User, agency: Agency) -> CurrentUser:
    return CurrentUser(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        agency_id=agency.id,
        agency_code=agency.code,
        roles=tuple(user.roles),
    )


async def authenticate(session: AsyncSession, throttle: LoginThrottle, username: str, password: str,
                       client: str) -> CurrentUser:
    keys = (f"user:{username.lower()}", f"client:{client}")
    throttle.check(*keys)
    row = (await session.execute(
        select(User, Agency).join(Agency, User.agency_id == Agency.id).where(User.username == username)
    )).first()
    user, agency = (row if row else (None, None))
    if not verify_password(user.password_hash if user else None, password) or not user.active:
        throttle.failed(*keys)
        raise NotAuthenticated("Wrong username or password. Check both and try again.")
    throttle.succeeded(keys[0])
    return to_current_user(user, agency)


def _check_roles(roles: list[str]) -> None:
    unknown = sorted(set(roles) - KNOWN_ROLES)
    if unknown or not roles:
        raise Invalid(f"Unknown or missing role(s) {unknown or roles}: choose from {', '.join(sorted(KNOWN_ROLES))}.",
                      field="$.roles")


def _check_password(password: str) -> None:
    if len(password) < 8:
        raise Invalid("The password must have at least 8 characters.", field="$.password")


async def _agency(session: AsyncSession, agency_code: str) -> Agency:
    agency = (await session.execute(select(Agency).where(Agency.code == agency_code))).scalar_one_or_none()
    if agency is None:
        codes = (await session.execute(select(Agency.code).order_by(Agency.code))).scalars().all()
        raise NotFound(f"No agency with code {agency_code!r}; known agencies: {', '.join(codes) or 'none yet'}.")
    return agency


async def add_user(session: AsyncSession, *, username: str, password: str, display_name: str,
                   agency_code: str, roles: list[str], actor_id: int | None = None) -> User:
    _check_roles(roles)
    _check_password(password)
    agency = await _agency(session, agency_code)
    user = User(username=username, password_hash=hash_password(password), display_name=display_name,
                agency_id=agency.id, roles=list(roles))
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(f"The username {username!r} is taken; choose another.") from None
    session.add(AuditLog(actor_user_id=actor_id, action="user.add", entity_type="user", entity_id=str(user.id),
                         detail={"username": username, "roles": list(roles), "agency": agency_code}))
    return user


async def update_user(session: AsyncSession, gate: SessionGate, actor: CurrentUser, username: str, *,
                      active: bool | None = None, roles: list[str] | None = None, agency_code: str | None = None,
                      display_name: str | None = None, password: str | None = None) -> tuple[User, Agency]:
    """An admin changes a user. Deactivating them or setting a new password ends every session of
    theirs; a change of roles, agency or name applies to their live sessions within the session
    check's window (server/lib/auth.py). Audited, without the password."""
    user = (await session.execute(select(User).where(User.username == username).with_for_update(of=User))).scalar()
    if user is None:
        raise NotFound(f"There is no user {username!r}.")
    if user.id == actor.id and (active is False or (roles is not None and "admin" not in roles)):
        raise Invalid("You cannot deactivate yourself or take away your own admin role: ask another admin.",
                      field="$.active" if active is False else "$.roles")
    changes: dict[str, object] = {}
    if roles is not None:
        _check_roles(roles)
        changes["roles"] = {"from": list(user.roles), "to": list(roles)}
        user.roles = list(roles)
    if agency_code is not None:
        agency = await _agency(session, agency_code)
        if agency.id != user.agency_id:
            changes["agency"] = {"from": user.agency_id, "to": agency.id}
            user.agency_id = agency.id
    if display_name is not None:
        if not display_name.strip():
            raise Invalid("The display name must not be empty.", field="$.display_name")
        changes["display_name"] = True
        user.display_name = display_name
    if password is not None:
        _check_password(password)
        changes["password"] = True
        user.password_hash = hash_password(password)
    if active is not None and active != user.active:
        changes["active"] = {"from": user.active, "to": active}
        user.active = active
    await session.flush()
    ended = 0
    if active is False:
        ended = await end_user_sessions(session, gate, user.id, "user_deactivated", by=actor)
    elif password is not None:
        ended = await end_user_sessions(session, gate, user.id, "password_changed", by=actor)
    else:
        gate.user_changed(user.id)
    await audit(session, actor, "user.update", "user", str(user.id),
                {"username": username, "changes": changes, "sessions_ended": ended})
    agency = await session.get(Agency, user.agency_id)
    assert agency is not None
    return user, agency
