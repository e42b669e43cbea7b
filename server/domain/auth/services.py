"""Signing in and managing users."""

from __future__ import annotations

import time
from collections import defaultdict, deque

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Agency, AuditLog, User
from server.lib.auth import CurrentUser
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


async def add_user(session: AsyncSession, *, username: str, password: str, display_name: str,
                   agency_code: str, roles: list[str], actor_id: int | None = None) -> User:
    unknown = sorted(set(roles) - KNOWN_ROLES)
    if unknown or not roles:
        raise Invalid(f"Unknown or missing role(s) {unknown or roles}: choose from {', '.join(sorted(KNOWN_ROLES))}.",
                      field="$.roles")
    if len(password) < 8:
        raise Invalid("The password must have at least 8 characters.", field="$.password")
    agency = (await session.execute(select(Agency).where(Agency.code == agency_code))).scalar_one_or_none()
    if agency is None:
        codes = (await session.execute(select(Agency.code).order_by(Agency.code))).scalars().all()
        raise NotFound(f"No agency with code {agency_code!r}; known agencies: {', '.join(codes) or 'none yet'}.")
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
