"""Signing in online, then offline against the stored verifier; never storing the password."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from mobile.store import NotSignedInError, OnlineSignInNeededError, RecordInvalidError, WaitBeforeRetryError
from mobile.store.credentials import WAITS, DevicePolicy
from mobile.sync import sign_in

from .fakes import GOOD_TOKEN, PASSWORD, FaultyNetwork
from .raw import decrypted_pages


def test_online_sign_in_stores_a_verifier_and_the_token_but_never_the_password(store, server):
    network = FaultyNetwork(server, token=None)
    result = sign_in(store, network, "officer", PASSWORD)
    assert result.ok and not result.offline
    assert result.session.token == GOOD_TOKEN and result.session.user["username"] == "officer"
    assert network.token == GOOD_TOKEN
    assert store.current_session().username == "officer"
    store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert PASSWORD.encode() not in decrypted_pages(store.path)
    salt, verifier = store._conn.execute("SELECT salt, verifier FROM credentials").fetchone()
    assert len(salt) == 16 and len(verifier) == 32


def test_later_sign_ins_work_offline_with_the_last_token(store, server):
    network = FaultyNetwork(server, token=None)
    sign_in(store, network, "officer", PASSWORD)
    store.sign_out()
    assert store.current_session() is None
    network.down = True
    network.set_token(None)
    result = sign_in(store, network, "officer", PASSWORD)
    assert result.ok and result.offline
    assert network.token == GOOD_TOKEN  # sync can resume with it once signal returns


def test_offline_a_wrong_password_or_a_new_user_is_refused_with_a_reason(store, server):
    network = FaultyNetwork(server, token=None)
    sign_in(store, network, "officer", PASSWORD)
    network.down = True
    wrong = sign_in(store, network, "officer", "guess")
    assert not wrong.ok and "Wrong username or password" in wrong.error
    stranger = sign_in(store, network, "pcso", PASSWORD)
    assert not stranger.ok and "has not signed in on this tablet before" in stranger.error
    with pytest.raises(NotSignedInError):
        store.sign_in_offline("officer", "guess")


def test_a_wrong_password_online_is_final(store, server):
    network = FaultyNetwork(server, token=None)
    sign_in(store, network, "officer", PASSWORD)
    result = sign_in(store, network, "officer", "old-password")
    assert not result.ok and "Wrong username or password" in result.error


# ---------------------------------------------------------------- argon2id, attempts, days offline (issue 15)
# The clock is a parameter (`now`): each test moves it by hand.

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def signed_in_at(store, when=NOW):
    store.remember_sign_in("officer", PASSWORD, GOOD_TOKEN, 3600, {"username": "officer"}, now=when)
    store.sign_out()


def test_the_offline_verifier_is_argon2id_with_the_documented_parameters(store):
    signed_in_at(store)
    kdf, params, salt, verifier = store._conn.execute(
        "SELECT kdf, kdf_params, salt, verifier FROM credentials").fetchone()
    assert kdf == "argon2id" and json.loads(params) == {"t": 3, "m": 65536, "p": 4}  # RFC 9106, 2nd option
    assert len(salt) == 16 and len(verifier) == 32
    from argon2.low_level import Type, hash_secret_raw

    assert hash_secret_raw(PASSWORD.encode(), bytes(salt), time_cost=3, memory_cost=65536, parallelism=4,
                           hash_len=32, type=Type.ID) == bytes(verifier)
    assert PASSWORD.encode() not in decrypted_pages(store.path)


def test_five_wrong_attempts_make_the_next_wait_and_ten_need_an_online_sign_in(store):
    signed_in_at(store)
    clock = NOW
    for attempt in range(1, 5):
        with pytest.raises(NotSignedInError, match="more wrong attempt") as wrong:
            store.sign_in_offline("officer", "guess", now=clock)
        assert f"{5 - attempt} more wrong attempt" in wrong.value.message
    with pytest.raises(WaitBeforeRetryError, match="wait 30 seconds"):  # the fifth
        store.sign_in_offline("officer", "guess", now=clock)
    # While waiting even the right password is not checked.
    clock += timedelta(seconds=29)
    with pytest.raises(WaitBeforeRetryError) as waiting:
        store.sign_in_offline("officer", PASSWORD, now=clock)
    assert 0 < waiting.value.wait_seconds <= 1
    waits = {6: "60 seconds", 7: "2 minutes", 8: "5 minutes", 9: "10 minutes"}
    clock += timedelta(seconds=1)
    for failure in range(6, 10):
        with pytest.raises(WaitBeforeRetryError, match=f"wait {waits[failure]}"):
            store.sign_in_offline("officer", "guess", now=clock)
        clock += timedelta(seconds=WAITS[failure])
    with pytest.raises(OnlineSignInNeededError, match="sign in where there is signal"):  # the tenth
        store.sign_in_offline("officer", "guess", now=clock)
    clock += timedelta(days=1)  # waiting no longer helps: only the server can vouch for the password now
    with pytest.raises(OnlineSignInNeededError):
        store.sign_in_offline("officer", PASSWORD, now=clock)
    assert store.unlock_attempts().failures == 10
    signed_in_at(store, clock)  # an online sign-in starts the count again
    assert store.unlock_attempts().failures == 0
    assert store.sign_in_offline("officer", PASSWORD, now=clock).offline


def test_a_right_password_starts_the_count_again(store):
    signed_in_at(store)
    for _ in range(4):
        with pytest.raises(NotSignedInError):
            store.sign_in_offline("officer", "guess", now=NOW)
    store.sign_in_offline("officer", PASSWORD, now=NOW)
    assert store.unlock_attempts().failures == 0


def test_after_three_days_without_the_server_only_an_online_sign_in_opens_the_tablet(store, server):
    signed_in_at(store, NOW)
    assert store.sign_in_offline("officer", PASSWORD, now=NOW + timedelta(days=3) - timedelta(minutes=1)).offline
    store.sign_out()
    with pytest.raises(OnlineSignInNeededError, match="has not reached the server for 3 days"):
        store.sign_in_offline("officer", PASSWORD, now=NOW + timedelta(days=3, minutes=1))
    # No signal: sign_in says so and nothing opens. With signal: the server checks, and the clock restarts.
    network = FaultyNetwork(server, token=None)
    network.down = True
    refused = sign_in(store, network, "officer", PASSWORD)
    assert not refused.ok and "has not reached the server" in refused.error
    network.down = False
    assert sign_in(store, network, "officer", PASSWORD).ok
    assert store.offline_for(datetime.now(UTC)) < timedelta(minutes=1)


def test_the_organisations_policy_from_the_sign_in_answer_is_kept(store, server):
    network = FaultyNetwork(server, token=None)
    network.policy = DevicePolicy(idle_lock_seconds=120, offline_days=1)
    assert sign_in(store, network, "officer", PASSWORD).ok
    assert store.device_policy() == DevicePolicy(idle_lock_seconds=120, offline_days=1)
    store.sign_out()
    with pytest.raises(OnlineSignInNeededError, match="for 1 day:"):
        store.sign_in_offline("officer", PASSWORD, now=datetime.now(UTC) + timedelta(days=1, minutes=1))


def test_a_scrypt_verifier_from_before_is_checked_once_then_replaced_by_argon2id(store):
    salt = b"0123456789abcdef"
    old = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**14, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=32)
    store._conn.execute(
        "INSERT INTO credentials (username, salt, verifier, scrypt_n, scrypt_r, scrypt_p, user_json, token, "
        "signed_in_at) VALUES ('officer', ?, ?, 16384, 8, 1, '{}', 'tok', '2026-01-01')", (salt, old))
    with pytest.raises(NotSignedInError):
        store.sign_in_offline("officer", "guess", now=NOW)
    assert store.sign_in_offline("officer", PASSWORD, now=NOW).username == "officer"
    assert store._conn.execute("SELECT kdf FROM credentials").fetchone()[0] == "argon2id"
    store.sign_out()
    assert store.sign_in_offline("officer", PASSWORD, now=NOW).username == "officer"


def test_a_pin_chosen_at_sign_in_unlocks_and_wrong_pins_count_with_the_passwords(store, server):
    network = FaultyNetwork(server, token=None)
    assert sign_in(store, network, "officer", PASSWORD, pin="2580").ok
    assert store.has_pin("officer")
    assert store.unlock("2580", now=NOW).username == "officer"
    assert store.unlock(PASSWORD, now=NOW).username == "officer"  # the password always unlocks too
    pin_salt, pin_verifier = store._conn.execute("SELECT pin_salt, pin_verifier FROM credentials").fetchone()
    assert len(pin_salt) == 16 and len(pin_verifier) == 32 and b"2580" not in decrypted_pages(store.path)
    for _ in range(4):
        with pytest.raises(NotSignedInError, match="Wrong PIN"):
            store.unlock("1357", now=NOW)
    with pytest.raises(NotSignedInError, match="Wrong password"):
        store.unlock("not-it", now=NOW)
    with pytest.raises(WaitBeforeRetryError):
        store.unlock("2580", now=NOW)  # the sixth attempt, PIN or password, waits
    assert store.unlock("2580", now=NOW + timedelta(seconds=30)).username == "officer"


@pytest.mark.parametrize(("pin", "problem"), [("12", "4 to 8 digits"), ("12a4", "4 to 8 digits"),
                                              ("123456789", "4 to 8 digits"), ("7777", "repeated"),
                                              ("1234", "run of digits"), ("9876", "run of digits")])
def test_a_pin_that_is_too_easy_is_refused_in_plain_words(store, pin, problem):
    signed_in_at(store)
    store.sign_in_offline("officer", PASSWORD, now=NOW)
    with pytest.raises(RecordInvalidError, match=problem):
        store.set_pin(pin)
    assert not store.has_pin("officer")
