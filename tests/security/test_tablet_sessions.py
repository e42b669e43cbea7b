"""A tablet's session through a shift (issue 11, "revocable sessions"), with the tablet's own code
(its store, sign-in, sync engine and HTTP transport) against a real server process.

Two promises that pull against each other: a shift with long stretches offline never needs the
password mid-shift, and an admin or coordinator can still end a tablet's session at any time,
which the tablet learns at its next request, says in plain words, and loses nothing over.

The server here runs with web sign-ins that last two seconds: the tablet's session must not hang on
that lifetime (a shift is twelve hours; a tablet's session lives while it is used).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid

import httpx
import jwt

from mobile.sync import HttpTransport, SyncEngine, sign_in
from shared_schemas.codes import Outcome
from shared_schemas.records import Visit
from tests.mobile_core.test_against_server import PASSWORD, signed_in_tablet
from tests.support import running_server

UNREACHABLE = "http://127.0.0.1:9"  # nothing listens: the tablet is out of signal


def _visits(store, op_id: int, username: str, count: int, outcome: Outcome = Outcome.NO_ANSWER) -> list[Visit]:
    team = store.team_for_user(op_id, username)
    doors = [d for s in store.streets_for_team(op_id, team.id) for d in store.households_on_street(op_id, s.id)]
    visits = [Visit(id=uuid.uuid4(), operation_id=op_id, household_id=doors[i].id, team_id=team.id,
                    visited_at=dt.datetime.now(dt.UTC), outcome=outcome) for i in range(count)]
    for v in visits:
        store.record_visit(v)
    return visits


def _bearer(base: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_a_shift_offline_needs_no_password_and_a_revoked_tablet_is_told_so(database_url, demo, tmp_path):
    with running_server(database_url, DOORSTEP_TOKEN_TTL_SECONDS="2", DOORSTEP_SESSION_CHECK_SECONDS="0",
                        DOORSTEP_NOTIFY_INTERVAL_SECONDS="0") as base:
        store, transport, engine, op_id = signed_in_tablet(tmp_path / "tablet.db", base, "councillor")
        token = store.current_session().token
        claims = jwt.decode(token, options={"verify_signature": False})
        # The tablet's token outlives any shift; its session row is what ends it (revoked, or unused for days).
        assert claims["exp"] - time.time() > 300 * 24 * 3600, claims
        web = _bearer(base, "officer")  # a web sign-in beside it, for the clock

        # Out of signal: visits are saved and wait; nothing asks for the password.
        offline = SyncEngine(store, HttpTransport(UNREACHABLE, token, timeout=2))
        first = _visits(store, op_id, "councillor", 3)
        outcome = offline.sync_once()
        assert not outcome.ok and outcome.error_kind == "network" and not outcome.needs_sign_in
        time.sleep(3)  # longer than a web sign-in lasts here
        assert httpx.get(f"{base}/api/v1/operations", headers=web).status_code == 401  # the web sign-in is over

        # Back in signal: the same token sends everything, with no sign-in.
        outcome = engine.sync_once()
        assert outcome.ok and outcome.stored == 3, outcome
        assert store.outbox_waiting() == [] and store.current_session().token == token

        # The coordinator ends this tablet's session (the dashboard's "End session" does this call).
        coordinator = _bearer(base, "coordinator")
        listed = httpx.get(f"{base}/api/v1/devices", params={"limit": 500}, headers=coordinator).json()["items"]
        [mine] = [d for d in listed if d["device_id"] == store.device_id]
        assert httpx.delete(f"{base}/api/v1/devices/{mine['session_id']}", headers=coordinator).status_code == 204

        # The next request learns it: the tablet says so in plain words and keeps what it has not sent.
        later = _visits(store, op_id, "councillor", 1, Outcome.CARD_LEFT)
        outcome = engine.sync_once()
        assert outcome.needs_sign_in and not outcome.retryable
        assert "ended this tablet's session" in outcome.error and "kept on this tablet" in outcome.error, outcome.error
        assert [e.record_id for e in store.outbox_waiting()] == [str(later[0].id)]
        assert store.current_session().token is None  # the dead token is forgotten, the verifier is not
        # Asked again (a new visit saved asks for a sync): still the real reason, not "no token".
        again = engine.sync_once()
        assert again.needs_sign_in and again.error == outcome.error

        # Signing in again (a new device session) sends what waited; nothing counted twice.
        again = sign_in(store, transport, "councillor", PASSWORD)
        assert again.ok and not again.offline
        outcome = engine.sync_once()
        assert outcome.ok and outcome.stored == 1 and outcome.duplicates == 0, outcome
        assert {str(v.id) for v in first + later} <= _stored_ids(base, op_id, _bearer(base, "coordinator"))
        store.close()


def _stored_ids(base: str, op_id: int, coordinator: dict[str, str]) -> set[str]:
    ids: set[str] = set()
    cursor = None
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = httpx.get(f"{base}/api/v1/operations/{op_id}/visits", params=params, headers=coordinator).json()
        ids |= {v["id"] for v in page["items"]}
        if not (cursor := page["next"]):
            return ids
