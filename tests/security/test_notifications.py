"""Notifications (issue 11): e-mail over STARTTLS with a login and nothing a resident said in it;
webhooks signed over a timestamp, the delivery id and the body, over https only.

The review found e-mail sent without STARTTLS or login, the exact address in the subject and a
resident's planted phone number in the body; and webhook signatures over the body alone, so a
captured delivery replayed under a new delivery id passed, to an http:// URL.
"""

from __future__ import annotations

import dataclasses
import email
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import text

from server.db.engine import transaction
from server.domain.notifications.worker import NotificationWorker
from server.settings import SettingsError, from_env, get_settings
from tests.followups.receivers import SmtpSink, WebhookReceiver, free_port
from tests.support import eventually_async

ROOT = Path(__file__).resolve().parents[2]
USER, PASSWORD = "doorstep-mailer", "mail-password-0451"
PLANTED = "Call Mrs Planted on 07700 900123 about the dog"


# ---------------------------------------------------------------- a mail server that insists on TLS and a login


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (key, cert), made with openssl."""
    folder = tmp_path_factory.mktemp("smtp-tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", str(key),
                    "-out", str(cert), "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return key, cert


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.Message
    tls: bool
    login: str | None


@dataclass
class StrictSink:
    """aiosmtpd that refuses everything before STARTTLS and mail before AUTH; records how each came."""

    key: Path
    cert: Path
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)

    def __enter__(self) -> StrictSink:
        import ssl

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.cert), str(self.key))
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook)
                sink.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                              email.message_from_bytes(envelope.content),
                                              session.ssl is not None, session.login_data and USER))
                return "250 Message accepted"

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) \
                == (USER, PASSWORD)
            sink.logins.append((auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "?",
                                session.ssl is not None))
            return AuthResult(success=ok, handled=False, auth_data=auth_data)

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, tls_context=context,
                                     require_starttls=True, auth_required=True, auth_require_tls=True,
                                     authenticator=authenticator)
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


def _settings(port: int, cert: Path | None, **changes):
    return dataclasses.replace(get_settings(), **{
        "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "starttls", "smtp_username": USER,
        "smtp_password": PASSWORD, "smtp_ca_file": str(cert or ""), "smtp_from": "doorstep@test.example", **changes})


async def _email_rows(db_engine, fid) -> list:
    async with transaction(db_engine) as s:
        return (await s.execute(text("SELECT status, attempts, last_error FROM notification "
                                     "WHERE followup_id = :f AND channel = 'email'"), {"f": fid})).all()


async def _send(db_engine, settings, fid, channel: str = "email") -> None:
    """Run a worker until it has tried the follow-up's notification on `channel`. The row is made the
    first due (the shared test database may hold other tests' rows, and a worker that finds the
    channel down stops trying it for a while)."""
    async with transaction(db_engine) as s:
        await s.execute(text("UPDATE notification SET last_error = NULL, next_attempt_at = "
                             "(SELECT min(next_attempt_at) FROM notification) - interval '1 second' "
                             "WHERE followup_id = :f AND channel = :c"), {"f": fid, "c": channel})
    worker = NotificationWorker(db_engine, settings)

    async def tried() -> bool:
        await worker.run_once()
        async with transaction(db_engine) as s:
            return bool((await s.execute(text(
                "SELECT status = 'sent' OR last_error IS NOT NULL FROM notification "
                "WHERE followup_id = :f AND channel = :c"), {"f": fid, "c": channel})).scalar())

    try:
        await eventually_async(tried, timeout=30, what=f"the {channel} notification tried")
    finally:
        await worker.aclose()
        async with transaction(db_engine) as s:  # not first in line for the other tests' workers
            await s.execute(text("UPDATE notification SET next_attempt_at = now() + interval '1 day' "
                                 "WHERE followup_id = :f AND status <> 'sent'"), {"f": fid})


async def test_e_mail_goes_only_over_starttls_with_a_login_and_says_nothing_personal(
        certificate, agency_operation, raise_followup, db_engine, demo_ids):
    code, _, op = await agency_operation()
    fid = await raise_followup("graffiti", priority="urgent", operation_id=op, description=PLANTED, consent=True,
                               resident={"name": "Mrs Planted", "phone": "07700 900123"})
    async with transaction(db_engine) as s:
        address = (await s.execute(text("SELECT address FROM household WHERE id = :h"),
                                   {"h": demo_ids["household_id"]})).scalar_one()
        operation = (await s.execute(text("SELECT name FROM operation WHERE id = :o"), {"o": op})).scalar_one()
    with StrictSink(*certificate) as sink:
        await _send(db_engine, _settings(sink.port, certificate[1]), fid)
    [row] = await _email_rows(db_engine, fid)
    assert row.status == "sent", row
    [mail] = [m for m in sink.received if f"{code}@agency.example" in m.rcpt_tos]
    assert mail.tls and sink.logins and all(tls for _, tls in sink.logins)  # the login itself went over TLS
    subject = mail.message["Subject"]
    body = mail.message.get_payload(decode=True).decode()
    assert subject == "[Doorstep] New follow-up: Graffiti (Urgent)"
    for line in ("Category: Graffiti", "Priority: Urgent", f"Operation: {operation}", f"/partner/followups/{fid}"):
        assert line in body, line
    assert re.search(r"Due: \d{4}-\d\d-\d\d \d\d:\d\d UTC", body)
    for secret in (PLANTED, "Planted", "07700", "900123", address, address.split()[-1]):
        assert secret not in body and secret not in subject, secret


async def test_a_server_without_starttls_gets_nothing(certificate, agency_operation, raise_followup, db_engine):
    code, _, op = await agency_operation()
    fid = await raise_followup("graffiti", operation_id=op, description=PLANTED)
    with SmtpSink() as plain:  # a mail server that does not offer STARTTLS
        await _send(db_engine, _settings(plain.port, certificate[1]), fid)
    [row] = await _email_rows(db_engine, fid)
    assert row.status == "pending" and "does not offer STARTTLS" in row.last_error
    assert not [m for m in plain.mails if f"{code}@agency.example" in m.recipients]


async def test_an_untrusted_certificate_or_a_wrong_password_sends_nothing(certificate, agency_operation,
                                                                           raise_followup, db_engine):
    code, _, op = await agency_operation()
    fid = await raise_followup("graffiti", operation_id=op)
    with StrictSink(*certificate) as sink:
        # the system's CAs do not know this certificate
        await _send(db_engine, _settings(sink.port, None), fid)
        [row] = await _email_rows(db_engine, fid)
        assert row.status == "pending" and "no secure session" in row.last_error
        await _send(db_engine, _settings(sink.port, certificate[1], smtp_password="not-it"), fid)
        [row] = await _email_rows(db_engine, fid)
        assert row.status == "pending" and "refused the login" in row.last_error
    assert not [m for m in sink.received if f"{code}@agency.example" in m.rcpt_tos]


def test_no_password_is_ever_set_up_to_go_in_clear(monkeypatch):
    monkeypatch.setenv("DOORSTEP_SMTP_SECURITY", "plain")
    monkeypatch.setenv("DOORSTEP_SMTP_USERNAME", "someone")
    with pytest.raises(SettingsError, match="never sent without TLS"):
        from_env()
    monkeypatch.setenv("DOORSTEP_SMTP_SECURITY", "ssl-ish")
    with pytest.raises(SettingsError, match="starttls"):
        from_env()


# ---------------------------------------------------------------- webhooks


def readme_receiver():
    """The receiver's check exactly as the README shows it."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- webhook-receiver -->\n```python\n(.*?)```\n<!-- /webhook-receiver -->", readme, re.S)
    assert block, "the README lost its webhook receiver's check"
    namespace: dict = {}
    exec(compile(block.group(1), "README.md", "exec"), namespace)  # noqa: S102 - the README's own code
    return namespace["verify_doorstep_webhook"]


async def test_a_replayed_webhook_is_refused_by_the_readmes_check(agency_operation, raise_followup, db_engine):
    verify = readme_receiver()
    secret = "whsec-" + "k3Qz9" * 6
    with WebhookReceiver() as hook:
        _, _, op = await agency_operation(webhook_url=hook.url, secret=secret)
        fid = await raise_followup("graffiti", operation_id=op)
        await _send(db_engine, dataclasses.replace(get_settings(), demo=True, smtp_port=free_port()), fid, "webhook")
    [hit] = [h for h in hook.hits if f'"{fid}"' in h.body.decode()]
    headers = httpx.Headers(hit.headers)
    t = int(re.match(r"t=(\d+),v1=[0-9a-f]{64}$", headers["x-doorstep-signature"]).group(1))
    assert verify(secret, headers, hit.body)  # as delivered
    # The attacker who captured it replays it an hour later: too old.
    assert not verify(secret, headers, hit.body, now=t + 3600)
    # … or at once under a new delivery id, to get past a receiver's duplicate check: not signed so.
    relabelled = httpx.Headers({**dict(headers), "x-doorstep-delivery": "999999"})
    assert not verify(secret, relabelled, hit.body)
    # … or with the body changed, or a signature of its own making.
    assert not verify(secret, headers, hit.body.replace(b'"graffiti"', b'"drugs"'))
    forged = httpx.Headers({**dict(headers), "x-doorstep-signature": f"t={t},v1={'0' * 64}"})
    assert not verify(secret, forged, hit.body)
    assert not verify("another-agencys-secret", headers, hit.body)


async def test_webhooks_go_to_https_only_outside_demo_mode(agency_operation, raise_followup, db_engine):
    with WebhookReceiver() as hook:
        _, _, op = await agency_operation(webhook_url=hook.url, secret="whsec-" + "p7Lm2" * 6)
        fid = await raise_followup("graffiti", operation_id=op)
        await _send(db_engine, dataclasses.replace(get_settings(), demo=False, smtp_port=free_port()), fid, "webhook")
    assert not [h for h in hook.hits if str(fid) in h.body.decode()]
    async with transaction(db_engine) as s:
        error = (await s.execute(text("SELECT last_error FROM notification WHERE followup_id = :f AND "
                                      "channel = 'webhook'"), {"f": fid})).scalar_one()
    assert "not https://" in error
