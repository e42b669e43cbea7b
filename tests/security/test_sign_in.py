"""Sign-in under attack (issue 11): hashing off the event loop, a progressive delay instead of a
lockout, X-Forwarded-For believed only from trusted proxies, counts shared by every process.

What the review did: eight concurrent bogus sign-ins moved /health from 7 ms to 2.6 s; ten wrong
passwords locked the real user out; rotating X-Forwarded-For bypassed the per-client limit; and
each process counted on its own. Each test here does the same against real server processes.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.conftest import running_server
from tests.security.conftest import PASSWORD
from tests.security.support import DEMO


def _new_user(base: str) -> str:
    admin = httpx.post(f"{base}/api/v1/auth/token", json={"username": "admin", "password": DEMO}).json()
    name = "sec-" + uuid.uuid4().hex[:10]
    r = httpx.post(f"{base}/api/v1/users", headers={"Authorization": f"Bearer {admin['access_token']}"},
                   json={"username": name, "password": PASSWORD, "display_name": name, "agency": "police",
                         "roles": ["visitor"]})
    assert r.status_code == 201, r.text
    return name


def _try(base: str, username: str, password: str, forwarded_for: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return httpx.post(f"{base}/api/v1/auth/token", json={"username": username, "password": password},
                      headers=headers, timeout=60)


def test_a_storm_of_bad_sign_ins_leaves_health_answering(database_url, demo):
    """Sixteen attackers at once, each from its own address (so none is slowed down and every
    attempt costs a full argon2 check), while a monitor asks /health ten times a second."""
    with running_server(database_url, DOORSTEP_TRUSTED_PROXIES="127.0.0.1",
                        DOORSTEP_NOTIFY_INTERVAL_SECONDS="0") as base:
        stop = threading.Event()
        refused = []

        def attacker(n: int) -> None:
            i = 0
            while not stop.is_set():
                i += 1
                r = _try(base, f"nobody-{n}-{i}", "guess", forwarded_for=f"203.0.{n}.{i % 250 + 1}")
                refused.append(r.status_code)

        def health(seconds: float) -> list[float]:
            latencies = []
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                started = time.perf_counter()
                assert httpx.get(f"{base}/health", timeout=30).status_code == 200
                latencies.append(time.perf_counter() - started)
                time.sleep(0.1)
            return latencies

        calm = health(3)  # the same machine without the storm (it is shared: figures are relative)
        with ThreadPoolExecutor(max_workers=16) as pool:
            for n in range(16):
                pool.submit(attacker, n)
            time.sleep(1.0)  # let the storm build up
            stormy = health(6)
            stop.set()
        assert len(refused) >= 8 and set(refused) == {401}, (len(refused), set(refused))
        before, during, worst = statistics.median(calm), statistics.median(stormy), max(stormy)
        print(f"\n/health: median {before * 1000:.0f} ms calm, {during * 1000:.0f} ms during the storm "
              f"(worst {worst * 1000:.0f} ms); {len(refused)} bad sign-ins checked")
        # On the event loop the review measured 2.6 s with eight attackers (a /health waits behind every
        # queued hash); off it, /health stays within a few times calm. The bound leaves room for the
        # other processes of a shared 2-core machine (calm itself was 100 ms there), not for a queue.
        assert during < max(0.6, 4 * before) and worst < 2.0, (before, during, worst)


def test_x_forwarded_for_is_not_a_new_client_for_each_guess(database_url, demo):
    # No trusted proxy: the header is the attacker's own words and counts for nothing.
    with running_server(database_url, DOORSTEP_NOTIFY_INTERVAL_SECONDS="0") as base:
        victim = _new_user(base)
        codes = [_try(base, victim, f"guess-{i}", forwarded_for=f"198.51.100.{i}").status_code for i in range(6)]
        assert codes == [401] * 5 + [429]
    # Behind a trusted proxy the proxy's own entry (the rightmost) is the client; what the attacker
    # wrote to its left changes nothing.
    with running_server(database_url, DOORSTEP_TRUSTED_PROXIES="127.0.0.1",
                        DOORSTEP_NOTIFY_INTERVAL_SECONDS="0") as base:
        victim = _new_user(base)
        codes = [_try(base, victim, f"guess-{i}", forwarded_for=f"10.9.9.{i}, 203.0.113.77").status_code
                 for i in range(6)]
        assert codes == [401] * 5 + [429]
        # An IPv6 client may pick any address of its /64: rotating through them is still one client.
        victim = _new_user(base)
        codes = [_try(base, victim, f"guess-{i}", forwarded_for=f"2001:db8:7:7:{i + 1:x}::{i * 7919 + 1:x}").status_code
                 for i in range(6)]
        assert codes == [401] * 5 + [429]


def test_the_real_user_signs_in_while_the_attacker_waits(database_url, demo):
    with running_server(database_url, DOORSTEP_TRUSTED_PROXIES="127.0.0.1",
                        DOORSTEP_NOTIFY_INTERVAL_SECONDS="0") as base:
        victim = _new_user(base)
        attacker = "203.0.113.50"
        waits = []
        for i in range(12):
            r = _try(base, victim, f"guess-{i}", forwarded_for=attacker)
            if r.status_code == 429:
                waits.append(int(r.headers["retry-after"]))
                time.sleep(min(int(r.headers["retry-after"]), 3))
        assert waits, "the attacker was never slowed down"
        # The person whose account it is, at the office, is not locked out, and not even slowed.
        started = time.perf_counter()
        r = _try(base, victim, PASSWORD, forwarded_for="192.0.2.10")
        assert r.status_code == 200 and time.perf_counter() - started < 5
        # Nor by a correct password from the attacker's address: the wait is for that pair only,
        # and it grows (2 s, 4 s, …), it never becomes a lockout.
        r = _try(base, victim, PASSWORD, forwarded_for=attacker)
        assert r.status_code == 429 and 0 < int(r.headers["retry-after"]) <= 900


def test_two_server_processes_share_the_counts(database_url, demo):
    """Five wrong passwords through one worker: the next attempt through another worker waits."""
    env = {"DOORSTEP_TRUSTED_PROXIES": "127.0.0.1", "DOORSTEP_NOTIFY_INTERVAL_SECONDS": "0"}
    with running_server(database_url, **env) as one, running_server(database_url, **env) as two:
        victim = _new_user(one)
        for i in range(5):
            assert _try(one, victim, f"guess-{i}", forwarded_for="203.0.113.60").status_code == 401
        r = _try(two, victim, "guess-5", forwarded_for="203.0.113.60")
        assert r.status_code == 429 and "wait" in r.json()["detail"]


def test_an_unknown_username_is_answered_like_a_known_one(database_url, demo):
    with running_server(database_url, DOORSTEP_NOTIFY_INTERVAL_SECONDS="0",
                        DOORSTEP_TRUSTED_PROXIES="127.0.0.1") as base:
        known, unknown = _new_user(base), "nobody-" + uuid.uuid4().hex[:8]
        for name in (known, unknown):
            codes = [_try(base, name, "guess", forwarded_for="203.0.113.70").status_code for _ in range(6)]
            assert codes == [401] * 5 + [429], name
            assert _try(base, name, "guess", forwarded_for="203.0.113.71").json()["detail"].startswith("Wrong")
