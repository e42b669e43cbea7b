"""What the browser tests of tests/security share: an attacker's site on another port, a person
signed in through the real sign-in page, and a watch on what the browser refused or ran."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEMO = "doorstep-demo"


@contextmanager
def attacker_site(pages: dict[str, str]):
    """Serves `pages` (path → HTML) from another port of 127.0.0.1: the same host, another origin."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def signed_in_page(browser, base: str, username: str, area: str = "/partner", password: str = DEMO,
                   width: int = 1280, height: int = 900):
    """(context, page) of a person who signed in on `area`'s sign-in page; the caller closes the context."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{base}{area}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#sign-in")
    page.wait_for_url(f"{base}{area}")
    return context, page


@dataclass
class Watch:
    """Dialogs a page opened (alert, confirm…) and what its console said the CSP refused."""

    dialogs: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def watch(page) -> Watch:
    seen = Watch()

    def on_dialog(dialog):
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(message):
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            seen.refused.append(text)
        elif message.type == "error":
            seen.errors.append(text)

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: seen.errors.append(str(exc)))
    return seen
