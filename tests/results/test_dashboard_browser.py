"""The dashboard in headless Chromium against the real server: sign in, see the streets on the map, click one
and read its figures, see them change after a push. Nothing is fetched from outside the server."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from .world import World, build_world, door_states, expected_streets, make_visits

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def bworld(live_server, database_url) -> World:
    """Built on its own event loop in a thread: Playwright's sync API keeps a loop running in this one."""

    async def build() -> World:
        from server.db.engine import make_engine

        engine = make_engine(database_url)
        try:
            return await build_world(engine, "browser")
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        w = pool.submit(asyncio.run, build()).result()
    first_street = [h for h, s in w.households.items() if s == w.street_ids[0]]
    # Some doors of every street knocked; the rest of the first street is left for the push during the test.
    knocked = first_street[: len(first_street) // 2] + [h for h, s in w.households.items()
                                                          if s in w.street_ids[1:3]]
    _push_over_http(live_server, w, make_visits(w, knocked, per_door=(1, 2)))
    return w


def _push_over_http(base: str, w: World, records: list[dict]) -> None:
    users = {w.teams["A"]: "officer", w.teams["B"]: "pcso"}
    with httpx.Client(base_url=base, timeout=30) as http:
        for team_id, username in users.items():
            batch = [r for r in records if r["team_id"] == team_id]
            if not batch:
                continue
            token = http.post("/api/v1/auth/token", json={"username": username, "password": "doorstep-demo"})
            assert token.status_code == 200, token.text
            r = http.post("/api/v1/sync/push", headers={"Authorization": f"Bearer {token.json()['access_token']}"},
                          json={"device_id": f"browser-test-{uuid.uuid4().hex[:6]}", "records": batch})
            assert r.status_code == 200 and all(x["status"] == "stored" for x in r.json()["results"]), r.text
    w.visits.extend(records)


def test_dashboard_live_map(bworld, live_server, browser, screens_dir):
    from playwright.sync_api import expect

    w = bworld
    street = w.street_ids[0]
    expected = expected_streets(w)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda req: outside.append(req.url) if not req.url.startswith(live_server) else None)
    failed: list[str] = []
    page.on("pageerror", lambda exc: failed.append(str(exc)))

    # Signed out: the dashboard sends us to the sign-in page, which brings us back.
    page.goto(f"{live_server}/dashboard/operations/{w.operation_id}?poll=400")
    expect(page).to_have_url(f"{live_server}/dashboard/login?next=/dashboard/operations/{w.operation_id}%3Fpoll%3D400")
    page.fill("#username", "coordinator")
    page.fill("#password", "wrong-password")
    page.click("#sign-in")
    expect(page.locator("#login-error")).not_to_be_empty()
    page.fill("#password", "doorstep-demo")
    page.click("#sign-in")
    expect(page).to_have_url(f"{live_server}/dashboard/operations/{w.operation_id}?poll=400")

    # The streets with doors are on the map (the empty ones hidden until asked for), with the attribution, and
    # the totals are the test's own.
    with_doors = [sid for sid in w.street_ids if any(s == sid for s in w.households.values())]
    expect(page.locator("path.street")).to_have_count(len(with_doors))
    expect(page.locator("#empty-count")).to_have_text(str(len(w.street_ids) - len(with_doors)))
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("© OpenStreetMap contributors")
    total_households = sum(e["households"] for e in expected.values())
    expect(page.locator("[data-total=households]")).to_have_text(str(total_households))
    expect(page.locator("[data-total=knocked]")).to_have_text(str(sum(e["knocked"] for e in expected.values())))

    # Pair progress and the follow-up summary are on the page.
    states = door_states(w)
    for key, team_id in w.teams.items():
        streets = [sid for sid, k in w.team_of_street.items() if k == key and sid is not None]
        knocked = sum(1 for h, sid in w.households.items() if sid in streets and states[h]["attempts"])
        expect(page.locator(f"#pairs-table tr[data-team-id='{team_id}'] [data-field=knocked]")).to_have_text(
            str(knocked))
    expect(page.locator("#followups-table tr[data-status]")).to_have_count(5)

    # Click a street: its figures and its doors.
    page.locator(f"path.street-{street}").click()
    expect(page.locator("#street-name")).to_have_text("Alder Row")
    panel = page.locator("#street-figures")
    expect(panel.locator("[data-field=households]")).to_have_text(str(expected[street]["households"]))
    expect(panel.locator("[data-field=knocked]")).to_have_text(str(expected[street]["knocked"]))
    expect(panel.locator("[data-field=to_revisit]")).to_have_text(str(expected[street]["to_revisit"]))
    expect(page.locator("#doors-table tr[data-household-id]")).to_have_count(expected[street]["households"])
    expect(page.locator("#doors-table .door-status.not_knocked")).to_have_count(
        expected[street]["households"] - expected[street]["knocked"])

    # The table sorts by a column, with the keyboard alone: Tab from the box above the table to the
    # "Households" header's button, Enter, then Space the other way round.
    page.focus("#show-empty")
    for _ in range(3):  # the table's scrolling box, the "Street" button, the "Households" button
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.key") == "households"
    page.keyboard.press("Enter")
    households_th = page.locator("#streets-table th:has(button[data-key=households])")
    expect(households_th).to_have_attribute("aria-sort", "descending")
    first_row = page.locator("#streets-table tbody tr").first
    expect(first_row).to_have_attribute("data-street-id", str(w.street_ids[0]))  # 12 households, the most
    page.keyboard.press("Space")
    expect(households_th).to_have_attribute("aria-sort", "ascending")
    expect(page.locator("#streets-table tbody tr").first).to_have_attribute("data-street-id", str(with_doors[-1]))
    # Each concern has its own column, named as shared_schemas spells it.
    expect(page.locator("#streets-table button[data-key='concern:anti_social_behaviour']")).to_have_text(
        "Anti-social behaviour")
    # The map's lines are not in the Tab order: from the colour choice, Tab reaches the map and its
    # controls, never a line.
    page.focus("#colour-by")
    for _ in range(6):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.tagName.toLowerCase()") not in ("path", "svg", "g")
    # Progress day by day: the chart and its figures as a table; what residents said, overall and for the street.
    assert page.evaluate("document.getElementById('progress-chart').naturalWidth") > 0
    assert page.locator("#progress-table tbody tr").count() >= 1
    expect(page.locator("#answers .question").first).to_be_visible()
    expect(page.locator("#street-answers")).to_contain_text("What residents of this street said")

    # Colour by a concern instead of coverage.
    options = page.locator("#colour-by option")
    assert options.count() > 1
    page.select_option("#colour-by", "concern:anti_social_behaviour")
    expect(page.locator("#legend")).to_contain_text("every household")

    # A pair syncs: the figures change by themselves.
    fresh = [h for h, s in w.households.items() if s == street][len([h for h, s in w.households.items()
                                                                        if s == street]) // 2:]
    records = make_visits(w, fresh, per_door=(1, 1))
    for r in records:
        r["outcome"] = "no_answer"
        r.pop("answers", None)
    _push_over_http(live_server, w, records)
    after = expected_streets(w)
    assert after[street]["knocked"] == after[street]["households"] != expected[street]["knocked"]
    expect(panel.locator("[data-field=knocked]")).to_have_text(str(after[street]["knocked"]), timeout=15_000)
    expect(panel.locator("[data-field=coverage]")).to_have_text("100%")
    expect(page.locator("#doors-table .door-status.not_knocked")).to_have_count(0)
    expect(page.locator("[data-total=knocked]")).to_have_text(str(sum(e["knocked"] for e in after.values())))

    page.select_option("#colour-by", "coverage")
    expect(page.locator("#legend")).to_contain_text("100% knocked")
    page.screenshot(path=str(screens_dir / "dashboard-operation.png"), full_page=True)

    # The printable revisit list lists exactly the doors waiting for a revisit.
    page.goto(f"{live_server}/dashboard/operations/{w.operation_id}/revisits")
    waiting = sum(e["to_revisit"] for e in after.values())
    expect(page.locator("tr[data-household-id]")).to_have_count(waiting)
    page.screenshot(path=str(screens_dir / "dashboard-revisits.png"), full_page=True)

    assert not failed, failed
    assert not outside, f"the page fetched from outside the server: {outside}"
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_doors_history_shows_a_corrected_visit(bworld, live_server, browser, screens_dir, width):
    """A pair corrects a visit it sent: the door list counts the latest, and the door's history keeps both,
    the replaced one struck through as corrected, with when, and the pair's name."""
    from playwright.sync_api import expect

    w = bworld
    street = w.street_ids[1]
    earlier = next(v for v in w.visits if w.households[v["household_id"]] == street and v["team_id"] == w.teams["A"]
                   and not any(c.get("supersedes") == v["id"] for c in w.visits)
                   and not any(c.get("supersedes") for c in w.visits if c["household_id"] == v["household_id"]))
    later = [v for v in w.visits if v["household_id"] == earlier["household_id"]]
    earlier = max(later, key=lambda v: v["visited_at"])  # the door's latest visit: the one a pair would correct
    fixed = {k: v for k, v in earlier.items() if k not in ("answers", "questionnaire")}
    fixed.update(id=str(uuid.uuid4()), outcome="refused", supersedes=earlier["id"])
    _push_over_http(live_server, w, [fixed])
    door = earlier["household_id"]

    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    failed: list[str] = []
    page.on("pageerror", lambda exc: failed.append(str(exc)))
    page.on("console", lambda msg: failed.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server}/dashboard/login?next=/dashboard/operations/{w.operation_id}")
    page.fill("#username", "coordinator")
    page.fill("#password", "doorstep-demo")
    page.click("#sign-in")
    with_doors = [sid for sid in w.street_ids if any(s == sid for s in w.households.values())]
    expect(page.locator("path.street")).to_have_count(len(with_doors))  # the empty ones hidden until asked for
    page.locator(f"#streets-table tr[data-street-id='{street}'] th a").click()  # the street's name is its link
    expect(page.locator("#street-name")).to_have_text("Birch Lane")
    row = page.locator(f"#doors-table tr[data-household-id='{door}']")
    expect(row.locator(".door-status")).to_have_text("Refused")
    toggle = row.locator("button.door-history")
    expect(toggle).to_contain_text("1 corrected")
    toggle.click()
    history = page.locator(f"#doors-table tr[data-history-of='{door}']")
    expect(history).to_be_visible()
    items = history.locator("li[data-visit-id]")
    expect(items).to_have_count(len(later) + 1)
    replaced = history.locator(f"li[data-visit-id='{earlier['id']}']")
    expect(replaced).to_have_class("superseded")
    expect(replaced.locator(".corrected")).to_contain_text("corrected ")
    expect(replaced).to_contain_text("Pair A")
    correction = history.locator(f"li[data-visit-id='{fixed['id']}']")
    expect(correction.locator(".outcome")).to_have_text("Refused")
    expect(correction.locator(".correction")).to_have_text("correction")
    history.scroll_into_view_if_needed()
    page.screenshot(path=str(screens_dir / f"dashboard-door-history-{width}.png"), full_page=True)
    assert not failed, failed
    context.close()
