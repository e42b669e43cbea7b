"""Signing in and managing users."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.db.models import Agency, AuditLog, User
from server.domain.auth.sessions import end_user_sessions
from server.domain.auth.throttle import SignInThrottle
from server.lib.audit import audit
from server.lib.auth import CurrentUser, SessionGate
from server.lib.exceptions import Conflict, Invalid, NotAuthenticated, NotFound
from server.lib.passwords import hash_password_async, hashing_slot, verify_password_in_pool
from shared_schemas.codes import Role

KNOWN_ROLES = {r.value for r in Role}


async def authenticate(engine: AsyncEngine, throttle: SignInThrottle, username: str, password: str,
                       client: str) -> CurrentUser:
    """The user if the password is right and the account active; else 401 (the same answer, and the
    same time, for an unknown username), or 429 while failed attempts make this one wait.

    Holds no database connection while it waits for a hashing thread: a storm of sign-ins queued
    there must not take the pool from every other request (/health went 503 when it did)."""
    keys = throttle.keys(username, client)
    async with engine.connect() as conn:
        row = (await conn.execute(
            select(User.id, User.username, User.display_name, User.password_hash, User.active, User.roles,
                   Agency.id.label("agency_id"), Agency.code.label("agency_code"))
            .join(Agency, User.agency_id == Agency.id).where(User.username == username))).first()
    # One attempt at a time per hashing thread, judged against every failure recorded before it.
    async with hashing_slot():
        await throttle.check(engine, keys)
        right = await verify_password_in_pool(row.password_hash if row else None, password)
        if row is None or not right or not row.active:  # (no row: right is False, after the same work)
            await throttle.failed(engine, keys)
            raise NotAuthenticated("Wrong username or password. Check both and try again.")
    await throttle.succeeded(engine, keys)
    return CurrentUser(id=row.id, username=row.username, display_name=row.display_name, agency_id=row.agency_id,
                       agency_code=row.agency_code, roles=tuple(row.roles))


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


def _check_username(username: str) -> None:
    if not username or len(username) > 80 or any(c.isspace() or not c.isprintable() for c in username):
        raise Invalid("The username is 1 to 80 characters without spaces (e.g. j.smith or jsmith-police).",
                      field="$.username")


async def add_user(session: AsyncSession, *, username: str, password: str, display_name: str,
                   agency_code: str, roles: list[str], actor_id: int | None = None) -> User:
    _check_username(username)
    if not display_name.strip():
        raise Invalid("Give the person's name as colleagues know it (e.g. PC Jo Smith).", field="$.display_name")
    _check_roles(roles)
    _check_password(password)
    agency = await _agency(session, agency_code)
    user = User(username=username, password_hash=await hash_password_async(password), display_name=display_name,
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
        user.password_hash = await hash_password_async(password)
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
    return user, await session.get_one(Agency, user.agency_id)
