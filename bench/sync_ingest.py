"""Benchmark: push visits through the real server, beside the ceiling measured in the same run.

    .venv/bin/python bench/sync_ingest.py                      # 100,000 visits, 4 clients, 2 workers
    .venv/bin/python bench/sync_ingest.py --visits 2000 --clients 2 --workers 1   # a smoke run

What it does, in a database of its own (default ``doorstep_bench``, made with scripts/db.sh;
or ``--database-url``, whose visits are DELETED):

1. migrates it and loads the demo (the Woodhouse operation, its households and two pairs);
2. makes the visits, as the tablets would: random households of the pair's streets, a
   realistic spread of outcomes, and for answered doors answers that pass the StreetSafe
   questionnaire (so the server runs the full validation and concern counting);
3. ceiling: loads the same rows straight into the same table with asyncpg, per batch one
   COPY into a temporary staging table and one ``INSERT … SELECT … ON CONFLICT (id) DO
   NOTHING``, from as many concurrent connections as there are clients. It skips everything
   the server does besides storing (HTTP, JSON, auth, checks, questionnaire, hashing);
4. empties the visit table again, starts the real server (uvicorn, ``--workers``) and
   pushes the same visits through ``POST /api/v1/sync/push`` in batches from ``--clients``
   concurrent clients (each a tablet of one of the four demo visitors), and checks that
   every visit came back ``stored``.

It prints visits per second for both and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import msgspec  # noqa: E402
from common import asyncpg_dsn, fresh_database, server_environment  # noqa: E402  (bench/common.py)

from server.domain.sync.ingest import content_hash  # noqa: E402
from shared_schemas.questionnaire import Questionnaire, QuestionType, applicable_questions, concerns, load_questionnaire  # noqa: E402
from shared_schemas.records import decode_record  # noqa: E402

PASSWORD = "doorstep-demo"
PAIRS = {"officer": "Pair A", "councillor": "Pair A", "pcso": "Pair B", "firefighter": "Pair B"}
OUTCOMES = [("answered", 40), ("no_answer", 30), ("card_left", 12), ("come_back_later", 6), ("refused", 6),
            ("vacant", 3), ("inaccessible", 2), ("do_not_visit", 1)]
COMMENTS = ["", "", "", "Bins left out on the pavement for weeks", "Street light by number 12 flickers",
            "Would like a visit about a smoke alarm", "Cars speed down here after school"]


# ---------------------------------------------------------------- the database and the server


def database_url(args: argparse.Namespace) -> str:
    return args.database_url or fresh_database(args.database)


def prepare(url: str) -> None:
    env = server_environment(url)
    subprocess.run([sys.executable, "-m", "server.cli", "migrate"], check=True, cwd=ROOT, env=env,
                   stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "server.cli", "demo", "load"], check=True, cwd=ROOT, env=env,
                   stdout=subprocess.DEVNULL)


class Server:
    """The real server in its own process(es): ``doorstep serve --workers N``."""

    def __init__(self, url: str, workers: int):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port), "--workers", str(workers)],
            cwd=ROOT, env=server_environment(url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"the server did not start: {self.proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


def pids_cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (database backends; Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, ValueError, IndexError):
            continue
    return total


async def backend_pids(conn: asyncpg.Connection) -> list[int]:
    """The other sessions on this database: the server's pooled connections."""
    return [r[0] for r in await conn.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]


def token(base: str, username: str) -> str:
    r = httpx.post(base + "/api/v1/auth/token", json={"username": username, "password": PASSWORD}, timeout=30)
    r.raise_for_status()
    return r.json()["access_token"]


# ---------------------------------------------------------------- the visits


@dataclass
class Demo:
    operation_id: int
    questionnaire: Questionnaire
    teams: dict[str, int]  # username -> team id
    households: dict[int, list[int]]  # team id -> household ids on its streets


async def read_demo(dsn: dict[str, Any]) -> Demo:
    conn = await asyncpg.connect(**dsn)
    try:
        op = await conn.fetchrow("SELECT id, questionnaire_id FROM operation WHERE name = 'Woodhouse StreetSafe'")
        definition = await conn.fetchval("SELECT definition::text FROM questionnaire_version WHERE id = $1", op[1])
        rows = await conn.fetch("""SELECT u.username, t.id FROM team t JOIN team_member m ON m.team_id = t.id
                                    JOIN app_user u ON u.id = m.user_id WHERE t.operation_id = $1""", op[0])
        teams = {r[0]: r[1] for r in rows}
        households: dict[int, list[int]] = {}
        for team_id in set(teams.values()):
            households[team_id] = [r[0] for r in await conn.fetch(
                """SELECT h.id FROM household h JOIN team_street ts ON ts.street_id = h.street_id
                    WHERE ts.team_id = $1 ORDER BY h.id""", team_id)]
        return Demo(op[0], load_questionnaire(definition.encode(), strict=False), teams, households)
    finally:
        await conn.close()


def answers_for(questionnaire: Questionnaire, rng: random.Random) -> dict[str, Any]:
    """Answers a resident might give: every applicable question, valid for its type."""
    answers: dict[str, Any] = {}
    for question in questionnaire.questions:
        if question not in applicable_questions(questionnaire, answers):
            continue
        if not question.required and rng.random() < 0.25:
            continue
        kind = question.type
        if kind is QuestionType.YES_NO:
            answers[question.id] = rng.random() < 0.3
        elif kind is QuestionType.SCALE_1_5:
            answers[question.id] = rng.randint(1, 5)
        elif kind is QuestionType.SINGLE_CHOICE:
            answers[question.id] = rng.choice(question.options).value
        elif kind is QuestionType.MULTIPLE_CHOICE:
            answers[question.id] = rng.sample([o.value for o in question.options], rng.randint(1, 2))
        elif kind is QuestionType.NUMBER:
            answers[question.id] = int(question.min or 0)
        else:
            text = rng.choice(COMMENTS)
            if text:
                answers[question.id] = text
    return answers


def make_visits(demo: Demo, username: str, count: int, rng: random.Random) -> list[dict[str, Any]]:
    team_id = demo.teams[username]
    homes = demo.households[team_id]
    # In UTC, as the tablet app writes them (mobile/viewmodels/context.py); the server takes any
    # offset and stores the instant (tests/sync/test_push.py).
    start = dt.datetime(2026, 5, 14, 8, 0, tzinfo=dt.UTC)
    outcomes = [o for o, _ in OUTCOMES]
    weights = [w for _, w in OUTCOMES]
    visits = []
    for i in range(count):
        outcome = rng.choices(outcomes, weights)[0]
        visit: dict[str, Any] = {
            "type": "visit", "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "operation_id": demo.operation_id, "household_id": rng.choice(homes), "team_id": team_id,
            "visited_at": (start + dt.timedelta(seconds=7 * i)).isoformat(), "outcome": outcome,
            "location": {"lon": -1.56 + rng.random() / 100, "lat": 53.81 + rng.random() / 100,
                         "accuracy_m": round(rng.uniform(3, 25), 1)},
        }
        if outcome == "answered":
            visit["questionnaire"] = demo.questionnaire.id
            visit["answers"] = answers_for(demo.questionnaire, rng)
        if rng.random() < 0.1:
            visit["notes"] = "Dog in the garden; use the side gate"
        visits.append(visit)
    return visits


def stored_row(visit: dict[str, Any], questionnaire: Questionnaire, user_id: int, device: str) -> tuple:
    """The row the server stores for a visit (for the ceiling), computed before timing."""
    record = decode_record(msgspec.json.encode(visit))
    found = sorted(concerns(questionnaire, record.answers)) if record.answers else []
    loc = record.location
    return (record.id, record.operation_id, record.household_id, record.team_id, user_id, device,
            record.visited_at.astimezone(dt.UTC), record.outcome.value, record.questionnaire,
            msgspec.json.encode(record.answers).decode(), found, loc.lon if loc else None,
            loc.lat if loc else None, loc.accuracy_m if loc else None, record.notes, content_hash(record))


COLUMNS = ["id", "operation_id", "household_id", "team_id", "user_id", "device_id", "visited_at", "outcome",
           "questionnaire_id", "answers", "concerns", "lon", "lat", "accuracy_m", "notes", "content_hash"]
STAGE = """CREATE TEMP TABLE stage_visit (id uuid, operation_id int, household_id int, team_id int, user_id int,
           device_id text, visited_at timestamptz, outcome text, questionnaire_id text, answers text,
           concerns text[], lon float8, lat float8, accuracy_m float8, notes text, content_hash text)
           ON COMMIT DROP"""
COPY_INSERT = f"""INSERT INTO visit ({', '.join(COLUMNS)})
                  SELECT {', '.join('answers::jsonb' if c == 'answers' else c for c in COLUMNS)}
                    FROM stage_visit ORDER BY id ON CONFLICT (id) DO NOTHING"""


async def ceiling(dsn: dict[str, Any], batches_per_client: list[list[list[tuple]]]) -> tuple[float, int]:
    """COPY into staging + insert-or-skip, straight into the visit table, one connection per client."""
    conns = [await asyncpg.connect(**dsn) for _ in batches_per_client]

    async def load(conn: asyncpg.Connection, batches: list[list[tuple]]) -> int:
        stored = 0
        for rows in batches:
            async with conn.transaction():
                await conn.execute(STAGE)
                await conn.copy_records_to_table("stage_visit", records=rows, columns=COLUMNS)
                status = await conn.execute(COPY_INSERT)
                stored += int(status.split()[-1])
        return stored

    pids = [c.get_server_pid() for c in conns]
    cpu_before = pids_cpu_seconds(pids)
    started = time.perf_counter()
    counts = await asyncio.gather(*[load(c, b) for c, b in zip(conns, batches_per_client, strict=True)])
    elapsed = time.perf_counter() - started
    db_cpu = pids_cpu_seconds(pids) - cpu_before
    for conn in conns:
        await conn.close()
    return elapsed, sum(counts), db_cpu


async def push_all(base: str, clients: list[tuple[str, str, list[bytes]]]) -> tuple[float, int, int]:
    """Each client pushes its pre-encoded batches one after the other; clients run concurrently."""

    async def run(username: str, bearer: str, bodies: list[bytes]) -> tuple[int, int]:
        stored = other = 0
        async with httpx.AsyncClient(base_url=base, timeout=300,
                                     headers={"Authorization": f"Bearer {bearer}",
                                              "Content-Type": "application/json"}) as http:
            for body in bodies:
                r = await http.post("/api/v1/sync/push", content=body)
                r.raise_for_status()
                for result in msgspec.json.decode(r.content)["results"]:
                    if result["status"] == "stored":
                        stored += 1
                    else:
                        other += 1
                        if other <= 3:
                            print(f"  {username}: not stored: {result}", file=sys.stderr)
        return stored, other

    started = time.perf_counter()
    counts = await asyncio.gather(*[run(*c) for c in clients])
    return time.perf_counter() - started, sum(c[0] for c in counts), sum(c[1] for c in counts)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.system()} {platform.release()}, " \
           f"Python {platform.python_version()}"


async def main_async(args: argparse.Namespace) -> int:
    url = database_url(args)
    print(f"machine: {machine()}")
    prepare(url)
    dsn = asyncpg_dsn(url)
    demo = await read_demo(dsn)
    conn = await asyncpg.connect(**dsn)
    print(f"database: {await conn.fetchval('SHOW server_version')} + PostGIS "
          f"{await conn.fetchval('SELECT postgis_lib_version()')}")
    users = {r[0]: r[1] for r in await conn.fetch("SELECT username, id FROM app_user")}

    rng = random.Random(args.seed)
    names = [list(PAIRS)[i % len(PAIRS)] for i in range(args.clients)]
    share = [args.visits // args.clients + (1 if i < args.visits % args.clients else 0) for i in range(args.clients)]
    per_client = [make_visits(demo, name, n, rng) for name, n in zip(names, share, strict=True)]
    devices = [f"bench-tablet-{i}" for i in range(args.clients)]
    warmup = [make_visits(demo, name, min(50, args.batch), rng) for name in names]

    def batches(items: list[Any]) -> list[list[Any]]:
        return [items[i:i + args.batch] for i in range(0, len(items), args.batch)]

    # 3. The ceiling, on an empty visit table.
    rows = [[stored_row(v, demo.questionnaire, users[name], device) for v in visits]
            for name, device, visits in zip(names, devices, per_client, strict=True)]
    await conn.execute("DELETE FROM visit")
    await conn.execute("VACUUM ANALYZE visit")
    ceiling_s, ceiling_n, ceiling_db_cpu = await ceiling(dsn, [batches(r) for r in rows])
    assert ceiling_n == args.visits, (ceiling_n, args.visits)
    ceiling_rate = ceiling_n / ceiling_s
    print(f"ceiling (asyncpg COPY into staging + insert-or-skip, {args.clients} connections, batches of "
          f"{args.batch}): {ceiling_n:,} visits in {ceiling_s:.2f} s = {ceiling_rate:,.0f} visits/s; "
          f"database CPU {ceiling_db_cpu:.1f} s ({ceiling_db_cpu / ceiling_n * 1e6:.0f} us per visit)")

    # 4. The same visits through the server, on an empty visit table again.
    await conn.execute("DELETE FROM visit")
    await conn.execute("VACUUM ANALYZE visit")
    server = Server(url, args.workers)
    try:
        bearers = {name: token(server.base, name) for name in set(names)}
        encoder = msgspec.json.Encoder()
        # Warm up every worker's connection pool and caches (these visits are not counted).
        await push_all(server.base, [(name, bearers[name], [encoder.encode({"device_id": f"{d}-warmup",
                                                                            "records": w})])
                                     for name, d, w in zip(names, devices, warmup, strict=True)])
        await conn.execute("DELETE FROM visit")
        clients = [(name, bearers[name], [encoder.encode({"device_id": device, "records": b}) for b in batches(v)])
                   for name, device, v in zip(names, devices, per_client, strict=True)]
        pids = await backend_pids(conn)
        cpu_before, own_before = tree_cpu_seconds(server.proc.pid), time.process_time()
        db_before = pids_cpu_seconds(pids)
        push_s, stored, other = await push_all(server.base, clients)
        server_cpu, client_cpu = tree_cpu_seconds(server.proc.pid) - cpu_before, time.process_time() - own_before
        db_cpu = pids_cpu_seconds(pids) - db_before
        opened = len(set(await backend_pids(conn)) - set(pids))
    finally:
        server.stop()
    in_table = await conn.fetchval("SELECT count(*) FROM visit")
    await conn.close()
    rate = stored / push_s
    print(f"server (POST /api/v1/sync/push, {args.workers} uvicorn worker(s), {args.clients} concurrent clients, "
          f"batches of {args.batch}): {stored:,} visits in {push_s:.2f} s = {rate:,.0f} visits/s")
    print(f"ratio to the ceiling: {rate / ceiling_rate:.2f}")
    print(f"CPU while pushing: server processes {server_cpu:.1f} s ({server_cpu / stored * 1e6:.0f} us per visit), "
          f"bench clients {client_cpu:.1f} s; database backends {db_cpu:.1f} s ({db_cpu / max(stored, 1) * 1e6:.0f} us "
          f"per visit{f', not counting {opened} connection(s) opened while pushing' if opened else ''}); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if stored != args.visits or other or in_table != args.visits:
        print(f"error: {stored} stored, {other} not stored, {in_table} in the table; expected {args.visits}",
              file=sys.stderr)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000, help="records per push (the server allows 1000)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent tablets")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--database", default="doorstep_bench", help="database made afresh with scripts/db.sh")
    parser.add_argument("--database-url", help="use this database instead (its visits are deleted)")
    parser.add_argument("--seed", type=int, default=2026)
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
