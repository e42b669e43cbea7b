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
from .photos import PhotoFields
from .photos import refs as photo_refs


class StreetRecordViewModel(PhotoFields, Observable):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.street_id: int | None = None
        self.street_name = ""
        self.mode = "fix"  # or "followup"
        self.draft = FollowupDraft()
        self.fix_photos: list[dict] = []  # photos for the next fix tapped ("street")
        self.photo_error = self.adding_photo = ""
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
        self._drop_all(self._form_photos())  # photos of a form left unsaved
        self.draft = FollowupDraft()
        self.fix_photos = []
        self.photo_error = self.adding_photo = ""
        self.errors = {}
        self.changed("mode", "error", "draft", "errors", "photos")

    @property
    def has_work(self) -> bool:
        d = self.draft
        if self.fix_photos:
            return True
        return self.mode == "followup" and bool(d.category or d.description.strip() or d.consent is not None
                                                or d.photos)

    def log_fix(self, category: str) -> None:
        ctx = self.ctx
        assert ctx.operation_id is not None, "a street's record is made inside an operation"
        fix = Fix(id=uuid.uuid4(), operation_id=ctx.operation_id, team_id=ctx.team_id,
                  category=FixCategory(category), done_at=ctx.now(), street_id=self.street_id,
                  photos=photo_refs(self.fix_photos))
        what = words._(FIX_CATEGORY_LABELS[FixCategory(category)])
        if self.fix_photos:
            what += " " + (words._("(1 photo)") if len(self.fix_photos) == 1
                           else words._("({count} photos)").format(count=len(self.fix_photos)))
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
        self.fix_photos = []
        self.changed("message", "error", "photos")
        self.ctx.request_sync()
        if self.on_finished:
            self.on_finished(message)

    # -- photos (mobile.viewmodels.photos) -------------------------------------------------
    def _photo_list(self, target: str) -> list[dict]:
        if target == "street":
            return self.fix_photos
        if target == f"fu:{self.draft.id}":
            return self.draft.photos
        raise ValueError(target)

    def _photos_changed(self) -> None:
        self.changed("photos")

    def _form_photos(self) -> set[str]:
        return {item["sha256"] for item in [*self.fix_photos, *self.draft.photos]}

    def _failed(self, exc: BaseException) -> None:
        self.error = message_for(exc)
        self.changed("error")
