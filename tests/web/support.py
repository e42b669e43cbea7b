"""What the browser tests of the pages share: signing in through the real sign-in page, a watch on
what the console says (CSP refusals, script errors), and the 390 px check."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
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


def push_followups(base: str, wanted: list[tuple[str, str, dt.timedelta]],
                   order: Callable[[dict, list[dict]], list[dict]] | None = None) -> list[str]:
    """Follow-ups raised by the officer's tablet: (category, priority, how long ago); their ids. At the
    officer's doors in the pack's order, or as ``order(pack, doors)`` puts them."""
    officer = bearer(base, "officer")
    op = httpx.get(f"{base}/api/v1/operations", headers=officer, timeout=30).json()["items"][0]["id"]
    pack = httpx.get(f"{base}/api/v1/operations/{op}/pack", headers=officer, timeout=60).json()
    team = next(t for t in pack["teams"] if any(m["username"] == "officer" for m in t["members"]))
    doors = [h for h in pack["households"] if h["street_id"] in team["street_ids"]]
    if order is not None:
        doors = order(pack, doors)
    now = dt.datetime.now(dt.UTC)
    records = [{"type": "followup", "id": str(uuid.uuid4()), "operation_id": op, "team_id": team["id"],
                "category": category, "priority": priority, "description": f"{priority} {category} {i}",
                "resident_consent": False, "raised_at": (now - ago).isoformat(), "household_id": doors[i]["id"]}
               for i, (category, priority, ago) in enumerate(wanted)]
    r = httpx.post(f"{base}/api/v1/sync/push", json={"device_id": "web-tests", "records": records}, headers=officer,
                   timeout=60)
    assert all(x["status"] == "stored" for x in r.json()["results"]), r.text
    return [rec["id"] for rec in records]
