"""Sync status (shown on every screen) and the sync page (waiting and rejected records)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared_schemas.codes import label

from .base import Observable
from .context import AppContext
from .messages import message_for, outcome_error, rejected_advice


@dataclass(frozen=True)
class OutboxRow:
    record_id: str
    kind: str  # "Visit", "Fix", "Follow-up"
    title: str  # "Visit: No answer", "Fix: Graffiti removed"
    created: str  # "14:03"
    attempts: int
    reason: str  # the server's reason ("" while waiting)
    advice: str  # what the person can do ("" while waiting)
    rejected: bool


_KIND = {"visit": "Visit", "fix": "Fix", "followup": "Follow-up"}


def _title(entry: Any) -> str:
    kind = _KIND.get(entry.record_type, entry.record_type)
    try:
        payload = json.loads(entry.payload or b"{}")
    except (ValueError, TypeError):
        payload = {}
    what = payload.get("outcome") or payload.get("category") or ""
    return f"{kind}: {label(what)}" if what else kind


def _clock(iso: str | None, now: datetime | None = None) -> str:
    if not iso:
        return ""
    try:
        when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    local = when.astimezone()
    now = (now or datetime.now(UTC)).astimezone()
    return local.strftime("%H:%M") if local.date() == now.date() else local.strftime("%d %b %H:%M")


class SyncViewModel(Observable):
    """Mirrors the store's SyncState and the engine's events."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.waiting = 0
        self.rejected = 0
        self.online: bool | None = None
        self.last_sync = ""
        self.syncing = False
        self.error = ""
        self.status_text = ""
        self.waiting_rows: list[OutboxRow] = []
        self.rejected_rows: list[OutboxRow] = []
        self.on_needs_sign_in: Callable[[str], None] | None = None
        self._first_state = True
        ctx.add_sync_listener(self.on_event)

    def refresh(self) -> None:
        """Re-read the store (cheap: counts and the last sync time)."""
        try:
            state = self.ctx.store.sync_state()
        except Exception as exc:
            self.set(error=message_for(exc))
            return
        self._apply_state(state)

    def _apply_state(self, state: Any) -> None:
        # the error changes only with a sync outcome; at start-up the store's last one shows
        error = self.error or (state.last_error or "" if self._first_state else "")
        self._first_state = False
        self.set(waiting=state.waiting, rejected=state.rejected, online=state.online,
                 last_sync=_clock(state.last_sync_at, self.ctx.now()), error=error)
        self._status()

    def _status(self) -> None:
        parts = [f"{self.waiting} waiting"]
        if self.rejected:
            parts.append(f"{self.rejected} rejected")
        parts.append(f"last sync {self.last_sync}" if self.last_sync else "never synced")
        if self.syncing:
            parts.append("Syncing…")
        else:
            parts.append({True: "Online", False: "Offline", None: "Not connected yet"}[self.online])
        self.set(status_text=" · ".join(parts))

    def load_lists(self) -> None:
        store = self.ctx.store
        waiting = [OutboxRow(e.record_id, _KIND.get(e.record_type, e.record_type), _title(e),
                             _clock(e.created_at, self.ctx.now()), e.attempts, "", "", False)
                   for e in store.outbox_waiting()]
        rejected = [OutboxRow(e.record_id, _KIND.get(e.record_type, e.record_type), _title(e),
                              _clock(e.created_at, self.ctx.now()), e.attempts,
                              e.reason or "No reason given", rejected_advice(e.reason), True)
                    for e in store.outbox_rejected()]
        self.set(waiting_rows=waiting, rejected_rows=rejected)
        self.refresh()

    # -- engine events (already on the UI thread) -------------------------------------
    def on_event(self, event: Any) -> None:
        from mobile.sync import SyncOutcome, SyncStarted

        if isinstance(event, SyncStarted):
            self.set(syncing=True)
            self._status()
            return
        if isinstance(event, SyncOutcome):
            message = outcome_error(event) or ""
            self.set(syncing=False, error=message)
            if event.state is not None:
                self._apply_state(event.state)
            else:
                self.refresh()
            self.load_lists()
            if event.needs_sign_in and self.on_needs_sign_in:
                self.on_needs_sign_in(message)

    # -- actions ------------------------------------------------------------------------
    def sync_now(self) -> None:
        """Sync at once: on the engine's own thread when it runs, else through the runner."""
        engine = self.ctx.engine
        if engine is None:
            self.set(error="Sign in first: the app does not know the server yet.")
            return
        if self.ctx.engine_running:
            engine.request_sync()
            return
        self.set(syncing=True)
        self._status()
        self.ctx.runner.run(engine.sync_once, self.on_event, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.set(syncing=False, error=message_for(exc))
        self.refresh()

    def retry(self, record_id: str) -> None:
        try:
            self.ctx.store.retry_rejected(record_id)
        except Exception as exc:
            self.set(error=message_for(exc))
            return
        self.load_lists()
        self.ctx.request_sync()
