"""Photos of fixes and follow-ups: how a record names one, and the one way a photo is cleaned.

A record refers to a photo by the SHA-256 of the photo's bytes as the tablet made them
(``PhotoRef``); the photo itself travels apart (``PUT /api/v1/photos/{sha256}``), so a record is
never held back by a slow upload and an upload sent twice is stored once.

``clean_photo`` is the one cleaning, run on the tablet the moment a photo is taken or chosen and
again on the server when it arrives: the orientation the camera wrote in EXIF applied to the pixels
(``ImageOps.exif_transpose``), then a new image made from the pixels alone, so EXIF (GPS, the
camera's serial number, the time), XMP, IPTC, ICC profiles and comments are all left behind; the
longest side at most ``MAX_SIDE`` pixels; saved as a baseline JPEG. Only JPEG, PNG and WebP are
opened (Pillow's other decoders never see the bytes), and an image of more than ``MAX_PIXELS``
pixels is refused before it is decoded.
"""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import msgspec
from msgspec import Meta

#: The longest side of a photo after cleaning: a street scene stays readable, a photo ~200-400 KB.
MAX_SIDE = 1600
JPEG_QUALITY = 85
#: Refused before decoding: a 50-megapixel camera is the largest a tablet has; more is an attack.
MAX_PIXELS = 60_000_000
#: What a record may carry: a fix's before and after, a few of a follow-up's scene.
MAX_PHOTOS_PER_RECORD = 6
#: The formats opened; everything else is "not a photo".
FORMATS = ("JPEG", "PNG", "WEBP")
MEDIA_TYPE = "image/jpeg"

Sha256 = Annotated[str, Meta(pattern="^[0-9a-f]{64}$", description="SHA-256 of the photo's bytes, lower-case hex")]


class PhotoStage(StrEnum):
    """When a fix's photo was taken; a follow-up's photos have none."""

    BEFORE = "before"
    AFTER = "after"


class PhotoRef(msgspec.Struct, forbid_unknown_fields=False, kw_only=True, frozen=True):
    """A photo a record refers to (the photo itself is uploaded apart)."""

    sha256: Sha256
    stage: PhotoStage | None = None


class PhotoError(ValueError):
    """A photo that cannot be used; ``message`` says why in plain words, ``kind`` for the status code."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind  # "not_image", "too_large", "incomplete"


@dataclass(frozen=True, slots=True)
class CleanPhoto:
    data: bytes
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


NOT_IMAGE = "This is not a photo (only JPEG, PNG and WebP images are taken)."
TOO_BIG = f"This image has more than {MAX_PIXELS // 1_000_000} million pixels; take or choose a smaller photo."
INCOMPLETE = "This photo is incomplete (the file was cut short); take or choose it again."


_STRICT = threading.Lock()


def _load_whole(image: Any) -> None:
    """Decode every pixel, refusing a file cut short. Pillow would fill a cut-short image with grey
    when its process-wide ImageFile.LOAD_TRUNCATED_IMAGES is on, and WeasyPrint (the reports) turns
    it on when imported: a full run let a truncated upload in. So strict for this decode, then put back."""
    from PIL import ImageFile

    with _STRICT:
        lenient, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
        try:
            image.load()
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def clean_photo(data: bytes) -> CleanPhoto:
    """The photo re-encoded: orientation applied, every metadata block dropped, longest side at most
    MAX_SIDE, a JPEG. Raises PhotoError for anything that is not a whole JPEG, PNG or WebP image."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except UnidentifiedImageError:
        raise PhotoError(NOT_IMAGE, "not_image") from None
    except Image.DecompressionBombError:
        raise PhotoError(TOO_BIG, "too_large") from None
    except (OSError, ValueError, SyntaxError):
        raise PhotoError(NOT_IMAGE, "not_image") from None
    with image:
        width, height = image.size
        if width < 1 or height < 1:
            raise PhotoError(NOT_IMAGE, "not_image")
        if width * height > MAX_PIXELS:
            raise PhotoError(TOO_BIG, "too_large")
        try:
            _load_whole(image)
            upright = ImageOps.exif_transpose(image)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            raise PhotoError(INCOMPLETE, "incomplete") from None
        if upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info):
            rgba = upright.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
        else:
            flat = upright.convert("RGB")
        flat.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        # A new image from the pixels alone: nothing of the original's info (EXIF, XMP, ICC, comments)
        # can ride along into the saved file.
        bare = Image.frombytes("RGB", flat.size, flat.tobytes())
    out = io.BytesIO()
    bare.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return CleanPhoto(out.getvalue(), bare.width, bare.height)


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """The marker segments of a JPEG before its image data, as (marker, payload): what a check that
    no metadata is left reads (APP1 holds EXIF and XMP, APP13 IPTC, APP2 ICC, COM comments)."""
    segments: list[tuple[int, bytes]] = []
    if data[:2] != b"\xff\xd8":
        return segments
    at = 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xDA:  # start of scan: the pixels follow
            break
        length = int.from_bytes(data[at + 2:at + 4], "big")
        segments.append((marker, data[at + 4:at + 2 + length]))
        at += 2 + length
    return segments


__all__ = ["FORMATS", "MAX_PHOTOS_PER_RECORD", "MAX_PIXELS", "MAX_SIDE", "MEDIA_TYPE", "CleanPhoto", "PhotoError",
           "PhotoRef", "PhotoUploaded", "PhotoStage", "Sha256", "clean_photo", "jpeg_segments"]


class PhotoUploaded(msgspec.Struct, kw_only=True):
    """The answer to PUT /api/v1/photos/{sha256}: the photo as the server keeps it."""

    sha256: Sha256
    width: int
    height: int
    byte_size: int
