"""Photos on the tablet: cleaned the moment they are taken or chosen, then kept AES-GCM encrypted.

``PhotoBox.add(raw)`` runs the one cleaning (shared_schemas.photos.clean_photo: orientation applied,
EXIF/GPS/XMP dropped, at most 1,600 px) and writes the result under ``photos/`` beside the store,
encrypted with AES-256-GCM under the store's photo key (HKDF of the master key,
mobile.store.cipher.photo_key): a random 96-bit nonce per file, the photo's hash as associated data,
so a file swapped for another's name does not decrypt. What a record refers to is the hash of the
cleaned bytes, which is also the name the upload carries (PUT /api/v1/photos/{sha256}).
A wipe order erases the folder with the store (mobile.store.cipher.erase).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mobile.store.errors import StoreError
from shared_schemas.photos import clean_photo

NONCE_BYTES = 12
DAMAGED = "A photo on this tablet is damaged or was not made here, so it cannot be shown or sent."


class PhotoBox:
    """The encrypted photos of one store (``folder`` is mobile.store.cipher.photos_dir(store path))."""

    def __init__(self, folder: Path, key: bytes) -> None:
        self.folder = Path(folder)
        self._aead = AESGCM(key)

    def _path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise StoreError("A photo's name must be its SHA-256 (64 hexadecimal characters).")
        return self.folder / sha256[:2] / f"{sha256}.photo"

    def add(self, raw: bytes) -> str:
        """Clean and keep a photo just taken or chosen; returns its hash (what records refer to).
        Raises shared_schemas.photos.PhotoError (with a message for the person) for a non-image."""
        clean = clean_photo(raw)
        sha256 = clean.sha256
        path = self._path(sha256)
        if path.exists():
            return sha256
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, clean.data, sha256.encode())
        temporary = path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, sealed)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
        return sha256

    def read(self, sha256: str) -> bytes:
        """The cleaned photo's bytes (for showing it, or for its upload)."""
        try:
            sealed = self._path(sha256).read_bytes()
        except FileNotFoundError:
            raise StoreError("This photo is no longer on this tablet.") from None
        try:
            data = self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], sha256.encode())
        except InvalidTag:
            raise StoreError(DAMAGED) from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise StoreError(DAMAGED)
        return data

    def remove(self, sha256: str) -> None:
        """Gone from the tablet (24 hours after the server has it, as free text)."""
        from mobile.store.keys import shred

        shred(self._path(sha256))

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*/*.photo"))
