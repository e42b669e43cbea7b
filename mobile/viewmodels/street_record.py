"""A fix or a follow-up for a whole street (not one door)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from mobile import words
from shared_schemas.codes import FIX_CATEGORY_LABELS, FOLLOWUP_CATEGORY_LABELS, FixCategory, FollowupCategory
from shared_schemas.records import Fix

from .base import Observable
from .context import AppContext
from .followup import FollowupDraft, check_followup, live_problems
from .messages import message_for


class StreetRecordViewModel(Observable):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.street_id: int | None = None
        self.street_name = ""
        self.mode = "fix"  # or "followup"
        self.draft = FollowupDraft()
        self.errors: dict[str, str] = {}
        self.error = ""
        self.message = ""
        self.on_finished: Callable[[str], None] | None = None

    def start(self, street_id: int, mode: str) -> None:
        if mode not in ("fix", "followup"):
            raise ValueError(mode)
        street = self.ctx.street(street_id)
        self.street_id, self.mode = street_id, mode
        self.street_name = getattr(street, "name", "") if street is not None else ""
        self.error = self.message = ""
        self.draft = FollowupDraft()
        self.errors = {}
        self.changed("mode", "error", "draft", "errors")

    @property
    def has_work(self) -> bool:
        d = self.draft
        return self.mode == "followup" and bool(d.category or d.description.strip() or d.consent is not None)

    def log_fix(self, category: str) -> None:
        ctx = self.ctx
        assert ctx.operation_id is not None, "a street's record is made inside an operation"
        fix = Fix(id=uuid.uuid4(), operation_id=ctx.operation_id, team_id=ctx.team_id,
                  category=FixCategory(category), done_at=ctx.now(), street_id=self.street_id)
        what = words._(FIX_CATEGORY_LABELS[FixCategory(category)])
        ctx.runner.run(lambda: ctx.store.record_fix(fix),
                       lambda _r: self._done(words._("Saved: {what} on {street}").format(
                           what=what, street=self.street_name)), self._failed)

    def edit_followup(self, _followup_id: str | None = None, **values: Any) -> None:
        self.draft.edit(**values)
        for key in values:
            self.errors.pop(key, None)
        self.errors.update(live_problems(self.draft))
        self.changed("draft", "errors")

    def save(self) -> bool:
        ctx = self.ctx
        assert ctx.operation_id is not None, "a street's record is made inside an operation"
        record, errors = check_followup(self.draft, operation_id=ctx.operation_id, team_id=ctx.team_id,
                                        raised_at=ctx.now(), street_id=self.street_id)
        self.errors = errors
        self.changed("errors")
        if record is None:
            return False
        what = words._(FOLLOWUP_CATEGORY_LABELS[FollowupCategory(self.draft.category)])
        ctx.runner.run(lambda: ctx.store.record_followup(record),
                       lambda _r: self._done(words._("Follow-up raised: {what} on {street}").format(
                           what=what, street=self.street_name)), self._failed)
        return True

    def _done(self, message: str) -> None:
        self.message, self.error = message, ""
        self.draft = FollowupDraft()
        self.changed("message", "error")
        self.ctx.request_sync()
        if self.on_finished:
            self.on_finished(message)

    def _failed(self, exc: BaseException) -> None:
        self.error = message_for(exc)
        self.changed("error")
