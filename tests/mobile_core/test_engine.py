"""The sync engine against a fake server with the real sync rules, over a network that misbehaves."""

from __future__ import annotations

import random
import threading
import uuid

import msgspec
import pytest

from mobile.store import HouseholdStatus, Store
from mobile.sync import AuthExpired, Backoff, RequestRejected, SyncEngine, SyncOutcome, SyncStarted
from shared_schemas.codes import TABLET_OUTCOMES, Outcome
from shared_schemas.records import decode_record
from shared_schemas.sync import PullResponse, TeamChange
from tests.support import eventually

from .builders import OPERATION_ID, TEAM_B, fix_for, followup_for, household_ids, visit
from .fakes import GOOD_TOKEN, FakeServer, FaultyNetwork


def save_visits(store, pack, count: int, rng: random.Random | None = None) -> list[str]:
    """Record `count` visits (some with a fix and a follow-up); returns every record id saved."""
    rng = rng or random.Random(1)
    doors = [h.id for h in pack.households]
    ids = []
    for n in range(count):
        v = visit(rng.choice(doors), rng.choice(TABLET_OUTCOMES), minutes=n)
        extras = ([fix_for(v)], [followup_for(v)]) if n % 5 == 0 else ((), ())
        store.record_visit(v, *extras)
        ids += [str(v.id)] + [str(r.id) for group in extras for r in group]
    return ids


def test_a_sync_sends_everything_oldest_first_and_empties_the_outbox(store, pack, server):
    ids = save_visits(store, pack, 12)
    events = []
    engine = SyncEngine(store, FaultyNetwork(server), notify=events.append, batch_size=5)
    outcome = engine.sync_once()
    assert outcome.ok and outcome.stored == len(ids) and outcome.error is None
    assert server.arrival == ids  # oldest first, across batches
    assert store.outbox_waiting() == [] and store.sync_state().waiting == 0
    assert store.sync_state().last_sync_at is not None and store.sync_state().online is True
    assert isinstance(events[0], SyncStarted) and events[-1] == outcome
    assert outcome.state == store.sync_state()


def test_pull_brings_other_pairs_visits_and_team_changes_before_pushing(store, pack, server):
    door = household_ids(pack)[0]
    theirs = visit(door, Outcome.ANSWERED, team_id=TEAM_B)
    server.other_team_visit(OPERATION_ID, theirs)
    server.change_team(OPERATION_ID, TeamChange(team_id=TEAM_B, name="Pair B", street_ids=[pack.streets[0].id]))
    server.page_size = 1  # several pages: "more" must be followed
    outcome = SyncEngine(store, FaultyNetwork(server)).sync_once()
    assert outcome.ok and outcome.pulled == 2
    row = store.household(OPERATION_ID, door)
    assert (row.status, row.other_team_visits) == (HouseholdStatus.DONE, 1)
    assert [s.id for s in store.streets_for_team(OPERATION_ID, TEAM_B)] == [pack.streets[0].id]
    assert store.pull_cursor(OPERATION_ID) == "2"


def test_followup_status_reaches_the_tablet(store, pack, server):
    v = visit(household_ids(pack)[0], Outcome.ANSWERED)
    followup = followup_for(v)
    store.record_visit(v, followups=[followup])
    engine = SyncEngine(store, FaultyNetwork(server))
    engine.sync_once()
    server.set_followup_status(OPERATION_ID, followup.id, "acknowledged", version=2)
    engine.sync_once()
    assert store.followup_status(followup.id) == "acknowledged"


def test_a_rejected_record_is_set_aside_and_does_not_block_the_rest(store, pack, server):
    doors = household_ids(pack)
    before = save_visits(store, pack, 3)
    stray = visit(999_999)  # a household the server does not know
    store.record_visit(stray)
    after = save_visits(store, pack, 3, random.Random(2))
    outcome = SyncEngine(store, FaultyNetwork(server), batch_size=2).sync_once()
    assert outcome.ok and outcome.rejected == 1 and outcome.stored == len(before) + len(after)
    assert set(server.records) == set(before + after)
    [rejected] = store.outbox_rejected()
    assert rejected.record_id == str(stray.id) and "household 999999" in rejected.reason
    assert store.sync_state().rejected == 1
    store.retry_rejected(stray.id, msgspec.structs.replace(stray, household_id=doors[0]))
    again = SyncEngine(store, FaultyNetwork(server)).sync_once()
    assert again.stored == 1 and store.outbox_rejected() == [] and str(stray.id) in server.records


@pytest.mark.parametrize("fault", ["down", "server_error"])
def test_no_signal_or_a_5xx_keeps_everything_and_asks_for_a_retry(store, pack, server, fault):
    ids = save_visits(store, pack, 4)
    network = FaultyNetwork(server)
    if fault == "down":
        network.down = True
    else:
        network.faults["server_error"] = 1.0
    outcome = SyncEngine(store, network).sync_once()
    assert not outcome.ok and outcome.retryable
    assert outcome.error_kind == ("network" if fault == "down" else "server")
    assert "saved on this tablet" in outcome.error
    assert [e.record_id for e in store.outbox_waiting()] == ids
    assert store.sync_state().online is (fault != "down")
    assert store.sync_state().last_error == outcome.error
    network.heal()
    assert SyncEngine(store, network).sync_once().stored == len(ids)


def test_an_expired_token_asks_to_sign_in_again_and_keeps_everything(store, pack, server):
    ids = save_visits(store, pack, 3)
    store.remember_sign_in("officer", "doorstep-demo", "stale-token", 3600, {"username": "officer"})
    outcome = SyncEngine(store, FaultyNetwork(server, token="stale-token")).sync_once()
    assert outcome.needs_sign_in and not outcome.retryable and "Sign in again" in outcome.error
    assert [e.record_id for e in store.outbox_waiting()] == ids
    assert store.current_session().token is None
    assert store.sign_in_offline("officer", "doorstep-demo").username == "officer"  # the verifier stays


@pytest.mark.parametrize(("reason", "words"), [
    ("revoked", "An admin or coordinator ended this tablet's session"),
    ("user_deactivated", "Your account was deactivated"),
    ("password_changed", "Your password was changed"),
    ("expired", "Your sign-in has expired"),
    (None, "Your sign-in has expired"),
])
def test_a_refused_token_says_why_in_plain_words_and_keeps_everything(store, pack, server, reason, words):
    """The server's 401 says why (extra.reason); the person reads it in words, not as a code."""
    ids = save_visits(store, pack, 2)
    network = FaultyNetwork(server)

    def refuse(*_args, **_kwargs):
        raise AuthExpired("This sign-in was ended.", status=401, reason=reason)

    network.pull = network.push = refuse
    outcome = SyncEngine(store, network).sync_once()
    assert outcome.needs_sign_in and not outcome.retryable
    assert outcome.error.startswith(words) and "kept on this tablet" in outcome.error, outcome.error
    assert "_" not in outcome.error  # no code (user_deactivated…) for a person to decipher
    assert [e.record_id for e in store.outbox_waiting()] == ids


def test_the_next_attempt_without_a_token_keeps_the_reason(store, pack, server):
    """The dead token is forgotten, so the next sync (a visit saved asks for one) goes without a token
    and the server says "no token": the person must still read why the sign-in ended."""
    save_visits(store, pack, 1)
    network = FaultyNetwork(server)
    reasons = iter(["revoked", "no_token", "no_token"])

    def refuse(*_args, **_kwargs):
        raise AuthExpired("Refused.", status=401, reason=next(reasons))

    network.pull = network.push = refuse
    engine = SyncEngine(store, network)
    first, second = engine.sync_once(), engine.sync_once()
    assert first.error.startswith("An admin or coordinator ended this tablet's session")
    assert second.needs_sign_in and second.error == first.error


def test_taken_off_an_operation_removes_its_addresses_but_sends_its_records(store, pack, server):
    ids = save_visits(store, pack, 2)
    server.removed_from.add(OPERATION_ID)
    outcome = SyncEngine(store, FaultyNetwork(server)).sync_once()
    assert outcome.ok and outcome.stored == len(ids)
    assert "no longer on Operation 7" in outcome.notices[0]
    assert store.downloaded_operations() == []


def test_download_pack_uses_the_etag_and_handles_403(tmp_path, pack, server):
    with Store.open(tmp_path / "fresh.db") as store:
        engine = SyncEngine(store, FaultyNetwork(server))
        fractions = []
        assert engine.download_pack(OPERATION_ID, progress=fractions.append).ok
        assert fractions == [0.225, 0.45, 0.675, 0.9, 1.0]  # received, then stored
        assert store.current_pack(OPERATION_ID) == pack
        assert store.sync_state().last_sync_at is None  # a download is not a sync
        etag = store.pack_etag(OPERATION_ID)
        assert engine.download_pack(OPERATION_ID).ok and store.pack_etag(OPERATION_ID) == etag  # 304
        server.removed_from.add(OPERATION_ID)
        refused = engine.download_pack(OPERATION_ID)
        assert refused.error_kind == "forbidden" and "no longer on this operation" in refused.error
        assert store.current_pack(OPERATION_ID) is None


def test_an_answer_that_leaves_records_out_keeps_them_waiting(store, pack):
    class AnswersHalf(FaultyNetwork):
        def push(self, request):
            answer = super().push(request)
            return type(answer)(results=answer.results[: len(answer.results) // 2])

    server = FakeServer([pack])
    ids = save_visits(store, pack, 4)
    half = len(ids) // 2
    outcome = SyncEngine(store, AnswersHalf(server)).sync_once()
    assert (outcome.stored, outcome.unanswered) == (half, len(ids) - half)
    assert outcome.retryable and not outcome.ok
    assert [e.record_id for e in store.outbox_waiting()] == ids[half:]
    assert all(e.attempts == 1 for e in store.outbox_waiting())
    assert SyncEngine(store, FaultyNetwork(server)).sync_once().duplicates == len(ids) - half
    assert store.outbox_waiting() == []


def test_a_failing_notify_callback_does_not_stop_sync(store, pack, server):
    save_visits(store, pack, 2)

    def broken(event):
        raise RuntimeError("widget gone")

    assert SyncEngine(store, FaultyNetwork(server), notify=broken).sync_once().ok
    assert store.outbox_waiting() == []


def test_exactly_once_over_a_network_that_drops_duplicates_reorders_and_fails(store, pack, server):
    """Many rounds of saving and syncing through every fault at once; then the network heals."""
    network = FaultyNetwork(server, seed=42, drop_request=0.2, drop_response=0.2, duplicate=0.2,
                            reorder=0.5, server_error=0.15, partial_answer=0.2)
    engine = SyncEngine(store, network, batch_size=7)
    rng = random.Random(7)
    saved: list[str] = []
    for _ in range(40):
        saved += save_visits(store, pack, rng.randrange(0, 6), rng)
        engine.sync_once()
    assert all(network.fault_log[f] > 0 for f in network.faults), network.fault_log
    network.heal()
    final = engine.sync_until_done(max_attempts=3, sleep=lambda s: None)
    assert final.ok
    assert set(server.records) == set(saved)
    assert max(server.stored_count.values()) == 1  # stored exactly once, however often it was sent
    assert store.outbox_waiting() == [] and store.outbox_rejected() == []
    for record_id in saved:  # and the server has exactly what the tablet recorded
        assert decode_record(server.records[record_id]).id == uuid.UUID(record_id)


def test_backoff_grows_exponentially_with_full_jitter_up_to_a_cap():
    backoff = Backoff(base=1.0, cap=30.0, rng=random.Random(3))
    ceilings = [1, 2, 4, 8, 16, 30, 30, 30]
    for ceiling in ceilings:
        delay = backoff.next_delay()
        assert 0 <= delay <= ceiling
    many = [Backoff(base=1.0, cap=30.0, rng=random.Random(s)) for s in range(200)]
    fifth = [b.next_delay() for b in many for _ in range(5)][4::5]  # each one's 5th delay: ceiling 16
    assert max(fifth) <= 16 and max(fifth) > 12 and min(fifth) < 4  # spread, not synchronized
    backoff.reset()
    assert backoff.next_delay() <= 1


def test_sync_until_done_backs_off_between_retries(store, pack, server):
    save_visits(store, pack, 2)
    network = FaultyNetwork(server)
    network.down = True
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 3:
            network.heal()

    outcome = SyncEngine(store, network, backoff=Backoff(base=1, cap=100, rng=random.Random(0))).sync_until_done(
        max_attempts=10, sleep=sleep)
    assert outcome.ok and len(sleeps) == 3
    assert sleeps[0] <= 1 and sleeps[1] <= 2 and sleeps[2] <= 4


def test_the_background_loop_syncs_on_request_and_retries_after_failures(store, pack, server):
    network = FaultyNetwork(server)
    network.down = True
    outcomes: list[SyncOutcome] = []
    synced = threading.Event()

    def notify(event):
        if isinstance(event, SyncOutcome):
            outcomes.append(event)
            if event.ok and event.stored:
                synced.set()

    engine = SyncEngine(store, network, notify=notify, interval=3600,
                        backoff=Backoff(base=0.01, cap=0.05, rng=random.Random(0)))
    engine.start()
    try:
        ids = save_visits(store, pack, 3)
        engine.request_sync()
        eventually(lambda: len(outcomes) >= 3)  # failing, backing off, retrying
        network.heal()
        assert synced.wait(5), outcomes
    finally:
        engine.stop()
    assert not engine.running
    assert any(o.error_kind == "network" and o.retryable for o in outcomes)
    assert set(server.records) == set(ids)


def test_the_loop_waits_for_a_sign_in_after_a_401(store, pack, server):
    save_visits(store, pack, 1)
    network = FaultyNetwork(server, token="stale")
    outcomes = []
    engine = SyncEngine(store, network, notify=lambda e: outcomes.append(e) if isinstance(e, SyncOutcome) else None,
                        interval=0.01, backoff=Backoff(base=0.01, cap=0.01))
    engine.start()
    try:
        eventually(lambda: len(outcomes) >= 1)
        threading.Event().wait(0.2)  # many intervals: a loop that retried would have run again
        assert len(outcomes) == 1 and outcomes[0].needs_sign_in  # no hammering with a dead token
        network.set_token(GOOD_TOKEN)
        engine.request_sync()
        eventually(lambda: outcomes[-1].ok)
    finally:
        engine.stop()
    assert store.outbox_waiting() == []


def test_saving_on_the_ui_thread_while_the_loop_syncs(store, pack, server):
    """The app's real pattern: one Store shared by the UI thread and the sync thread."""
    network = FaultyNetwork(server, seed=5, drop_response=0.1, server_error=0.1)
    engine = SyncEngine(store, network, interval=0.005, batch_size=3,
                        backoff=Backoff(base=0.001, cap=0.005, rng=random.Random(1)))
    engine.start()
    saved: list[str] = []
    try:
        rng = random.Random(3)
        for _ in range(60):
            saved += save_visits(store, pack, 1, rng)
            engine.request_sync()
    finally:
        engine.stop()
    network.heal()
    assert engine.sync_until_done(sleep=lambda s: None).ok
    assert set(server.records) == set(saved) and max(server.stored_count.values()) == 1
    assert store.outbox_waiting() == []


def test_a_cursor_the_server_no_longer_knows_restarts_the_pull_and_never_blocks_the_push(store, pack, server):
    ids = save_visits(store, pack, 2)
    theirs = visit(household_ids(pack)[0], Outcome.VACANT, team_id=TEAM_B)
    server.other_team_visit(OPERATION_ID, theirs)
    store.apply_changes(OPERATION_ID, PullResponse(changes=[], cursor="999"))  # from a server since restored
    outcome = SyncEngine(store, FaultyNetwork(server)).sync_once()
    assert outcome.ok and outcome.pulled == 1 and outcome.stored == len(ids)
    assert store.household(OPERATION_ID, theirs.household_id).other_team_visits == 1


def test_a_pull_the_server_refuses_is_a_notice_and_records_still_go_up(store, pack, server):
    class RefusesPulls(FaultyNetwork):
        def pull(self, operation_id, since, device_id=None):
            raise RequestRejected("operation archived", status=400)

    ids = save_visits(store, pack, 2)
    outcome = SyncEngine(store, RefusesPulls(server)).sync_once()
    assert outcome.ok and outcome.stored == len(ids)
    assert "Could not fetch other pairs' progress" in outcome.notices[0]
