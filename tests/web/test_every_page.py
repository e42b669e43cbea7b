"""Every page a person signs in to, at a phone's 390 px and a desk's 1280 px, in Chromium: no page-level
horizontal scroll on the phone (wide tables scroll inside their own box), nothing refused by the CSP,
no script error, times British; a screenshot of each under .artifacts/screens/ (every-<page>-<width>.png)."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

from tests.web.support import DESKTOP, PHONE, bearer, no_page_scroll, push_followups, sign_in, watch

pytestmark = pytest.mark.browser

#: A 12-hour clock ("6:04:32 PM") or a US date ("3/14/2025") anywhere on a page is a bug in a UK service.
NOT_BRITISH = re.compile(r"\b\d{1,2}:\d\d(:\d\d)?\s?[AP]M\b|\b\d{1,2}/\d{1,2}/\d{4}\b")

#: What has the keyboard's focus, and whether it shows: a ring (outline) or a drawn edge (box-shadow).
FOCUSED = """() => { const e = document.activeElement; const s = getComputedStyle(e);
  return [e.tagName.toLowerCase(), e.id || e.className.baseVal || e.className || '',
          s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 || s.boxShadow !== 'none'
          || s.backgroundColor === 'rgb(255, 191, 71)']; }"""


def _walk_with_tab(page, presses: int = 45) -> list[tuple]:
    """Tab through the page from the top: every stop that is a map line, or that shows no focus."""
    bad = []
    page.locator("body").focus()
    for _ in range(presses):
        page.keyboard.press("Tab")
        tag, name, shows = page.evaluate(FOCUSED)
        if tag == "body":
            break
        if tag in ("path", "svg", "g", "polyline") or not shows:
            bad.append((tag, str(name)[:40], shows))
    return bad


def _pages(base: str) -> dict[str, tuple[str, str, str]]:
    """name -> (who, path, a selector the page shows once its own fetches are done)."""
    coordinator = bearer(base, "coordinator")
    op = httpx.get(f"{base}/api/v1/operations", headers=coordinator, timeout=30).json()["items"][0]["id"]
    [followup] = push_followups(base, [("graffiti", "urgent", dt.timedelta(days=9))])  # overdue, in envhealth's inbox
    pages = {
        "landing": ("", "/", "h1"),
        "not-found": ("", "/dashboard/no-such-page", "h1"),
        "dashboard-operations": ("coordinator", "/dashboard", "#operations"),
        "dashboard-operation": ("coordinator", f"/dashboard/operations/{op}", "#dashboard[data-loaded]"),
        "dashboard-revisits": ("coordinator", f"/dashboard/operations/{op}/revisits", "h1"),
        "dashboard-setup": ("coordinator", f"/dashboard/operations/{op}/setup", "h1"),
        "partner-inbox": ("envhealth", "/partner", "h1"),
        "partner-notifications": ("coordinator", "/partner/notifications", "h1"),
        "questionnaires": ("coordinator", "/dashboard/questionnaires", "h1"),
        "admin-people": ("admin", "/admin/users", "h1"),
        "admin-person": ("admin", "/admin/users/envhealth", "h1"),
        "admin-agencies": ("admin", "/admin/agencies", "h1"),
        "admin-agency": ("admin", "/admin/agencies/council-envhealth", "h1"),
        "admin-routing": ("admin", "/admin/routing", "h1"),
        "admin-audit": ("admin", "/admin/audit", "h1"),
    }
    pages["partner-followup"] = ("envhealth", f"/partner/followups/{followup}", "h1")
    return pages


AREA = {"coordinator": "/dashboard", "envhealth": "/partner", "admin": "/admin"}


def test_every_page_fits_a_phone_and_a_desk(live_server, browser, screens_dir):
    base = live_server
    pages = _pages(base)
    too_wide, problems = [], []
    for viewport in (PHONE, DESKTOP):
        contexts = {}
        try:
            for name, (who, path, ready) in pages.items():
                if who not in contexts:
                    # The phone is set to the US, New York: the pages must still say British times, in London's.
                    us = viewport is PHONE
                    contexts[who] = browser.new_context(viewport=viewport, locale="en-US" if us else "en-GB",
                                                        timezone_id="America/New_York" if us else "Europe/London")
                    if who:  # signed in once per person
                        sign_in(contexts[who].new_page(), base, who, area=AREA[who])
                page = contexts[who].new_page()
                seen = watch(page)
                page.goto(base + path)
                page.wait_for_selector(ready, timeout=20_000)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(screens_dir / f"every-{name}-{viewport['width']}.png"), full_page=True)
                width, inner = no_page_scroll(page)
                if viewport is PHONE and width > inner:
                    too_wide.append((name, width))
                if seen.refused or seen.errors:
                    problems.append((name, viewport["width"], seen.refused, seen.errors))
                if name == "dashboard-operation" and viewport is DESKTOP:
                    # The import's building outlines, faint on a canvas under the streets; the streets named
                    # along them at street zoom (16 and closer), not before.
                    page.wait_for_selector("#map canvas", state="attached", timeout=10_000)
                    page.evaluate("document.getElementById('map').scrollIntoView()")
                    for _ in range(6):
                        if page.locator("#map.street-names, #map .street-names").count():
                            break
                        page.click("#map .leaflet-control-zoom-in")
                        page.wait_for_timeout(400)
                    assert page.locator(".leaflet-tooltip.street-label:visible").count() > 3
                if viewport is DESKTOP:
                    unseen = _walk_with_tab(page)
                    if unseen:
                        problems.append((name, "focus on a map line or without a ring", unseen))
                shown = page.inner_text("body")
                if NOT_BRITISH.search(shown):
                    problems.append((name, viewport["width"], "not British", NOT_BRITISH.search(shown).group(0)))
                page.close()
        finally:
            for context in contexts.values():
                context.close()
    assert too_wide == [], f"pages wider than a 390 px phone (page, scrollWidth): {too_wide}"
    assert problems == [], problems
