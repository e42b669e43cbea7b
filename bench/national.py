"""Benchmark: a national year — 10 million visits across 2,000 operations — beside 200,000 visits, in one run.

    .venv/bin/python bench/national.py --keep               # 200,000 vs 10,000,000 visits (~25 min here; 6 GB)
    .venv/bin/python bench/national.py --reuse              # measure the kept databases again (~6 min)
    .venv/bin/python bench/national.py --large-operations 400   # 200,000 vs 2,000,000

Loading (bench/README.md, "Loading 10 million visits"): the visits are written with the visit table's
indexes and keys dropped and made again afterwards from their own definitions (checked identical),
asynchronous commit and rare checkpoints while loading only; each chunk prints where its time went.

A year of StreetSafe operations across England and Wales at a generous rate: 2,000 operations of
2,500 doors each (125 streets of 20), 10 pairs each, 5,000 visits each (two attempts a door), 1% as
many fixes and as many follow-ups, every operation published. Two databases of their own in the
project's cluster, made afresh (scripts/db.sh) and dropped at the end (``--keep`` keeps them):

- ``doorstep_bench_national_small``: 40 such operations (200,000 visits);
- ``doorstep_bench_national``: 2,000 (10,000,000 visits).

Both also hold the demo (Woodhouse, its four visitors), which the push goes to. Data is written
set-based inside PostgreSQL (``INSERT … SELECT … FROM generate_series``, no HTTP, no Python row by
row), visits in chunks that interleave every operation, as a year of operations running side by side
would, through the per-door summary trigger as the sync's own inserts are. The first operation (the
*target*) is the same in both databases, door for door and visit for visit (its pseudo-random values
come from hashes of its own numbers, not from the database's random()).

Then, on a server per database (``doorstep serve --workers 2``), timed in turns between the two so
that a busy moment of the shared machine falls on both alike:

1. **push**: ``--push`` visits through ``POST /api/v1/sync/push`` (4 clients, batches of 1,000), as a
   ratio to the same round's ceiling: the same number of visits COPYed into a staging table and
   insert-or-skipped into ``visit`` (bench/sync_ingest.py's ceiling), on the same database; each
   phase starts after a CHECKPOINT, and what it stored is deleted and vacuumed untimed;
2. **pull of 1,000 changes**: the target operation's last 1,000 changes, as its coordinator;
3. **street results**: ``GET /api/v1/operations/{target}/streets`` (JSON), as its coordinator;
4. **OGC items page**: ``GET /ogc/collections/operation-{target}-streets/items?limit=100``, signed out.

It prints the four figures side by side with the ratio large / small, and exits 1 when one is not
within 20%.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import msgspec  # noqa: E402
import sync_ingest as ingest  # noqa: E402  (bench/sync_ingest.py: the push, its ceiling, the demo's visits)
from common import asyncpg_dsn, fresh_database  # noqa: E402  (bench/common.py)

PASSWORD = "doorstep-demo"
TARGET_SPREAD = 0.20
CHUNK_VISITS = 250_000  # visits per INSERT statement (one transaction each) while loading


@dataclass(frozen=True)
class Shape:
    operations: int
    households: int  # per operation
    streets: int  # per operation
    pairs: int  # per operation
    visits: int  # per operation


# ---------------------------------------------------------------- data, set-based in PostgreSQL

# Pseudo-random numbers in [0, 1) from a key: the same in both databases for the same operation and
# visit, whatever else the database holds.
def _r(salt: int, key: str = "b.idx::bigint * 1000003 + g.k") -> str:
    return f"((hashint8extended({key}, {salt}) & 2147483647)::float8 / 2147483648.0)"


MAKE_USERS = """
INSERT INTO app_user (username, display_name, password_hash, agency_id, roles)
SELECT 'bench-visitor-' || n, 'Bench visitor ' || n, u.password_hash,
       CASE WHEN n % 2 = 0 THEN u.agency_id ELSE c.agency_id END, ARRAY['visitor']::varchar(20)[]
  FROM generate_series(1, $1::int) AS n, app_user AS u, app_user AS c
 WHERE u.username = 'officer' AND c.username = 'councillor'
"""

# One row per bench operation: its index (0 is the target) and, once made, its id and first door.
MAKE_OPERATIONS = """
CREATE TABLE bench_operation (idx int PRIMARY KEY, id int, first_household int, first_street int);
INSERT INTO bench_operation (idx) SELECT generate_series(0, {n} - 1);
WITH made AS (
    INSERT INTO operation (name, status, questionnaire_id, routing, starts_on, ends_on, published_at)
    SELECT 'National ' || lpad(idx::text, 5, '0'), 'active', 'streetsafe-community-v1', '{{}}',
           date '2026-01-05' + (idx % 300), date '2026-01-05' + (idx % 300) + 14, now()
      FROM bench_operation ORDER BY idx
    RETURNING id, name
)
UPDATE bench_operation AS b SET id = made.id FROM made WHERE made.name = 'National ' || lpad(b.idx::text, 5, '0');
INSERT INTO operation_coordinator (operation_id, user_id)
SELECT b.id, u.id FROM bench_operation AS b, app_user AS u WHERE b.idx = 0 AND u.username = 'coordinator';
"""

# Streets of 20 doors on a small grid, each operation somewhere else in England and Wales.
MAKE_STREETS = """
INSERT INTO street (operation_id, ref, name, locality, geom)
SELECT b.id, 'N-' || b.idx || '-' || i, 'Bench Street ' || i, 'Benchton ' || b.idx,
       ST_Multi(ST_SetSRID(ST_MakeLine(
           ST_MakePoint(-3.0 + (b.idx % 50) * 0.06 + (i % 25) * 0.002, 51.0 + (b.idx / 50) * 0.06 + (i / 25) * 0.002),
           ST_MakePoint(-3.0 + (b.idx % 50) * 0.06 + (i % 25) * 0.002 + 0.0015,
                        51.0 + (b.idx / 50) * 0.06 + (i / 25) * 0.002 + 0.0004)), 4326))
  FROM bench_operation AS b, generate_series(0, $3::int - 1) AS i
 WHERE b.idx BETWEEN $1 AND $2
 ORDER BY b.idx, i
"""

MAKE_HOUSEHOLDS = """
INSERT INTO household (operation_id, ref, address, house_number, street_id, door_order, geom)
SELECT b.id, 'NH-' || b.idx || '-' || n, (n % 20 + 1) || ' Bench Street ' || (n / 20), (n % 20 + 1)::text, s.id,
       n % 20,
       ST_SetSRID(ST_MakePoint(ST_X(ST_StartPoint(ST_GeometryN(s.geom, 1))) + (n % 20) * 0.00007,
                               ST_Y(ST_StartPoint(ST_GeometryN(s.geom, 1))) + 0.00005), 4326)
  FROM bench_operation AS b
  CROSS JOIN generate_series(0, $3::int - 1) AS n
  JOIN street AS s ON s.operation_id = b.id AND s.ref = 'N-' || b.idx || '-' || (n / 20)
 WHERE b.idx BETWEEN $1 AND $2
 ORDER BY b.idx, n
"""

# Pairs of two bench visitors (one police, one council), each pair with every `pairs`-th street.
MAKE_TEAMS = """
WITH t AS (
    INSERT INTO team (operation_id, name)
    SELECT b.id, 'Pair ' || k FROM bench_operation AS b, generate_series(1, $3::int) AS k
     WHERE b.idx BETWEEN $1 AND $2
    RETURNING id, operation_id, name
), m AS (
    INSERT INTO team_member (team_id, user_id)
    SELECT t.id, u.id FROM t JOIN bench_operation AS b ON b.id = t.operation_id
     CROSS JOIN (VALUES (0), (1)) AS sides(side)
      JOIN app_user AS u ON u.username = 'bench-visitor-' ||
           (((b.idx * $3::int + split_part(t.name, ' ', 2)::int) * 2 + side) % $4::int + 1)
)
INSERT INTO team_street (team_id, street_id)
SELECT t.id, s.id FROM t
  JOIN (SELECT st.id, st.operation_id, row_number() OVER (PARTITION BY st.operation_id ORDER BY st.id) - 1 AS n
          FROM street AS st JOIN bench_operation AS b ON b.id = st.operation_id
         WHERE b.idx BETWEEN $1 AND $2) AS s
    ON s.operation_id = t.operation_id AND s.n % $3::int + 1 = split_part(t.name, ' ', 2)::int
"""

# Visits numbered g over all operations: operation g % n, that operation's k-th visit (k = g / n), so
# every chunk holds visits of every operation. Answered ones carry answers and concerns as the sync
# stores them.
MAKE_VISITS = f"""
WITH g AS (
    SELECT g, g % $3::int AS idx, g / $3::int AS k FROM generate_series($1::bigint, $2::bigint) AS g
), v AS (
    SELECT g.g, g.k, b.id AS op, b.first_household + floor({_r(1)} * $4::int)::int AS hid,
           {_r(2)} AS r, {_r(3)} AS c1, {_r(4)} AS c2, {_r(5)} AS c3
      FROM g JOIN bench_operation AS b ON b.idx = g.idx
)
INSERT INTO visit (id, operation_id, household_id, team_id, user_id, device_id, visited_at, outcome,
                   questionnaire_id, answers, concerns, notes, content_hash)
SELECT gen_random_uuid(), v.op, h.id, ts.team_id, NULL, 'bench-' || (v.k % 20),
       timestamptz '2026-01-05 09:00Z' + v.g * ($5::float8 * interval '1 second'),
       o.outcome, 'streetsafe-community-v1',
       CASE WHEN o.outcome = 'answered' THEN jsonb_build_object(
           'feel_safe_after_dark', 1 + floor(c1 * 5)::int, 'asb_seen', c2 < 0.4, 'smoke_alarm', c3 > 0.2,
           'hear_back', 'newsletter', 'other_comments', 'Cars go too fast on this road after school')
       ELSE '{{}}'::jsonb END,
       CASE WHEN o.outcome = 'answered' THEN array_remove(ARRAY[
           CASE WHEN c1 < 0.4 THEN 'feeling_unsafe' END, CASE WHEN c2 < 0.4 THEN 'anti_social_behaviour' END,
           CASE WHEN c3 < 0.2 THEN 'no_smoke_alarm' END, CASE WHEN c1 < 0.15 THEN 'street_lighting' END,
           CASE WHEN c2 < 0.1 THEN 'drugs' END, CASE WHEN c3 > 0.9 THEN 'fly_tipping' END], NULL)
       ELSE '{{}}'::text[] END,
       '', md5(v.g::text)
  FROM v
  JOIN household AS h ON h.id = v.hid
  JOIN team_street AS ts ON ts.street_id = h.street_id
 CROSS JOIN LATERAL (SELECT CASE WHEN r < 0.40 THEN 'answered' WHEN r < 0.70 THEN 'no_answer'
                                 WHEN r < 0.82 THEN 'card_left' WHEN r < 0.88 THEN 'come_back_later'
                                 WHEN r < 0.94 THEN 'refused' WHEN r < 0.97 THEN 'vacant'
                                 WHEN r < 0.99 THEN 'inaccessible' ELSE 'do_not_visit' END AS outcome) AS o
"""

MAKE_FIXES = """
INSERT INTO fix (id, operation_id, device_id, category, done_at, street_id, content_hash)
SELECT gen_random_uuid(), b.id, 'bench', (ARRAY['fly_tipping_removed', 'graffiti_removed', 'smoke_alarm_fitted',
        'street_light_reported', 'litter_picked', 'advice_given'])[1 + k % 6],
       timestamptz '2026-01-05 09:00Z' + k * interval '1 hour', b.first_street + k % $4::int, md5(k::text)
  FROM bench_operation AS b, generate_series(1, $3::int) AS k
 WHERE b.idx BETWEEN $1 AND $2
"""

MAKE_FOLLOWUPS = """
INSERT INTO followup (id, operation_id, device_id, category, priority, description, raised_at, street_id,
                      status, content_hash)
SELECT gen_random_uuid(), b.id, 'bench',
       (ARRAY['fly_tipping', 'graffiti', 'street_lighting', 'anti_social_behaviour',
        'home_fire_safety_visit'])[1 + k % 5], 'normal', 'bench follow-up',
       timestamptz '2026-01-05 09:00Z' + k * interval '1 hour', b.first_street + k % $4::int,
       (ARRAY['open', 'acknowledged', 'in_progress', 'resolved', 'declined'])[1 + (k / 7) % 5], md5(k::text)
  FROM bench_operation AS b, generate_series(1, $3::int) AS k
 WHERE b.idx BETWEEN $1 AND $2
"""


# While loading (never while measuring): commits need not wait for the disk, and checkpoints come
# every 30 min or 8 GB of WAL rather than every 1 GB (set for the cluster, put back afterwards).
LOADING_SESSION = ("SET synchronous_commit = off", "SET maintenance_work_mem = '1GB'", "SET work_mem = '256MB'")
LOADING_CLUSTER = {"max_wal_size": "8GB", "checkpoint_timeout": "30min"}

# The visit table's indexes and keys, as the migrations made them: dropped before the visits are
# written and made again, from these very definitions, once they are all in.
VISIT_KEYS = """
SELECT c.conrelid::regclass::text AS tab, c.conname AS name, c.contype AS kind,
       pg_get_constraintdef(c.oid) AS definition
  FROM pg_constraint AS c
 WHERE (c.conrelid = 'visit'::regclass AND c.contype IN ('p', 'u', 'f', 'x')) OR c.confrelid = 'visit'::regclass
 ORDER BY 1, 2
"""
VISIT_INDEXES = """
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
  FROM pg_index AS i
 WHERE i.indrelid = 'visit'::regclass
   AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
 ORDER BY 1
"""
VISIT_SCHEMA = """
SELECT array(SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'visit'::regclass ORDER BY 1)::text
       || array(SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' '
                       || convalidated FROM pg_constraint
                 WHERE conrelid = 'visit'::regclass OR confrelid = 'visit'::regclass ORDER BY 1)::text
"""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def visit_keys_dropped(conn: asyncpg.Connection) -> dict[str, Any]:
    """Drop the visit table's indexes, primary key and foreign keys; returns what `visit_keys_rebuilt` needs."""
    keys = [dict(r) for r in await conn.fetch(VISIT_KEYS)]
    indexes = [dict(r) for r in await conn.fetch(VISIT_INDEXES)]
    schema = await conn.fetchval(VISIT_SCHEMA)
    for key in sorted(keys, key=lambda k: k["kind"] != "f"):  # foreign keys before the keys they may lean on
        await conn.execute(f"ALTER TABLE {key['tab']} DROP CONSTRAINT {_quoted(key['name'])}")
    for index in indexes:
        await conn.execute(f"DROP INDEX {index['name']}")
    return {"keys": keys, "indexes": indexes, "schema": schema}


async def visit_keys_rebuilt(conn: asyncpg.Connection, dropped: dict[str, Any]) -> None:
    """Make again what `visit_keys_dropped` dropped (each index built in one sorted pass, each foreign
    key checked in one join), and check the table is exactly as the migrations left it."""
    for index in dropped["indexes"]:
        await conn.execute(index["definition"])
    for key in sorted(dropped["keys"], key=lambda k: k["kind"] == "f"):
        await conn.execute(f"ALTER TABLE {key['tab']} ADD CONSTRAINT {_quoted(key['name'])} {key['definition']}")
    schema = await conn.fetchval(VISIT_SCHEMA)
    assert schema == dropped["schema"], f"the visit table's keys differ after loading:\n{schema}\n{dropped['schema']}"


async def load(url: str, shape: Shape, label: str, *, as_production: bool = False) -> dict[str, Any]:
    """Migrate, load the demo, then write `shape` set-based; returns what the database holds.
    `as_production`: write the visits into the table with all its indexes and keys in place."""
    ingest.prepare(url)
    conn = await asyncpg.connect(**asyncpg_dsn(url))
    started = time.perf_counter()
    for name, value in LOADING_CLUSTER.items():
        await conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
    await conn.execute("SELECT pg_reload_conf()")
    for statement in LOADING_SESSION:
        await conn.execute(statement)
    try:
        await conn.execute(MAKE_USERS, max(40, shape.operations // 5 * 2))
        await conn.execute(MAKE_OPERATIONS.format(n=shape.operations))
        step = 100  # operations per statement for streets, doors and pairs
        for lo in range(0, shape.operations, step):
            hi = min(lo + step, shape.operations) - 1
            async with conn.transaction():
                await conn.execute(MAKE_STREETS, lo, hi, shape.streets)
                await conn.execute(MAKE_HOUSEHOLDS, lo, hi, shape.households)
                users = await conn.fetchval("SELECT count(*) FROM app_user WHERE username LIKE 'bench-visitor-%'")
                await conn.execute(MAKE_TEAMS, lo, hi, shape.pairs, users)
            # Plans for the next batch see the rows made so far (a join planned on an empty table's
            # guesses grew with every batch).
            await conn.execute("ANALYZE street, household, team, team_street")
        # One pass each (a min(id) per operation walked the (id, operation_id) index from its start:
        # quadratic, minutes at 2,000 operations).
        await conn.execute("""UPDATE bench_operation AS b SET first_household = f.h, first_street = t.s
                                FROM (SELECT operation_id, min(id) AS h FROM household GROUP BY 1) AS f,
                                     (SELECT operation_id, min(id) AS s FROM street GROUP BY 1) AS t
                               WHERE f.operation_id = b.id AND t.operation_id = b.id""")
        # Each operation's doors are numbered without gaps (the visits pick one by offset).
        gaps = await conn.fetchval("""SELECT count(*) FROM (SELECT operation_id FROM household GROUP BY 1
                                       HAVING max(id) - min(id) + 1 <> $1) AS g
                                       JOIN bench_operation AS b ON b.id = g.operation_id""", shape.households)
        assert gaps == 0, f"{gaps} operations' doors are not numbered in one run"
        await conn.execute("ANALYZE")
        total = shape.operations * shape.visits
        seconds_apart = 365 * 86400 / total  # a year of visits
        done = 0
        keys = await visit_keys_dropped(conn) if not as_production else None
        while done < total:
            upto = min(done + CHUNK_VISITS, total) - 1
            before, chunk_started = await cluster_counters(conn), time.perf_counter()
            plan = json.loads(await conn.fetchval("EXPLAIN (ANALYZE, BUFFERS, WAL, FORMAT JSON) " + MAKE_VISITS,
                                                  done, upto, shape.operations, shape.households, seconds_apart))[0]
            chunk_seconds = time.perf_counter() - chunk_started
            done = upto + 1
            print(f"  {label}: {done:,} of {total:,} visits ({time.perf_counter() - started:.0f} s); "
                  f"{chunk_account(plan, chunk_seconds, before, await cluster_counters(conn))}", flush=True)
        if keys is not None:
            rebuilt = time.perf_counter()
            await visit_keys_rebuilt(conn, keys)
            print(f"  {label}: the visit table's indexes and keys built in {time.perf_counter() - rebuilt:.0f} s",
                  flush=True)
        extras = max(1, shape.visits // 100)
        for lo in range(0, shape.operations, 500):
            hi = min(lo + 500, shape.operations) - 1
            await conn.execute(MAKE_FIXES, lo, hi, extras, shape.streets)
            await conn.execute(MAKE_FOLLOWUPS, lo, hi, extras, shape.streets)
        await conn.execute("VACUUM ANALYZE")
        await conn.execute("CHECKPOINT")
    finally:
        for name in LOADING_CLUSTER:
            await conn.execute(f"ALTER SYSTEM RESET {name}")
        await conn.execute("SELECT pg_reload_conf()")
        await conn.close()
    return {**await held_by(url), "seconds": time.perf_counter() - started}


async def cluster_counters(conn: asyncpg.Connection) -> dict[str, float]:
    """The cluster's WAL, checkpoint and block-read counters (the bench's cluster is its own, so a
    difference across one statement is that statement's)."""
    await conn.execute("SELECT pg_stat_force_next_flush()")
    row = await conn.fetchrow("""SELECT pg_current_wal_lsn() - '0/0' AS wal_lsn, w.wal_bytes, w.wal_fpi,
                                        b.checkpoints_timed + b.checkpoints_req AS checkpoints,
                                        b.buffers_checkpoint + b.buffers_clean + b.buffers_backend AS written,
                                        d.blks_read
                                   FROM pg_stat_wal AS w, pg_stat_bgwriter AS b, pg_stat_database AS d
                                  WHERE d.datname = current_database()""")
    return {k: float(v) for k, v in row.items()}


def chunk_account(plan: dict[str, Any], seconds: float, before: dict[str, float], after: dict[str, float]) -> str:
    """Where one chunk of visits went: its statement's own time, the triggers' (the foreign keys'
    checks and the per-door summary), WAL written (and full-page images), checkpoints, blocks read."""
    triggers = ", ".join(f"{t.get('Constraint Name', t['Trigger Name'])} {t['Time'] / 1000:.1f} s"
                         for t in plan.get("Triggers", []))
    d = {k: after[k] - before[k] for k in after}
    return (f"chunk {seconds:.1f} s (insert {plan['Plan']['Actual Total Time'] / 1000:.1f} s; {triggers}); "
            f"WAL {d['wal_bytes'] / 2**20:,.0f} MB, {d['wal_fpi']:,.0f} full pages; "
            f"checkpoints +{d['checkpoints']:.0f}; "
            f"blocks read {d['blks_read']:,.0f}, written {d['written']:,.0f}")


def per_thousand(before: dict[str, float], after: dict[str, float], visits: int) -> str:
    """WAL written per 1,000 visits stored (from the WAL position, exact whichever backend wrote it;
    full-page images after a checkpoint are what a larger index makes grow), and checkpoints."""
    return (f"WAL {(after['wal_lsn'] - before['wal_lsn']) / (visits / 1000) / 2**20:.2f} MB per 1,000 visits, "
            f"checkpoints +{after['checkpoints'] - before['checkpoints']:.0f}")


async def held_by(url: str) -> dict[str, Any]:
    """What a bench database holds."""
    conn = await asyncpg.connect(**asyncpg_dsn(url))
    try:
        row = await conn.fetchrow("""SELECT (SELECT count(*) FROM operation) AS operations,
                                            (SELECT count(*) FROM household) AS households,
                                            (SELECT count(*) FROM visit) AS visits,
                                            pg_size_pretty(pg_database_size(current_database())) AS size""")
        return {**dict(row), "seconds": 0.0}
    finally:
        await conn.close()


def database_url(name: str) -> str:
    """The URL of an existing bench database (--reuse)."""
    return subprocess.run(["bash", str(ROOT / "scripts" / "db.sh"), "url", name], check=True, capture_output=True,
                          text=True).stdout.strip()


# ---------------------------------------------------------------- timing


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


@dataclass
class Side:
    """One database, its server, and the figures measured on it."""

    label: str
    url: str
    server: ingest.Server | None = None
    target: int = 0
    demo: Any = None
    samples: dict[str, list[float]] = field(default_factory=lambda: {
        "push_ratio": [], "push_rate": [], "ceiling_rate": [], "pull": [], "streets": [], "ogc": []})
    cursor: str = ""
    pull_size: int = 1000
    users: dict[str, int] = field(default_factory=dict)
    coordinator: httpx.Client | None = None
    public: httpx.Client | None = None

    async def open(self, workers: int, pull_size: int) -> None:
        dsn = asyncpg_dsn(self.url)
        conn = await asyncpg.connect(**dsn)
        try:
            self.target = await conn.fetchval("SELECT id FROM bench_operation WHERE idx = 0")
            # The cursor just before the target operation's last `pull_size` visits.
            row = await conn.fetchrow("""SELECT change_txid, change_seq FROM visit WHERE operation_id = $1
                                          ORDER BY change_txid DESC, change_seq DESC OFFSET $2 LIMIT 1""",
                                      self.target, pull_size)
            if row is None:
                raise SystemExit(f"the target operation has no {pull_size + 1} visits: lower --pull or raise --visits")
            self.pull_size = pull_size
            self.cursor = f"v1.{row[0]}.{row[1]}"
            self.users = {r[0]: r[1] for r in await conn.fetch("SELECT username, id FROM app_user")}
        finally:
            await conn.close()
        self.demo = await ingest.read_demo(dsn)
        self.server = ingest.Server(self.url, workers)
        self.coordinator = httpx.Client(base_url=self.server.base, timeout=120, headers={
            "Authorization": f"Bearer {ingest.token(self.server.base, 'coordinator')}", "Accept-Encoding": "identity"})
        self.public = httpx.Client(base_url=self.server.base, timeout=120, headers={"Accept-Encoding": "identity"})
        self.bearers = {name: ingest.token(self.server.base, name) for name in ingest.PAIRS}

    def close(self) -> None:
        for client in (self.coordinator, self.public):
            if client is not None:
                client.close()
        if self.server:
            self.server.stop()

    async def push_round(self, visits: int, rng: random.Random) -> None:
        """The ceiling, then the server, each with `visits` fresh visits into the demo operation; both
        removed afterwards, so every round starts from the same table."""
        dsn = asyncpg_dsn(self.url)
        names = list(ingest.PAIRS)
        share = [visits // len(names)] * len(names)

        def batches(items: list[Any]) -> list[list[Any]]:
            return [items[i:i + 1000] for i in range(0, len(items), 1000)]

        conn = await asyncpg.connect(**dsn)
        try:
            for_ceiling = [ingest.make_visits(self.demo, n, k, rng) for n, k in zip(names, share, strict=True)]
            rows = [[ingest.stored_row(v, self.demo.questionnaire, self.users[n], f"ceiling-{n}") for v in vs]
                    for n, vs in zip(names, for_ceiling, strict=True)]
            # Each timed phase starts right after a checkpoint: the first change to a page after one
            # writes the whole page to the WAL, so whichever phase came first paid for the other's
            # pages too (on the large database's random primary-key pages, 4-6x the WAL per visit).
            await conn.execute("CHECKPOINT")
            before = await cluster_counters(conn)
            seconds, stored, _ = await ingest.ceiling(dsn, [batches(r) for r in rows])
            assert stored == sum(share), (stored, share)
            ceiling_cost = per_thousand(before, await cluster_counters(conn), stored)
            ceiling_rate = stored / seconds
            await self.remove_pushed(conn)
            encoder = msgspec.json.Encoder()
            clients = [(n, self.bearers[n], [encoder.encode({"device_id": f"bench-{n}", "records": b})
                                             for b in batches(ingest.make_visits(self.demo, n, k, rng))])
                       for n, k in zip(names, share, strict=True)]
            await conn.execute("CHECKPOINT")
            before = await cluster_counters(conn)
            seconds, stored, other = await ingest.push_all(self.server.base, clients)
            assert stored == sum(share) and not other, (stored, other)
            push_cost = per_thousand(before, await cluster_counters(conn), stored)
            rate = stored / seconds
            await self.remove_pushed(conn)
        finally:
            await conn.close()
        self.samples["ceiling_rate"].append(ceiling_rate)
        self.samples["push_rate"].append(rate)
        self.samples["push_ratio"].append(rate / ceiling_rate)
        print(f"  {time.strftime('%H:%M:%S')} {self.label}: ceiling {ceiling_rate:,.0f} visits/s ({ceiling_cost}), "
              f"push {rate:,.0f} visits/s ({push_cost}); ratio {rate / ceiling_rate:.2f}; "
              f"load average {os.getloadavg()[0]:.1f}", flush=True)

    async def remove_pushed(self, conn: asyncpg.Connection) -> None:
        """Delete the visits a push or its ceiling stored, and vacuum what that left, untimed. Without the
        vacuum, the same 2 x `--push` dead rows are a fifth of the small database's visits (autovacuum's
        threshold) and a tiny share of the large one's: autovacuum then ran in the small database alone,
        beside its next timed push (bench/README.md, "A national year")."""
        await conn.execute("DELETE FROM visit WHERE operation_id = $1", self.demo.operation_id)
        await conn.execute("VACUUM (ANALYZE) visit, household_result")

    def read(self, key: str, *, keep: bool) -> None:
        """One timed request for figure `key`; kept unless it warms up."""
        assert self.coordinator is not None and self.public is not None
        client, path = {
            "pull": (self.coordinator,
                     f"/api/v1/sync/pull?operation_id={self.target}&since={self.cursor}&limit={self.pull_size}"),
            "streets": (self.coordinator, f"/api/v1/operations/{self.target}/streets"),
            "ogc": (self.public, f"/ogc/collections/operation-{self.target}-streets/items?limit=100"),
        }[key]
        started = time.perf_counter()
        r = client.get(path)
        r.raise_for_status()
        body = r.json()
        elapsed = (time.perf_counter() - started) * 1000
        if key == "pull":
            # Fewer: a transaction still running anywhere in the cluster (even another
            # database's) holds back what a pull may return (pg_snapshot_xmin, sync/cursor.py).
            assert len(body["changes"]) == self.pull_size, \
                f"the pull returned {len(body['changes'])} of {self.pull_size} changes"
        if keep:
            self.samples[key].append(elapsed)


FIGURES = (
    ("push_ratio", "push, ratio to the COPY ceiling", "{:.2f}"),
    ("pull", "pull of {pull:,} changes (ms)", "{:.1f}"),
    ("streets", "one operation's street results (ms)", "{:.1f}"),
    ("ogc", "one OGC items page, 100 features (ms)", "{:.1f}"),
)


def report(small: Side, large: Side, sizes: dict[str, dict[str, Any]]) -> bool:
    print(f"\n{'':40} {small.label:>16} {large.label:>16} {'large / small':>14}  within 20%?")
    ok = True
    for key, name, fmt in FIGURES:
        a, b = median(small.samples[key]), median(large.samples[key])
        ratio = b / a
        within = abs(ratio - 1) <= TARGET_SPREAD
        ok &= within
        name = name.format(pull=small.pull_size)
        print(f"{name:40} {fmt.format(a):>16} {fmt.format(b):>16} {ratio:14.2f}  {'yes' if within else 'NO'}")
    for side in (small, large):
        s = side.samples
        ratios = ", ".join(f"{x:.2f}" for x in s["push_ratio"])
        print(f"  {side.label}: push {median(s['push_rate']):,.0f} visits/s, ceiling "
              f"{median(s['ceiling_rate']):,.0f} visits/s (medians of {len(s['push_rate'])} rounds; ratios {ratios}); "
              f"database {sizes[side.label]['size']}")
    return ok


async def main_async(args: argparse.Namespace) -> int:
    per_op = Shape(0, args.households, args.households // 20, args.pairs, args.visits)
    small_shape = Shape(**{**per_op.__dict__, "operations": args.small_operations})
    large_shape = Shape(**{**per_op.__dict__, "operations": args.large_operations})
    print(f"machine: {ingest.machine()}; load average {os.getloadavg()[0]:.1f} at the start")
    sides, sizes = [], {}
    for name, shape in ((args.database + "_small", small_shape), (args.database, large_shape)):
        label = f"{shape.operations * args.visits:,} visits"
        if args.reuse:
            url = database_url(name)
            held = await held_by(url)
        else:
            url = fresh_database(name)
            held = await load(url, shape, label, as_production=args.load_as_production)
        sizes[label] = held
        print(f"{name}: {held['operations']:,} operations, {held['households']:,} households, {held['visits']:,} "
              f"visits, {held['size']} (written in {held['seconds']:.0f} s); load average {os.getloadavg()[0]:.1f}")
        sides.append(Side(label, url))
    small, large = sides
    rng = random.Random(args.seed)
    try:
        for side in sides:
            await side.open(args.workers, args.pull)
        for round_no in range(args.rounds):
            # Turns: which database goes first alternates by round, and the reads alternate request
            # by request, so neither side always follows a push or always meets a busy moment.
            order = sides if round_no % 2 == 0 else sides[::-1]
            for side in order:
                await side.push_round(args.push, rng)
            for key in ("pull", "streets", "ogc"):
                for i in range(args.runs + 1):
                    for side in order:
                        side.read(key, keep=i > 0)  # the first of each warms up
            print(f"  {time.strftime('%H:%M:%S')} round {round_no + 1} of {args.rounds} done; "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        for side in sides:
            side.close()
    ok = report(small, large, sizes)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (1 min), {os.getloadavg()[1]:.1f} (5 min)")
    if not args.keep:
        for name in (args.database + "_small", args.database):
            subprocess.run(["bash", str(ROOT / "scripts" / "db.sh"), "drop", name], check=True)
        print("bench databases dropped (--keep keeps them)")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small-operations", type=int, default=40, help="operations in the small database")
    parser.add_argument("--large-operations", type=int, default=2000, help="operations in the large database")
    parser.add_argument("--households", type=int, default=2500, help="doors per operation (streets of 20)")
    parser.add_argument("--pairs", type=int, default=10, help="pairs per operation")
    parser.add_argument("--visits", type=int, default=5000, help="visits per operation")
    parser.add_argument("--pull", type=int, default=1000, help="changes in the timed pull")
    parser.add_argument("--push", type=int, default=40_000, help="visits pushed per round (and COPYed for the ceiling)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, alternating between the databases")
    parser.add_argument("--runs", type=int, default=20, help="timed requests per read figure per round")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers per server")
    parser.add_argument("--database", default="doorstep_bench_national")
    parser.add_argument("--keep", action="store_true", help="keep the two databases afterwards")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the two databases a --keep run left, without loading them again")
    parser.add_argument("--load-as-production", action="store_true",
                        help="write the visits with the table's indexes and keys in place (slow past a few million)")
    parser.add_argument("--seed", type=int, default=2026)
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
