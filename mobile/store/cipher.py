"""The store's files on disk: which key opens them, the one-time move from a plain SQLite file,
and setting an unreadable store aside.

Files of a store at ``doorstep.sqlite3``:

* ``doorstep.sqlite3`` (and ``-wal``, ``-shm``): SQLCipher, under a key derived from the store's
  master key (``mobile.store.keys``: 256 random bits kept by the platform's key keeper);
* ``doorstep.sqlite3.id``: the store's random id, which names its key (plain: it is no secret);
* ``photos/``: each photo AES-GCM encrypted under another key derived from the same master key
  (``mobile.store.photos``).

Subkeys are HKDF-SHA256 of the master key with distinct labels, so the database key and the photo
key are independent and the master key itself is used for nothing else.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlcipher3 import dbapi2 as sqlcipher

from mobile.store.errors import NO_KEY_MESSAGE, StoreUnreadableError
from mobile.store.keys import KeyStore, new_key, shred

PLAIN_HEADER = b"SQLite format 3\x00"
#: The suffixes SQLite adds beside a database file.
COMPANIONS = ("-wal", "-shm", "-journal")


def subkey(master: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"doorstep " + label).derive(master)


def database_key(master: bytes) -> bytes:
    return subkey(master, b"sqlcipher store v1")


def photo_key(master: bytes) -> bytes:
    return subkey(master, b"photos aes-gcm v1")


def id_path(path: Path) -> Path:
    return path.with_name(path.name + ".id")


def photos_dir(path: Path) -> Path:
    """Where the store at ``path`` keeps its encrypted photos."""
    return path.parent / "photos"


def companions(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in COMPANIONS]


def is_plain_sqlite(path: Path) -> bool:
    """A store written before encryption (its first 16 bytes are SQLite's plain header)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(16) == PLAIN_HEADER
    except FileNotFoundError:
        return False


def store_id(path: Path, *, create: bool) -> str | None:
    """The store's id (made on first use when `create`)."""
    file = id_path(path)
    try:
        value = file.read_text().strip()
    except FileNotFoundError:
        if not create:
            return None
        value = str(uuid.uuid4())
        temporary = file.with_name(file.name + ".tmp")
        temporary.write_text(value + "\n")
        os.replace(temporary, file)
    return value


def master_key(path: Path, keys: KeyStore) -> bytes:
    """The master key of the store at `path`: found, or made for a store not yet on disk.

    Raises StoreUnreadableError when an encrypted store is there but this device has no key for it.
    Also finishes a move from a plain store that an app killed mid-way left half done.
    """
    _recover_interrupted_encryption(path)
    exists = path.exists()
    sid = store_id(path, create=not exists or is_plain_sqlite(path))
    if sid is None:  # an encrypted store without its id file: copied without it
        raise StoreUnreadableError(NO_KEY_MESSAGE)
    key = keys.load(sid)
    if key is None:
        if exists and not is_plain_sqlite(path):
            raise StoreUnreadableError(NO_KEY_MESSAGE)
        key = new_key()
        keys.save(sid, key)  # before any file depends on it
    if is_plain_sqlite(path):
        encrypt_plain_store(path, key)
    return key


# ---------------------------------------------------------------- the one-time move from a plain store

def _encrypting(path: Path) -> Path:
    return path.with_name(path.name + ".encrypting")


def _old_plain(path: Path) -> Path:
    return path.with_name(path.name + ".plain-old")


def encrypt_plain_store(path: Path, master: bytes) -> None:
    """Copy a plain SQLite store into a new encrypted file, every table and row and the schema
    version, then put it in the plain one's place and shred the plain one.

    Crash-safe: the encrypted copy is complete and on disk before the plain file is moved aside,
    and the two renames are undone or finished by ``_recover_interrupted_encryption`` at the next
    open, so an app killed at any point loses nothing.
    """
    target = _encrypting(path)
    for leftover in [target, *companions(target)]:
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    plain = sqlcipher.connect(str(path), isolation_level=None)
    try:
        plain.execute("PRAGMA cipher_log_level = NONE")
        # Everything into the main file, and no WAL left beside it to confuse the encrypted copy.
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        plain.execute("PRAGMA journal_mode=DELETE")
        version = plain.execute("PRAGMA user_version").fetchone()[0]
        plain.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{database_key(master).hex()}'\"", (str(target),))
        plain.execute("SELECT sqlcipher_export('encrypted')")
        plain.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        plain.execute("DETACH DATABASE encrypted")
    finally:
        plain.close()
    _fsync(target)
    os.replace(path, _old_plain(path))
    os.replace(target, path)
    _fsync_folder(path.parent)
    _shred_plain(path)


def _recover_interrupted_encryption(path: Path) -> None:
    old, target = _old_plain(path), _encrypting(path)
    if not path.exists() and old.exists():
        # Killed between the two renames: the encrypted copy was complete (fsynced before them).
        if target.exists():
            os.replace(target, path)
        else:
            os.replace(old, path)
    if path.exists() and not is_plain_sqlite(path) and old.exists():
        _shred_plain(path)
    with contextlib.suppress(FileNotFoundError):
        if path.exists() and target.exists():
            target.unlink()


def _shred_plain(path: Path) -> None:
    old = _old_plain(path)
    for file in [old, *companions(old)]:
        shred(file)


# ---------------------------------------------------------------- a wipe order: everything goes

def erase(path: Path, keys: KeyStore | None) -> None:
    """Erase the store at ``path`` for good (a tablet marked lost or retired): its key first (without
    it nothing left on flash can be read), then the database, its companions, the photos and the id
    file, each overwritten before it is removed. The connection must be closed."""
    sid = store_id(path, create=False)
    if sid is not None and keys is not None:
        keys.delete(sid)
    for file in [path, *companions(path)]:
        shred(file)
    photos = photos_dir(path)
    if photos.is_dir():
        for file in sorted(photos.rglob("*"), reverse=True):
            if file.is_dir():
                with contextlib.suppress(OSError):
                    file.rmdir()
            else:
                shred(file)
        with contextlib.suppress(OSError):
            photos.rmdir()
    shred(id_path(path))
    _fsync_folder(path.parent)


# ---------------------------------------------------------------- an unreadable store: kept aside, never deleted

def set_aside(path: Path) -> Path:
    """Rename an unreadable store (and its id and companions) out of the way; returns the new name.

    Its key, if this device has one, stays where it is, filed under the store's id, so a damaged
    store can still be looked at by someone who knows how.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.unreadable-{stamp}")
    for source, target in [(path, aside), (id_path(path), id_path(aside)),
                           *zip(companions(path), companions(aside), strict=True)]:
        if source.exists():
            os.replace(source, target)
    return aside


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        _fsync(folder)
