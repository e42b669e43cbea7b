"""Benchmark: pull 1,000 changes with 10,000 and with 1,000,000 visits already stored.

    .venv/bin/python bench/sync_pull.py                          # 10,000 then 1,000,000 stored
    .venv/bin/python bench/sync_pull.py --small 2000 --large 20000 --changes 200 --repeats 5   # smoke

A pull must cost what it returns, not what is stored (STYLE.md, "Lessons from field-collection
apps"). In a database of its own (default ``doorstep_bench_pull``, made with scripts/db.sh):

1. migrate, load the demo, start the real server;
2. store ``--small`` visits of history (COPY, in transactions of 50,000), then push
   ``--changes`` new visits of pair B through the server, and time the officer's (pair A)
   pull of them from the cursor that follows the history, ``--repeats`` times, through HTTP
   and as the bare SQL statement;
3. grow the history to ``--large`` visits, push ``--changes`` new ones again, time again.

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
from pathlib import Path

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
    start = dt.datetime(2026, 5, 1, 9, tzinfo=dt.timezone.utc)
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


async def measure(server: Server, conn: asyncpg.Connection, officer: str, pcso: str, demo, args,
                  stored: int) -> tuple[float, float]:
    await conn.execute("VACUUM ANALYZE visit")
    cursor = await settled_cursor(conn)
    team_b = demo.teams["pcso"]
    homes = demo.households[team_b]
    new = [{"type": "visit", "id": str(uuid.uuid4()), "operation_id": demo.operation_id,
            "household_id": homes[i % len(homes)], "team_id": team_b,
            "visited_at": f"2026-05-20T10:{i // 60 % 60:02d}:{i % 60:02d}Z", "outcome": "card_left"}
           for i in range(args.changes)]
    async with httpx.AsyncClient(base_url=server.base, timeout=120) as http:
        for i in range(0, len(new), 1000):
            r = await http.post("/api/v1/sync/push", json={"device_id": "bench-b", "records": new[i:i + 1000]},
                                headers={"Authorization": f"Bearer {pcso}"})
            r.raise_for_status()
            assert all(x["status"] == "stored" for x in r.json()["results"])
        await settled_cursor(conn)  # the new visits are visible to pulls now
        params = {"operation_id": demo.operation_id, "since": cursor, "limit": args.changes}
        auth = {"Authorization": f"Bearer {officer}"}
        http_times = []
        for _ in range(args.repeats + 2):
            started = time.perf_counter()
            r = await http.get("/api/v1/sync/pull", params=params, headers=auth)
            http_times.append(time.perf_counter() - started)
            r.raise_for_status()
            changes = msgspec.json.decode(r.content)["changes"]
            assert len(changes) == args.changes, (len(changes), args.changes)
            assert {c["id"] for c in changes} == {v["id"] for v in new}
    position = [int(p) for p in cursor.split(".")[1:]]
    sql_times = []
    for _ in range(args.repeats + 2):
        started = time.perf_counter()
        rows = await conn.fetch(_SQL_PAIR, demo.operation_id, position[0], position[1], args.changes,
                                demo.teams["officer"])
        sql_times.append(time.perf_counter() - started)
        assert len(rows) == args.changes
    http_ms = statistics.median(http_times[2:]) * 1000
    sql_ms = statistics.median(sql_times[2:]) * 1000
    print(f"{stored:>10,} visits stored: pull of {args.changes:,} changes: {http_ms:7.1f} ms through HTTP "
          f"(median of {args.repeats}), {sql_ms:6.1f} ms the SQL statement alone")
    return http_ms, sql_ms


async def main_async(args: argparse.Namespace) -> int:
    url = database_url(args)
    print(f"machine: {machine()}")
    prepare(url)
    dsn = asyncpg_dsn(url)
    demo = await read_demo(dsn)
    conn = await asyncpg.connect(**dsn)
    print(f"database: {await conn.fetchval('SHOW server_version')}")
    users = {r[0]: r[1] for r in await conn.fetch(
        "SELECT m.team_id, min(m.user_id) FROM team_member m GROUP BY m.team_id")}
    teams = sorted(demo.households)
    server = Server(url, args.workers)
    try:
        officer, pcso = token(server.base, "officer"), token(server.base, "pcso")
        await add_history(conn, args.small, demo.operation_id, teams, demo.households, users)
        stored = await conn.fetchval("SELECT count(*) FROM visit")
        small = await measure(server, conn, officer, pcso, demo, args, stored)
        t = time.perf_counter()
        await add_history(conn, args.large - stored - args.changes, demo.operation_id, teams, demo.households, users)
        stored = await conn.fetchval("SELECT count(*) FROM visit")
        print(f"(grew the history to {stored:,} visits in {time.perf_counter() - t:.0f} s)")
        large = await measure(server, conn, officer, pcso, demo, args, stored)
    finally:
        server.stop()
        await conn.close()
    ratio_http = large[0] / small[0]
    ratio_sql = large[1] / small[1]
    print(f"large / small: {ratio_http:.2f} through HTTP, {ratio_sql:.2f} the SQL alone (must be within 0.8-1.2)")
    return 0 if 0.8 <= ratio_http <= 1.2 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000, help="visits stored for the first measurement")
    parser.add_argument("--large", type=int, default=1_000_000, help="visits stored for the second")
    parser.add_argument("--changes", type=int, default=1000, help="changes pulled (one page)")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database", default="doorstep_bench_pull", help="database made afresh with scripts/db.sh")
    parser.add_argument("--database-url", help="use this database instead (visits are added to it)")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
