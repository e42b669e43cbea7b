"""The store's file opened as a test needs it: through SQLCipher with the store's own key (what
the app does), or as bytes, decrypted page by page (what a forensic reader with the key sees)."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

from sqlcipher3 import dbapi2 as sqlcipher

from mobile.store import cipher
from mobile.store.keys import default_key_store


def store_key(path: Path) -> bytes:
    """The master key of the store at `path`, from the key keeper the app uses."""
    sid = cipher.store_id(Path(path), create=False)
    assert sid is not None, f"{path} has no id file"
    key = default_key_store(Path(path).parent).load(sid)
    assert key is not None, f"no key for {path}"
    return key


def raw_connect(path: Path):
    conn = sqlcipher.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{cipher.database_key(store_key(path)).hex()}'\"")
    return conn


def raw_rows(path: Path, sql: str, params=()):
    with closing(raw_connect(path)) as conn:
        return conn.execute(sql, params).fetchall()


# ---------------------------------------------------------------- SQLCipher 4's pages, decrypted by hand
#
# SQLCipher 4 (its defaults, which the store keeps): 4,096-byte pages; each page's last 80 bytes are
# reserved for a 16-byte IV and a 64-byte HMAC-SHA512; the rest is AES-256-CBC under the raw key.
# Page 1 starts with the file's 16-byte salt in place of SQLite's header. A WAL frame is a 24-byte
# header and one such page, after the WAL's 32-byte header.

PAGE = 4096
RESERVE = 80
SALT = 16


def _decrypt_page(page: bytes, key: bytes, first: bool) -> bytes:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    start = SALT if first else 0
    iv = page[PAGE - RESERVE:PAGE - RESERVE + 16]
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(page[start:PAGE - RESERVE]) + decryptor.finalize()


def decrypted_pages(path: Path) -> bytes:
    """Every page of the store's file and of its WAL, decrypted with its key: free pages and old
    WAL frames included, so text that is gone from the tables but not from the file shows here."""
    key = cipher.database_key(store_key(path))
    out = []
    data = Path(path).read_bytes()
    for number in range(len(data) // PAGE):
        out.append(_decrypt_page(data[number * PAGE:(number + 1) * PAGE], key, first=number == 0))
    wal = Path(str(path) + "-wal")
    if wal.exists():
        frames = wal.read_bytes()[32:]
        size = 24 + PAGE
        for offset in range(0, len(frames) - size + 1, size):
            page_number = int.from_bytes(frames[offset:offset + 4], "big")
            out.append(_decrypt_page(frames[offset + 24:offset + size], key, first=page_number == 1))
    return b"".join(out)
