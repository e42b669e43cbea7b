"""The app killed with SIGKILL at random moments, while saving and while syncing.

Each test forks real child processes that work on a real SQLite file, kills them at a
random moment, then checks the file as the next app start would find it.
"""

from __future__ import annotations

import os
import random
import signal
import time

import pytest
from sqlcipher3 import dbapi2 as sqlcipher

from mobile.store import Store, StoreError
from mobile.sync import HttpTransport, SyncEngine
from shared_schemas.codes import TABLET_OUTCOMES, Outcome

from .builders import fix_for, followup_for, make_pack, visit
from .fakes import GOOD_TOKEN, FakeHttpServer, FakeServer

KILLS = 200


def run_child(work, *args) -> tuple[int, int]:
    """Fork a child running work(write_fd, *args); returns (pid, read_fd). The child never returns."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never back into pytest
        os.close(read_fd)
        try:
            work(write_fd, *args)
        finally:
            os._exit(0)
    os.close(write_fd)
    return pid, read_fd


def kill_and_collect(pid: int, read_fd: int, delay: float) -> list[list[str]]:
    """Kill the child after `delay` seconds; return the lines it reported, each a list of ids."""
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return read_reports(read_fd)


def read_reports(read_fd: int) -> list[list[str]]:
    """Every line the child wrote, each a list of ids."""
    chunks = []
    while chunk := os.read(read_fd, 65536):
        chunks.append(chunk)
    os.close(read_fd)
    # A line is written with one write() of < PIPE_BUF bytes, so it is whole or absent.
    return [line.split(",") for line in b"".join(chunks).decode().splitlines()]


def save_forever(write_fd: int, path: str, seed: int) -> None:
    """The child: save visits (some with a fix and a follow-up); after each commit, report its ids."""
    rng = random.Random(seed)
    pack = make_pack()
    with Store.open(path) as store:
        if store.current_pack(pack.operation.id) is None:
            store.save_pack(pack)
        doors = [h.id for h in pack.households]
        while True:
            v = visit(rng.choice(doors), rng.choice(TABLET_OUTCOMES))
            extras = ([fix_for(v)], [followup_for(v)]) if rng.random() < 0.3 else ((), ())
            store.record_visit(v, *extras)
            ids = [str(v.id)] + [str(r.id) for group in extras for r in group]
            os.write(write_fd, (",".join(ids) + "\n").encode())


def check_after_crash(path) -> set[str]:
    """Open as the next app start would; return the local record ids. Fails on any damage."""
    with Store.open(path) as store:
        conn = store._conn
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        local = {r[0] for r in conn.execute("SELECT id FROM records WHERE origin = 'local'")}
        queued = {r[0] for r in conn.execute("SELECT record_id FROM outbox")}
        assert local == queued, "a record without its outbox row, or the reverse"
        return local


def test_saving_survives_200_kills_at_random_moments(tmp_path):
    rng = random.Random(2026)
    reported: set[str] = set()
    path = tmp_path / "kill-0.db"
    started = time.monotonic()
    for kill in range(KILLS):
        if kill % 25 == 0:  # a new file now and then, so some kills land while it is created and migrated
            path = tmp_path / f"kill-{kill}.db"
            reported = set()
        pid, read_fd = run_child(save_forever, str(path), kill)
        lines = kill_and_collect(pid, read_fd, rng.uniform(0.0005, 0.04))
        if not path.exists():
            continue  # killed before SQLite created the file
        try:
            saved = check_after_crash(path)
        except (sqlcipher.DatabaseError, StoreError) as exc:  # keep the evidence in the failure message
            pytest.fail(f"kill {kill}: store unusable after SIGKILL: {exc}")
        for ids in lines:
            reported.update(ids)
        missing = reported - saved
        assert not missing, f"kill {kill}: {len(missing)} record(s) reported saved are gone"
    assert time.monotonic() - started < 60


def save_and_sync_forever(write_fd: int, path: str, url: str, seed: int) -> None:
    """The child: the app in the field, saving visits and syncing in small batches, over real HTTP."""
    rng = random.Random(seed)
    pack = make_pack()
    with Store.open(path) as store:
        doors = [h.id for h in pack.households]
        engine = SyncEngine(store, HttpTransport(url, GOOD_TOKEN), batch_size=3)
        while True:
            for _ in range(rng.randrange(1, 4)):
                v = visit(rng.choice(doors), rng.choice(TABLET_OUTCOMES))
                store.record_visit(v, followups=[followup_for(v)] if rng.random() < 0.3 else ())
                os.write(write_fd, f"{v.id}\n".encode())
            engine.sync_once()


def test_sync_resumes_cleanly_after_kills_mid_sync(tmp_path):
    rng = random.Random(7)
    pack = make_pack()
    server = FakeServer([pack])
    path = tmp_path / "syncing.db"
    with Store.open(path) as store:
        store.save_pack(pack)
    reported: set[str] = set()
    with FakeHttpServer(server) as http:
        for kill in range(30):
            pid, read_fd = run_child(save_and_sync_forever, str(path), http.url, kill)
            for ids in kill_and_collect(pid, read_fd, rng.uniform(0.01, 0.25)):
                reported.update(ids)
        stored_while_killed = len(server.records)
        with Store.open(path) as store:
            assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            outcome = SyncEngine(store, HttpTransport(http.url, GOOD_TOKEN)).sync_until_done(sleep=lambda s: None)
            assert outcome.ok and store.outbox_waiting() == [] and store.outbox_rejected() == []
            local = {
                r[0] for r in store._conn.execute("SELECT id FROM records WHERE origin = 'local' AND type = 'visit'")
            }
    assert stored_while_killed > 0  # the kills did land mid-sync, with records already on the server
    assert reported <= local
    server_visits = {i for i in server.records if i in local}
    assert server_visits == local
    assert max(server.stored_count.values()) == 1


def die_right_after_the_server_stored(write_fd: int, path: str, url: str) -> None:
    """The child: send the outbox, and get killed the moment the server's answer arrives,
    before the tablet could mark anything acknowledged: the worst moment to die."""

    class DiesOnAnswer(HttpTransport):
        def push(self, request):
            answer = super().push(request)
            os.write(write_fd, b",".join(r.id.encode() for r in answer.results) + b"\n")
            os.kill(os.getpid(), signal.SIGKILL)

    with Store.open(path) as store:
        SyncEngine(store, DiesOnAnswer(url, GOOD_TOKEN)).sync_once()


def test_killed_between_the_servers_answer_and_the_ack_nothing_is_sent_twice(tmp_path):
    pack = make_pack()
    server = FakeServer([pack])
    path = tmp_path / "worst-moment.db"
    with Store.open(path) as store:
        store.save_pack(pack)
        saved = []
        for household in pack.households[:6]:
            v = visit(household.id, Outcome.ANSWERED)
            store.record_visit(v, followups=[followup_for(v)])
            saved += [str(v.id)]
    with FakeHttpServer(server) as http:
        pid, read_fd = run_child(die_right_after_the_server_stored, str(path), http.url)
        os.waitpid(pid, 0)
        [answered] = read_reports(read_fd)
        assert set(saved) <= set(answered) and set(answered) == set(server.records)
        with Store.open(path) as store:
            assert len(store.outbox_waiting()) == len(answered)  # died before the ack: all still queued
            outcome = SyncEngine(store, HttpTransport(http.url, GOOD_TOKEN)).sync_once()
            assert outcome.ok and outcome.duplicates == len(answered) and outcome.stored == 0
            assert store.outbox_waiting() == []
            for followup_id in set(answered) - set(saved):  # acknowledged now: contact details gone
                assert b"Ada Resident" not in store.record_body(followup_id)
    assert max(server.stored_count.values()) == 1

