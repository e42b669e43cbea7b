"""The outbox: e-mail to a real SMTP server (aiosmtpd), signed webhooks to a real receiver that fails
first, an SMTP server that is down, a server restart with notifications pending, no transaction
held open while a notification is sent (tablets' pulls go on), and a lease that expires."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import json
import os
import signal
import uuid

import httpx
from sqlalchemy import text

from server.db.engine import make_engine, transaction
from server.domain.notifications import worker as worker_module
from server.domain.notifications.worker import SIGNATURE_HEADER, NotificationWorker
from server.settings import get_settings
from tests.followups.receivers import SmtpSink, WebhookReceiver
from tests.support import ServerProcess, eventually_async, free_port, start_server
from tests.sync.conftest import make_operation, visit


def _settings(smtp_port: int):
    """A plain local relay (aiosmtpd): TLS and login are tests/security/test_notifications.py's."""
    return dataclasses.replace(get_settings(), smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_security="plain",
                               smtp_from="doorstep@test.example", notify_interval_seconds=0.2)


async def _rows(db_engine, fids) -> list:
    async with transaction(db_engine) as s:
        return (await s.execute(text(
            "SELECT id, channel, status, attempts, last_error, target FROM notification "
            "WHERE followup_id = ANY(:ids) ORDER BY id"), {"ids": list(fids)})).all()


async def _drain_until(worker, db_engine, fids, *, timeout: float = 30.0) -> list:
    async def delivered() -> list:
        await worker.run_once()
        rows = await _rows(db_engine, fids)
        return rows if rows and all(r.status == "sent" for r in rows) else []

    return await eventually_async(delivered, timeout=timeout, interval=0.3, what="every notification sent")


async def test_email_and_signed_webhook_retried_until_accepted(agency_operation, raise_followup, db_engine,
                                                               client, headers, tokens):
    coordinator_cookie = f"Bearer {await tokens('coordinator')}"
    secret = "s3cret-" + os.urandom(8).hex()
    with SmtpSink() as smtp, WebhookReceiver(fail_first=2) as hook:
        code, _, op = await agency_operation(webhook_url=hook.url, secret=secret)
        fid = await raise_followup("graffiti", priority="high", operation_id=op, description="Tag on the bus shelter",
                                   consent=True, resident={"name": "Ms Notify Secret", "phone": "0113 496 7777"})
        worker = NotificationWorker(db_engine, _settings(smtp.port))
        try:
            # The first pass delivers the e-mail and is refused by the webhook; the failure is visible.
            await worker.run_once()
            rows = {r.channel: r for r in await _rows(db_engine, [fid])}
            assert rows["email"].status == "sent"
            assert rows["webhook"].status == "pending" and rows["webhook"].attempts == 1
            assert "HTTP 500" in rows["webhook"].last_error
            seen = (await client.get("/api/v1/notifications/undelivered", params={"followup_id": str(fid)},
                                     headers=await headers("coordinator"))).json()["items"]
            assert [(i["channel"], i["agency"], i["attempts"]) for i in seen] == [("webhook", code, 1)]
            cookie = {"Cookie": f'doorstep_session="{coordinator_cookie}"'}
            page = await client.get("/partner", headers=cookie)
            assert 'id="undelivered"' in page.text and 'href="/partner/notifications"' in page.text
            panel = await client.get("/partner/notifications", headers=cookie)
            row = next((r for r in panel.text.split("<tr ") if code in r), "")
            assert 'data-status="pending"' in row and "HTTP 500" in row and '<td class="num">1</td>' in row
            rows = await _drain_until(worker, db_engine, [fid])
        finally:
            await worker.aclose()
    webhook = next(r for r in rows if r.channel == "webhook")
    assert webhook.attempts == 3 and webhook.last_error is None
    mine = [m for m in smtp.mails if f"{code}@agency.example" in m.recipients]
    assert len(mine) == 1
    mail = mine[0].message
    assert mail["Subject"].startswith("[Doorstep] New follow-up: Graffiti (High)")
    text_body = mail.get_payload(decode=True).decode()
    assert f"/partner/followups/{fid}" in text_body
    # No text a person wrote and no resident's details in an e-mail (the inbox, signed in, has them).
    assert "Tag on the bus shelter" not in text_body
    assert "Notify Secret" not in text_body and "7777" not in text_body
    hits = [h for h in hook.hits if json.loads(h.body)["service_request_id"] == str(fid)]
    assert [h.answered for h in hits] == [500, 500, 204]
    for h in hits:
        t = h.headers[SIGNATURE_HEADER.lower()].split(",")[0].removeprefix("t=")
        signed = f"{t}.{webhook.id}.".encode() + h.body
        expected = f"t={t},v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        assert h.headers[SIGNATURE_HEADER.lower()] == expected
        assert h.headers["x-doorstep-delivery"] == str(webhook.id)
    payload = json.loads(hits[-1].body)
    assert payload["event"] == "followup.created" and payload["service_code"] == "graffiti"
    assert payload["agency_responsible"] == code and payload["expected_datetime"]
    assert "Notify Secret" not in hits[-1].body.decode() and "7777" not in hits[-1].body.decode()


async def test_smtp_server_down_is_retried_not_lost(agency_operation, raise_followup, db_engine):
    port = free_port()  # nothing listens here yet
    code, _, op = await agency_operation()
    fid = await raise_followup("graffiti", operation_id=op)
    down = NotificationWorker(db_engine, _settings(port))
    try:
        await down.run_once()
    finally:
        await down.aclose()
    [row] = await _rows(db_engine, [fid])
    assert row.status == "pending" and "unreachable" in row.last_error
    with SmtpSink(port) as smtp:
        up = NotificationWorker(db_engine, _settings(port))
        try:
            [row] = await _drain_until(up, db_engine, [fid])
        finally:
            await up.aclose()
    assert row.status == "sent"
    address = f"{code}@agency.example"
    assert [m.recipients for m in smtp.mails if address in m.recipients] == [[address]]


async def test_the_panel_shows_every_notification_not_delivered_and_try_now_sends_them(
        agency_operation, raise_followup, db_engine, client, headers, tokens):
    """Issue 14's "Attempts 0 while 15 pending": with the mail server down, the one row tried counts its
    attempt and the rows waiting behind the paused channel are listed too, untried; "try now" sends."""
    port = free_port()  # nothing listens here yet
    _, _, op = await agency_operation()
    fids = [await raise_followup("graffiti", operation_id=op) for _ in range(3)]
    down = NotificationWorker(db_engine, _settings(port))
    try:
        await down.run_once()  # one row finds the server down; the channel pauses
    finally:
        await down.aclose()
    rows = await _rows(db_engine, fids)
    assert sorted(r.attempts for r in rows) == [0, 0, 1]
    tried = next(r for r in rows if r.attempts == 1)
    assert tried.status == "pending" and "unreachable" in tried.last_error
    coordinator = await headers("coordinator")
    listed = {i["id"]: i for i in (await client.get("/api/v1/notifications/undelivered",
                                                     headers=coordinator)).json()["items"]}
    assert {r.id for r in rows} <= set(listed) and listed[tried.id]["attempts"] == 1
    cookie = {"Cookie": f'doorstep_session="Bearer {await tokens("coordinator")}"'}
    panel = await client.get("/partner/notifications", headers=cookie)
    for r in rows:
        row = next(x for x in panel.text.split("<tr ") if f'data-id="{r.id}"' in x)
        assert ("Not tried yet" in row) == (r.attempts == 0) and f'<td class="num">{r.attempts}</td>' in row
    r = await client.post("/api/v1/notifications/try-now", headers=coordinator)
    assert r.status_code == 200 and r.json()["due_now"] >= 3
    with SmtpSink(port):
        up = NotificationWorker(db_engine, _settings(port))
        try:
            sent = await _drain_until(up, db_engine, fids, timeout=15)
        finally:
            await up.aclose()
    assert all(x.status == "sent" for x in sent)
    async with transaction(db_engine) as s:
        logged = (await s.execute(text("SELECT count(*) FROM audit_log WHERE action = 'notification.retry'"))).scalar()
    assert logged >= 1


def _start_server(smtp_port: int) -> ServerProcess:
    return start_server(get_settings().database_url, DOORSTEP_SMTP_HOST="127.0.0.1", DOORSTEP_SMTP_PORT=str(smtp_port),
                        DOORSTEP_SMTP_SECURITY="plain", DOORSTEP_NOTIFY_INTERVAL_SECONDS="0.2")


async def test_server_restart_with_notifications_pending_loses_none(agency_operation, raise_followup, db_engine):
    smtp_port = free_port()
    with WebhookReceiver(fail_first=10**6) as refusing:
        code, agency_id, op = await agency_operation(webhook_url=refusing.url, secret="restart-secret")
        fids = [await raise_followup("graffiti", operation_id=op) for _ in range(4)]
        first = await asyncio.to_thread(_start_server, smtp_port)  # SMTP down, webhook refusing
        try:
            async def tried() -> bool:  # every webhook refused at least once, the e-mail channel found down
                rows = await _rows(db_engine, fids)
                return all(r.attempts >= 1 for r in rows if r.channel == "webhook") and any(
                    r.last_error and f":{smtp_port} unreachable" in r.last_error for r in rows)

            await eventually_async(tried, timeout=20, interval=0.3, what="every channel tried once")
        finally:
            first.proc.send_signal(signal.SIGKILL)  # no clean shutdown
            await asyncio.to_thread(first.proc.wait)
    rows = await _rows(db_engine, fids)
    assert len(rows) == 8 and not any(r.status == "sent" for r in rows)
    with SmtpSink(smtp_port) as smtp, WebhookReceiver(port=refusing.port) as hook:
        # Make the webhook rows due now rather than after their backoff, and let the lease of a row
        # the kill caught mid-send run out now rather than in two minutes, then restart.
        async with transaction(db_engine) as s:
            await s.execute(text("UPDATE notification SET next_attempt_at = now(), claimed_until = NULL "
                                 "WHERE followup_id = ANY(:ids)"), {"ids": fids})
        second = await asyncio.to_thread(_start_server, smtp_port)
        try:
            async def all_sent() -> bool:
                return all(r.status == "sent" for r in await _rows(db_engine, fids))

            await eventually_async(all_sent, timeout=30, interval=0.3, what="every notification sent after the restart")
        finally:
            await asyncio.to_thread(second.stop)
    mails = [m for m in smtp.mails if f"{code}@agency.example" in m.recipients]
    assert sorted(m.message["X-Doorstep-Delivery"] for m in mails) == sorted(
        str(r.id) for r in rows if r.channel == "email")
    delivered = {json.loads(h.body)["service_request_id"] for h in hook.hits if h.answered == 204}
    assert delivered == {str(f) for f in fids}


async def test_no_transaction_is_held_open_while_a_notification_is_sent(
        agency_operation, raise_followup, db_engine, database_url, demo, client, headers):
    """A webhook receiver that does not answer until the test lets it: meanwhile no session of the
    database holds a transaction, the cluster's oldest running transaction moves past one that
    committed during the send, and a tablet's pull shows a visit pushed during the send."""
    sync_op = await make_operation(db_engine, demo, households=2)
    name = f"doorstep-lease-test-{uuid.uuid4().hex[:8]}"
    worker_engine = make_engine(database_url, connect_args={"server_settings": {"application_name": name}})
    with SmtpSink() as smtp, WebhookReceiver(hold=True) as hook:
        _, _, op = await agency_operation(webhook_url=hook.url, secret="held-secret")
        fid = await raise_followup("graffiti", operation_id=op)
        # A read timeout well beyond the hold, so the send stays in progress as long as the test needs.
        worker = NotificationWorker(worker_engine, _settings(smtp.port), http=httpx.AsyncClient(timeout=90))
        sending = asyncio.create_task(worker.run_once())
        try:
            assert await asyncio.to_thread(hook.entered.wait, 30), "the webhook was not sent"
            assert not hook.hits  # the send is in progress: the receiver has not answered yet

            async def leased() -> bool:
                async with transaction(db_engine) as s:
                    return (await s.execute(text(
                        "SELECT claimed_until > now() FROM notification WHERE followup_id = :id "
                        "AND channel = 'webhook'"), {"id": fid})).scalar_one()

            assert await leased()  # the row is leased, so no other worker sends it meanwhile

            async def no_session_in_a_transaction():
                async with db_engine.connect() as conn:
                    rows = (await conn.execute(text(
                        "SELECT application_name, state, backend_xid FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                        "AND (backend_xid IS NOT NULL OR state LIKE 'idle in transaction%')"))).all()
                    mine = (await conn.execute(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"), {"n": name})).scalar()
                return mine > 0 and not rows

            await eventually_async(no_session_in_a_transaction, timeout=10,
                        what="a session holds a transaction (an xid, or idle in transaction) during the send")

            async with db_engine.begin() as conn:  # a transaction that commits after the send began
                xid = (await conn.execute(text("SELECT pg_current_xact_id()::text::bigint"))).scalar_one()

            async def xmin_past_it():
                async with db_engine.connect() as conn:
                    return (await conn.execute(text(
                        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"))).scalar_one() > xid

            # xmin is cluster-wide: other databases' short transactions may hold it back a moment.
            await eventually_async(
                xmin_past_it, timeout=15, what="the snapshot's xmin did not pass a committed transaction"
            )

            record = visit(sync_op, team="b", outcome="no_answer")
            pushed = await client.post("/api/v1/sync/push", json={"device_id": "lease-tab", "records": [record]},
                                       headers=await headers("pcso"))
            assert pushed.status_code == 200, pushed.text

            async def pulled():
                r = await client.get("/api/v1/sync/pull", params={"operation_id": sync_op.id},
                                     headers=await headers("officer"))
                assert r.status_code == 200, r.text
                return record["id"] in {c["id"] for c in r.json()["changes"] if c["kind"] == "visit"}

            await eventually_async(pulled, timeout=15, what="a visit pushed during the send did not reach the pull")
            assert not hook.hits and await leased()  # the send was in progress all along
        finally:
            hook.release.set()
            try:
                await asyncio.wait_for(sending, 60)
                rows = await _drain_until(worker, db_engine, [fid])
            finally:
                await worker.aclose()
                await worker_engine.dispose()
    async with transaction(db_engine) as s:
        leases = (await s.execute(text("SELECT claimed_until FROM notification WHERE followup_id = :id"),
                                  {"id": fid})).scalars().all()
    assert leases == [None, None]  # the lease is handed back with the outcome
    webhook = next(r for r in rows if r.channel == "webhook")
    assert [h.headers["x-doorstep-delivery"] for h in hook.hits if h.answered == 204] == [str(webhook.id)]


async def test_a_lease_blocks_other_workers_until_it_expires(agency_operation, raise_followup, db_engine):
    """A worker that died mid-send leaves its lease: the row is not sent again while the lease runs,
    is sent once it has expired, and the dead worker's late outcome changes nothing."""
    with SmtpSink() as smtp, WebhookReceiver() as hook:
        code, _, op = await agency_operation(webhook_url=hook.url, secret="lease-secret")
        fid = await raise_followup("graffiti", operation_id=op)
        async with transaction(db_engine) as s:  # what a claim writes, by a worker that then dies
            dead_claims = (await s.execute(text(
                "UPDATE notification SET claimed_until = now() + interval '2 minutes' "
                "WHERE followup_id = :id RETURNING id, claimed_until"), {"id": fid})).mappings().all()
        worker = NotificationWorker(db_engine, _settings(smtp.port))
        try:
            await worker.run_once()
            rows = await _rows(db_engine, [fid])
            assert [(r.status, r.attempts) for r in rows] == [("pending", 0), ("pending", 0)]
            assert not [h for h in hook.hits if json.loads(h.body)["service_request_id"] == str(fid)]
            assert not [m for m in smtp.mails if f"{code}@agency.example" in m.recipients]

            async with transaction(db_engine) as s:  # two minutes later: the leases have run out
                await s.execute(text("UPDATE notification SET claimed_until = now() - interval '1 second' "
                                     "WHERE followup_id = :id"), {"id": fid})
            rows = await _drain_until(worker, db_engine, [fid])
            assert [r.attempts for r in rows] == [1, 1]

            # The dead worker comes back and reports a refusal under its old claim: ignored.
            stale = dict(dead_claims[0])
            assert not await worker._settle(worker_module._REFUSED, stale, error="late", failed_after=5, delay=60)
            assert [(r.status, r.attempts, r.last_error) for r in await _rows(db_engine, [fid])] == [
                ("sent", 1, None), ("sent", 1, None)]
        finally:
            await worker.aclose()
    assert len([m for m in smtp.mails if f"{code}@agency.example" in m.recipients]) == 1
    assert len([h for h in hook.hits if json.loads(h.body)["service_request_id"] == str(fid)]) == 1
