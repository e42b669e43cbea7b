"""Engines and sessions: the options every engine gets, and sessions for code that runs outside a
request (CLI, workers, tests).

Behind PgBouncer in transaction mode (``DATABASE_POOL_MODE=transaction``) a server connection
belongs to a client for one transaction only, then serves another client. Nothing may outlive a
transaction on it, so:

- no named prepared statements: asyncpg's statement cache (``statement_cache_size``) and
  SQLAlchemy's prepared statement cache (``prepared_statement_cache_size``) are both off, so both
  use the unnamed statement, parsed and run inside the transaction (PgBouncer 1.18, Debian's, does
  not track prepared statements; 1.21 and later can, with ``max_prepared_statements``);
- no session state: settings are ``set_config(…, true)`` (transaction-local), advisory locks
  ``pg_advisory_xact_lock``, temporary tables ``ON COMMIT DROP``, and nothing uses ``LISTEN``.
  ``tests/scale/test_pgbouncer.py`` runs the sync and results tests through a PgBouncer that
  discards every server connection's state after each transaction, so a slip fails there.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from server.settings import get_settings, pool_mode_from_env


def connect_args(pool_mode: str) -> dict[str, Any]:
    """asyncpg's connection arguments for what sits in front of PostgreSQL (settings.POOL_MODES)."""
    if pool_mode == "transaction":
        return {"statement_cache_size": 0, "prepared_statement_cache_size": 0}
    return {}


def make_engine(url: str | None = None, *, pool_mode: str | None = None, **kwargs: Any) -> AsyncEngine:
    """An engine for ``url`` (default DATABASE_URL) set up for its pooler (default DATABASE_POOL_MODE)."""
    args = {**connect_args(pool_mode or pool_mode_from_env()), **kwargs.pop("connect_args", {})}
    return create_async_engine(url or get_settings().database_url, connect_args=args, **kwargs)


@contextlib.asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """One session, one transaction: committed if the block succeeds, rolled back if it raises."""
    maker = async_sessionmaker(engine, expire_on_commit=False)
    async with maker() as session, session.begin():
        yield session
