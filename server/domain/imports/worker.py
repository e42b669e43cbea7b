"""The import worker: runs queued uploads, in any number of server processes at once.

Like the notification sender, a job is leased, not locked: a short transaction sets ``claimed_until``
(``FOR UPDATE SKIP LOCKED`` among queued jobs and running ones whose lease ran out), counts an attempt
and commits. ``attempts`` is the claim's token: progress and the outcome are written only while the
row still carries it, so a worker whose lease ran out and was taken over changes nothing. While the
import runs, a heartbeat writes its progress and extends the lease every half second, in short
transactions of their own. The import itself is one transaction (all or nothing): a job stopped
halfway, by an error or a dead process, has imported nothing, and runs again from the start (the
imports are idempotent: UPRNs and OSM references key the rows) until MAX_ATTEMPTS.

The file's bytes wait in the job row, so whichever process claims it can run it; they are dropped
when the job ends. Settings: DOORSTEP_IMPORT_INTERVAL_SECONDS (2; 0 or less: no worker in that
process). An upload wakes its own process's worker at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.engine import transaction
from server.db.models import Operation
from server.lib.background import beside_the_server, run_every
from server.lib.exceptions import DoorstepError
from server.settings import Settings

log = logging.getLogger("doorstep.imports")

LEASE_SECONDS = 60.0
HEARTBEAT_SECONDS = 0.5
MAX_ATTEMPTS = 3

_CLAIM = text("""
UPDATE import_job AS j
   SET status = 'running', attempts = j.attempts + 1, started_at = coalesce(j.started_at, now()),
       claimed_until = now() + make_interval(secs => CAST(:lease AS double precision)), step = 'starting'
 WHERE j.id = (SELECT c.id FROM import_job AS c
                WHERE c.status = 'queued' OR (c.status = 'running' AND c.claimed_until < now())
                ORDER BY c.id LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING j.id, j.operation_id, j.kind, j.filename, j.content, j.attempts
""")

_BEAT = text("""
UPDATE import_job SET step = :step, done = :done, total = :total,
       claimed_until = now() + make_interval(secs => CAST(:lease AS double precision))
 WHERE id = :id AND attempts = :attempt AND status = 'running'
""")

_FINISH = text("""
UPDATE import_job SET status = :status, summary = CAST(:summary AS jsonb), error = :error, content = NULL,
       finished_at = now(), claimed_until = NULL, step = :step
 WHERE id = :id AND attempts = :attempt AND status = 'running'
""")


class Progress:
    """What the import reports (step, done, total); the heartbeat writes the latest."""

    def __init__(self) -> None:
        self.step, self.done, self.total = "reading the file", 0, 0

    def __call__(self, step: str, done: int, total: int) -> None:
        self.step, self.done, self.total = step, done, total


class ImportWorker:
    def __init__(self, engine: AsyncEngine, settings: Settings):
        self.engine = engine
        self.settings = settings
        self.wakeup = asyncio.Event()

    async def run_once(self) -> int:
        """Run every job that is due; returns how many were run."""
        ran = 0
        while await self._one():
            ran += 1
        return ran

    async def run_forever(self) -> None:
        await run_every(self.run_once, self.settings.import_interval_seconds, log, "import worker", self.wakeup)

    async def _one(self) -> bool:
        async with transaction(self.engine) as session:
            row = (await session.execute(_CLAIM, {"lease": LEASE_SECONDS})).mappings().first()
        if row is None:
            return False
        token = {"id": row["id"], "attempt": row["attempts"]}
        if row["attempts"] > MAX_ATTEMPTS:
            await self._finish(token, "failed", None, f"The import stopped {MAX_ATTEMPTS} times without finishing "
                               "(the server restarted or ran out of time); nothing was imported. Upload the file "
                               "again, or import it with the doorstep command.")
            return True
        progress = Progress()
        beat = asyncio.create_task(self._heartbeat(token, progress))
        try:
            summary = await self._run(row, progress)
        except DoorstepError as exc:
            outcome: tuple[str, Any, str | None] = ("failed", None, exc.detail + " Nothing was imported.")
        except Exception as exc:  # the server's own failure: say so, log only its type
            log.error("import job %s failed: %s", row["id"], type(exc).__name__)
            outcome = ("failed", None, "The import stopped on a server error; nothing was imported. Try again.")
        else:
            outcome = ("done", summary, None)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
        await self._finish(token, *outcome)
        return True

    async def _heartbeat(self, token: dict, progress: Progress) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            with contextlib.suppress(Exception):  # a missed beat is not a failure; the lease is long
                async with transaction(self.engine) as session:
                    await session.execute(_BEAT, {**token, "step": progress.step, "done": progress.done,
                                                  "total": progress.total, "lease": LEASE_SECONDS})

    async def _finish(self, token: dict, status: str, summary: Any, error: str | None) -> None:
        async with transaction(self.engine) as session:
            await session.execute(_FINISH, {**token, "status": status, "error": error,
                                            "summary": msgspec.json.encode(summary).decode() if summary else None,
                                            "step": "finished" if status == "done" else "failed"})

    async def _run(self, row: Any, progress: Progress) -> dict[str, Any]:
        data: bytes = row["content"] or b""
        if row["kind"] == "addresses":
            return await self._addresses(row, data, progress)
        return await self._osm(row, data, progress)

    async def _addresses(self, row: Any, data: bytes, progress: Progress) -> dict[str, Any]:
        from server.domain.addresses.importer import import_addresses
        from server.domain.addresses.reader import read_addresses

        lines = max(data.count(b"\n"), 1)
        addresses = await asyncio.to_thread(read_addresses, data, row["filename"],
                                            lambda n: progress("reading the file", n, lines))
        async with transaction(self.engine) as session:
            operation = await session.get_one(Operation, row["operation_id"])
            summary = await import_addresses(session, addresses, operation, progress)
        return summary.as_dict()

    async def _osm(self, row: Any, data: bytes, progress: Progress) -> dict[str, Any]:
        from server.domain.addresses.importer import lock_operation_imports
        from server.domain.areas.importer import import_area
        from server.domain.areas.osm_reader import read_area
        from server.domain.imports.jobs import osm_suffix
        from server.domain.operations.lifecycle import ensure_editable

        progress("reading the file", 0, 1)
        with tempfile.TemporaryDirectory(prefix="doorstep-osm-") as folder:
            path = Path(folder) / ("upload" + (osm_suffix(data) or ".osm"))
            path.write_bytes(data)
            area = await asyncio.to_thread(read_area, path)
        async with transaction(self.engine) as session:
            operation = await session.get_one(Operation, row["operation_id"])
            ensure_editable(operation, "its streets and doors")
            await lock_operation_imports(session, operation.id)
            summary = await import_area(session, area, operation.name, progress)
        return dict(summary.__dict__.items())


@contextlib.asynccontextmanager
async def import_lifespan(app: Any) -> AsyncIterator[None]:
    """Runs the worker beside the server (one per process; jobs are leased, see the module docstring)."""
    settings: Settings = app.state.settings
    async with beside_the_server(settings, "doorstep-imports", settings.import_interval_seconds,
                                 lambda engine: ImportWorker(engine, settings)) as worker:
        app.state.import_worker = worker
        yield


def wake(app: Any) -> None:
    worker = getattr(app.state, "import_worker", None)
    if worker is not None:
        worker.wakeup.set()

