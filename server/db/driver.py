"""The asyncpg connection under a request's SQLAlchemy session, inside its transaction.

The sync hot paths (push, pull) talk to asyncpg directly: one set-based statement per
step, binary array parameters, no ORM objects. They run in the session's transaction, so
the SQLAlchemy plugin still commits after a 2xx and rolls everything back otherwise.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg connection of ``session``, with the session's transaction begun.

    SQLAlchemy's asyncpg adapter opens its transaction lazily, on the first statement it
    runs itself; a statement sent straight to asyncpg before that would run (and commit) on
    its own. So run one cheap statement through the session first if none has run yet.
    """
    conn = await session.connection()
    raw = (await conn.get_raw_connection()).driver_connection
    if raw is None:  # pragma: no cover - the pool hands out live connections
        raise RuntimeError("the session has no database connection")
    if not raw.is_in_transaction():
        await session.execute(text("SELECT 1"))
    if not raw.is_in_transaction():  # pragma: no cover - a change in SQLAlchemy's adapter
        raise RuntimeError("the session's transaction did not begin; refusing to write outside it")
    return raw
