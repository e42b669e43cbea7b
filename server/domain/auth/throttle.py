"""Failed sign-ins slow the attacker down, not the person they attack (issue 11).

Each wrong password is counted in PostgreSQL (``sign_in_throttle``, migration 0012), so every
server process sees the same counts, under three keys:

- the username from this client: a few failures wait for nothing (``DOORSTEP_SIGN_IN_FREE_FAILURES``,
  5); from then on the next attempt waits 2 s, 4 s, 8 s … up to 15 minutes after the last failure. This is
  the key that stops guessing: the attacker's own pair slows down, the real user at another
  address does not.
- the client, over every username (password spraying): ten times the free failures (an office
  shares one address), doubling up to one minute.
- the username from anywhere (a botnet rotating addresses): twenty times the free failures,
  doubling up to one minute.

The last two can make a real user wait, at most a minute and only while such an attack goes on;
none of them ever locks anyone out.

A client is its address; an IPv6 client is its /64, since one home or phone is given a whole /64
and may pick any address in it (counted one by one, an attacker there would never be slowed).

A count starts again a day after its last failure; a successful sign-in clears its username and
client pair. Unknown usernames are counted like real ones (no way to tell them apart).
"""

from __future__ import annotations

import ipaddress
import math
import random
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.lib.exceptions import TooManyRequests
from server.settings import Settings

FORGET_AFTER = "1 day"


@dataclass(frozen=True)
class Rule:
    free: int
    cap_seconds: float

    def wait(self, failures: int) -> float:
        """Seconds the next attempt waits after the `failures`-th failure."""
        if failures < self.free:
            return 0.0
        return min(2.0 ** (failures - self.free + 1), self.cap_seconds)


_READ = text(f"""
SELECT key, failures, extract(epoch FROM now() - last_failure_at) AS ago
  FROM sign_in_throttle
 WHERE key = ANY(CAST(:keys AS text[])) AND last_failure_at > now() - interval '{FORGET_AFTER}'
""")

_FAILED = text(f"""
INSERT INTO sign_in_throttle AS t (key, failures, last_failure_at)
SELECT key, 1, now() FROM unnest(CAST(:keys AS text[])) AS key
ON CONFLICT (key) DO UPDATE
   SET failures = CASE WHEN t.last_failure_at < now() - interval '{FORGET_AFTER}' THEN 1 ELSE t.failures + 1 END,
       last_failure_at = now()
""")

_FORGET_OLD = text(f"DELETE FROM sign_in_throttle WHERE last_failure_at < now() - interval '{FORGET_AFTER}'")
_SUCCEEDED = text("DELETE FROM sign_in_throttle WHERE key = :key")


@dataclass(frozen=True)
class Keys:
    pair: str
    client: str
    user: str

    def all(self) -> list[str]:
        return [self.pair, self.client, self.user]


def counted_client(client: str) -> str:
    """What the throttle counts as one client: an IPv4 address, or an IPv6 address's /64."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class FailureThrottle:
    """Failures counted per key in PostgreSQL (``sign_in_throttle``, shared by every process): a key is
    ``"<kind>:<what>"`` and each kind has its Rule. Sign-in uses it, and so does the code on a card left at
    a door (server/domain/respond/), under kinds of its own."""

    def __init__(self, rules: dict[str, Rule]) -> None:
        self.rules = rules

    async def seconds_to_wait(self, engine: AsyncEngine, keys: list[str]) -> float:
        """How long the next attempt must still wait (0: it may go now)."""
        async with engine.connect() as conn:
            rows = (await conn.execute(_READ, {"keys": keys})).all()
        return max((self.rules[key.split(":", 1)[0]].wait(failures) - float(ago) for key, failures, ago in rows),
                   default=0.0)

    async def count_failure(self, engine: AsyncEngine, keys: list[str]) -> None:
        async with engine.begin() as conn:  # its own transaction: the refusal rolls the request's back
            await conn.execute(_FAILED, {"keys": keys})
            if random.random() < 0.01:  # noqa: S311 - housekeeping, not security
                await conn.execute(_FORGET_OLD)


class SignInThrottle(FailureThrottle):
    def __init__(self, settings: Settings) -> None:
        free = settings.sign_in_free_failures
        super().__init__({"pair": Rule(free, 900.0), "client": Rule(free * 10, 60.0), "user": Rule(free * 20, 60.0)})

    @staticmethod
    def keys(username: str, client: str) -> Keys:
        name, who = username.strip().lower()[:200], counted_client(client)
        return Keys(pair=f"pair:{name}|{who}", client=f"client:{who}", user=f"user:{name}")

    async def check(self, engine: AsyncEngine, keys: Keys) -> None:
        """429 with Retry-After while any key's wait has not run out."""
        wait = await self.seconds_to_wait(engine, keys.all())
        if wait > 0:
            seconds = math.ceil(wait)
            raise TooManyRequests(
                f"Too many wrong passwords: wait {seconds} second{'s' if seconds != 1 else ''} and try again. "
                "(Each wrong password makes the next wait longer; the account is not locked.)",
                headers={"Retry-After": str(seconds)})

    async def failed(self, engine: AsyncEngine, keys: Keys) -> None:
        await self.count_failure(engine, keys.all())

    async def succeeded(self, engine: AsyncEngine, keys: Keys) -> None:
        async with engine.begin() as conn:
            await conn.execute(_SUCCEEDED, {"key": keys.pair})
