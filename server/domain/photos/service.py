"""Receiving a photo: its hash checked, re-encoded (shared_schemas.photos.clean_photo), kept once.

The photo store is blocking code (files, or boto3), so it runs on a worker thread; so does the
re-encoding (Pillow), so a large photo never holds up the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

from sqlalchemy import exists, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Fix, Followup, Photo, RecordPhoto
from server.domain.operations.access import runs_operation, sees_followup
from server.domain.photos.storage import PhotoStore, photo_key
from server.lib.audit import audit
from server.lib.auth import CurrentUser
from server.lib.exceptions import BadRequest, Invalid, NotFound, PayloadTooLarge, UnsupportedMediaType
from shared_schemas.photos import PhotoError, clean_photo

HASH_MISMATCH = ("The photo's bytes do not match its name (their SHA-256): it was cut short or changed on the way. "
                 "Nothing was kept; the tablet sends it again.")


@dataclass(frozen=True, slots=True)
class Received:
    sha256: str
    width: int
    height: int
    byte_size: int
    created: bool  # False: it had arrived before (the upload is idempotent)


async def receive_photo(session: AsyncSession, store: PhotoStore, user: CurrentUser, sha256: str,
                        data: bytes) -> Received:
    """Keep the photo named ``sha256`` (the hash of ``data``, as the tablet made it): checked, cleaned,
    stored once. A photo that has arrived before is answered as it is, not stored again."""
    if hashlib.sha256(data).hexdigest() != sha256:
        raise BadRequest(HASH_MISMATCH, extra={"reason": "hash_mismatch"})
    await lock_photo(session, sha256)
    known = (await session.execute(select(Photo).where(Photo.sha256 == sha256))).scalar_one_or_none()
    if known is not None and await asyncio.to_thread(store.has, photo_key(sha256)):
        return Received(sha256, known.width, known.height, known.byte_size, created=False)
    # Not known, or known but its object is gone (a store restored from an older backup, a file removed
    # by hand): cleaned and stored (again), so the upload that says "kept" has really kept it.
    try:
        clean = await asyncio.to_thread(clean_photo, data)
    except PhotoError as exc:
        if exc.kind == "not_image":
            raise UnsupportedMediaType(exc.message, extra={"reason": "not_image"}) from None
        if exc.kind == "too_large":
            raise PayloadTooLarge(exc.message, extra={"reason": "too_many_pixels"}) from None
        raise Invalid(exc.message, extra={"reason": exc.kind}) from None
    # The file first, then the row: a row always has its file. Two uploads of the same photo at once
    # write the same bytes to the same key, and only one row is inserted.
    await asyncio.to_thread(store.put, photo_key(sha256), clean.data)
    inserted = (await session.execute(
        insert(Photo).values(sha256=sha256, byte_size=len(clean.data), width=clean.width, height=clean.height,
                             uploaded_by_user_id=user.id)
        .on_conflict_do_nothing(index_elements=["sha256"]).returning(Photo.sha256))).scalar_one_or_none()
    return Received(sha256, clean.width, clean.height, len(clean.data), created=inserted is not None and known is None)


async def lock_photo(session: AsyncSession, sha256: str) -> None:
    """Until the caller's transaction ends, nobody else stores or removes this photo's object: an upload
    and retention's removal of the same photo (server/domain/retention/service.py) take turns. The lock
    gives the transaction no id, so it holds back no tablet's pull (README, "The change cursor")."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended('photo:' || :sha256, 0))"),
                          {"sha256": sha256})


async def may_see_photo(session: AsyncSession, user: CurrentUser, sha256: str) -> bool:
    """A photo is seen through the records that refer to it: a follow-up's by whoever may see the
    follow-up (its partner agency, its operation's coordinators), a fix's by its operation's
    coordinators; admins see all."""
    if "admin" in user.roles:
        return True
    of_followups = (select(RecordPhoto.record_id).join(Followup, Followup.id == RecordPhoto.record_id)
                    .where(RecordPhoto.sha256 == sha256, RecordPhoto.record_type == "followup", sees_followup(user)))
    of_fixes = (select(RecordPhoto.record_id).join(Fix, Fix.id == RecordPhoto.record_id)
                .where(RecordPhoto.sha256 == sha256, RecordPhoto.record_type == "fix",
                       runs_operation(user, Fix.operation_id)))
    return bool((await session.execute(select(or_(exists(of_followups), exists(of_fixes))))).scalar())


@dataclass(frozen=True, slots=True)
class RecordPhotoView:
    sha256: str
    stage: str | None
    arrived: bool  # False: the record came, the photo is still on its way


async def photos_of(session: AsyncSession, record_id: object) -> list[RecordPhotoView]:
    """The photos a record refers to, in the order taken, each with whether it has arrived."""
    rows = (await session.execute(
        select(RecordPhoto.sha256, RecordPhoto.stage, Photo.sha256.is_not(None))
        .outerjoin(Photo, Photo.sha256 == RecordPhoto.sha256)
        .where(RecordPhoto.record_id == record_id).order_by(RecordPhoto.position))).all()
    return [RecordPhotoView(*row) for row in rows]


async def photo_bytes(session: AsyncSession, store: PhotoStore, user: CurrentUser, sha256: str) -> bytes:
    """The cleaned photo, for someone who may see it (``may_see_photo``; anyone else is told there is
    none, as for a photo that does not exist); the view is audited like residents' details."""
    known = (await session.execute(select(Photo.sha256).where(Photo.sha256 == sha256))).scalar_one_or_none()
    if known and not await may_see_photo(session, user, sha256):
        known = None
    data = await asyncio.to_thread(store.get, photo_key(sha256)) if known else None
    if data is None:
        raise NotFound("There is no photo with that hash that you may see (it may not have arrived yet, or was "
                       "removed).")
    await audit(session, user, "photo.view", "photo", sha256)
    return data
