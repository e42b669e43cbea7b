"""What the browser tests of the pages share: signing in through the real sign-in page, a watch on
what the console says (CSP refusals, script errors), and the 390 px check."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

DEMO = "doorstep-demo"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def sign_in(page, base: str, username: str, area: str = "/partner", password: str = DEMO, lands: str | None = None):
    page.goto(f"{base}{area}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#sign-in")
    page.wait_for_url(f"{base}{lands or area}", timeout=15_000)


@dataclass
class Console:
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def watch(page) -> Console:
    seen = Console()

    def on_console(message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            seen.refused.append(text)
        elif message.type == "error" and "Failed to load resource" not in text:
            seen.errors.append(text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: seen.errors.append(str(exc)))
    return seen


def no_page_scroll(page) -> tuple[int, int]:
    """(scrollWidth, innerWidth) of the page: the first must not exceed the second."""
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def bearer(base: str, username: str, password: str = DEMO) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/token", json={"username": username, "password": password}, timeout=30)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
