"""The notification sender: drains the ``notification`` outbox, e-mail over SMTP and signed webhooks.

Delivery is at least once and nothing is lost on a restart:

- A row is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` in its own transaction, which stays
  open while the row is sent; several workers (server processes) never send the same row at
  the same time. The row is marked ``sent`` only after the SMTP server accepted the message
  (or the webhook answered 2xx), in that same transaction. If the process dies mid-send, the
  transaction rolls back and the row is still pending for the next worker. Receivers can drop
  the rare duplicate by the ``X-Doorstep-Delivery`` header (the notification id).
- A refused delivery (SMTP 4xx/5xx, webhook non-2xx or unreachable) counts an attempt, keeps the
  error and is retried after ``2**attempts`` seconds (capped at one hour), until accepted. After
  :data:`FAILED_AFTER` attempts the row shows as ``failed`` to coordinators, and is still retried.
- An SMTP server that cannot be reached is an outage of the channel, not of a message: rows keep
  their place (their ``last_error`` says so) and this worker pauses e-mail with the same backoff.

Settings (environment): ``DOORSTEP_SMTP_HOST`` (127.0.0.1), ``DOORSTEP_SMTP_PORT`` (25),
``DOORSTEP_SMTP_FROM`` (doorstep@localhost), ``DOORSTEP_NOTIFY_INTERVAL_SECONDS`` (5; 0 or less
turns this worker off in that process). Webhooks: ``agency.webhook_url`` and
``agency.webhook_secret``; the POST carries ``X-Doorstep-Signature: sha256=<hex HMAC-SHA256 of
the body with the secret>``, ``X-Doorstep-Event`` and ``X-Doorstep-Delivery``.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.message
import email.utils
import hashlib
import hmac
import json
import logging
import smtplib
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.engine import make_engine, transaction
from server.settings import Settings

log = logging.getLogger("doorstep.notifications")

FAILED_AFTER = 5
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 3600.0
SEND_TIMEOUT_SECONDS = 10.0
SIGNATURE_HEADER = "X-Doorstep-Signature"


def backoff(attempts: int) -> float:
    """Seconds to wait after the n-th failed attempt (n ≥ 1)."""
    return min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class DeliveryRefused(Exception):
    """This message was not accepted; retry it later."""


class ChannelDown(Exception):
    """The channel itself is unreachable (e.g. the SMTP server is down)."""


_CLAIM = text("""
SELECT n.id, n.channel, n.target, n.subject, n.body, n.attempts, n.followup_id, a.webhook_secret
  FROM notification AS n JOIN agency AS a ON a.id = n.agency_id
 WHERE n.status IN ('pending', 'failed') AND n.next_attempt_at <= now()
   AND NOT (n.channel = ANY(CAST(:paused AS text[])))
 ORDER BY n.next_attempt_at, n.id
 LIMIT 1
 FOR UPDATE OF n SKIP LOCKED
""")

_SENT = text("""
UPDATE notification SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL
 WHERE id = :id
""")

_REFUSED = text("""
UPDATE notification
   SET attempts = attempts + 1, last_error = :error,
       status = CASE WHEN attempts + 1 >= CAST(:failed_after AS integer) THEN 'failed' ELSE 'pending' END,
       next_attempt_at = now() + make_interval(secs => CAST(:delay AS double precision))
 WHERE id = :id
""")

_CHANNEL_DOWN = text("UPDATE notification SET last_error = :error WHERE id = :id")


class NotificationWorker:
    def __init__(self, engine: AsyncEngine, settings: Settings, *, http: httpx.AsyncClient | None = None):
        self.engine = engine
        self.settings = settings
        self.http = http or httpx.AsyncClient(timeout=SEND_TIMEOUT_SECONDS, follow_redirects=False)
        self._paused_until: dict[str, float] = {}
        self._outages: dict[str, int] = {}

    def _paused(self) -> list[str]:
        now = time.monotonic()
        return [c for c, until in self._paused_until.items() if until > now]

    async def run_once(self, limit: int = 100) -> int:
        """Send what is due (at most `limit` rows); returns how many rows were handled."""
        handled = 0
        while handled < limit and await self._one():
            handled += 1
        return handled

    async def run_forever(self) -> None:
        interval = self.settings.notify_interval_seconds
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be briefly away; keep going
                log.warning("notification worker: %s", type(exc).__name__)
            await asyncio.sleep(interval)

    async def _one(self) -> bool:
        async with transaction(self.engine) as session:
            row = (await session.execute(_CLAIM, {"paused": self._paused()})).mappings().first()
            if row is None:
                return False
            try:
                if row["channel"] == "email":
                    await self._send_email(row)
                elif row["channel"] == "webhook":
                    await self._send_webhook(row)
                else:
                    raise DeliveryRefused(f"unknown channel {row['channel']!r}")
            except ChannelDown as exc:
                outages = self._outages.get(row["channel"], 0) + 1
                self._outages[row["channel"]] = outages
                self._paused_until[row["channel"]] = time.monotonic() + backoff(outages)
                await session.execute(_CHANNEL_DOWN, {"id": row["id"], "error": str(exc)[:500]})
                log.warning("notification %s: %s channel unavailable, paused %.0fs", row["id"], row["channel"],
                            backoff(outages))
            except DeliveryRefused as exc:
                attempts = row["attempts"] + 1
                await session.execute(_REFUSED, {"id": row["id"], "error": str(exc)[:500],
                                                 "failed_after": FAILED_AFTER, "delay": backoff(attempts)})
                log.info("notification %s (%s) refused, attempt %d", row["id"], row["channel"], attempts)
            else:
                self._outages.pop(row["channel"], None)
                await session.execute(_SENT, {"id": row["id"]})
                log.info("notification %s (%s) sent", row["id"], row["channel"])
            return True

    # ------------------------------------------------------------ channels
    async def _send_email(self, row: Any) -> None:
        s = self.settings
        msg = email.message.EmailMessage()
        msg["From"] = s.smtp_from
        msg["To"] = row["target"]
        msg["Subject"] = row["subject"]
        msg["Date"] = email.utils.formatdate(localtime=False)
        msg["Message-ID"] = f"<notification-{row['id']}@doorstep>"
        msg["X-Doorstep-Delivery"] = str(row["id"])
        msg.set_content(row["body"])
        await asyncio.to_thread(_smtp_send, s.smtp_host, s.smtp_port, msg)

    async def _send_webhook(self, row: Any) -> None:
        secret = row["webhook_secret"]
        if not secret:
            raise DeliveryRefused("the agency has a webhook_url but no webhook_secret to sign with")
        body = row["body"].encode()
        event = _event_of(row["body"])
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body),
                   "X-Doorstep-Event": event, "X-Doorstep-Delivery": str(row["id"]),
                   "User-Agent": "Doorstep-Webhook/1"}
        try:
            response = await self.http.post(row["target"], content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryRefused(f"webhook unreachable: {type(exc).__name__}") from exc
        if not 200 <= response.status_code < 300:
            raise DeliveryRefused(f"webhook answered HTTP {response.status_code}")

    async def aclose(self) -> None:
        await self.http.aclose()


def _event_of(body: str) -> str:
    try:
        return str(json.loads(body).get("event", "followup"))
    except (ValueError, AttributeError):
        return "followup"


def _smtp_send(host: str, port: int, msg: email.message.EmailMessage) -> None:
    try:
        server = smtplib.SMTP(host, port, timeout=SEND_TIMEOUT_SECONDS)
    except (OSError, smtplib.SMTPException) as exc:
        raise ChannelDown(f"SMTP server {host}:{port} unreachable ({type(exc).__name__}); "
                          "check DOORSTEP_SMTP_HOST/DOORSTEP_SMTP_PORT") from exc
    try:
        server.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryRefused("SMTP server refused the recipient") from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryRefused(f"SMTP server answered {exc.smtp_code}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryRefused(f"SMTP error: {type(exc).__name__}") from exc
    finally:
        with contextlib.suppress(Exception):
            server.quit()


@contextlib.asynccontextmanager
async def notification_lifespan(app: Any) -> AsyncIterator[None]:
    """Runs the worker beside the server (one per process; rows are claimed with SKIP LOCKED)."""
    settings: Settings = app.state.settings
    if settings.notify_interval_seconds <= 0:
        yield
        return
    engine = make_engine(settings.database_url, pool_size=2, max_overflow=2)
    worker = NotificationWorker(engine, settings)
    task = asyncio.create_task(worker.run_forever(), name="doorstep-notifications")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await worker.aclose()
        await engine.dispose()


