"""Sync status (shown on every screen) and the sync page (waiting and rejected records)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mobile import words
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
    record_type: str = ""  # "visit", "fix", "followup"


_KIND = {"visit": "Visit", "fix": "Fix", "followup": "Follow-up"}


def _title(entry: Any, ctx: Any = None) -> str:
    """"Visit: No answer · 3 Cavendish Road": what it is and where (the address or the street)."""
    kind = words._(_KIND.get(entry.record_type, entry.record_type))
    try:
        payload = json.loads(entry.payload or b"{}")
    except (ValueError, TypeError):
        payload = {}
    what = payload.get("outcome") or payload.get("category") or ""
    title = f"{kind}: {words._(label(what))}" if what else kind
    where = _where(payload, ctx)
    return f"{title} · {where}" if where else title


def _where(payload: dict, ctx: Any) -> str:
    if ctx is None:
        return ""
    store, op = ctx.store, payload.get("operation_id")
    household = payload.get("household_id")
    if household is None and payload.get("visit_id"):
        body = store.record_body(payload["visit_id"])
        household = json.loads(body).get("household_id") if body else None
    if household is not None and op is not None:
        row = store.household(op, household)
        return row.address if row is not None else ""
    if payload.get("street_id") is not None:
        street = ctx.street(payload["street_id"]) if ctx.operation_id == op else None
        return words._("{street} (whole street)").format(street=getattr(street, "name", str(payload["street_id"])))
    return ""


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


def photos_on_their_way(count: int) -> str:
    return (words._("1 photo on its way to the server") if count == 1
            else words._("{count} photos on their way to the server").format(count=count))


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
        self.status_short = ""  # the compact chip (portrait)
        self.status_kind = "unknown"  # sent / waiting / offline / rejected / unknown (its colour)
        self.drafts = 0
        self.photos_waiting = 0  # photos of saved records not on the server yet ("on its way")
        self.photos_text = ""  # the sync page's line about photos (on their way, refused and why)
        self.waiting_rows: list[OutboxRow] = []
        self.rejected_rows: list[OutboxRow] = []
        self.on_needs_sign_in: Callable[[str], None] | None = None
        #: Open a refused visit to correct it (the App shows the visit screen).
        self.on_correct: Callable[[str], None] | None = None
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
                 last_sync=_clock(state.last_sync_at, self.ctx.now()), error=error,
                 drafts=getattr(state, "drafts", 0), photos_waiting=getattr(state, "photos_waiting", 0))
        self._status()

    def _status(self) -> None:
        """The chip: never the all-good colour while anything waits or was refused; offline is
        "saved on this tablet", not an error."""
        if self.rejected:
            kind = "rejected"
            short = words._("{count} refused").format(count=self.rejected)
            text = words._("{count} refused by the server: open to correct").format(count=self.rejected)
        elif self.online is False:
            kind = "offline"
            short = f"{words._('Offline')} · {self.waiting}" if self.waiting else words._("Offline")
            text = (words._("Offline · {count} saved on this tablet").format(count=self.waiting) if self.waiting
                    else words._("Offline · everything was sent"))
        elif self.waiting:
            kind = "waiting"
            short = words._("{count} to send").format(count=self.waiting)
            text = words._("{count} waiting to send").format(count=self.waiting)
        elif self.photos_waiting and self.online is not None:
            kind = "waiting"
            short = (words._("1 photo") if self.photos_waiting == 1
                     else words._("{count} photos").format(count=self.photos_waiting))
            text = photos_on_their_way(self.photos_waiting)
        elif self.online is None:
            kind, short, text = "unknown", words._("Not connected"), words._("Not connected yet")
        else:
            kind = "sent"
            short = words._("All sent")
            text = short + (f" · {self.last_sync}" if self.last_sync else "")
        if self.syncing and kind != "offline":
            text += " · " + words._("sending…")
        self.set(status_text=text, status_short=short, status_kind=kind)

    def load_lists(self) -> None:
        store = self.ctx.store
        waiting = [OutboxRow(e.record_id, words._(_KIND.get(e.record_type, e.record_type)), _title(e, self.ctx),
                             _clock(e.created_at, self.ctx.now()), e.attempts, "", "", False, e.record_type)
                   for e in store.outbox_waiting(include_held=True)]
        rejected = [OutboxRow(e.record_id, words._(_KIND.get(e.record_type, e.record_type)), _title(e, self.ctx),
                              _clock(e.created_at, self.ctx.now()), e.attempts,
                              e.reason or words._("No reason given"), rejected_advice(e.reason, e.record_type), True,
                              e.record_type)
                    for e in store.outbox_rejected()]
        self.set(waiting_rows=waiting, rejected_rows=rejected, photos_text=self._photos_text(store))
        self.refresh()

    def _photos_text(self, store: Any) -> str:
        """Photos go apart from the records, after them: how many are on their way, and any the server
        would not take, with why (plain words from mobile.sync.messages)."""
        try:
            waiting, refused = len(store.photos_waiting()), store.photos_refused()
        except Exception:  # an older store or a closing app: the page shows the records anyway
            return ""
        lines = [photos_on_their_way(waiting) + " " + words._("(they go after the records).")] if waiting else []
        for reasons in dict.fromkeys(p.refused for p in refused):
            count = sum(1 for p in refused if p.refused == reasons)
            why = words._(reasons) if reasons else ""  # not words._(""): gettext("") is the catalog's header
            lines.append(words._("{count} photo(s) not sent: {why}").format(count=count, why=why))
        return "\n".join(lines)

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
            self.set(error=words._("Sign in first: the app does not know the server yet."))
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

    def correct(self, record_id: str) -> None:
        if self.on_correct:
            self.on_correct(record_id)

    def retry(self, record_id: str) -> None:
        try:
            self.ctx.store.retry_rejected(record_id)
        except Exception as exc:
            self.set(error=message_for(exc))
            return
        self.load_lists()
        self.ctx.request_sync()
