"""The nightly retention run: every server process looks every ``DOORSTEP_RETENTION_CHECK_SECONDS``
whether the day's run (at ``DOORSTEP_RETENTION_AT``, Europe/London) is due, and the one that leases
the job runs it (server/lib/daily.py): once a day with any number of servers, and at the first look
after the hour when every server was down then. ``DOORSTEP_RETENTION_CHECK_SECONDS`` of 0 or less:
this process never runs it (``doorstep retention run`` still does).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from server.domain.photos.storage import PhotoStore, photo_store
from server.domain.retention.service import JOB, RetentionReport, run_retention
from server.lib.background import beside_the_server, run_every
from server.settings import Settings

log = logging.getLogger("doorstep.retention")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class RetentionWorker:
    def __init__(self, engine: AsyncEngine, settings: Settings, store: PhotoStore, *,
                 clock: Callable[[], dt.datetime] = utc_now, job_name: str = JOB) -> None:
        self.engine = engine
        self.settings = settings
        self.store = store
        self.clock = clock  # a test's fake clock moves the days
        self.job_name = job_name  # a test's own row in scheduled_job keeps its days apart from the real job's

    async def run_once(self) -> RetentionReport | None:
        """The day's run if it is due and no other process has it; None otherwise."""
        report = await run_retention(self.engine, self.settings, self.store, self.clock(), job_name=self.job_name)
        if report is not None:
            log.info("retention: %s", report.summary())  # counts only
        return report

    async def run_forever(self) -> None:
        # A failed run left the day undone (its mark is in its transaction): the next look runs it again.
        await run_every(self.run_once, self.settings.retention_check_seconds, log, "retention worker")


@contextlib.asynccontextmanager
async def retention_lifespan(app: Any) -> AsyncIterator[None]:
    """Runs the worker beside the server (one per process; the job is leased, see server/lib/daily.py)."""
    settings: Settings = app.state.settings
    async with beside_the_server(settings, "doorstep-retention", settings.retention_check_seconds,
                                 lambda engine: RetentionWorker(engine, settings, photo_store(settings))):
        yield
