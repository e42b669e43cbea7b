"""The notification sender: drains the ``notification`` outbox, e-mail over SMTP and signed webhooks.

Delivery is at least once and nothing is lost on a restart:

- No network I/O happens inside a database transaction. Tablets' pulls only show rows older than
  the oldest transaction still running in the cluster (README, "The change cursor"), so a
  transaction held open during an SMTP or webhook exchange would hold back every tablet for as
  long as the send takes. A row is therefore *leased*, not locked: one short transaction sets its
  ``claimed_until`` to :data:`LEASE_SECONDS` from now (picking the row with ``FOR UPDATE SKIP
  LOCKED`` among the due rows whose lease is unset or expired) and commits; the message is sent
  with no transaction open; a second short transaction records the outcome and clears the lease,
  only if the row still carries this claim's ``claimed_until`` (the claim token). Several workers
  (server processes) never send the same row at the same time while a lease runs. The row is
  marked ``sent`` only after the SMTP server accepted the message (or the webhook answered 2xx).
  If the process dies mid-send, the lease expires and the row is sent again by the next worker:
  receivers can drop the rare duplicate by the ``X-Doorstep-Delivery`` header (the notification
  id). A worker stopped cleanly hands its lease back at once.
- A refused delivery (SMTP 4xx/5xx, webhook non-2xx or unreachable) counts an attempt, keeps the
  error and is retried after ``2**attempts`` seconds (capped at one hour), until accepted. After
  :data:`FAILED_AFTER` attempts the row shows as ``failed`` to coordinators, and is still retried.
- An SMTP server that cannot be reached is an outage of the channel: the row that found it counts an
  attempt (its ``last_error`` says so) and this worker pauses e-mail with the same backoff; the rows
  behind it wait, untried. ``wake()`` (a coordinator's "try now") ends the pause and runs the queue.

Settings (environment): ``DOORSTEP_SMTP_HOST`` (127.0.0.1), ``DOORSTEP_SMTP_PORT`` (25),
``DOORSTEP_SMTP_FROM`` (doorstep@localhost), ``DOORSTEP_SMTP_SECURITY`` (starttls: the message
goes only after STARTTLS with a checked certificate; tls; or plain, for a local relay only),
``DOORSTEP_SMTP_USERNAME``/``DOORSTEP_SMTP_PASSWORD`` (log in after TLS), ``DOORSTEP_SMTP_CA_FILE``,
``DOORSTEP_NOTIFY_INTERVAL_SECONDS`` (5; 0 or less turns this worker off in that process).

Webhooks: ``agency.webhook_url`` (``https://`` only, outside demo mode) and ``agency.webhook_secret``.
The POST carries ``X-Doorstep-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<delivery
id>.<body>" with the secret>`` (Stripe's scheme, with the delivery id signed too), plus
``X-Doorstep-Event`` and ``X-Doorstep-Delivery``. Each attempt is signed when it is sent, so a
receiver that refuses old timestamps (README, "Partners' systems") refuses a captured delivery
replayed later, and one replayed under another delivery id fails the signature.
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
import ssl
import time
from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
from sqlalchemy import CursorResult, text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.engine import transaction
from server.domain.notifications.targets import webhook_url_problem
from server.lib.background import beside_the_server, run_every
from server.settings import Settings

log = logging.getLogger("doorstep.notifications")

FAILED_AFTER = 5
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 3600.0
SEND_TIMEOUT_SECONDS = 10.0
LEASE_SECONDS = 120.0  # far above one send (each SMTP/HTTP step times out after SEND_TIMEOUT_SECONDS)
SIGNATURE_HEADER = "X-Doorstep-Signature"


def backoff(attempts: int) -> float:
    """Seconds to wait after the n-th failed attempt (n ≥ 1)."""
    return min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)


def sign(secret: str, delivery_id: str, body: bytes, timestamp: int | None = None) -> str:
    """The X-Doorstep-Signature value: ``t=<timestamp>,v1=<hex HMAC-SHA256 of "t.delivery.body">``."""
    t = int(time.time()) if timestamp is None else timestamp
    signed = f"{t}.{delivery_id}.".encode() + body
    return f"t={t},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


class DeliveryRefused(Exception):
    """This message was not accepted; retry it later."""


class ChannelDown(Exception):
    """The channel itself is unreachable (e.g. the SMTP server is down)."""


# One short transaction: lease the oldest due row nobody holds a live lease on, and commit.
_CLAIM = text("""
UPDATE notification AS n
   SET claimed_until = now() + make_interval(secs => CAST(:lease AS double precision))
  FROM agency AS a
 WHERE a.id = n.agency_id
   AND n.id = (SELECT c.id FROM notification AS c
                WHERE c.status IN ('pending', 'failed') AND c.next_attempt_at <= now()
                  AND (c.claimed_until IS NULL OR c.claimed_until < now())
                  AND NOT (c.channel = ANY(CAST(:paused AS text[])))
                ORDER BY c.next_attempt_at, c.id
                LIMIT 1
                FOR UPDATE SKIP LOCKED)
RETURNING n.id, n.channel, n.target, n.subject, n.body, n.attempts, n.followup_id, a.webhook_secret,
          n.claimed_until
""")

# The outcome, in another short transaction, only if the row still carries this claim (:claim is
# the claimed_until the claim set): a worker whose lease ran out and was taken over changes nothing.
_SENT = text("""
UPDATE notification SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL,
       claimed_until = NULL
 WHERE id = :id AND claimed_until = :claim
""")

_REFUSED = text("""
UPDATE notification
   SET attempts = attempts + 1, last_error = :error,
       status = CASE WHEN attempts + 1 >= CAST(:failed_after AS integer) THEN 'failed' ELSE 'pending' END,
       next_attempt_at = now() + make_interval(secs => CAST(:delay AS double precision)),
       claimed_until = NULL
 WHERE id = :id AND claimed_until = :claim
""")

# The channel is down (the mail server unreachable): the row was tried, so it counts an attempt and
# waits its own backoff, as a refused one does (a coordinator who sees "Attempts 0" next to an error
# and a log full of retries was told the wrong thing); the worker also pauses the whole channel.
_CHANNEL_DOWN = _REFUSED

_RELEASE = text("UPDATE notification SET claimed_until = NULL WHERE id = :id AND claimed_until = :claim")


class NotificationWorker:
    def __init__(self, engine: AsyncEngine, settings: Settings, *, http: httpx.AsyncClient | None = None):
        self.engine = engine
        self.settings = settings
        self.http = http or httpx.AsyncClient(timeout=SEND_TIMEOUT_SECONDS, follow_redirects=False)
        self._paused_until: dict[str, float] = {}
        self._outages: dict[str, int] = {}
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """Try now: forget this process's channel pauses and run the queue without waiting for the interval."""
        self._paused_until.clear()
        self._outages.clear()
        self._woken.set()

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
        await run_every(self.run_once, self.settings.notify_interval_seconds, log, "notification worker",
                        self._woken)

    async def _claim(self) -> Any | None:
        """Lease the next due row (committed at once), or None if nothing is due."""
        async with transaction(self.engine) as session:
            return (await session.execute(_CLAIM, {"paused": self._paused(), "lease": LEASE_SECONDS})
                    ).mappings().first()

    async def _settle(self, statement: Any, row: Any, **params: Any) -> bool:
        """Record an outcome if this claim still holds the row; False if it was taken over."""
        async with transaction(self.engine) as session:
            result = await session.execute(statement, {"id": row["id"], "claim": row["claimed_until"], **params})
        if cast("CursorResult[Any]", result).rowcount == 0:  # an UPDATE's result is a cursor's
            log.warning("notification %s: lease lost before the outcome was recorded; it will be sent again",
                        row["id"])
            return False
        return True

    async def _one(self) -> bool:
        row = await self._claim()
        if row is None:
            return False
        # No transaction is open from here until the outcome is recorded.
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
            await self._settle(_CHANNEL_DOWN, row, error=str(exc)[:500], failed_after=FAILED_AFTER,
                               delay=backoff(row["attempts"] + 1))
            log.warning("notification %s: %s channel unavailable, paused %.0fs", row["id"], row["channel"],
                        backoff(outages))
        except DeliveryRefused as exc:
            attempts = row["attempts"] + 1
            await self._settle(_REFUSED, row, error=str(exc)[:500], failed_after=FAILED_AFTER,
                               delay=backoff(attempts))
            log.info("notification %s (%s) refused, attempt %d", row["id"], row["channel"], attempts)
        except BaseException:
            # Stopped (or a bug) mid-send: hand the lease back so the row is retried at once, not
            # when the lease expires. The message may have gone out: at least once, as ever.
            with contextlib.suppress(Exception):
                await asyncio.shield(self._settle(_RELEASE, row))
            raise
        else:
            self._outages.pop(row["channel"], None)
            if await self._settle(_SENT, row):
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
        await asyncio.to_thread(_smtp_send, s, msg)

    async def _send_webhook(self, row: Any) -> None:
        secret = row["webhook_secret"]
        if not secret:
            raise DeliveryRefused("the agency has a webhook_url but no webhook_secret to sign with")
        problem = webhook_url_problem(row["target"], demo=self.settings.demo)
        if problem is not None:  # e.g. "…must start with https://: follow-ups are not sent in clear…"
            raise DeliveryRefused(f"the agency's webhook_url is refused: {problem}")
        body = row["body"].encode()
        event = _event_of(row["body"])
        delivery = str(row["id"])
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, delivery, body),
                   "X-Doorstep-Event": event, "X-Doorstep-Delivery": delivery,
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


def _smtp_send(settings: Settings, msg: email.message.EmailMessage) -> None:
    """Send over TLS (STARTTLS, or TLS from the start) with the certificate checked, logging in when a
    username is set; in clear only when DOORSTEP_SMTP_SECURITY says plain (a local relay)."""
    host, port, security = settings.smtp_host, settings.smtp_port, settings.smtp_security
    context = ssl.create_default_context(cafile=settings.smtp_ca_file or None)
    try:
        if security == "tls":
            server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=SEND_TIMEOUT_SECONDS, context=context)
        else:
            server = smtplib.SMTP(host, port, timeout=SEND_TIMEOUT_SECONDS)
    except (OSError, smtplib.SMTPException) as exc:
        raise ChannelDown(f"SMTP server {host}:{port} unreachable ({type(exc).__name__}); "
                          "check DOORSTEP_SMTP_HOST/DOORSTEP_SMTP_PORT") from exc
    try:
        try:
            if security == "starttls":
                server.ehlo()
                if not server.has_extn("starttls"):
                    raise ChannelDown(f"SMTP server {host}:{port} does not offer STARTTLS, and nothing is sent in "
                                      "clear (DOORSTEP_SMTP_SECURITY=plain is for a local relay only)")
                server.starttls(context=context)
                server.ehlo()
            if settings.smtp_username:
                server.login(settings.smtp_username, settings.smtp_password)
        except smtplib.SMTPAuthenticationError as exc:
            raise ChannelDown(f"SMTP server refused the login ({exc.smtp_code}); check DOORSTEP_SMTP_USERNAME "
                              "and DOORSTEP_SMTP_PASSWORD") from exc
        except (OSError, smtplib.SMTPException) as exc:  # ssl.SSLError (a certificate not trusted) is an OSError
            raise ChannelDown(f"SMTP server {host}:{port}: no secure session ({type(exc).__name__}); check "
                              "DOORSTEP_SMTP_SECURITY and DOORSTEP_SMTP_CA_FILE") from exc
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
    """Runs the worker beside the server (one per process; rows are leased, see the module docstring)."""
    settings: Settings = app.state.settings
    async with beside_the_server(settings, "doorstep-notifications", settings.notify_interval_seconds,
                                 lambda engine: NotificationWorker(engine, settings),
                                 close=NotificationWorker.aclose) as worker:
        if worker is not None:
            app.state.notification_worker = worker  # "try now" wakes it
        yield
