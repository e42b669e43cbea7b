"""Two server processes on one database, behind HAProxy, through PgBouncer in transaction mode.

What a deployment with N stateless servers relies on: pushes spread over both are stored exactly once;
a pull through one sees pushes made through the other; each notification is sent once while both
processes' workers run; failed sign-ins are counted across both. Every program here is the real
one (Debian's haproxy and pgbouncer, uvicorn, PostgreSQL), each stopped at the end, passed or failed.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from scripts.scaleout import SERVED_BY, free_port, haproxy, pgbouncer, server_process
from tests.followups.receivers import SmtpSink
from tests.support import eventually

from .conftest import needs

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "doorstep-demo"
pytestmark = [needs("pgbouncer", "haproxy"), pytest.mark.timeout(300)]


class SlowWebhook:
    """A webhook receiver that takes 150 ms to answer, so a send is in progress long enough for the
    other process's worker to look for work at the same time. Counts deliveries by delivery id."""

    def __init__(self) -> None:
        self.port = free_port()
        self.deliveries: collections.Counter[str] = collections.Counter()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the standard library's name
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(0.15)
                receiver.deliveries[self.headers.get("X-Doorstep-Delivery", "")] += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def __enter__(self) -> SlowWebhook:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def _in_a_thread(coro):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _setup(database_url: str, demo_operation: int, webhook_url: str) -> dict:
    """A sync operation (the two demo pairs) and an agency every follow-up category of it is routed to."""
    from server.db.engine import make_engine, transaction
    from tests.sync.conftest import make_operation

    engine = make_engine(database_url)
    try:
        op = await make_operation(engine, type("Demo", (), {"operation_id": demo_operation})(), households=12)
        code = f"scale-{uuid.uuid4().hex[:8]}"
        async with transaction(engine) as s:
            await s.execute(text(
                "INSERT INTO agency (code, name, kind, email, webhook_url, webhook_secret) "
                "VALUES (:c, :c, 'council', :e, :u, 'scale-secret')"),
                {"c": code, "e": f"{code}@agency.example", "u": webhook_url})
            await s.execute(text("UPDATE operation SET routing = (SELECT jsonb_object_agg(k, CAST(:c AS text)) "
                                 "FROM jsonb_object_keys(routing) AS k) || jsonb_build_object('fly_tipping', "
                                 "CAST(:c AS text)) WHERE id = :op"), {"c": code, "op": op.id})
        return {"op": op, "agency": code}
    finally:
        await engine.dispose()


async def _notifications(database_url: str, agency: str) -> list[tuple]:
    from server.db.engine import make_engine

    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(
                "SELECT n.id, n.channel, n.status, n.attempts FROM notification AS n JOIN agency AS a "
                "ON a.id = n.agency_id WHERE a.code = :c"), {"c": agency})).all())
    finally:
        await engine.dispose()


def _token(base: str, username: str) -> str:
    r = httpx.post(base + "/api/v1/auth/token", json={"username": username, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def _visit(op, household: int, team: str = "a") -> dict:
    return {"type": "visit", "id": str(uuid.uuid4()), "operation_id": op.id,
            "household_id": op.household_ids[household], "team_id": op.team_a if team == "a" else op.team_b,
            "visited_at": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"), "outcome": "no_answer"}


def test_two_servers_behind_haproxy_and_pgbouncer(database_url, database_name, demo, tmp_path):
    with SlowWebhook() as hook, SmtpSink() as smtp:
        world = _in_a_thread(_setup(database_url, demo.operation_id, hook.url))
        op, agency = world["op"], world["agency"]
        with pgbouncer(pool_mode="transaction", pool_size=8) as bouncer:
            env = dict(os.environ, DATABASE_URL=bouncer.url(database_name), DATABASE_POOL_MODE="transaction",
                       DOORSTEP_TRUSTED_PROXIES="127.0.0.1", DOORSTEP_NOTIFY_INTERVAL_SECONDS="0.1",
                       DOORSTEP_SMTP_HOST="127.0.0.1", DOORSTEP_SMTP_PORT=str(smtp.port),
                       DOORSTEP_SMTP_SECURITY="plain", DOORSTEP_IMPORT_INTERVAL_SECONDS="0")
            logs = {name: tmp_path / f"{name}.log" for name in ("one", "two")}
            with server_process(env, log=logs["one"]) as one, server_process(env, log=logs["two"]) as two:
                ports = {"one": int(one.rsplit(":", 1)[1]), "two": int(two.rsplit(":", 1)[1])}
                with haproxy(ports) as proxy:
                    _pushes_spread_over_both_are_stored_once(proxy.base, op)
                    _a_pull_through_one_sees_pushes_through_the_other(one, two, op)
                    _each_notification_is_sent_once(proxy.base, op, agency, database_url, hook, smtp, logs)
                    _failed_sign_ins_count_across_both(proxy.base)


def _pushes_spread_over_both_are_stored_once(base: str, op) -> None:
    """Twelve pushes at once through the proxy, every record in two of them."""
    records = [_visit(op, i % 12) for i in range(60)]
    bodies = [records[i * 5:(i + 2) * 5] for i in range(11)] + [records[55:] + records[:5]]  # each record twice
    bearer = _token(base, "officer")

    def push(body: list[dict]) -> httpx.Response:
        # A connection of its own per push, as separate tablets: HAProxy balances each one.
        return httpx.post(base + "/api/v1/sync/push", json={"device_id": "scale-tab", "records": body},
                          headers={"Authorization": f"Bearer {bearer}"}, timeout=60)

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(push, bodies))
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers if r.status_code != 200]
    assert {r.headers[SERVED_BY] for r in answers} == {"one", "two"}, "HAProxy sent every push to one server"
    stored = collections.Counter(x["id"] for r in answers for x in r.json()["results"] if x["status"] == "stored")
    others = {x["status"] for r in answers for x in r.json()["results"] if x["status"] != "stored"}
    assert others <= {"duplicate"}, others
    assert sorted(stored) == sorted(r["id"] for r in records) and set(stored.values()) == {1}, stored


def _a_pull_through_one_sees_pushes_through_the_other(one: str, two: str, op) -> None:
    records = [_visit(op, i, team="a") for i in range(3)]
    r = httpx.post(one + "/api/v1/sync/push", json={"device_id": "scale-tab-a", "records": records},
                   headers={"Authorization": f"Bearer {_token(one, 'officer')}"}, timeout=30)
    assert [x["status"] for x in r.json()["results"]] == ["stored"] * 3, r.text
    pcso = {"Authorization": f"Bearer {_token(two, 'pcso')}"}

    def seen() -> bool:
        got = httpx.get(two + "/api/v1/sync/pull", params={"operation_id": op.id}, headers=pcso, timeout=30)
        assert got.status_code == 200, got.text
        return {x["id"] for x in records} <= {c.get("id") for c in got.json()["changes"]}

    eventually(seen, timeout=20, what="a pull through the second server showing pushes through the first")


def _each_notification_is_sent_once(base, op, agency, database_url, hook, smtp, logs) -> None:
    """Twelve follow-ups pushed through the proxy: each routed to the agency, by e-mail and webhook,
    while both processes' notification workers run; every one delivered exactly once."""
    records = [{"type": "followup", "id": str(uuid.uuid4()), "operation_id": op.id, "category": "fly_tipping",
                "priority": "normal", "description": "Mattress in the alley", "household_id": op.household_ids[i],
                "raised_at": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")} for i in range(12)]
    r = httpx.post(base + "/api/v1/sync/push", json={"device_id": "scale-tab", "records": records},
                   headers={"Authorization": f"Bearer {_token(base, 'officer')}"}, timeout=30)
    assert [x["status"] for x in r.json()["results"]] == ["stored"] * 12, r.text

    def all_sent() -> list | bool:
        rows = _in_a_thread(_notifications(database_url, agency))
        return rows if len(rows) == 24 and all(row[2] == "sent" for row in rows) else False

    rows = eventually(all_sent, timeout=60, interval=0.3, what="24 notifications sent")
    webhooks = {str(row[0]) for row in rows if row[1] == "webhook"}
    assert set(hook.deliveries) == webhooks and set(hook.deliveries.values()) == {1}, hook.deliveries
    mails = collections.Counter(m.message["X-Doorstep-Delivery"] for m in smtp.mails
                                if f"{agency}@agency.example" in m.recipients)
    assert set(mails) == {str(row[0]) for row in rows if row[1] == "email"} and set(mails.values()) == {1}, mails
    assert all(row[3] == 1 for row in rows), rows  # one attempt each: nobody sent one twice
    sent_by = {name: log.read_text().count(") sent") for name, log in logs.items()}
    assert all(n > 0 for n in sent_by.values()), f"both workers should have sent some: {sent_by}"


def _failed_sign_ins_count_across_both(base: str) -> None:
    """Wrong passwords for one name from one client, alternating between the servers: after the free
    failures the next attempt waits, whichever server answers."""
    name = f"scale-nobody-{uuid.uuid4().hex[:8]}"
    served, codes = set(), []
    for i in range(6):
        r = httpx.post(base + "/api/v1/auth/token", json={"username": name, "password": f"guess-{i}"},
                       headers={"X-Forwarded-For": "203.0.113.90"}, timeout=30)
        served.add(r.headers[SERVED_BY])
        codes.append(r.status_code)
    assert codes == [401] * 5 + [429], codes
    assert served == {"one", "two"}, served


def test_servers_that_all_migrate_as_they_start_take_turns(database_name):
    """`doorstep migrate` from three processes at once on an empty database: one migrates, the others
    wait on its lock and find nothing to do."""
    name = f"{database_name}_migrate_race"[:63]
    db = ["bash", str(ROOT / "scripts" / "db.sh")]
    subprocess.run([*db, "drop", name], check=True, capture_output=True)
    subprocess.run([*db, "ensure", name], check=True, capture_output=True)
    try:
        url = subprocess.run([*db, "url", name], check=True, capture_output=True, text=True).stdout.strip()
        env = dict(os.environ, DATABASE_URL=url)
        procs = [subprocess.Popen([sys.executable, "-m", "server.cli", "migrate"], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
        outs = [p.communicate(timeout=240) for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0], [o[1].decode()[-1500:] for o in outs]
        heads = subprocess.run([str(ROOT / ".venv" / "bin" / "alembic"), "-c", "server/alembic.ini", "heads"],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()[0]
        got = _in_a_thread(_version(url))
        assert got == heads, (got, heads)
    finally:
        subprocess.run([*db, "drop", name], check=True, capture_output=True)


async def _version(url: str) -> str:
    from server.db.engine import make_engine

    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
    finally:
        await engine.dispose()
