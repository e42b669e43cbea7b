"""Benchmark: street results of a large operation, beside the plain SQL group-by measured in the same run.

    .venv/bin/python bench/aggregate.py                       # 20,000 households, 200,000 visits, + 10x others
    .venv/bin/python bench/aggregate.py --households 2000 --visits 20000 --others 2 --runs 5   # a smoke run

What it does, in databases of its own in the project's cluster (``--database``, default
``doorstep_bench_agg``, and the same name with ``_alone``; dropped and made again with scripts/db.sh):

1. makes two databases (``doorstep_bench_agg_alone`` and ``doorstep_bench_agg``), migrates both and loads
   the demo (users, agencies, the questionnaire);
2. makes the target operation with set-based SQL (generate_series): streets of 20 households on a grid,
   10 pairs with their streets, the visits (a realistic spread of outcomes; answered ones with answers
   and concern categories, as the sync stores them), fixes and follow-ups in every status;
3. the same target operation (same random seed) in both; ``--others`` operations of the same size beside it
   in the second only (ten times as much data elsewhere); VACUUM ANALYZE;
4. starts the real server (uvicorn) on each and times, in turns between the two databases so that a busy
   moment of the machine falls on both alike, through HTTP as the coordinator:
   GET /api/v1/operations/{id}/streets (JSON) and ?format=geojson, and signed out the published
   /open-data/operations/{id}/streets.csv and one OGC API page (/ogc/collections/…/items?limit=100);
   and, with asyncpg on the same tables:
   the street-results query alone, and the plain group-by
   ``SELECT h.street_id, count(*) FROM visit v JOIN household h ON h.id = v.household_id
   WHERE v.operation_id = $1 AND h.operation_id = $1 GROUP BY h.street_id`` — the ceiling (visits per
   street, the least any street result must do when it counts from the visits), with default settings;
5. also times the write cost of the per-door summary trigger (the same insert with and without it).

It prints medians and 95th percentiles, the ratios to the plain query, and whether the targets hold:
under 150 ms, at most 1.5x the plain query, within 20% with or without the other operations' data.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from common import asyncpg_dsn, fresh_database, server_environment  # noqa: E402  (bench/common.py)

from server.domain.results.services import STREETS_SQL  # noqa: E402

PASSWORD = "doorstep-demo"
PLAIN_SQL = """SELECT h.street_id, count(*) FROM visit v JOIN household h ON h.id = v.household_id
WHERE v.operation_id = $1 AND h.operation_id = $1 GROUP BY h.street_id"""
HOUSEHOLDS_PER_STREET = 20
PAIRS = 10
TARGET_MS = 150.0
TARGET_RATIO = 1.5
TARGET_SPREAD = 0.20


# ---------------------------------------------------------------- the database and the server


def make_url_name(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).database or "?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(port)], cwd=ROOT,
                            env=server_environment(url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


# ---------------------------------------------------------------- data, set-based


MAKE_OPERATION = """
WITH op AS (
    INSERT INTO operation (name, status, questionnaire_id, routing)
    VALUES ($1, 'active', 'streetsafe-community-v1', '{}') RETURNING id
), coord AS (
    INSERT INTO operation_coordinator (operation_id, user_id)
    SELECT op.id, u.id FROM op, app_user u WHERE u.username = 'coordinator'
)
SELECT id FROM op
"""

MAKE_STREETS = """
INSERT INTO street (operation_id, ref, name, locality, geom)
SELECT $1::int, 'B-' || $1::int || '-' || i, 'Bench Street ' || i, 'Benchton',
       ST_Multi(ST_SetSRID(ST_MakeLine(
           ST_MakePoint(-1.60 + (i % 40) * 0.002 + $1::int * 0.1, 53.70 + (i / 40) * 0.002),
           ST_MakePoint(-1.60 + (i % 40) * 0.002 + $1::int * 0.1 + 0.0015, 53.70 + (i / 40) * 0.002 + 0.0004)), 4326))
FROM generate_series(0, $2::int - 1) AS i
"""

MAKE_HOUSEHOLDS = """
INSERT INTO household (operation_id, ref, address, house_number, street_id, door_order, geom)
SELECT $1::int, 'BH-' || $1::int || '-' || n, (n % $3::int + 1) || ' ' || s.name, (n % $3::int + 1)::text, s.id,
       n % $3::int,
       ST_SetSRID(ST_MakePoint(ST_X(ST_StartPoint(ST_GeometryN(s.geom, 1))) + (n % $3::int) * 0.00007,
                               ST_Y(ST_StartPoint(ST_GeometryN(s.geom, 1))) + 0.00005), 4326)
FROM generate_series(0, $2::int - 1) AS n
JOIN street s ON s.operation_id = $1::int AND s.ref = 'B-' || $1::int || '-' || (n / $3::int)
"""

MAKE_TEAMS = """
WITH t AS (
    INSERT INTO team (operation_id, name)
    SELECT $1::int, 'Bench pair ' || k FROM generate_series(1, $2::int) AS k RETURNING id, name
), m AS (
    INSERT INTO team_member (team_id, user_id)
    SELECT t.id, u.id FROM t JOIN app_user u
      ON u.username = ANY(CASE WHEN split_part(t.name, ' ', 3)::int % 2 = 0 THEN ARRAY['officer', 'councillor']
                               ELSE ARRAY['pcso', 'firefighter'] END)
)
INSERT INTO team_street (team_id, street_id)
SELECT t.id, s.id FROM t JOIN street s
  ON s.operation_id = $1::int AND (s.id % $2::int) + 1 = split_part(t.name, ' ', 3)::int
"""

# Visits: random doors of the operation, by the pair whose street it is; answered ones with answers
# (of a realistic size) and the concern categories the sync would have counted.
MAKE_VISITS = """
WITH bounds AS (SELECT min(id) AS lo, max(id) AS hi FROM household WHERE operation_id = $1::int),
pick AS (
    SELECT g, lo + floor(random() * (hi - lo + 1))::int AS hid, random() AS r, random() AS c1, random() AS c2,
           random() AS c3
    FROM bounds, generate_series(1, $2::int) AS g
)
INSERT INTO visit (id, operation_id, household_id, team_id, user_id, device_id, visited_at, outcome,
                   questionnaire_id, answers, concerns, notes, content_hash)
SELECT gen_random_uuid(), $1::int, h.id, ts.team_id, NULL, 'bench-' || (g % 20),
       timestamptz '2026-11-20 09:00Z' + (g % 100000) * interval '3 seconds',
       o.outcome, 'streetsafe-community-v1',
       CASE WHEN o.outcome = 'answered' THEN jsonb_build_object(
           'feel_safe_after_dark', 1 + floor(c1 * 5)::int, 'asb_seen', c2 < 0.4, 'smoke_alarm', c3 > 0.2,
           'hear_back', 'newsletter', 'other_comments', 'Cars go too fast on this road after school')
       ELSE '{}'::jsonb END,
       CASE WHEN o.outcome = 'answered' THEN array_remove(ARRAY[
           CASE WHEN c1 < 0.4 THEN 'feeling_unsafe' END, CASE WHEN c2 < 0.4 THEN 'anti_social_behaviour' END,
           CASE WHEN c3 < 0.2 THEN 'no_smoke_alarm' END, CASE WHEN c1 < 0.15 THEN 'street_lighting' END,
           CASE WHEN c2 < 0.1 THEN 'drugs' END, CASE WHEN c3 > 0.9 THEN 'fly_tipping' END], NULL)
       ELSE '{}'::text[] END,
       '', md5(g::text) || md5(hid::text)
FROM pick
JOIN household h ON h.id = pick.hid
JOIN team_street ts ON ts.street_id = h.street_id
CROSS JOIN LATERAL (SELECT CASE WHEN r < 0.40 THEN 'answered' WHEN r < 0.70 THEN 'no_answer'
                                WHEN r < 0.82 THEN 'card_left' WHEN r < 0.88 THEN 'come_back_later'
                                WHEN r < 0.94 THEN 'refused' WHEN r < 0.97 THEN 'vacant'
                                WHEN r < 0.99 THEN 'inaccessible' ELSE 'do_not_visit' END AS outcome) o
"""

MAKE_FIXES = """
INSERT INTO fix (id, operation_id, device_id, category, done_at, street_id, content_hash)
SELECT gen_random_uuid(), $1::int, 'bench', (ARRAY['fly_tipping_removed', 'graffiti_removed', 'smoke_alarm_fitted',
        'street_light_reported', 'litter_picked', 'advice_given'])[1 + g % 6],
       timestamptz '2026-11-20 09:00Z' + g * interval '1 minute', s.id, md5(g::text)
FROM generate_series(1, $2::int) AS g
JOIN street s ON s.operation_id = $1::int AND s.ref = 'B-' || $1::int || '-' || (g % $3::int)
"""

MAKE_FOLLOWUPS = """
INSERT INTO followup (id, operation_id, device_id, category, priority, description, raised_at, street_id,
                      status, content_hash)
SELECT gen_random_uuid(), $1::int, 'bench',
       (ARRAY['fly_tipping', 'graffiti', 'street_lighting', 'anti_social_behaviour',
        'home_fire_safety_visit'])[1 + g % 5], 'normal', 'bench follow-up',
       timestamptz '2026-11-20 09:00Z' + g * interval '1 minute', s.id,
       (ARRAY['open', 'acknowledged', 'in_progress', 'resolved', 'declined'])[1 + (g / 7) % 5], md5(g::text)
FROM generate_series(1, $2::int) AS g
JOIN street s ON s.operation_id = $1::int AND s.ref = 'B-' || $1::int || '-' || (g % $3::int)
"""


async def make_operation(conn: asyncpg.Connection, name: str, households: int, visits: int) -> int:
    streets = max(1, households // HOUSEHOLDS_PER_STREET)
    op = await conn.fetchval(MAKE_OPERATION, name)
    await conn.execute(MAKE_STREETS, op, streets)
    await conn.execute(MAKE_HOUSEHOLDS, op, streets * HOUSEHOLDS_PER_STREET, HOUSEHOLDS_PER_STREET)
    await conn.execute(MAKE_TEAMS, op, min(PAIRS, streets))
    await conn.execute(MAKE_VISITS, op, visits)
    await conn.execute(MAKE_FIXES, op, max(1, visits // 100), streets)
    await conn.execute(MAKE_FOLLOWUPS, op, max(1, visits // 100), streets)
    return op


# ---------------------------------------------------------------- timing


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


async def time_sql(conn: asyncpg.Connection, sql: str, op: int, runs: int) -> list[float]:
    for _ in range(2):
        await conn.fetch(sql, op)
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        await conn.fetch(sql, op)
        out.append((time.perf_counter() - t) * 1000)
    return out


def time_http(http: httpx.Client, url: str, runs: int) -> tuple[list[float], int]:
    size = 0
    for _ in range(2):
        r = http.get(url)
        r.raise_for_status()
        size = len(r.content)
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        r = http.get(url)
        r.raise_for_status()
        _ = r.content
        out.append((time.perf_counter() - t) * 1000)
    return out, size


class Side:
    """One database and its server, timed in turns with the other side."""

    def __init__(self, url: str, base: str, op: int):
        self.url, self.base, self.op = url, base, op
        self.samples: dict[str, list[float]] = {"plain": [], "query": [], "json": [], "geojson": [],
                                                "public_csv": [], "ogc_page": []}
        self.sizes: dict[str, int] = {}

    async def open(self) -> None:
        self.conn = await asyncpg.connect(**asyncpg_dsn(self.url))
        self.mine = await asyncpg.connect(**asyncpg_dsn(self.url))
        await self.mine.execute("SET jit = off; SET max_parallel_workers_per_gather = 0")  # as the service does
        self.http = httpx.Client(base_url=self.base, timeout=60, headers={"Accept-Encoding": "identity"})
        self.public = httpx.Client(base_url=self.base, timeout=60, headers={"Accept-Encoding": "identity"})
        token = self.http.post("/api/v1/auth/token", json={"username": "coordinator", "password": PASSWORD})
        token.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    async def round(self, n: int) -> None:
        self.samples["plain"] += await time_sql(self.conn, PLAIN_SQL, self.op, n)
        self.samples["query"] += await time_sql(self.mine, STREETS_SQL, self.op, n)
        got, self.sizes["json"] = time_http(self.http, f"/api/v1/operations/{self.op}/streets", n)
        self.samples["json"] += got
        got, self.sizes["geojson"] = time_http(self.http, f"/api/v1/operations/{self.op}/streets?format=geojson", n)
        self.samples["geojson"] += got
        # The published outputs, signed out: the same street results through the disclosure rule.
        got, self.sizes["public_csv"] = time_http(self.public, f"/open-data/operations/{self.op}/streets.csv", n)
        self.samples["public_csv"] += got
        got, self.sizes["ogc_page"] = time_http(
            self.public, f"/ogc/collections/operation-{self.op}-streets/items?limit=100", n)
        self.samples["ogc_page"] += got

    async def close(self) -> None:
        self.http.close()
        self.public.close()
        await self.conn.close()
        await self.mine.close()

    def result(self) -> dict:
        return {**{k: summary(v) for k, v in self.samples.items()}, "sizes": self.sizes}


async def measure(sides: list[Side], runs: int) -> None:
    """Rounds of five of each figure, alternating between the sides, so that a busy moment of the
    machine falls on both sides alike."""
    for side in sides:
        await side.open()
    try:
        for _ in range(max(1, runs // 5)):
            for side in sides:
                await side.round(5)
    finally:
        for side in sides:
            await side.close()


def report(label: str, m: dict) -> None:
    plain = m["plain"][0]
    print(f"\n{label}")
    print(f"  {'':34} {'median ms':>10} {'p95 ms':>9} {'x plain':>8}")
    for key, name in (("plain", "plain SQL group-by (ceiling)"), ("query", "street-results query (asyncpg)"),
                      ("json", "GET .../streets (JSON, HTTP)"), ("geojson", "GET .../streets?format=geojson"),
                      ("public_csv", "GET /open-data/.../streets.csv"), ("ogc_page", "GET /ogc/.../items?limit=100")):
        med, p95 = m[key]
        print(f"  {name:34} {med:10.1f} {p95:9.1f} {med / plain:8.2f}")
    print(f"  response sizes: JSON {m['sizes']['json'] / 1024:.0f} KiB, GeoJSON {m['sizes']['geojson'] / 1024:.0f} KiB")


async def write_cost(url: str, op: int, visits: int) -> tuple[float, float]:
    """Seconds to insert `visits` more visits with the summary trigger and without it (rolled back)."""
    conn = await asyncpg.connect(**asyncpg_dsn(url))
    out = []
    try:
        for enabled in (True, False):
            tr = conn.transaction()
            await tr.start()
            if not enabled:
                await conn.execute("ALTER TABLE visit DISABLE TRIGGER household_result_insert")
            t = time.perf_counter()
            await conn.execute(MAKE_VISITS, op, visits)
            out.append(time.perf_counter() - t)
            await tr.rollback()
    finally:
        await conn.close()
    return out[0], out[1]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--visits", type=int, default=200_000)
    parser.add_argument("--others", type=int, default=10, help="other operations of the same size")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per figure")
    parser.add_argument("--database", default="doorstep_bench_agg")
    args = parser.parse_args()

    alone_args = argparse.Namespace(**{**vars(args), "database": args.database + "_alone"})
    urls = {"alone": fresh_database(alone_args.database), "crowded": fresh_database(args.database)}
    t0 = time.perf_counter()
    ops: dict[str, int] = {}
    for side, url in urls.items():
        env = server_environment(url)
        subprocess.run([sys.executable, "-m", "server.cli", "migrate"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, "-m", "server.cli", "demo", "load"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        conn = await asyncpg.connect(**asyncpg_dsn(url))
        try:
            await conn.execute("SELECT setseed(0.2026)")  # the same target operation in both databases
            ops[side] = await make_operation(conn, "Bench target", args.households, args.visits)
            # Published, so its open data (the CSV, an OGC API page) can be timed signed out too.
            await conn.execute("UPDATE operation SET published_at = now() WHERE id = $1", ops[side])
            if side == "crowded":
                for k in range(args.others):
                    await make_operation(conn, f"Bench other {k + 1}", args.households, args.visits)
            await conn.execute("VACUUM ANALYZE")
            version = await conn.fetchval("SELECT split_part(version(), ' ', 2) || ', PostGIS ' || "
                                          "postgis_lib_version()")
            totals = await conn.fetchrow("SELECT (SELECT count(*) FROM household) AS h, "
                                         "(SELECT count(*) FROM visit) AS v")
        finally:
            await conn.close()
        print(f"{side:8}: database {make_url_name(url)} holds {totals['h']:,} households and {totals['v']:,} visits "
              f"(made in {time.perf_counter() - t0:.1f} s)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, PostgreSQL {version}")
    print(f"target operation: {args.households:,} households, {args.visits:,} visits; the crowded database also "
          f"holds {args.others} other operations of the same size")

    n = max(1000, args.visits // 10)
    with_trigger, without = await write_cost(urls["alone"], ops["alone"], n)
    print(f"writing {n:,} more visits in one statement: {with_trigger * 1000:.0f} ms with the per-door summary "
          f"trigger, {without * 1000:.0f} ms without ({n / with_trigger:,.0f} vs {n / without:,.0f} visits/s)")

    conn = await asyncpg.connect(**asyncpg_dsn(urls["crowded"]))
    try:  # write the freshly made data out now, not while timing
        await conn.execute("CHECKPOINT")
    except asyncpg.PostgresError as exc:
        print(f"(no CHECKPOINT before timing: {exc})")
    finally:
        await conn.close()

    procs = []
    try:
        sides = []
        for side, url in urls.items():
            proc, base = start_server(url)
            procs.append(proc)
            sides.append(Side(url, base, ops[side]))
        await measure(sides, args.runs)
        alone, crowded = sides[0].result(), sides[1].result()
        report("the target operation alone", alone)
        report(f"the target operation beside {args.others}x as much data (timed in turns with the above)", crowded)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)

    print("\ntargets")
    ok = True
    for key, name in (("json", "JSON"), ("geojson", "GeoJSON")):
        for label, m in (("alone", alone), ("beside others", crowded)):
            med, plain = m[key][0], m["plain"][0]
            fast, close = med < TARGET_MS, med <= TARGET_RATIO * plain
            ok &= fast and close
            print(f"  {name:8} {label:14} {med:6.1f} ms < {TARGET_MS:.0f} ms: {'yes' if fast else 'NO'};"
                  f"  {med / plain:4.2f}x plain <= {TARGET_RATIO}x: {'yes' if close else 'NO'}")
        spread = (crowded[key][0] - alone[key][0]) / alone[key][0]
        within = abs(spread) <= TARGET_SPREAD
        ok &= within
        print(f"  {name:8} with vs without other operations: {spread * 100:+.0f}% (within 20%: "
              f"{'yes' if within else 'NO'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
