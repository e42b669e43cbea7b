"""Security headers (issue 11): CSP, no framing, no sniffing, one charset, HSTS and a Secure
``__Host-`` cookie over HTTPS, Swagger UI from this site; and every page, signed in as its user,
runs in Chromium with nothing refused by the CSP, at a desktop's and a phone's width."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

import httpx
import pytest
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.lib.security import content_security_policy
from server.settings import Settings, from_env
from tests.security.support import DEMO, attacker_site, signed_in_page, watch

STRICT = ("default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'")


async def test_every_answer_carries_the_headers(client, headers):
    coordinator = await headers("coordinator")
    for path, who in (("/dashboard/login", {}), ("/api/v1/operations", coordinator), ("/health", {}),
                      ("/static/login.js", {}), ("/schema/openapi.json", {}), ("/no-such-page", {}),
                      ("/api/v1/operations", {}), ("/dashboard", coordinator)):
        r = await client.get(path, headers=who)
        policy = r.headers["content-security-policy"]
        assert all(rule in policy for rule in STRICT), (path, policy)
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in r.headers  # the demo is plain HTTP on 127.0.0.1
        content_type = r.headers.get("content-type", "")
        assert content_type.lower().count("charset") <= 1, (path, content_type)


async def test_csvs_and_pages_say_their_charset_once(client, headers, demo):
    coordinator = await headers("coordinator")
    for path in (f"/api/v1/operations/{demo.operation_id}/streets?format=csv", "/api/v1/followups.csv",
                 "/dashboard", f"/dashboard/operations/{demo.operation_id}"):
        r = await client.get(path, headers=coordinator)
        assert r.status_code == 200, (path, r.text[:200])
        assert r.headers["content-type"].lower().count("charset=utf-8") == 1, (path, r.headers["content-type"])


def test_https_is_on_unless_the_demo_runs(monkeypatch):
    """HSTS and the Secure __Host- cookie are a setting, on by default outside demo mode."""
    monkeypatch.setenv("DOORSTEP_SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.delenv("DOORSTEP_HTTPS", raising=False)
    monkeypatch.delenv("DOORSTEP_DEMO", raising=False)
    assert from_env().https is True
    monkeypatch.setenv("DOORSTEP_DEMO", "1")
    assert from_env().https is False
    monkeypatch.setenv("DOORSTEP_HTTPS", "1")
    assert from_env().https is True


async def test_over_https_the_cookie_is_secure_host_only_and_hsts_is_sent(database_url, demo):
    # Demo mode (the test database holds the demo, which a production start refuses), HTTPS said explicitly.
    settings = Settings(database_url=database_url, demo=True, https=True, notify_interval_seconds=0,
                        secret_key="k7Hq2Vb9Xr4Lp8Ns1Dw6Fz3Jm5Tc0Ye-Ua_Gi")
    async with AsyncTestClient(app=create_app(settings), base_url="https://doorstep.test") as c:
        r = await c.post("/api/v1/auth/token", json={"username": "coordinator", "password": DEMO})
        assert r.status_code == 200
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("__Host-doorstep_session=") and "Secure" in cookie and "Path=/" in cookie
        assert "domain" not in cookie.lower() and "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
        assert r.headers["strict-transport-security"].startswith("max-age=")
        page = await c.get("/dashboard")  # the __Host- cookie is the session
        assert page.status_code == 200 and "csrf-token" in page.text


def test_the_policy_names_a_tile_server_when_there_is_one():
    policy = content_security_policy(Settings(database_url="x", secret_key="x", demo=True,
                                              tile_url="https://{s}.tiles.example.org/{z}/{x}/{y}.png"))
    assert "img-src 'self' data: https://*.tiles.example.org" in policy


async def test_swagger_ui_comes_from_this_site(client):
    page = await client.get("/schema/swagger")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "<script>" not in page.text and "style=" not in page.text
    assert '<script src="/static/swagger-ui-dist/swagger-ui-bundle.js">' in page.text
    assert (await client.get("/static/swagger-ui-dist/swagger-ui-bundle.js")).status_code == 200
    for other in ("/schema/redoc", "/schema/elements", "/schema/rapidoc"):  # Litestar's CDN renderers
        assert (await client.get(other)).status_code == 404


@pytest.mark.browser
def test_no_other_site_can_frame_a_page(live_server, browser):
    """The partner inbox rendered inside another site's iframe (clickjacking): the browser refuses."""
    context, page = signed_in_page(browser, live_server, "envhealth")
    try:
        frame_page = (
            f'<h1>Win a prize</h1><iframe id="f" src="{live_server}/partner" width="800" height="600"></iframe>'
        )
        with attacker_site({"/": frame_page}) as site:
            page.goto(site + "/")
            page.wait_for_timeout(1500)
            framed = [f for f in page.frames if f is not page.main_frame]
            assert framed, "the iframe is missing"
            for frame in framed:
                assert frame.query_selector("#followups, #empty, .top") is None, "the inbox rendered inside a frame"
    finally:
        context.close()


# ---------------------------------------------------------------- every page in Chromium


def _followup(base: str) -> str:
    r = httpx.post(f"{base}/api/v1/auth/token", json={"username": "officer", "password": DEMO})
    officer = {"Authorization": f"Bearer {r.json()['access_token']}"}
    op = httpx.get(f"{base}/api/v1/operations", headers=officer).json()["items"][0]["id"]
    pack = httpx.get(f"{base}/api/v1/operations/{op}/pack", headers=officer, timeout=30).json()
    team = next(t for t in pack["teams"] if any(m["username"] == "officer" for m in t["members"]))
    household = next(h for h in pack["households"] if h["street_id"] in team["street_ids"])
    fid = str(uuid.uuid4())
    record = {"type": "followup", "id": fid, "operation_id": op, "team_id": team["id"], "category": "fly_tipping",
              "priority": "high", "description": "Mattress by the bins", "resident_consent": False,
              "raised_at": dt.datetime.now(dt.UTC).isoformat(), "household_id": household["id"]}
    httpx.post(f"{base}/api/v1/sync/push", json={"device_id": "csp-test", "records": [record]}, headers=officer,
               timeout=30).raise_for_status()
    return fid


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_runs_with_nothing_refused(live_server, browser, screens_dir, demo, width):
    fid = _followup(live_server)
    op = demo.operation_id
    visits = [
        ("coordinator", "/dashboard", ["/dashboard", f"/dashboard/operations/{op}", f"/dashboard/operations/{op}/setup",
                                       f"/dashboard/operations/{op}/revisits"]),
        ("envhealth", "/partner", ["/partner", f"/partner/followups/{fid}"]),
    ]
    for username, area, paths in visits:
        context, page = signed_in_page(browser, live_server, username, area=area, width=width)
        seen = watch(page)
        try:
            for path in paths:
                page.goto(live_server + path)
                page.wait_for_load_state("networkidle")
                name = path.strip("/").replace("/", "-").replace(fid, "followup") or "root"
                page.screenshot(path=str(screens_dir / f"security-csp-{name}-{width}.png"), full_page=True)
            page.click("header button")  # sign out
            page.wait_for_url(f"{live_server}{area}/login")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(screens_dir / f"security-csp-{area.strip('/')}-login-{width}.png"))
        finally:
            context.close()
        assert seen.refused == [], f"{username}: the CSP refused {seen.refused}"
        assert seen.errors == [], f"{username}: script errors {seen.errors}"
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    seen = watch(page)
    try:
        page.goto(f"{live_server}/schema/swagger")
        page.wait_for_selector(".swagger-ui .opblock")
        page.screenshot(path=str(screens_dir / f"security-csp-swagger-{width}.png"))
    finally:
        context.close()
    assert seen.refused == [] and seen.errors == [], (seen.refused, seen.errors)
