"""Planning an operation on the web, in headless Chromium against the real server: sign in as a coordinator,
draw the area, upload the Woodhouse OSM extract and its address list, watch the progress reach the summary,
form two pairs, open the operation; then a tablet's pack holds the new doors. Screenshots at 1280 and 390 px."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AREAS = ROOT / "fixtures" / "areas"


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/dashboard")
    page.fill("#username", "coordinator")
    page.fill("#password", "doorstep-demo")
    page.click("#sign-in")
    page.wait_for_url(f"{base}/dashboard")


def draw_rectangle_around_woodhouse(page) -> None:
    """Click the corners of a polygon on the map, over Woodhouse (the demo operation's area is the context)."""
    page.click("#draw-area")
    page.locator("#area-map").evaluate("map => map.scrollIntoView({block: 'center'})")
    box = page.locator("#area-map").bounding_box()
    corners = [(0.25, 0.1), (0.9, 0.1), (0.9, 0.95), (0.25, 0.95)]
    for fx, fy in corners:
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        page.wait_for_timeout(150)
    page.mouse.click(box["x"] + corners[0][0] * box["width"], box["y"] + corners[0][1] * box["height"])


def upload(page, form: str, path: Path) -> None:
    from playwright.sync_api import expect

    page.set_input_files(f"{form} input[type=file]", str(path))
    page.click(f"{form} button[type=submit]")
    expect(page.locator("#upload-summary table.summary")).to_be_visible(timeout=60_000)


def test_plan_an_operation_on_the_web(live_server, browser, screens_dir):
    from playwright.sync_api import expect

    name = f"Woodhouse planned {uuid.uuid4().hex[:6]}"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    # The console says when the Content-Security-Policy blocks something (an inline style, a script).
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "favicon" not in m.text
            and "Failed to load resource" not in m.text else None)
    sign_in(page, live_server)

    # Create it: name, dates, the area drawn on the map.
    page.fill("#op-name", name)
    page.select_option("#op-questionnaire", page.locator("#op-questionnaire option[value^=streetsafe]").last
                       .get_attribute("value"))
    page.fill("#op-starts", "2026-12-01")
    page.fill("#op-ends", "2026-12-05")
    # Loading the demo area's file shows it (and brings the map to Woodhouse, whatever else the coordinator
    # runs); drawing a new outline over it then replaces it.
    page.set_input_files("#op-area-file", str(AREAS / "leeds-woodhouse-area.geojson"))
    expect(page.locator("#op-area")).to_have_value(re.compile(r'"type": ?"Feature"'))
    draw_rectangle_around_woodhouse(page)
    page.click("#new-operation summary")
    expect(page.locator("#op-area")).to_have_value(re.compile(r'^\{"type": ?"Polygon"'))
    page.screenshot(path=str(screens_dir / "planning-new-operation-1280.png"), full_page=True)
    page.click("#new-operation button[type=submit]")
    expect(page.locator("#new-operation-error")).to_be_empty()
    page.wait_for_url(f"{live_server}/dashboard/operations/*/setup")
    op_id = int(page.url.rstrip("/").split("/")[-2])
    expect(page.locator("#op-status")).to_have_text("planned")

    # Streets from the OSM extract, then doors from the council's list: progress, then the summary.
    upload(page, "#upload-osm", AREAS / "leeds-woodhouse.osm.pbf")
    expect(page.locator("#upload-summary")).to_contain_text("278 generated")
    upload(page, "#upload-addresses", AREAS / "leeds-woodhouse-addresses.csv")
    summary = page.locator("#upload-summary")
    expect(summary).to_contain_text("generated doors replaced")
    expect(summary.locator("table.refused")).to_contain_text("also on line 5")
    expect(summary.locator("table.refused")).to_contain_text("swapped")
    page.screenshot(path=str(screens_dir / "planning-setup-summary-1280.png"), full_page=True)

    # Two pairs, each with streets; then open.
    page.goto(f"{live_server}/dashboard/operations/{op_id}/setup")
    for pair, members in (("North pair", ("PC Olivia Officer", "Cllr Colin Hart")),
                          ("South pair", ("PCSO Priya Shah", "FF Fatima Khan"))):
        page.fill("#team-name", pair)
        for who in members:
            page.locator("#new-team label", has_text=who).locator("input").check()
        page.click("#new-team button[type=submit]")
        expect(page.locator("#teams-table")).to_contain_text(pair)
    selects = page.locator("select.assign")
    assert selects.count() > 10
    for i in range(4):  # one at a time: each change waits for its own answer
        street = page.locator("#assign-table tbody tr").nth(i).locator("td").first.inner_text()
        selects.nth(i).select_option(label="North pair" if i % 2 == 0 else "South pair")
        expect(page.locator("#setup-message")).to_have_text(f"{street} saved.")
    page.click("#open-operation")
    expect(page.locator("#op-status")).to_have_text("active")
    page.screenshot(path=str(screens_dir / "planning-setup-active-1280.png"), full_page=True)

    # Closing asks first and says what it means.
    page.click("#close-operation")
    expect(page.locator("#close-dialog")).to_be_visible()
    expect(page.locator("#close-means")).to_contain_text("before now still arrive")
    page.screenshot(path=str(screens_dir / "planning-close-dialog-1280.png"))
    page.click("#close-cancel")
    expect(page.locator("#op-status")).to_have_text("active")

    # At 390 px wide, the same pages.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    small = phone.new_page()
    small.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(small, live_server)
    small.screenshot(path=str(screens_dir / "planning-operations-390.png"), full_page=True)
    small.goto(f"{live_server}/dashboard/operations/{op_id}/setup")
    expect(small.locator("#upload-summary table.summary")).to_be_visible(timeout=30_000)
    small.screenshot(path=str(screens_dir / "planning-setup-390.png"), full_page=True)
    phone.close()

    # A tablet of the north pair gets the new doors in its pack.
    with httpx.Client(base_url=live_server, timeout=30) as http:
        token = http.post("/api/v1/auth/token", json={"username": "officer", "password": "doorstep-demo"}).json()
        pack = http.get(f"/api/v1/operations/{op_id}/pack",
                        headers={"Authorization": f"Bearer {token['access_token']}"}).json()
    sources = [h["source"] for h in pack["households"]]
    assert sources.count("address_list") > 200
    assert any(h["ref"] == "999000000001" for h in pack["households"])
    assert 0 < sources.count("generated") < 50  # the ones the council does not list stay, marked
    assert pack["operation"]["status"] == "active"
    assert not errors, errors
    context.close()
