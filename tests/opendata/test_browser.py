"""In headless Chromium against the real server: a coordinator publishes an operation from the dashboard
and writes its priorities; signed out, its public page and report open (map drawn, nothing fetched from
outside, no script error, no CSP refusal); withdrawn, they are gone. Screenshots at 1280 and 390 px."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from .world import OpenWorld, build_open_world

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def bworld(live_server, database_url) -> OpenWorld:
    """Built on its own event loop in a thread (Playwright's sync API keeps one running in this one),
    pushing through the live server."""
    import httpx

    async def build() -> OpenWorld:
        from server.db.engine import make_engine

        engine = make_engine(database_url)
        try:
            async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
                tokens: dict[str, str] = {}

                async def headers(user: str) -> dict[str, str]:
                    if user not in tokens:
                        r = await http.post("/api/v1/auth/token", json={"username": user, "password": "doorstep-demo"})
                        tokens[user] = r.json()["access_token"]
                    return {"Authorization": f"Bearer {tokens[user]}"}

                return await build_open_world(engine, http, headers, "browser")
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, build()).result()


def _watch(page, base: str) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {"outside": [], "errors": [], "failed": []}
    page.on("request", lambda req: seen["outside"].append(req.url)
            if not req.url.startswith((base, "data:")) else None)
    page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
    page.on("console", lambda msg: seen["errors"].append(msg.text)
            if msg.type == "error" and "favicon" not in msg.text and "404" not in msg.text else None)
    page.on("response", lambda r: seen["failed"].append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    return seen


def test_publish_from_the_dashboard_and_open_it_signed_out(bworld, live_server, browser, screens_dir):
    from playwright.sync_api import expect

    op = bworld.world.operation_id
    public_url = f"{live_server}/open-data/operations/{op}/"
    coordinator = browser.new_context(viewport={"width": 1280, "height": 900})
    page = coordinator.new_page()
    seen = _watch(page, live_server)
    page.goto(f"{live_server}/dashboard/login?next=/dashboard/operations/{op}")
    page.fill("#username", "coordinator")
    page.fill("#password", "doorstep-demo")
    page.click("#sign-in")
    expect(page).to_have_url(f"{live_server}/dashboard/operations/{op}")
    expect(page.locator("#open-data-state")).to_contain_text("Not published")
    # The priorities for the report, then publish (once the saved ones are in: under load they came late).
    expect(page.locator("#next-steps")).to_have_attribute("data-loaded", "1")
    page.fill("#priority-1", "Brighter street lights on Beech Lane")
    page.fill("#priority-2", "Patrols near the shops on Friday evenings")
    page.fill("#public-contact", "The neighbourhood team: call 101")
    page.click("#save-next-steps")
    expect(page.locator("#next-steps-status")).to_contain_text("Saved")
    # Typing before the saved priorities arrive: the late answer fills the untouched boxes only.
    late = coordinator.new_page()
    held = []
    late.route("**/priorities", lambda route: held.append(route))  # held until the user has typed
    late.goto(f"{live_server}/dashboard/operations/{op}")
    late.fill("#priority-3", "Typed while the page loads")
    late.wait_for_timeout(100)
    assert len(held) == 1 and late.locator("#next-steps").get_attribute("data-loaded") is None
    held[0].continue_()
    expect(late.locator("#next-steps")).to_have_attribute("data-loaded", "1")
    expect(late.locator("#priority-3")).to_have_value("Typed while the page loads")
    expect(late.locator("#priority-1")).to_have_value("Brighter street lights on Beech Lane")
    late.close()
    page.click("#publish")
    expect(page.locator("#open-data-state")).to_contain_text("Published since")
    expect(page.locator("#withdraw")).to_be_visible()
    expect(page.locator("#publish")).to_be_hidden()
    page.locator("#open-data").screenshot(path=str(screens_dir / "opendata-dashboard-card.png"))
    assert page.locator("#open-data-page").get_attribute("href") == f"/open-data/operations/{op}/"

    # Signed out, in a browser of its own: the public page and the report, at two widths.
    for width in (1280, 390):
        anyone = browser.new_context(viewport={"width": width, "height": 900})
        public = anyone.new_page()
        watched = _watch(public, live_server)
        response = public.goto(public_url)
        assert response is not None and response.status == 200
        expect(public.locator("h1")).to_have_text(bworld.world.name)
        expect(public.locator("#map")).to_have_attribute("data-loaded", "1")
        assert public.locator("#map path.unit").count() >= 3  # Ash Row, Beech Lane, Elm Street
        expect(public.locator("#units tbody tr")).to_have_count(3)
        public.wait_for_load_state("load")
        assert public.evaluate("document.documentElement.scrollWidth") <= width
        public.screenshot(path=str(screens_dir / f"opendata-page-{width}.png"), full_page=True)
        public.click("text=Read “You said, we did”")
        expect(public.locator("#priorities li").first).to_have_text("Brighter street lights on Beech Lane")
        expect(public.locator(".report-map img")).to_have_js_property("complete", True)
        assert public.locator(".report-map img").evaluate("img => img.naturalWidth") > 0
        public.wait_for_load_state("load")  # stylesheets in: a width measured before them means nothing
        assert public.evaluate("document.documentElement.scrollWidth") <= width, public.evaluate(
            "Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > "
            "document.documentElement.clientWidth + 1).slice(0, 6).map(e => e.tagName + '.' + e.className + ' ' + "
            "Math.round(e.getBoundingClientRect().right) + ' ' + (e.textContent || '').slice(0, 40))")
        public.screenshot(path=str(screens_dir / f"opendata-report-{width}.png"), full_page=True)
        assert not watched["outside"], watched["outside"]
        assert not watched["errors"], watched["errors"]
        assert not watched["failed"], watched["failed"]
        anyone.close()

    # Withdrawn: the public page is gone for anyone signed out.
    page.click("#withdraw")
    expect(page.locator("#open-data-state")).to_contain_text("Not published")
    expect(page.locator("#withdraw")).to_be_hidden()
    anyone = browser.new_context()
    gone = anyone.new_page().goto(public_url)
    assert gone is not None and gone.status == 404
    anyone.close()
    assert not seen["outside"] and not seen["errors"], seen
    coordinator.close()
