"""PUT /api/v1/photos/{sha256} (tablets upload, idempotent) and GET (coordinators see, audited)."""

from __future__ import annotations

from litestar import Request, Response, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.photos.service import photo_bytes, receive_photo
from server.domain.photos.storage import PhotoStore, photo_store
from server.lib.auth import current_user, requires
from server.lib.exceptions import BadRequest, PayloadTooLarge
from server.lib.openapi import answers
from shared_schemas.photos import MEDIA_TYPE, PhotoUploaded

SHA256_PATH = "{sha256:str}"


def store_of(request: Request) -> PhotoStore:
    """The photo store the settings name, made once per process."""
    state = request.app.state
    if getattr(state, "photo_store", None) is None:
        state.photo_store = photo_store(state.settings)
    return state.photo_store


async def _read_photo(request: Request) -> bytes:
    limit = request.app.state.settings.photo_max_bytes
    too_large = PayloadTooLarge(f"The photo is larger than {limit // (1024 * 1024)} MB, the most one may be "
                                "(DOORSTEP_PHOTO_MAX_MB). The app makes photos far smaller than that: take it again "
                                "with the app.", extra={"reason": "too_large"})
    announced = request.headers.get("content-length")
    if announced and announced.isdigit() and int(announced) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _checked_hash(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise BadRequest("A photo is named by the SHA-256 of its bytes: 64 lower-case hexadecimal characters.",
                         extra={"reason": "bad_hash"})
    return sha256


@put("/api/v1/photos/" + SHA256_PATH, tags=["photos"], summary="Upload a photo (idempotent)",
     guards=[requires("visitor", "coordinator")], request_max_body_size=None,
     description="The body is the photo itself (`image/jpeg`, `image/png`, `image/webp`), named by the SHA-256 "
                 "of exactly those bytes. The server checks the hash, re-encodes the photo (orientation applied, "
                 "all EXIF, GPS and XMP removed, at most 1,600 px) and keeps it once: 201 the first time, 200 "
                 "when it had arrived before (a retry, or the same photo twice at once).",
     **answers(400, 401, 403, 413, 415, 422, when={
         400: "The bytes do not match the hash in the path (`extra.reason` hash_mismatch: cut short or changed on "
              "the way), or the path is not a SHA-256.",
         413: "Larger than DOORSTEP_PHOTO_MAX_MB, or more pixels than any tablet camera makes.",
         415: "Not a JPEG, PNG or WebP image.",
         422: "The image is cut short inside (a truncated file whose own hash was sent)."}))
async def upload_photo(sha256: FromPath[str], request: Request,
                       db_session: NamedDependency[AsyncSession]) -> Response[PhotoUploaded]:
    sha256 = _checked_hash(sha256)
    data = await _read_photo(request)
    got = await receive_photo(db_session, store_of(request), current_user(request), sha256, data)
    body = PhotoUploaded(sha256=got.sha256, width=got.width, height=got.height, byte_size=got.byte_size)
    return Response(body, status_code=201 if got.created else 200)


@get("/api/v1/photos/" + SHA256_PATH, tags=["photos"], summary="A photo of a fix or follow-up (audited)",
     media_type=MEDIA_TYPE,
     description="Partners see the photos of the follow-ups routed to their agency, coordinators the photos of "
                 "their operations' fixes and follow-ups, admins all; each view is in the audit log.",
     **answers(400, 401, 404, when={404: "No such photo that you may see (not arrived yet, removed, or not on a "
                                         "record you may see)."}))
async def get_photo(sha256: FromPath[str], request: Request, db_session: NamedDependency[AsyncSession]) -> Response:
    data = await photo_bytes(db_session, store_of(request), current_user(request), _checked_hash(sha256))
    return Response(data, media_type=MEDIA_TYPE, headers={"Cache-Control": "private, no-store"})


ROUTES = [upload_photo, get_photo]
