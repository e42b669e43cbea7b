"""Workers that run beside the server, one of each per process (notifications, imports, the nightly
retention run): one loop and one lifespan for all. What a worker does is leased in PostgreSQL (each
module says how), so any number of server processes may run the same workers (issue 18).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.engine import make_engine
from server.settings import Settings


class Worker(Protocol):
    async def run_forever(self) -> None: ...


W = TypeVar("W", bound=Worker)


async def run_every(step: Callable[[], Awaitable[object]], interval: float, log: logging.Logger, what: str,
                    wake: asyncio.Event | None = None) -> None:
    """``step`` now, then every ``interval`` seconds (or as soon as ``wake`` is set), for ever. A failure is
    logged by its type only (its message may quote a record) and the loop goes on: the database may be
    briefly away, and what was not done is still due at the next step."""
    wake = wake or asyncio.Event()
    while True:
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("%s: %s", what, type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), interval)
        wake.clear()


@contextlib.asynccontextmanager
async def beside_the_server(settings: Settings, name: str, interval: float, make: Callable[[AsyncEngine], W], *,
                            close: Callable[[W], Awaitable[None]] | None = None) -> AsyncIterator[W | None]:
    """A worker made by ``make`` on an engine of its own, its ``run_forever`` running as task ``name`` until
    the server stops; then ``close`` (if given) and the engine's disposal. An ``interval`` of 0 or less:
    no worker in this process (yields None)."""
    if interval <= 0:
        yield None
        return
    engine = make_engine(settings.database_url, pool_mode=settings.database_pool_mode, pool_size=2, max_overflow=2)
    worker = make(engine)
    task = asyncio.create_task(worker.run_forever(), name=name)
    try:
        yield worker
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if close is not None:
            await close(worker)
        await engine.dispose()
