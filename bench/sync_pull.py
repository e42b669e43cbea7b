"""Benchmark: pull 1,000 changes with 10,000 and with 1,000,000 visits already stored.

    .venv/bin/python bench/sync_pull.py                          # 10,000 then 1,000,000 stored
    .venv/bin/python bench/sync_pull.py --small 2000 --large 20000 --changes 200 --repeats 5   # smoke

A pull must cost what it returns, not what is stored (STYLE.md, "Lessons from field-collection
apps"). Two databases of its own (``doorstep_bench_pull_small`` and ``_large``, made with
scripts/db.sh), each migrated, with the demo loaded and its own server process:

1. store the history (``--small`` and ``--large`` visits in all; COPY in transactions of 50,000);
2. push ``--changes`` new visits of pair B through the server;
3. time the officer's (pair A) pull of exactly those changes from the cursor that follows the
   history, through HTTP and as the bare SQL statement, ``--repeats`` times, alternating
   between the two databases so that other load on the machine falls on both alike.

It prints the median times and their ratio (the two must be within 20% of each other).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import msgspec  # noqa: E402
from sync_ingest import Server, asyncpg_dsn, database_url, machine, prepare, read_demo, token  # noqa: E402

from server.domain.sync.cursor import all_before, encode_cursor  # noqa: E402
from server.domain.sync.pull import _SQL_PAIR  # noqa: E402

HISTORY_COLUMNS = ["id", "operation_id", "household_id", "team_id", "user_id", "device_id", "visited_at", "outcome",
                   "content_hash"]
OUTCOMES = ["no_answer", "card_left", "refused", "vacant", "come_back_later"]


async def add_history(conn: asyncpg.Connection, count: int, operation_id: int, teams: list[int],
                      homes: dict[int, list[int]], users: dict[int, int], chunk: int = 50_000) -> None:
    """`count` visits of both pairs, straight into the table (as if pushed over past weeks)."""
    start = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)
    done = 0
    while done < count:
        n = min(chunk, count - done)
        rows = []
        for i in range(done, done + n):
            team = teams[i % len(teams)]
            hh = homes[team]
            rows.append((uuid.uuid4(), operation_id, hh[i % len(hh)], team, users[team], "history",
                         start + dt.timedelta(seconds=i), OUTCOMES[i % len(OUTCOMES)], "history"))
        async with conn.transaction():
            await conn.copy_records_to_table("visit", records=rows, columns=HISTORY_COLUMNS)
        done += n


async def settled_cursor(conn: asyncpg.Connection) -> str:
    """A cursor after everything committed so far: wait until every older transaction in the cluster ended."""
    own = await conn.fetchval("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
    while True:
        xmin = await conn.fetchval("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        if xmin >= own:
            return encode_cursor(all_before(xmin))
        await asyncio.sleep(0.05)


@dataclass
class Setup:
    """One database with its history, its server, and the cursor just before the new changes."""

    label: str
    url: str
    conn: asyncpg.Connection
    server: Server
    demo: Any
    officer: str
    cursor: str = ""
    expected: set[str] = field(default_factory=set)
    stored: int = 0


async def setup(label: str, name: str, history: int, args: argparse.Namespace) -> Setup:
    url = database_url(argparse.Namespace(database_url=None, database=name))
    prepare(url)
    dsn = asyncpg_dsn(url)
    demo = await read_demo(dsn)
    conn = await asyncpg.connect(**dsn)
    users = {r[0]: r[1] for r in await conn.fetch(
        "SELECT m.team_id, min(m.user_id) FROM team_member m GROUP BY m.team_id")}
    started = time.perf_counter()
    await add_history(conn, history, demo.operation_id, sorted(demo.households), demo.households, users)
    # Every table, not only visit: the history also rewrote the per-door summary thousands of times,
    # and autovacuum catching up on it during the timed pulls slowed one database and not the other.
    await conn.execute("VACUUM ANALYZE")
    print(f"{label}: stored {history:,} visits of history in {time.perf_counter() - started:.0f} s")
    server = Server(url, args.workers)
    s = Setup(label, url, conn, server, demo, token(server.base, "officer"))
    s.cursor = await settled_cursor(conn)
    team_b = demo.teams["pcso"]
    homes = demo.households[team_b]
    new = [{"type": "visit", "id": str(uuid.uuid4()), "operation_id": demo.operation_id,
            "household_id": homes[i % len(homes)], "team_id": team_b,
            "visited_at": f"2026-05-20T10:{i // 60 % 60:02d}:{i % 60:02d}Z", "outcome": "card_left"}
           for i in range(args.changes)]
    pcso = token(server.base, "pcso")
    async with httpx.AsyncClient(base_url=server.base, timeout=120) as http:
        for i in range(0, len(new), 1000):
            r = await http.post("/api/v1/sync/push", json={"device_id": "bench-b", "records": new[i:i + 1000]},
                                headers={"Authorization": f"Bearer {pcso}"})
            r.raise_for_status()
            assert all(x["status"] == "stored" for x in r.json()["results"])
    await settled_cursor(conn)  # the new visits are visible to pulls now
    await conn.execute("VACUUM ANALYZE")
    s.expected = {v["id"] for v in new}
    s.stored = await conn.fetchval("SELECT count(*) FROM visit")
    return s


async def pull_once(s: Setup, http: httpx.AsyncClient, args: argparse.Namespace) -> tuple[float, float]:
    """One pull of the new changes through HTTP, and the same statement alone; seconds each."""
    params = {"operation_id": s.demo.operation_id, "since": s.cursor, "limit": args.changes}
    started = time.perf_counter()
    r = await http.get(s.server.base + "/api/v1/sync/pull", params=params,
                       headers={"Authorization": f"Bearer {s.officer}"})
    through_http = time.perf_counter() - started
    r.raise_for_status()
    changes = msgspec.json.decode(r.content)["changes"]
    assert {c["id"] for c in changes} == s.expected, "the pull did not return exactly the new changes"
    txid, seq = (int(p) for p in s.cursor.split(".")[1:])
    started = time.perf_counter()
    rows = await s.conn.fetch(_SQL_PAIR, s.demo.operation_id, txid, seq, args.changes, s.demo.teams["officer"])
    alone = time.perf_counter() - started
    assert len(rows) == args.changes
    return through_http, alone


async def main_async(args: argparse.Namespace) -> int:
    print(f"machine: {machine()}")
    small = await setup("small", f"{args.database}_small", args.small - args.changes, args)
    large = None
    try:
        large = await setup("large", f"{args.database}_large", args.large - args.changes, args)
        print(f"database: {await small.conn.fetchval('SHOW server_version')}")
        times: dict[str, list[tuple[float, float]]] = {"small": [], "large": []}
        async with httpx.AsyncClient(timeout=120) as http:
            for round_ in range(args.repeats + 2):  # the first two warm up; small and large alternate
                for s in (small, large) if round_ % 2 else (large, small):
                    t = await pull_once(s, http, args)
                    if round_ >= 2:
                        times[s.label].append(t)
        medians = {}
        for s in (small, large):
            http_ms = statistics.median(t[0] for t in times[s.label]) * 1000
            sql_ms = statistics.median(t[1] for t in times[s.label]) * 1000
            medians[s.label] = (http_ms, sql_ms)
            print(f"{s.stored:>10,} visits stored: pull of {args.changes:,} changes: {http_ms:7.1f} ms through HTTP, "
                  f"{sql_ms:6.1f} ms the SQL statement alone (medians of {args.repeats}, alternating)")
    finally:
        for s in (small, large):
            if s is not None:
                s.server.stop()
                await s.conn.close()
    ratio_http = medians["large"][0] / medians["small"][0]
    ratio_sql = medians["large"][1] / medians["small"][1]
    within = 0.8 <= ratio_http <= 1.2
    print(f"large / small: {ratio_http:.2f} through HTTP, {ratio_sql:.2f} the SQL alone "
          f"({'within' if within else 'NOT within'} 20%)")
    return 0 if within or not args.check else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000, help="visits stored for the first measurement")
    parser.add_argument("--large", type=int, default=1_000_000, help="visits stored for the second")
    parser.add_argument("--changes", type=int, default=1000, help="changes pulled (one page)")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--check", action="store_true", help="exit 1 unless the two are within 20%%")
    parser.add_argument("--database", default="doorstep_bench_pull",
                        help="prefix of the two databases made afresh with scripts/db.sh (_small, _large)")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
