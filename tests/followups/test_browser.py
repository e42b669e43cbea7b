"""Headless Chromium against the live server: a partner signs in, acknowledges and resolves a
follow-up a pair pushed from its tablet; the pair's next pull carries the new status."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import httpx
import pytest

pytestmark = pytest.mark.browser

PASSWORD = "doorstep-demo"


def _token(base: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _pull_all(base: str, h: dict, operation_id: int, since: str | None) -> tuple[list[dict], str]:
    changes: list[dict] = []
    while True:
        params = {"operation_id": operation_id, **({"since": since} if since else {})}
        r = httpx.get(f"{base}/api/v1/sync/pull", params=params, headers=h, timeout=30)
        r.raise_for_status()
        body = r.json()
        changes += body["changes"]
        since = body["cursor"]
        if not body["more"]:
            return changes, since


def test_partner_acknowledges_and_resolves_and_the_tablet_pulls_it(live_server, browser, screens_dir):
    base = live_server
    officer = _token(base, "officer")
    operation_id = httpx.get(f"{base}/api/v1/operations", headers=officer).json()["items"][0]["id"]
    pack = httpx.get(f"{base}/api/v1/operations/{operation_id}/pack", headers=officer, timeout=30).json()
    team = next(t for t in pack["teams"] if any(m["username"] == "officer" for m in t["members"]))
    household = next(h for h in pack["households"] if h["street_id"] in team["street_ids"])
    _, cursor = _pull_all(base, officer, operation_id, None)

    fid = str(uuid.uuid4())
    description = f"Fridge and mattress dumped behind the shops ({fid[:8]})"
    record = {"type": "followup", "id": fid, "operation_id": operation_id, "team_id": team["id"],
              "category": "fly_tipping", "priority": "high", "description": description,
              "resident_consent": False, "raised_at": dt.datetime.now(dt.UTC).isoformat(),
              "household_id": household["id"]}
    pushed = httpx.post(f"{base}/api/v1/sync/push", json={"device_id": "tablet-browser-test", "records": [record]},
                        headers=officer, timeout=30)
    assert pushed.status_code == 200 and pushed.json()["results"][0]["status"] == "stored", pushed.text

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{base}/partner")
        assert "/partner/login" in page.url
        page.fill("#username", "envhealth")
        page.fill("#password", PASSWORD)
        page.click("#sign-in")
        page.wait_for_url(f"{base}/partner")
        page.select_option("#f-category", "fly_tipping")
        page.click("#apply-filters")
        page.wait_for_selector(f"tr[data-id='{fid}']")
        page.wait_for_selector("#overview .leaflet-interactive")  # the overview map has its dots
        page.click(f"tr[data-id='{fid}'] a")
        page.wait_for_selector("#status-form")
        assert description in page.inner_text("main")
        page.wait_for_selector("#map path")  # the streets around and the point are drawn
        page.fill("#note", "Crew booked for Tuesday")
        page.click("#to-acknowledged")
        page.wait_for_selector("#flash")
        assert page.inner_text("#status") == "Acknowledged"
        page.fill("#note", "Cleared and the site photographed")
        page.click("#to-resolved")
        page.wait_for_selector("#flash:has-text('now resolved')")
        assert page.inner_text("#status") == "Resolved"
        history = page.inner_text("#history")
        assert "Crew booked for Tuesday" in history and "Cleared and the site photographed" in history
        page.screenshot(path=str(screens_dir / "partner-followup-resolved.png"), full_page=True)
        page.goto(f"{base}/partner?category=fly_tipping")
        page.screenshot(path=str(screens_dir / "partner-inbox.png"), full_page=True)
    finally:
        context.close()

    deadline = time.monotonic() + 15
    statuses: list[str] = []
    while time.monotonic() < deadline:
        changes, cursor = _pull_all(base, officer, operation_id, cursor)
        statuses += [c["status"] for c in changes if c["kind"] == "followup_status" and c["followup_id"] == fid]
        if "resolved" in statuses:
            break
        time.sleep(0.5)
    assert statuses[-2:] == ["acknowledged", "resolved"], statuses
