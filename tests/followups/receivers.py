"""Real local receivers for notification tests: an SMTP server (aiosmtpd) and a webhook endpoint."""

from __future__ import annotations

import email
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.support import free_port


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: email.message.Message


class _Sink:
    def __init__(self) -> None:
        self.mails: list[Mail] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos),
                               email.message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


class SmtpSink:
    """aiosmtpd on 127.0.0.1:port in its own thread; `.mails` collects what it accepted."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = _Sink()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def mails(self) -> list[Mail]:
        return self.handler.mails

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class WebhookReceiver:
    """An HTTP server that answers `fail_first` requests with 500, then 204. `.hits` records all.

    With `hold`, each request sets `.entered` and waits (at most a minute) for `.release` before
    answering: a send that is in progress for as long as the test wants."""

    fail_first: int = 0
    port: int = field(default_factory=free_port)
    hits: list[Hit] = field(default_factory=list)
    hold: bool = False
    entered: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.hold:
                    receiver.entered.set()
                    receiver.release.wait(60)
                with lock:
                    failing = len(receiver.hits) < receiver.fail_first
                    code = 500 if failing else 204
                    receiver.hits.append(Hit(self.path, {k.lower(): v for k, v in self.headers.items()}, body, code))
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/doorstep"

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
