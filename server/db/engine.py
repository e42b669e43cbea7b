"""Engines and sessions for code that runs outside a request (CLI, workers, tests)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from server.settings import get_settings


def make_engine(url: str | None = None, **kwargs) -> AsyncEngine:
    return create_async_engine(url or get_settings().database_url, **kwargs)


@contextlib.asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """One session, one transaction: committed if the block succeeds, rolled back if it raises."""
    maker = async_sessionmaker(engine, expire_on_commit=False)
    async with maker() as session, session.begin():
        yield session
