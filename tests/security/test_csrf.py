"""CSRF (issue 11): another site's page cannot act with a signed-in person's cookie.

The review's attacks, replayed: a page on another port of the same host auto-submitted a
text/plain form that created an admin, a plain form declined a partner's follow-up, and a
bodiless POST rotated an agency's Open311 key. The first tests drive real Chromium against the
real server; the rest pin down the rules (JSON only, same origin, the session's token, bearer
requests untouched) through the in-process app.
"""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from tests.conftest import TEST_ORIGIN, csrf_token_in
from tests.security.conftest import bearer
from tests.security.support import attacker_site, signed_in_page

DEMO = "doorstep-demo"


def _token(base: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/token", json={"username": username, "password": DEMO})
    r.raise_for_status()
    return bearer(r.json())


@pytest.mark.browser
def test_a_cross_site_text_plain_form_cannot_create_an_admin(live_server, browser):
    evil = "evil-" + uuid.uuid4().hex[:8]
    # The classic trick: the field name carries the JSON, the value closes it.
    name = (f'{{"username": "{evil}", "password": "owned-by-evil-1", "display_name": "Evil", "agency": "council", '
            '"roles": ["admin"], "x": "')
    form = f"""<form id="f" method="post" enctype="text/plain" action="{live_server}/api/v1/users">
               <input name='{name}' value='"}}'></form><script>document.getElementById("f").submit()</script>"""
    context, page = signed_in_page(browser, live_server, "admin")
    try:
        with attacker_site({"/": form}) as site, page.expect_response(lambda r: "/api/v1/users" in r.url) as answer:
            page.goto(site + "/")
        assert answer.value.status == 415
        # The browser did send the admin's cookie (another port is the same site): SameSite did not save us.
        assert "doorstep_session=" in answer.value.request.all_headers().get("cookie", "")
    finally:
        context.close()
    # The admin user was not made: nobody can sign in as it.
    r = httpx.post(f"{live_server}/api/v1/auth/token", json={"username": evil, "password": "owned-by-evil-1"})
    assert r.status_code == 401


@pytest.mark.browser
def test_a_cross_site_form_cannot_decline_a_partners_followup(live_server, browser):
    officer = _token(live_server, "officer")
    operation_id = httpx.get(f"{live_server}/api/v1/operations", headers=officer).json()["items"][0]["id"]
    pack = httpx.get(f"{live_server}/api/v1/operations/{operation_id}/pack", headers=officer, timeout=30).json()
    team = next(t for t in pack["teams"] if any(m["username"] == "officer" for m in t["members"]))
    fid = str(uuid.uuid4())
    record = {"type": "followup", "id": fid, "operation_id": operation_id, "team_id": team["id"],
              "category": "fly_tipping", "priority": "normal", "description": "Sofa on the verge",
              "resident_consent": False, "raised_at": dt.datetime.now(dt.UTC).isoformat(),
              "street_id": team["street_ids"][0]}
    pushed = httpx.post(f"{live_server}/api/v1/sync/push", json={"device_id": "csrf-test", "records": [record]},
                        headers=officer, timeout=30)
    assert pushed.json()["results"][0]["status"] == "stored"

    form = f"""<form id="f" method="post" action="{live_server}/partner/followups/{fid}">
               <input name="version" value="1"><input name="status" value="declined">
               <input name="reason" value="Not ours"></form><script>document.getElementById("f").submit()</script>"""
    context, page = signed_in_page(browser, live_server, "envhealth")
    try:
        with attacker_site({"/": form}) as site, \
                page.expect_response(lambda r: f"/partner/followups/{fid}" in r.url) as answer:
            page.goto(site + "/")
        assert answer.value.status == 403
        assert "another site" in page.inner_text("main")
    finally:
        context.close()
    detail = httpx.get(f"{live_server}/api/v1/followups/{fid}", headers=_token(live_server, "envhealth")).json()
    assert detail["status"] == "open" and detail["version"] == 1


@pytest.mark.browser
def test_a_cross_site_bodiless_post_cannot_rotate_an_open311_key(live_server, browser):
    admin = _token(live_server, "admin")
    key = httpx.post(f"{live_server}/api/v1/agencies/fire-safety/open311-key", headers=admin).json()["api_key"]
    script = f"""<script>fetch("{live_server}/api/v1/agencies/fire-safety/open311-key",
                 {{method: "POST", mode: "no-cors", credentials: "include"}})
                 .then(function () {{ document.title = "sent"; }});</script>"""
    context, page = signed_in_page(browser, live_server, "admin")
    try:
        with attacker_site({"/": script}) as site, \
                page.expect_response(lambda r: "/open311-key" in r.url) as answer:
            page.goto(site + "/")
        # 403, not 401: the admin's cookie came along (another port is the same site) and the CSRF check refused.
        assert answer.value.status == 403
    finally:
        context.close()
    still = httpx.get(f"{live_server}/open311/v2/requests.json", params={"api_key": key})
    assert still.status_code == 200, "the agency's key was rotated by another site's page"


# ---------------------------------------------------------------- the rules, one by one


async def _cookie_page(client, tokens, username: str) -> tuple[dict[str, str], str]:
    cookie = {"Cookie": f'doorstep_session="Bearer {await tokens(username)}"'}
    page = await client.get("/partner" if username != "admin" else "/dashboard", headers=cookie)
    return cookie, csrf_token_in(page.text)


async def test_the_api_takes_json_only(client, headers):
    admin = await headers("admin")
    for content_type, body in (("text/plain", '{"username": "x"}'), ("application/x-www-form-urlencoded", "a=b"),
                               ("multipart/form-data; boundary=z", "--z--"), ("text/plain", "")):
        r = await client.post("/api/v1/users", content=body, headers={**admin, "Content-Type": content_type})
        assert r.status_code == 415, (content_type, r.text)
        assert "application/json" in r.json()["detail"]
    r = await client.post("/api/v1/auth/token", content='{"username": "admin", "password": "doorstep-demo"}',
                          headers={"Content-Type": "text/plain"})
    assert r.status_code == 415  # not even a sign-in from a form on another site
    r = await client.patch("/api/v1/followups/" + str(uuid.uuid4()), content="version=1",
                           headers={**admin, "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415


async def test_a_cookie_change_needs_this_sites_origin_and_the_sessions_token(client, tokens):
    cookie, token = await _cookie_page(client, tokens, "admin")
    url = "/api/v1/agencies/housing/open311-key"
    cases = [
        ({}, 403, "cross_site"),  # no Origin, no Referer
        ({"Origin": "http://127.0.0.1:9999", "X-CSRF-Token": token}, 403, "cross_site"),
        ({"Origin": "null", "X-CSRF-Token": token}, 403, "cross_site"),  # a sandboxed frame
        ({"Referer": "http://evil.example/page", "X-CSRF-Token": token}, 403, "cross_site"),
        ({"Origin": TEST_ORIGIN}, 403, "csrf_token"),
        ({"Origin": TEST_ORIGIN, "X-CSRF-Token": token[:-2] + "xx"}, 403, "csrf_token"),
    ]
    for extra, status, reason in cases:
        r = await client.post(url, headers={**cookie, **extra})
        assert r.status_code == status and r.json()["extra"]["reason"] == reason, (extra, r.text)
    r = await client.post(url, headers={**cookie, "Origin": TEST_ORIGIN, "X-CSRF-Token": token})
    assert r.status_code == 201, r.text
    r = await client.post(url, headers={**cookie, "Referer": f"{TEST_ORIGIN}/dashboard", "X-CSRF-Token": token})
    assert r.status_code == 201, r.text
    # Another session's token is no good either.
    other_cookie, other_token = await _cookie_page(client, tokens, "coordinator")
    r = await client.post("/api/v1/operations/1/close", headers={**cookie, "Origin": TEST_ORIGIN,
                                                                 "X-CSRF-Token": other_token})
    assert r.status_code == 403 and r.json()["extra"]["reason"] == "csrf_token"


async def test_a_page_form_needs_the_token_too(client, tokens, raise_followup):
    fid = await raise_followup("graffiti")
    cookie, token = await _cookie_page(client, tokens, "envhealth")
    form = {"version": "1", "status": "acknowledged"}
    r = await client.post(f"/partner/followups/{fid}", data=form, headers={**cookie, "Origin": TEST_ORIGIN})
    assert r.status_code == 403 and "reload the page" in r.text
    r = await client.post(f"/partner/followups/{fid}", data={**form, "_csrf_token": token},
                          headers={**cookie, "Origin": TEST_ORIGIN}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/partner/followups/{fid}?m=")
    page = await client.get(r.headers["location"], headers=cookie)
    assert 'id="flash"' in page.text and "now acknowledged" in page.text


async def test_bearer_requests_need_neither_origin_nor_token(client, headers):
    """The tablet and API clients: no browser sends an Authorization header by itself."""
    r = await client.post("/api/v1/agencies/housing/open311-key", headers=await headers("admin"))
    assert r.status_code == 201
    r = await client.post("/api/v1/sync/push", json={"device_id": "t", "records": []},
                          headers={**await headers("officer"), "Origin": "http://elsewhere.example"})
    assert r.status_code == 200


async def test_an_authorization_header_is_never_topped_up_by_the_cookie(client, tokens):
    """An empty or odd Authorization header does not fall back to the cookie (and dodge the CSRF check)."""
    cookie = {"Cookie": f'doorstep_session="Bearer {await tokens("admin")}"'}
    for value in ("Bearer ", "Bearer", "Basic YWRtaW46eA==", ""):
        r = await client.post("/api/v1/agencies/housing/open311-key", headers={**cookie, "Authorization": value})
        assert r.status_code == 401, (value, r.text)
