"""Signing in online, then offline against the stored verifier; never storing the password."""

from __future__ import annotations

import pytest

from mobile.store import NotSignedInError
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
