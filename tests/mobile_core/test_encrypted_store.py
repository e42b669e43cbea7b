"""A lost tablet gives nothing away: the store is SQLCipher under a random key kept by the key
keeper, never beside it. Real files in tmp_path; the planted resident and token are looked for in
the bytes on disk, and (as a check that the test can see them at all) in the pages decrypted with
the key."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import keyring.backend
import msgspec
import pytest

from mobile.store import Store, StoreError, cipher, drafts, packs, records
from mobile.store.errors import StoreDamagedError, StoreUnreadableError
from mobile.store.keys import FileKeys, KeyringKeys
from mobile.store.schema import MIGRATIONS
from mobile.store.schema import migrate as migrate_schema
from shared_schemas.records import ResidentContact
from shared_schemas.sync import PushResult

from .builders import OPERATION_ID, followup_for, household_ids, make_pack, visit
from .raw import decrypted_pages, raw_rows

NAME, PHONE = "Mrs Hortensia Planted", "+447911123456"
TOKEN = "planted-token-9f3c6e1d2b7a4058"


def plant(store: Store, pack) -> None:
    """A resident's name and phone (a follow-up with consent, not yet sent) and a signed-in token."""
    v = visit(household_ids(pack)[0])
    followup = msgspec.structs.replace(followup_for(v), resident_consent=True,
                                       resident=ResidentContact(name=NAME, phone=PHONE))
    store.record_visit(v, followups=[followup])
    store.remember_sign_in("officer", "doorstep-demo", TOKEN, 3600, {"username": "officer"})


def files_of(path: Path) -> list[Path]:
    return [p for p in [path, *cipher.companions(path)] if p.exists()]


def every_byte_in(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_the_files_on_disk_hold_no_header_name_phone_or_token(tmp_path):
    pack = make_pack()
    path = tmp_path / "data" / "doorstep.sqlite3"
    path.parent.mkdir()
    store = Store.open(path)
    store.save_pack(pack)
    plant(store, pack)
    wal = path.with_name(path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0  # the planted rows are (also) in the WAL now
    for file in files_of(path):
        if file.name.endswith("-shm"):
            continue  # SQLite's shared-memory index: page numbers, no content
        data = file.read_bytes()
        assert not data.startswith(b"SQLite format 3"), file.name
        for planted in (NAME, PHONE, TOKEN, "doorstep-demo"):
            assert planted.encode() not in data, (planted, file.name)
    everything = every_byte_in(path.parent)
    for planted in (NAME, PHONE, TOKEN):
        assert planted.encode() not in everything  # nothing else in the data folder holds them
    # The test can see them when it decrypts the pages with the key: they really are in those files.
    decrypted = decrypted_pages(path)
    assert NAME.encode() in decrypted and TOKEN.encode() in decrypted
    store.close()


def test_stdlib_sqlite3_cannot_read_the_store(store, pack):
    plant(store, pack)
    with closing(sqlite3.connect(store.path)) as conn, pytest.raises(sqlite3.DatabaseError, match="not a database"):
        conn.execute("SELECT * FROM records").fetchall()


class OtherKey:
    """A key keeper that hands out a wrong (but well-formed) key."""

    description = "wrong key"

    def load(self, store_id):
        return b"\x42" * 32

    def save(self, store_id, key):
        raise AssertionError("a store that exists needs no new key")

    def delete(self, store_id):
        pass


def test_a_wrong_key_fails_with_a_message_and_changes_nothing(tmp_path):
    path = tmp_path / "doorstep.sqlite3"
    pack = make_pack()
    with Store.open(path) as store:
        store.save_pack(pack)
        plant(store, pack)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files_of(path)}
    with pytest.raises(StoreUnreadableError, match="its key does not open it") as refused:
        Store.open(path, keys=OtherKey())
    assert "Nothing was changed" in refused.value.message
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files_of(path)} == before
    with Store.open(path) as store:  # the right key still opens it, every record there
        assert len(store.outbox_waiting()) == 2


def test_a_store_from_another_device_is_refused_then_kept_aside(tmp_path):
    here, there = tmp_path / "tablet-a", tmp_path / "tablet-b"
    here.mkdir()
    pack = make_pack()
    with Store.open(here / "doorstep.sqlite3", keys=FileKeys(tmp_path / "keys-a")) as store:
        store.save_pack(pack)
        plant(store, pack)
    there.mkdir()
    for file in here.iterdir():  # the whole data folder copied onto another device
        (there / file.name).write_bytes(file.read_bytes())
    copied = there / "doorstep.sqlite3"
    with pytest.raises(StoreUnreadableError, match="no key for it on this device"):
        Store.open(copied, keys=FileKeys(tmp_path / "keys-b"))
    aside = Store.set_aside(copied)
    assert aside.exists() and not copied.exists()
    with Store.open(copied, keys=FileKeys(tmp_path / "keys-b")) as fresh:  # a new store starts
        assert fresh.outbox_waiting() == []
    assert aside.exists()  # the copied store is never deleted
    # Only the store file copied over another tablet's own store: that tablet's key does not open it.
    with Store.open(there / "own.sqlite3", keys=FileKeys(tmp_path / "keys-b")):
        pass
    (there / "own.sqlite3").write_bytes((here / "doorstep.sqlite3").read_bytes())
    with pytest.raises(StoreUnreadableError, match="copied from another device, or the file is damaged"):
        Store.open(there / "own.sqlite3", keys=FileKeys(tmp_path / "keys-b"))


def test_a_damaged_store_is_refused_at_the_first_page_and_reported_at_a_later_one(tmp_path):
    pack = make_pack()
    path = tmp_path / "doorstep.sqlite3"
    with Store.open(path) as store:
        store.save_pack(pack)
        plant(store, pack)
        [(outbox_page,)] = store._conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'outbox'")
        store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    broken = bytes(data)
    data[100:116] = os.urandom(16)  # page 1 damaged
    path.write_bytes(bytes(data))
    with pytest.raises(StoreUnreadableError, match="damaged"):
        Store.open(path)
    # Page 1 intact, the outbox's page damaged: it opens, and reading the outbox says what happened.
    data = bytearray(broken)
    start = (outbox_page - 1) * 4096
    data[start + 200:start + 216] = b"\x00" * 16
    path.write_bytes(bytes(data))
    store = Store.open(path)
    with pytest.raises(StoreDamagedError) as damaged:
        store.outbox_waiting()
    assert "damaged" in damaged.value.message and "Nothing else was changed" in damaged.value.message
    assert isinstance(damaged.value, StoreError)
    store.close()


# ---------------------------------------------------------------- the one-time move from a plain store

def plain_store(path: Path, pack) -> dict[str, list]:
    """A store as the app before encryption wrote it (plain SQLite, WAL), with a pack, records in
    the outbox, an acknowledged one, a draft and a sign-in; the WAL left un-checkpointed. Returns
    every table's rows. It has today's schema so that today's record writer fits it: the move copies
    whatever schema it finds (sqlcipher_export), and the migrations after it are test_store's."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    migrate_schema(conn)
    conn.execute("BEGIN")
    packs.save_pack(conn, pack, msgspec.json.encode(pack), '"v1"')
    doors = household_ids(pack)
    now = datetime.now(UTC)  # recent: nothing is due for the free-text erasure when the store opens
    first = msgspec.structs.replace(visit(doors[0]), visited_at=now)
    followup = msgspec.structs.replace(followup_for(first), resident_consent=True, raised_at=now,
                                       resident=ResidentContact(name=NAME, phone=PHONE))
    for record in (first, followup, visit(doors[1]), visit(doors[2])):
        records.insert_local(conn, record)
    drafts.save(conn, OPERATION_ID, doors[3], b'{"visit_id": "x"}', "officer")
    # The sign-in as that app wrote it: a scrypt verifier and the token (mobile/store/credentials.py before).
    salt = os.urandom(16)
    verifier = hashlib.scrypt(b"doorstep-demo", salt=salt, n=2**14, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=32)
    conn.execute("INSERT INTO credentials (username, salt, verifier, scrypt_n, scrypt_r, scrypt_p, user_json, token, "
                 "token_expires_at, signed_in_at) VALUES ('officer', ?, ?, 16384, 8, 1, '{\"username\": \"officer\"}', "
                 "?, NULL, '2026-11-30T10:00:00+00:00')", (salt, verifier, TOKEN))
    conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                     [("session_username", "officer"), ("session_offline", "0")])
    conn.execute("COMMIT")
    from mobile.store import outbox

    conn.execute("BEGIN")
    outbox.apply_push_results(conn, [PushResult(id=str(first.id), status="stored")])
    conn.execute("COMMIT")
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                         "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    rows = {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    # Left as an app killed now leaves it: the newest rows only in the WAL (closing would checkpoint).
    wal = path.with_name(path.name + "-wal")
    left = {file: file.read_bytes() for file in (path, wal)}
    assert len(left[wal]) > 0
    conn.close()
    for file, data in left.items():
        file.write_bytes(data)
    return rows


def test_a_plain_store_is_moved_into_an_encrypted_one_once_keeping_every_record(tmp_path):
    pack = make_pack()
    path = tmp_path / "doorstep.sqlite3"
    rows = plain_store(path, pack)
    assert path.read_bytes().startswith(b"SQLite format 3")
    with Store.open(path) as store:
        assert store.current_pack(OPERATION_ID) == pack
        assert len(store.outbox_waiting()) == 3 and len(store.drafts()) == 1
        assert store.current_session().token == TOKEN
        assert store._conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    for table, before in rows.items():  # every row of every table, byte for byte (newer columns added after)
        after = sorted(raw_rows(path, f"SELECT * FROM {table}"), key=repr)
        assert [row[:len(before[0])] for row in after] == before if before else after == [], table
    assert not path.read_bytes().startswith(b"SQLite format 3")
    leftovers = [p.name for p in tmp_path.iterdir() if "plain" in p.name or "encrypting" in p.name]
    assert leftovers == []
    assert NAME.encode() not in every_byte_in(tmp_path) and TOKEN.encode() not in every_byte_in(tmp_path)
    with Store.open(path) as again:  # once: the second open finds it encrypted
        assert len(again.outbox_waiting()) == 3


def test_an_app_killed_between_the_two_renames_finishes_the_move_at_the_next_open(tmp_path, monkeypatch):
    pack = make_pack()
    path = tmp_path / "doorstep.sqlite3"
    plain_store(path, pack)
    real_replace = os.replace

    def killed_after_the_first(source, target):
        if str(source).endswith(".encrypting"):  # the plain file moved aside, the encrypted one not yet in place
            raise KeyboardInterrupt("killed")
        real_replace(source, target)

    monkeypatch.setattr(cipher.os, "replace", killed_after_the_first)
    with pytest.raises(KeyboardInterrupt):
        Store.open(path)
    monkeypatch.setattr(cipher.os, "replace", real_replace)
    assert not path.exists()
    with Store.open(path) as store:
        assert len(store.outbox_waiting()) == 3 and store.current_session().token == TOKEN
    assert [p.name for p in tmp_path.iterdir() if "plain" in p.name or "encrypting" in p.name] == []


# ---------------------------------------------------------------- where the key lives

class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend (the ``keyring`` package's interface) that keeps passwords in memory.

    ``keyring`` registers every subclass and would pick a viable one as the process's default
    keyring; this one is never viable (its priority raises), so only the test that passes it uses it.
    """

    @keyring.backend.properties.classproperty
    def priority(cls):
        raise RuntimeError("a test keyring: only where a test passes it explicitly")

    def __init__(self):
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.passwords.get((service, username))

    def set_password(self, service, username, password):
        self.passwords[(service, username)] = password

    def delete_password(self, service, username):
        import keyring.errors

        if self.passwords.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not there")


def test_with_an_os_keyring_the_key_lives_only_in_the_keyring(tmp_path):
    backend = MemoryKeyring()
    path = tmp_path / "doorstep.sqlite3"
    with Store.open(path, keys=KeyringKeys(backend)) as store:
        store.save_pack(make_pack())
    [(service, store_id)] = backend.passwords
    assert service == "doorstep-tablet-store" and store_id == cipher.store_id(path, create=False)
    key = bytes.fromhex(backend.passwords[(service, store_id)])
    assert len(key) == 32
    assert key not in every_byte_in(tmp_path) and key.hex().encode() not in every_byte_in(tmp_path)
    with Store.open(path, keys=KeyringKeys(backend)) as store:
        assert store.current_pack(OPERATION_ID) is not None
    backend.passwords.clear()  # the key gone: the store is noise
    with pytest.raises(StoreUnreadableError, match="no key"):
        Store.open(path, keys=KeyringKeys(backend))


def test_the_fallback_key_file_is_the_users_alone_and_not_in_the_data_folder(tmp_path):
    data, keys = tmp_path / "data", tmp_path / "config" / "doorstep" / "keys"
    data.mkdir()
    with Store.open(data / "doorstep.sqlite3", keys=FileKeys(keys)):
        pass
    [key_file] = keys.iterdir()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    assert len(key_file.read_bytes()) == 32
    assert key_file.read_bytes() not in every_byte_in(data)
    assert sorted(p.name for p in data.iterdir()) == ["doorstep.sqlite3", "doorstep.sqlite3.id"]
