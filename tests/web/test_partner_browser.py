"""A partner's working day in Chromium (issue 14): the inbox opens with the overdue urgent follow-up
first; a status change then a reload (and Back) never sends it again; two tabs conflict and the note
typed in the second survives; a session that ends mid-form comes back to the form, text and all,
after signing in again."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from tests.web.support import DESKTOP, PHONE, bearer, push_followups, sign_in, watch

pytestmark = pytest.mark.browser


def _new_partner(base: str) -> tuple[str, str]:
    """A fresh agency with one partner: (agency code, username); its inbox holds only what a test gives it."""
    admin = bearer(base, "admin")
    code = "w-" + uuid.uuid4().hex[:8]
    assert httpx.post(f"{base}/api/v1/agencies", headers=admin, timeout=30,
                      json={"code": code, "name": f"Agency {code}", "kind": "council"}).status_code == 201
    name = "wp-" + uuid.uuid4().hex[:8]
    assert httpx.post(f"{base}/api/v1/users", headers=admin, timeout=30, json={
        "username": name, "password": "partner-password", "display_name": f"Partner {name}", "agency": code,
        "roles": ["partner"]}).status_code == 201
    return code, name


def test_the_inbox_opens_with_the_overdue_urgent_item_first(live_server, browser, screens_dir):
    base = live_server
    code, name = _new_partner(base)
    day = dt.timedelta(days=1)
    ids = push_followups(base, [("graffiti", "low", 2 * day), ("graffiti", "urgent", 0 * day),
                                 ("graffiti", "normal", 30 * day), ("graffiti", "urgent", 3 * day),
                                 ("graffiti", "high", 1 * day)])
    coordinator = bearer(base, "coordinator")
    for fid in ids:  # to the new agency (a reassignment keeps the due date from the doorstep time)
        r = httpx.patch(f"{base}/api/v1/followups/{fid}", headers=coordinator, timeout=30,
                        json={"version": 1, "agency": code})
        assert r.status_code == 200, r.text
    for viewport, width in ((DESKTOP, 1280), (PHONE, 390)):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        seen = watch(page)
        try:
            sign_in(page, base, name, password="partner-password")
            rows = page.eval_on_selector_all("#followups tbody tr", "rows => rows.map(r => r.dataset.id)")
            # overdue urgent (3 days ago, due 2 days ago), overdue normal (30 days ago), then the rest by priority
            assert rows == [ids[3], ids[2], ids[1], ids[4], ids[0]], rows
            assert "overdue" in page.inner_text(f"tr[data-id='{ids[3]}']")
            assert page.inner_text("[data-count='open'] b") == "5"
            assert page.inner_text("[data-count='overdue'] b") == "2"
            page.screenshot(path=str(screens_dir / f"partner-inbox-queue-{width}.png"), full_page=True)
            # Sorted by the keyboard: Tab to the Due header's button, Enter sorts by due date.
            page.focus("th button[data-key='due']")
            page.keyboard.press("Enter")
            page.wait_for_url("**sort=due*")
            assert page.get_attribute("th:has(button[data-key='due'])", "aria-sort") == "ascending"
        finally:
            context.close()
        assert seen.refused == [] and seen.errors == [], (seen.refused, seen.errors)


def test_a_status_change_then_reload_and_back_send_nothing_again(live_server, browser, screens_dir):
    base = live_server
    fid = push_followups(base, [("fly_tipping", "high", dt.timedelta(hours=2))])[0]
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    seen = watch(page)
    try:
        sign_in(page, base, "envhealth")
        page.goto(f"{base}/partner/followups/{fid}")
        page.fill("#note", "Crew booked for Tuesday")
        page.click("#to-acknowledged")
        page.wait_for_selector("#flash:has-text('now acknowledged')")
        page.reload()  # a reload after the change: the page again, no error, nothing sent again
        assert page.inner_text("#status") == "Acknowledged" and page.query_selector("#flash.error") is None
        page.go_back()  # Back, to the page before the change: a GET, nothing sent
        page.go_forward()
        assert page.query_selector("#flash.error") is None
        assert page.input_value("#note") == ""  # the sent note is not offered again
        page.screenshot(path=str(screens_dir / "partner-followup-after-reload-390.png"), full_page=True)
    finally:
        context.close()
    detail = httpx.get(f"{base}/api/v1/followups/{fid}", headers=bearer(base, "envhealth"), timeout=30).json()
    assert detail["version"] == 2 and [e["kind"] for e in detail["events"]] == ["raised", "status"]
    assert seen.refused == [] and seen.errors == [], (seen.refused, seen.errors)


def test_two_tabs_conflict_and_the_note_survives(live_server, browser, screens_dir):
    base = live_server
    fid = push_followups(base, [("fly_tipping", "normal", dt.timedelta(hours=1))])[0]
    context = browser.new_context(viewport=DESKTOP)
    try:
        first = context.new_page()
        sign_in(first, base, "envhealth")
        first.goto(f"{base}/partner/followups/{fid}")
        second = context.new_page()  # another tab, same person
        second.goto(f"{base}/partner/followups/{fid}")
        first.click("#to-acknowledged")
        first.wait_for_selector("#flash:has-text('now acknowledged')")
        typed = "Spoke to the landlord: skip arrives Friday"
        second.fill("#note", typed)
        second.click("#to-resolved")
        second.wait_for_selector("#flash.error")
        assert "someone changed this follow-up" in second.inner_text("#flash")
        assert "Acknowledged" in second.inner_text("#what-changed")
        assert second.input_value("#note") == typed  # what was typed survived
        second.screenshot(path=str(screens_dir / "partner-followup-conflict-1280.png"), full_page=True)
        second.click("#to-resolved")  # checked, sent again: it goes
        second.wait_for_selector("#flash:has-text('now resolved')")
        assert typed in second.inner_text("#history")
    finally:
        context.close()


def test_a_session_ends_mid_form_and_the_text_survives_signing_in(live_server, browser, screens_dir):
    base = live_server
    fid = push_followups(base, [("graffiti", "normal", dt.timedelta(hours=1))])[0]
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    seen = watch(page)
    try:
        sign_in(page, base, "envhealth")
        page.goto(f"{base}/partner/followups/{fid}")
        typed = "Resident asked for a call after 5pm"
        page.fill("#note", typed)
        # The session ends while the note is being typed (a sign-out elsewhere, an expiry, a revocation).
        token = next(c["value"] for c in context.cookies() if c["name"] == "doorstep_session").strip('"').split()[-1]
        assert httpx.post(f"{base}/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"},
                          timeout=30).status_code == 204
        page.click("#to-in_progress")
        page.wait_for_url(f"{base}/partner/login?next=/partner/followups/{fid}")
        assert page.is_visible("#carry-on")
        page.fill("#username", "envhealth")
        page.fill("#password", "doorstep-demo")
        page.click("#sign-in")
        page.wait_for_url(f"{base}/partner/followups/{fid}")
        assert page.input_value("#note") == typed
        assert page.is_visible(".draft-note") and page.inner_text("#status") == "Open"  # nothing was sent
        page.screenshot(path=str(screens_dir / "partner-followup-after-sign-in-390.png"), full_page=True)
        page.click("#to-in_progress")
        page.wait_for_selector("#flash:has-text('now in progress')")
        assert typed in page.inner_text("#history") and page.input_value("#note") == ""
    finally:
        context.close()
    assert seen.refused == [] and seen.errors == [], (seen.refused, seen.errors)


def _far_from_their_streets_middle(pack: dict, doors: list[dict]) -> list[dict]:
    """The doors farthest from their street's middle (where Leaflet alone would put the street's name) first."""
    middles = {}
    for street in pack["streets"]:
        points = [p for line in street["geometry"]["coordinates"] for p in line]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        middles[street["id"]] = ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)
    return sorted(doors, key=lambda h: -((h["lon"] - middles[h["street_id"]][0]) * 0.62) ** 2
                  - (h["lat"] - middles[h["street_id"]][1]) ** 2)  # 0.62: a degree of longitude at Leeds, shorter


def test_the_follow_ups_street_is_named_on_the_phones_small_map(live_server, browser, screens_dir):
    """The highlighted street's name sits inside the map on a 390 px phone, even for a door at one end of a
    long street (Leaflet alone puts the name at the line's middle, off a small map)."""
    base = live_server
    placed = []
    far = push_followups(base, [("graffiti", "normal", dt.timedelta(0))] * 3, order=_far_from_their_streets_middle)
    for fid in far:
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        try:
            sign_in(page, base, "envhealth", area="/partner")
            page.goto(f"{base}/partner/followups/{fid}")
            page.wait_for_selector("#map .leaflet-tooltip.street-label", state="attached", timeout=20_000)
            page.evaluate("document.getElementById('map').scrollIntoView()")
            page.wait_for_timeout(300)
            box = page.locator("#map").bounding_box()
            street = page.evaluate("""() => { const d = JSON.parse(document.getElementById('map-data').textContent);
                return d.streets.features.find(f => f.id === d.street_id).properties.name; }""")
            first = page.locator("#map .leaflet-tooltip.street-label").first  # the highlighted street's, placed first
            assert first.inner_text() == street
            name = first.bounding_box()
            inside = (first.is_visible() and name["x"] >= box["x"] and name["y"] >= box["y"]
                      and name["x"] + name["width"] <= box["x"] + box["width"]
                      and name["y"] + name["height"] <= box["y"] + box["height"])
            placed.append((street, inside))
            page.screenshot(path=str(screens_dir / f"partner-followup-map-{len(placed)}-390.png"), full_page=True)
        finally:
            context.close()
    assert all(inside for _, inside in placed), placed
