"""Photos on a record being written (issue 15): a fix's before and after, a follow-up's scene.

A photo is optional and joins a form in three steps: the camera (or, on a desktop, a file chosen)
gives a file; ``PhotoFields.add_photo`` reads it and hands it to the store's PhotoBox at once (cleaned
by the one rule, shared_schemas.photos.clean_photo, then kept AES-GCM encrypted), off the UI thread;
the form then holds only the photo's hash and stage (``{"sha256", "stage"}``), which the draft keeps
and the record sends (``PhotoRef``). A photo taken off a form before its record is saved leaves the
tablet (``Store.drop_unsaved_photo``). What a photo's state is ("on its way", "sent") is the store's
upload queue's (mobile.store.photo_queue).

A form names where a photo goes by a *target*: ``"fix:<category>"`` (a fix toggled on in a visit),
``"fu:<follow-up id>"`` (a follow-up card), ``"street"`` (the street screen's next fix).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from shared_schemas.photos import MAX_PHOTOS_PER_RECORD, PhotoError, PhotoRef, PhotoStage

from .messages import message_for

#: A file larger than this is not read at all (a camera's photo is a few MB; clean_photo refuses more
#: than 60 megapixels anyway, but only once the bytes are in memory).
MAX_FILE_BYTES = 40 * 1024 * 1024
TOO_MANY = f"At most {MAX_PHOTOS_PER_RECORD} photos for one record: remove one to add another."
FILE_TOO_BIG = f"This file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: choose a photo, not a video or archive."
UNREADABLE = "This file could not be read: choose another photo."


def refs(items: list[dict]) -> list[PhotoRef]:
    """The record's photo references for a form's photos."""
    return [PhotoRef(sha256=item["sha256"], stage=PhotoStage(item["stage"]) if item.get("stage") else None)
            for item in items]


def read_photo_file(path: str | Path) -> bytes:
    """The chosen or taken file's bytes, refusing one too large to be a photo (plain words)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise PhotoError(FILE_TOO_BIG, "too_large")
        return path.read_bytes()
    except OSError:
        raise PhotoError(UNREADABLE, "not_image") from None


class PhotoFields:
    """Photos on a form's records. The view-model using it has ``ctx`` and defines
    ``_photo_list(target)`` (the list of ``{"sha256", "stage"}`` a target holds) and
    ``_photos_changed()`` (write the draft, tell the screen)."""

    ctx: Any
    photo_error: str = ""  # the last photo that could not be added, and why
    adding_photo: str = ""  # the target a photo is being added to (cleaning takes a moment)
    photo_target: str = ""  # the target of the last photo added (where photo_error belongs)

    def _photo_list(self, target: str) -> list[dict]:
        raise NotImplementedError

    def _photos_changed(self) -> None:
        raise NotImplementedError

    def photos_of(self, target: str) -> list[dict]:
        """The photos a target holds ([] for one no longer on the form, e.g. a removed follow-up)."""
        try:
            return list(self._photo_list(target))
        except (StopIteration, ValueError, KeyError):
            return []

    def add_photo(self, target: str, path: str | Path, stage: str | None = None, *, remove_file: bool = False) -> None:
        """Read the photo at ``path``, clean it and keep it encrypted, then show it on the form (``target``).
        ``remove_file``: the camera's own file, which goes once read (only the encrypted copy stays)."""
        self.photo_target = target
        if len(self._photo_list(target)) >= MAX_PHOTOS_PER_RECORD:
            self._photo_failed(PhotoError(TOO_MANY, "too_many"))
            return
        if stage is not None:
            PhotoStage(stage)
        store = self.ctx.store

        def work() -> str:
            try:
                return store.photos().add(read_photo_file(path))
            finally:
                if remove_file:
                    from mobile.store.keys import shred

                    with contextlib.suppress(OSError):
                        shred(Path(path))

        self.adding_photo, self.photo_error = target, ""
        self._photos_changed()
        self.ctx.runner.run(work, lambda sha256: self._photo_added(target, sha256, stage), self._photo_failed)

    def _photo_added(self, target: str, sha256: str, stage: str | None) -> None:
        try:
            items = self._photo_list(target)
        except (StopIteration, ValueError, KeyError):  # its follow-up or form went meanwhile
            self.adding_photo = ""
            if sha256 not in self._form_photos():
                self._drop(sha256)
            self._photos_changed()
            return
        if not any(item["sha256"] == sha256 and item.get("stage") == stage for item in items):
            items.append({"sha256": sha256, "stage": stage})
        self.adding_photo = ""
        self._photos_changed()

    def _photo_failed(self, exc: BaseException) -> None:
        self.adding_photo = ""
        self.photo_error = exc.message if isinstance(exc, PhotoError) else message_for(exc)
        self._photos_changed()

    def remove_photo(self, target: str, sha256: str, stage: str | None = None) -> None:
        """Take a photo off the form; its file leaves the tablet unless the form or a saved record
        still refers to it."""
        items = self._photo_list(target)
        items[:] = [i for i in items if not (i["sha256"] == sha256 and (stage is None or i.get("stage") == stage))]
        self.photo_error = ""
        if sha256 not in self._form_photos():
            self._drop(sha256)
        self._photos_changed()

    def photo_bytes(self, sha256: str) -> bytes:
        """The cleaned photo, decrypted in memory only (for its thumbnail)."""
        return bytes(self.ctx.store.photos().read(sha256))

    def _form_photos(self) -> set[str]:
        """Every photo the form refers to now (overridden where a form has several lists)."""
        return set()

    def _drop(self, sha256: str) -> None:
        with contextlib.suppress(Exception):  # a file already gone is no reason to stop the form
            self.ctx.store.drop_unsaved_photo(sha256)

    def _drop_all(self, hashes: set[str]) -> None:
        for sha256 in hashes:
            self._drop(sha256)
