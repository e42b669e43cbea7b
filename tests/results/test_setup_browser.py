"""Operation set-up on the web pages, in headless Chromium against the real server: create an operation,
import its streets, form pairs (a one-agency pair is refused with the reason), assign a street, open it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import httpx
import pytest

from .world import ROOT

pytestmark = pytest.mark.browser

AREA = {"type": "Polygon", "coordinates": [[[-2.565, 51.45], [-2.54, 51.45], [-2.54, 51.465], [-2.565, 51.465],
                                            [-2.565, 51.45]]]}  # holds the BS5 extract


def test_set_up_an_operation_on_the_web(live_server, browser, database_url, screens_dir):
    from playwright.sync_api import expect

    name = f"Web set-up {uuid.uuid4().hex[:6]}"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{live_server}/dashboard")
    expect(page).to_have_url(f"{live_server}/dashboard/login?next=/dashboard")
    page.fill("#username", "coordinator")
    page.fill("#password", "doorstep-demo")
    page.click("#sign-in")
    expect(page).to_have_url(f"{live_server}/dashboard")
    expect(page.locator("#operations")).to_contain_text("Woodhouse StreetSafe")

    # Create the operation; a broken area is refused on the page first.
    page.fill("#op-name", name)
    page.fill("#op-starts", "2026-12-01")
    page.fill("#op-ends", "2026-12-02")
    page.click("#new-operation summary")  # the area as GeoJSON, beside the map
    page.fill("#op-area", '{"type": "Point", "coordinates": [0, 0]}')
    page.click("#new-operation button[type=submit]")
    expect(page.locator("#new-operation-error")).to_contain_text("Polygon or MultiPolygon")
    page.fill("#op-area", json.dumps(AREA))
    page.click("#new-operation button[type=submit]")
    page.wait_for_url(f"{live_server}/dashboard/operations/*/setup")
    op_id = int(page.url.rstrip("/").split("/")[-2])
    expect(page.locator("#op-status")).to_have_text("planned")
    expect(page.locator("#upload-osm")).to_contain_text("Upload the extract")

    # Its streets come from the importer.
    # A subprocess, not CliRunner: Playwright's sync API holds this thread's event loop.
    osm = str(ROOT / "fixtures/areas/bristol-bs5.osm")
    out = subprocess.run([sys.executable, "-m", "server.cli", "import-osm", osm, "--operation", name], cwd=ROOT,
                         env=dict(os.environ, DATABASE_URL=database_url), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    page.reload()
    streets = page.locator("#assign-table tbody tr")
    assert streets.count() > 5

    # A pair from one agency is refused, with the reason on the page.
    page.fill("#team-name", "Police only")
    for who in ("PC Olivia Officer", "PCSO Priya Shah"):
        page.locator("#new-team label", has_text=who).locator("input").check()
    page.click("#new-team button[type=submit]")
    expect(page.locator("#setup-message")).to_contain_text("at least two agencies")

    # A pair from two agencies is formed.
    page.locator("#new-team label", has_text="PCSO Priya Shah").locator("input").uncheck()
    page.locator("#new-team label", has_text="Cllr Colin Hart").locator("input").check()
    page.fill("#team-name", "Pair North")
    page.click("#new-team button[type=submit]")
    expect(page.locator("#teams-table")).to_contain_text("Pair North")
    expect(page.locator("#teams-table")).to_contain_text("Leeds City Council")

    # Give it the first street.
    first = page.locator("select.assign").first
    street_id = int(first.get_attribute("data-street-id"))
    first.select_option(label="Pair North")
    expect(page.locator("#setup-message")).to_contain_text("saved")

    # Open the operation.
    page.click("#open-operation")
    expect(page.locator("#op-status")).to_have_text("active")
    page.screenshot(path=str(screens_dir / "dashboard-setup.png"), full_page=True)

    with httpx.Client(base_url=live_server, timeout=30) as http:
        token = http.post("/api/v1/auth/token", json={"username": "coordinator", "password": "doorstep-demo"})
        view = http.get(f"/api/v1/operations/{op_id}/setup",
                        headers={"Authorization": f"Bearer {token.json()['access_token']}"}).json()
    assert view["operation"]["status"] == "active" and view["operation"]["starts_on"] == "2026-12-01"
    [team] = view["teams"]
    assert team["name"] == "Pair North" and team["street_ids"] == [street_id]
    assert {m["username"] for m in team["members"]} == {"officer", "councillor"}
    assert not errors, errors
    context.close()
