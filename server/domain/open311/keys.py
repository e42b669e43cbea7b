"""Open311 API keys: one per agency, shown once when issued, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Agency
from server.lib.exceptions import NotFound

PREFIX = "d311_"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class KeyAgency:
    id: int
    code: str
    name: str


async def issue_key(session: AsyncSession, agency_code: str) -> str:
    """A new key for the agency (replacing any earlier one); returns the key, which is not stored."""
    key = PREFIX + secrets.token_urlsafe(32)
    done = (await session.execute(update(Agency).where(Agency.code == agency_code)
                                  .values(open311_key_hash=key_hash(key)).returning(Agency.id))).first()
    if done is None:
        raise NotFound(f"There is no agency {agency_code!r}.")
    return key


async def revoke_key(session: AsyncSession, agency_code: str) -> None:
    await session.execute(update(Agency).where(Agency.code == agency_code).values(open311_key_hash=None))


async def agency_for_key(session: AsyncSession, key: str | None) -> KeyAgency | None:
    if not key or not key.startswith(PREFIX) or len(key) > 200:
        return None
    row = (await session.execute(select(Agency.id, Agency.code, Agency.name)
                                 .where(Agency.open311_key_hash == key_hash(key)))).first()
    return KeyAgency(*row) if row else None
