"""Read-only work on a streaming replica, with the primary as the fallback.

``DATABASE_READ_URL`` names a PostgreSQL streaming replica (a hot standby) of ``DATABASE_URL``.
Reads that may be a moment behind go there: the dashboard's figures, open data, the OGC API and the
street-results exports. Their handlers take ``read_session`` (this module's dependency) for those
queries. Sync (push, pull, pack), access checks and every write stay on the primary's
``db_session``: a tablet reads its own writes, and the pull cursor is a position among the
primary's transactions (README, "The change cursor"), which a replica knows only once it has
replayed them.

Per request, :meth:`ReadReplica.choose` picks:

- no ``DATABASE_READ_URL``: the request's own session on the primary (no extra query);
- a replica that has replayed everything the primary had written a moment ago (the primary's WAL
  position, read at most once a second per process): the replica, "as of" that moment;
- a replica that is behind: the replica, as of the last transaction it replayed, if that is no
  older than ``DOORSTEP_READ_MAX_LAG_SECONDS``; otherwise the primary;
- a replica that does not answer (stopped, restarting, unreachable), or that is not a standby at
  all (a promoted one is another primary, and reading it could show what ours never had): the
  primary, and the replica is left alone for :data:`RETRY_SECONDS`.

An answer read from the replica says so: the ``Doorstep-Read-As-Of`` header (ISO 8601, UTC) on
every response, and "as of" on the pages (``as_of(request)`` for their templates).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.di import NamedDependency
from litestar.types import Message, Scope
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.db.engine import make_engine
from server.settings import Settings

log = logging.getLogger("doorstep.reads")

#: After the replica failed to answer, the primary serves reads this long before it is tried again.
RETRY_SECONDS = 5.0
#: How long one reading of the primary's WAL position serves (per process).
SAMPLE_SECONDS = 1.0
#: Seconds to wait for a connection to the replica before reading from the primary instead.
CONNECT_TIMEOUT_SECONDS = 2.0
#: The response header that says the answer was read from a replica, and as of when.
AS_OF_HEADER = "Doorstep-Read-As-Of"
_STATE_KEY = "doorstep_read_as_of"

_PRIMARY_POSITION = text("SELECT pg_current_wal_lsn()::text AS lsn, clock_timestamp() AS at")
_REPLICA_POSITION = text("""
SELECT pg_is_in_recovery() AS standby,
       pg_is_in_recovery() AND pg_last_wal_replay_lsn() >= CAST(CAST(:lsn AS text) AS pg_lsn) AS caught_up,
       pg_last_xact_replay_timestamp() AS replayed_at,
       clock_timestamp() AS now
""")


@dataclass(frozen=True)
class Position:
    """Where the replica stands against the primary."""

    standby: bool
    caught_up: bool  # replayed at least the primary's WAL position read at `sampled_at`
    replayed_at: dt.datetime | None  # commit time of the last transaction it replayed
    sampled_at: dt.datetime
    now: dt.datetime


def as_of_for(position: Position, max_lag: float) -> dt.datetime | None:
    """The moment the replica's data is complete up to, or None when it must not be read (not a
    standby, or further behind than ``max_lag`` seconds)."""
    if not position.standby:
        return None
    if position.caught_up:
        return position.sampled_at
    if position.replayed_at is None or (position.now - position.replayed_at).total_seconds() > max_lag:
        return None
    return position.replayed_at


class ReadReplica:
    """The replica's engine and what this process knows about it (safe to lose: asked again)."""

    def __init__(self, settings: Settings, primary: AsyncEngine) -> None:
        self.engine = make_engine(settings.database_read_url, pool_mode=settings.database_pool_mode,
                                  pool_pre_ping=True, connect_args={"timeout": CONNECT_TIMEOUT_SECONDS})
        self.primary = primary
        self.max_lag = settings.read_max_lag_seconds
        self._away_until = 0.0
        self._sample: tuple[float, str, dt.datetime] | None = None
        self._sampling = asyncio.Lock()

    async def _primary_position(self) -> tuple[str, dt.datetime]:
        async with self._sampling:
            if self._sample is None or time.monotonic() - self._sample[0] > SAMPLE_SECONDS:
                async with self.primary.connect() as conn:
                    row = (await conn.execute(_PRIMARY_POSITION)).one()
                self._sample = (time.monotonic(), row.lsn, row.at)
            return self._sample[1], self._sample[2]

    async def choose(self, session: AsyncSession) -> dt.datetime | None:
        """Ask ``session`` (on the replica) where it stands: the "as of" moment to read it at, or
        None to read from the primary."""
        if time.monotonic() < self._away_until:
            return None
        lsn, sampled_at = await self._primary_position()
        try:
            row = (await session.execute(_REPLICA_POSITION, {"lsn": lsn})).one()
        except (TimeoutError, OSError, SQLAlchemyError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            self._away_until = time.monotonic() + RETRY_SECONDS
            log.warning("read replica not answering (%s): reads go to the primary for %.0f s",
                        type(exc).__name__, RETRY_SECONDS)
            return None
        position = Position(row.standby, bool(row.caught_up), row.replayed_at, sampled_at, row.now)
        as_of = as_of_for(position, self.max_lag)
        if as_of is None and not position.standby:
            self._away_until = time.monotonic() + RETRY_SECONDS
            log.warning("DATABASE_READ_URL is not a standby (promoted, or a primary): reads go to the primary")
        return as_of

    async def aclose(self) -> None:
        await self.engine.dispose()


async def provide_read_session(request: Request,
                               db_session: NamedDependency[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """``read_session``: a session on the replica when it may be read, else the request's own."""
    replica: ReadReplica | None = request.app.state.read_replica
    if replica is None:
        yield db_session
        return
    session = AsyncSession(replica.engine, expire_on_commit=False)
    try:
        as_of = await replica.choose(session)
        if as_of is None:
            await session.close()
            yield db_session
        else:
            request.state[_STATE_KEY] = as_of
            yield session
    finally:
        await session.close()


def as_of(request: Request) -> dt.datetime | None:
    """When this request read a replica: the moment its figures are complete up to."""
    return request.state.get(_STATE_KEY)


def as_of_words(request: Request) -> str | None:
    """"as of" for a page that read a replica, e.g. "14:02:11 UTC on 1 December 2026"; None when it did not."""
    moment = as_of(request)
    if moment is None:
        return None
    moment = moment.astimezone(dt.UTC)
    return f"{moment:%H:%M:%S} UTC on {moment.day} {moment:%B %Y}"


def stamp(moment: dt.datetime) -> str:
    """The header's form of a moment: ISO 8601 in UTC, to the second."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


async def as_of_header(message: Message, scope: Scope) -> None:
    """before_send: the response of a request that read a replica says as of when."""
    if message["type"] == "http.response.start":
        moment = (scope.get("state") or {}).get(_STATE_KEY)
        if moment is not None:
            MutableScopeHeaders.from_message(message)[AS_OF_HEADER] = stamp(moment)


__all__: list[Any] = ["AS_OF_HEADER", "Position", "ReadReplica", "as_of", "as_of_for", "as_of_header",
                     "as_of_words", "provide_read_session"]
