"""The /dashboard pages' doors: sign-in redirect, who may see what, sign-out."""

from __future__ import annotations

from server.lib.auth import COOKIE_NAME
from tests.conftest import TEST_ORIGIN, csrf_token_in


async def test_signed_out_pages_go_to_the_sign_in_page_and_back(client):
    client.cookies.clear()
    r = await client.get("/dashboard/operations/1?poll=500", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/dashboard/login?next=/dashboard/operations/1%3Fpoll%3D500"
    login = await client.get("/dashboard/login?next=/dashboard/operations/1%3Fpoll%3D500")
    assert login.status_code == 200 and 'data-next="/dashboard/operations/1?poll=500"' in login.text
    # never somewhere else
    login = await client.get("/dashboard/login?next=//evil.example/x")
    assert 'data-next="/dashboard"' in login.text


async def test_who_may_see_the_pages(client, headers, demo):
    r = await client.get("/dashboard", headers=await headers("officer"))
    assert r.status_code == 403 and "coordinator role" in r.text and r.headers["content-type"].startswith("text/html")
    r = await client.get("/dashboard/operations/999999", headers=await headers("coordinator"))
    assert r.status_code == 404 and "There is no operation 999999" in r.text
    r = await client.get("/dashboard", headers=await headers("coordinator"))
    assert r.status_code == 200 and "Woodhouse StreetSafe" in r.text
    assert r.headers["cache-control"] == "no-store"


async def test_sign_in_sets_the_cookie_and_sign_out_clears_it(client, demo):
    client.cookies.clear()
    r = await client.post("/api/v1/auth/token", json={"username": "coordinator", "password": "doorstep-demo"})
    assert r.status_code == 200 and COOKIE_NAME in client.cookies
    page = await client.get("/dashboard", follow_redirects=False)
    assert page.status_code == 200  # by the cookie alone
    r = await client.post("/dashboard/logout", data={"_csrf_token": csrf_token_in(page.text)},
                          headers={"Origin": TEST_ORIGIN}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/login"
    assert COOKIE_NAME not in client.cookies
    assert (await client.get("/dashboard", follow_redirects=False)).status_code == 303
