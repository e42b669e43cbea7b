"""Sessions can be ended: sign-out, deactivation, a new password, a revoked tablet (issue 11, "Sessions
cannot be revoked"). Each test does what the review did: keep using a token after it should have died."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import httpx
import pytest
from sqlalchemy import text

from server.db.engine import transaction
from tests.conftest import TEST_ORIGIN, csrf_token_in
from tests.security.conftest import PASSWORD, bearer
from tests.support import running_server


async def _ok(client, answer: dict) -> int:
    return (await client.get("/api/v1/operations", headers=bearer(answer))).status_code


async def test_a_signed_out_token_is_refused(client, make_user, sign_in):
    answer = await sign_in(await make_user())
    assert await _ok(client, answer) == 200
    r = await client.post("/api/v1/auth/logout", headers=bearer(answer))
    assert r.status_code == 204
    r = await client.get("/api/v1/operations", headers=bearer(answer))
    assert r.status_code == 401
    assert r.json()["extra"] == {"reason": "signed_out"}
    assert r.headers["www-authenticate"].startswith("Bearer")
    # Signing out twice is not an error that reveals anything: the token is simply no longer good.
    assert (await client.post("/api/v1/auth/logout", headers=bearer(answer))).status_code == 401


async def test_the_pages_sign_out_ends_the_session_not_only_the_cookie(client, make_user, sign_in):
    answer = await sign_in(await make_user(("coordinator",), "council"))
    cookie = {"Cookie": f'doorstep_session="Bearer {answer["access_token"]}"'}
    page = await client.get("/dashboard", headers=cookie)
    assert page.status_code == 200
    r = await client.post("/dashboard/logout", data={"_csrf_token": csrf_token_in(page.text)},
                          headers={**cookie, "Origin": TEST_ORIGIN}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/login"
    assert 'doorstep_session=""' in r.headers["set-cookie"] or "Max-Age=0" in r.headers["set-cookie"]
    # An attacker who copied the cookie's token before the sign-out gets nothing with it.
    stolen = await client.get("/api/v1/operations", headers=bearer(answer))
    assert stolen.status_code == 401 and stolen.json()["extra"]["reason"] == "signed_out"
    page = await client.get("/dashboard", headers=cookie, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/dashboard/login")


async def test_a_deactivated_visitor_can_neither_push_nor_sign_in(client, headers, make_user, sign_in):
    name = await make_user(("visitor",))
    tablet = await sign_in(name, device_id=str(uuid.uuid4()))
    push = {"device_id": "tab-sec", "records": []}
    assert (await client.post("/api/v1/sync/push", json=push, headers=bearer(tablet))).status_code == 200
    r = await client.patch(f"/api/v1/users/{name}", json={"active": False}, headers=await headers("admin"))
    assert r.status_code == 200 and r.json()["active"] is False
    r = await client.post("/api/v1/sync/push", json=push, headers=bearer(tablet))
    assert r.status_code == 401 and r.json()["extra"]["reason"] == "user_deactivated"
    r = await client.get("/api/v1/sync/pull", params={"operation_id": 1}, headers=bearer(tablet))
    assert r.status_code == 401 and r.json()["extra"]["reason"] == "user_deactivated"
    r = await client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})
    assert r.status_code == 401
    # Active again: the old sessions stay ended, a new sign-in works.
    r = await client.patch(f"/api/v1/users/{name}", json={"active": True}, headers=await headers("admin"))
    assert r.status_code == 200
    assert (await client.post("/api/v1/sync/push", json=push, headers=bearer(tablet))).status_code == 401
    again = await sign_in(name)
    assert await _ok(client, again) == 200


async def test_a_deactivated_partner_can_no_longer_export_residents(client, headers, make_user, sign_in):
    name = await make_user(("partner",), "council-envhealth")
    answer = await sign_in(name)
    export = "/api/v1/followups.csv?residents=true"
    assert (await client.get(export, headers=bearer(answer))).status_code == 200
    await client.patch(f"/api/v1/users/{name}", json={"active": False}, headers=await headers("admin"))
    r = await client.get(export, headers=bearer(answer))
    assert r.status_code == 401 and "resident" not in r.text.lower()


async def test_role_and_agency_changes_apply_to_a_live_session(client, headers, make_user, sign_in):
    name = await make_user(("visitor",))
    answer = await sign_in(name)
    assert (await client.get("/api/v1/auth/check/coordinator", headers=bearer(answer))).status_code == 403
    r = await client.patch(f"/api/v1/users/{name}", json={"roles": ["visitor", "coordinator"], "agency": "fire",
                                                          "display_name": "Renamed"},
                           headers=await headers("admin"))
    assert r.status_code == 200 and r.json()["agency_code"] == "fire"
    assert (await client.get("/api/v1/auth/check/coordinator", headers=bearer(answer))).status_code == 200
    # Taking a role away applies as fast: an old token's claims grant nothing.
    await client.patch(f"/api/v1/users/{name}", json={"roles": ["visitor"]}, headers=await headers("admin"))
    assert (await client.get("/api/v1/auth/check/coordinator", headers=bearer(answer))).status_code == 403


async def test_a_new_password_ends_every_session(client, headers, make_user, sign_in):
    name = await make_user()
    web, tablet = await sign_in(name), await sign_in(name, device_id=str(uuid.uuid4()))
    r = await client.patch(f"/api/v1/users/{name}", json={"password": "another-long-password"},
                           headers=await headers("admin"))
    assert r.status_code == 200 and "password" not in r.text
    for answer in (web, tablet):
        r = await client.get("/api/v1/operations", headers=bearer(answer))
        assert r.status_code == 401 and r.json()["extra"]["reason"] == "password_changed"
    assert await _ok(client, await sign_in(name, "another-long-password")) == 200


async def test_only_admins_change_users_and_not_themselves(client, headers, make_user):
    name = await make_user()
    r = await client.patch(f"/api/v1/users/{name}", json={"active": False}, headers=await headers("coordinator"))
    assert r.status_code == 403
    r = await client.patch("/api/v1/users/admin", json={"active": False}, headers=await headers("admin"))
    assert r.status_code == 422 and "yourself" in r.json()["detail"]
    r = await client.patch(f"/api/v1/users/{name}", json={"roles": ["wizard"]}, headers=await headers("admin"))
    assert r.status_code == 422
    r = await client.patch("/api/v1/users/nobody-" + uuid.uuid4().hex[:6], json={"active": False},
                           headers=await headers("admin"))
    assert r.status_code == 404


async def test_an_expired_web_session_is_refused(client, db_engine, make_user, sign_in):
    answer = await sign_in(await make_user())
    async with transaction(db_engine) as session:
        await session.execute(text("UPDATE user_session SET expires_at = now() - interval '1 second' WHERE id = :id"),
                              {"id": answer["session_id"]})
    r = await client.get("/api/v1/operations", headers=bearer(answer))
    assert r.status_code == 401 and r.json()["extra"]["reason"] == "expired"


async def test_a_tablets_session_moves_forward_while_it_is_used(client, db_engine, sign_in, app):
    device = str(uuid.uuid4())
    answer = await sign_in("officer", "doorstep-demo", device_id=device)
    assert answer["session_kind"] == "device"
    assert answer["expires_in"] > 300 * 24 * 3600  # the token itself: the session row decides
    async with transaction(db_engine) as session:
        await session.execute(text(
            "UPDATE user_session SET expires_at = now() + interval '1 hour', last_seen_at = now() - interval '1 day' "
            "WHERE id = :id"), {"id": answer["session_id"]})
    assert await _ok(client, answer) == 200
    async with transaction(db_engine) as session:
        left = (await session.execute(text("SELECT expires_at - now() FROM user_session WHERE id = :id"),
                                      {"id": answer["session_id"]})).scalar_one()
    assert left.days >= app.state.settings.device_session_days - 1


async def test_tablets_are_listed_for_coordinators_and_revoked(client, headers, make_user, sign_in):
    device = str(uuid.uuid4())
    r = await client.post("/api/v1/auth/token", json={"username": "officer", "password": "doorstep-demo",
                                                      "device_id": device, "device_name": "Evidence tablet 7"})
    assert r.status_code == 200 and "set-cookie" not in r.headers  # a tablet keeps its token, not a cookie
    tablet = r.json()
    listed = await client.get("/api/v1/devices", params={"limit": 500}, headers=await headers("coordinator"))
    assert listed.status_code == 200
    mine = [d for d in listed.json()["items"] if d["device_id"] == device]
    assert len(mine) == 1 and mine[0]["device_name"] == "Evidence tablet 7" and mine[0]["username"] == "officer"
    assert (await client.get("/api/v1/devices", headers=await headers("envhealth"))).status_code == 403

    # A coordinator cannot end a tablet of someone outside their operations; an admin can.
    stranger = await make_user(("visitor",), "housing")
    other = await sign_in(stranger, device_id=str(uuid.uuid4()))
    r = await client.delete(f"/api/v1/devices/{other['session_id']}", headers=await headers("coordinator"))
    assert r.status_code == 404
    r = await client.delete(f"/api/v1/devices/{other['session_id']}", headers=await headers("admin"))
    assert r.status_code == 204

    r = await client.delete(f"/api/v1/devices/{tablet['session_id']}", headers=await headers("coordinator"))
    assert r.status_code == 204
    r = await client.get("/api/v1/operations", headers=bearer(tablet))
    assert r.status_code == 401 and r.json()["extra"]["reason"] == "revoked"
    listed = await client.get("/api/v1/devices", params={"limit": 500}, headers=await headers("coordinator"))
    assert device not in {d["device_id"] for d in listed.json()["items"]}


async def test_signing_in_again_on_the_same_tablet_replaces_its_session(client, sign_in):
    device = str(uuid.uuid4())
    first = await sign_in("pcso", "doorstep-demo", device_id=device)
    second = await sign_in("pcso", "doorstep-demo", device_id=device)
    r = await client.get("/api/v1/operations", headers=bearer(first))
    assert r.status_code == 401 and r.json()["extra"]["reason"] == "replaced"
    assert await _ok(client, second) == 200


async def test_device_list_pages_by_cursor(client, headers, sign_in):
    for _ in range(3):
        await sign_in("councillor", "doorstep-demo", device_id=str(uuid.uuid4()))
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/devices", params=params, headers=await headers("admin"))).json()
        seen += [d["session_id"] for d in page["items"]]
        cursor = page["next"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) >= 3
    r = await client.get("/api/v1/devices", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=await headers("admin"))
    assert r.status_code == 400


def test_another_server_process_refuses_a_deactivated_user_within_its_window(database_url, demo):
    """Two processes share only PostgreSQL: the one that did not deactivate the user learns it when
    its memory of the session runs out (1 s here; at most 30 s in production)."""
    with running_server(database_url, DOORSTEP_SESSION_CHECK_SECONDS="1",
                        DOORSTEP_NOTIFY_INTERVAL_SECONDS="0") as a, \
            running_server(database_url, DOORSTEP_SESSION_CHECK_SECONDS="1",
                           DOORSTEP_NOTIFY_INTERVAL_SECONDS="0") as b:
        admin = httpx.post(f"{a}/api/v1/auth/token", json={"username": "admin", "password": "doorstep-demo"}).json()
        name = "sec-" + uuid.uuid4().hex[:10]
        r = httpx.post(f"{a}/api/v1/users", headers=bearer(admin), json={
            "username": name, "password": PASSWORD, "display_name": name, "agency": "police", "roles": ["visitor"]})
        assert r.status_code == 201, r.text
        user = httpx.post(f"{b}/api/v1/auth/token", json={"username": name, "password": PASSWORD}).json()
        assert httpx.get(f"{b}/api/v1/operations", headers=bearer(user)).status_code == 200  # b remembers it
        assert httpx.patch(f"{a}/api/v1/users/{name}", json={"active": False},
                           headers=bearer(admin)).status_code == 200
        deadline = time.monotonic() + 5
        while httpx.get(f"{b}/api/v1/operations", headers=bearer(user)).status_code == 200:
            assert time.monotonic() < deadline, "the other process still trusts the deactivated user"
            time.sleep(0.2)
        r = httpx.get(f"{b}/api/v1/operations", headers=bearer(user))
        assert r.status_code == 401 and r.json()["extra"]["reason"] == "user_deactivated"


def test_another_server_process_applies_role_and_agency_changes_within_its_window(database_url, demo):
    """Privileges taken away in one process are gone in the other within its window (2 s here, 30 s at
    most): a coordinator demoted loses the role, a partner moved to another agency stops seeing the
    first agency's follow-ups."""
    window = 2.0
    env = {"DOORSTEP_SESSION_CHECK_SECONDS": str(int(window)), "DOORSTEP_NOTIFY_INTERVAL_SECONDS": "0"}
    with running_server(database_url, **env) as a, running_server(database_url, **env) as b:
        admin = bearer(httpx.post(f"{a}/api/v1/auth/token", json={"username": "admin",
                                                                  "password": "doorstep-demo"}).json())
        names = {}
        for roles, agency in ((["coordinator"], "council"), (["partner"], "council-envhealth")):
            names[roles[0]] = "sec-" + uuid.uuid4().hex[:10]
            r = httpx.post(f"{a}/api/v1/users", headers=admin, json={
                "username": names[roles[0]], "password": PASSWORD, "display_name": "Changing", "agency": agency,
                "roles": roles})
            assert r.status_code == 201, r.text
        fid = _graffiti_followup(a)  # routed to council-envhealth
        coordinator, partner = (bearer(httpx.post(f"{b}/api/v1/auth/token", json={
            "username": names[role], "password": PASSWORD}).json()) for role in ("coordinator", "partner"))

        def partner_sees() -> bool:
            r = httpx.get(f"{b}/api/v1/followups", params={"limit": 500}, headers=partner)
            assert r.status_code == 200, r.text
            return fid in {f["id"] for f in r.json()["items"]}

        def coordinator_may() -> bool:
            return httpx.get(f"{b}/api/v1/auth/check/coordinator", headers=coordinator).status_code == 200

        assert coordinator_may() and partner_sees()  # b remembers both sessions now
        for name, change in ((names["coordinator"], {"roles": ["visitor"]}), (names["partner"], {"agency": "housing"})):
            assert httpx.patch(f"{a}/api/v1/users/{name}", json=change, headers=admin).status_code == 200
        changed_at = time.monotonic()
        while coordinator_may() or partner_sees():
            assert time.monotonic() - changed_at < window + 3, "the other process still grants the old privileges"
            time.sleep(0.2)
        print(f"\nthe other process applied the change after {time.monotonic() - changed_at:.1f} s (window {window} s)")


def _graffiti_followup(base: str) -> str:
    officer = bearer(httpx.post(f"{base}/api/v1/auth/token", json={"username": "officer",
                                                                   "password": "doorstep-demo"}).json())
    op = httpx.get(f"{base}/api/v1/operations", headers=officer).json()["items"][0]["id"]
    pack = httpx.get(f"{base}/api/v1/operations/{op}/pack", headers=officer, timeout=30).json()
    team = next(t for t in pack["teams"] if any(m["username"] == "officer" for m in t["members"]))
    fid = str(uuid.uuid4())
    record = {"type": "followup", "id": fid, "operation_id": op, "team_id": team["id"], "category": "graffiti",
              "priority": "normal", "description": "Tags on the bus shelter", "resident_consent": False,
              "raised_at": dt.datetime.now(dt.UTC).isoformat(), "street_id": team["street_ids"][0]}
    r = httpx.post(f"{base}/api/v1/sync/push", json={"device_id": "sec-roles", "records": [record]},
                   headers=officer, timeout=30)
    assert r.json()["results"][0]["status"] == "stored", r.text
    return fid


@pytest.mark.browser
def test_a_coordinator_ends_a_tablets_session_from_the_dashboard(live_server, browser, screens_dir):
    from tests.security.support import signed_in_page, watch

    device = str(uuid.uuid4())
    name = f"Tablet in the van {device[:6]}"
    tablet = httpx.post(f"{live_server}/api/v1/auth/token", json={
        "username": "councillor", "password": "doorstep-demo", "device_id": device, "device_name": name}).json()
    assert httpx.get(f"{live_server}/api/v1/operations", headers=bearer(tablet)).status_code == 200
    for width in (1280, 390):
        context, page = signed_in_page(browser, live_server, "coordinator", area="/dashboard", width=width)
        seen = watch(page)
        try:
            row = page.wait_for_selector(f"#devices tr[data-session-id='{tablet['session_id']}']")
            assert name in row.inner_text() and "Colin Hart" in row.inner_text()
            row.scroll_into_view_if_needed()
            page.screenshot(path=str(screens_dir / f"security-devices-{width}.png"))
            # Every button in sight at this width, none behind a sideways scroll.
            for button in row.query_selector_all("button"):
                box = button.bounding_box()
                assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (button.inner_text(), box, width)
            assert page.evaluate("document.querySelector('#devices').parentElement.scrollWidth"
                                 " <= document.querySelector('#devices').parentElement.clientWidth")
            if width == 390:
                row.query_selector("button").click()
                page.wait_for_selector("#devices-message.ok")
                assert name in page.inner_text("#devices-message")
                page.wait_for_selector(f"#devices tr[data-session-id='{tablet['session_id']}']", state="detached")
                page.query_selector("#devices-message").scroll_into_view_if_needed()
                page.screenshot(path=str(screens_dir / "security-devices-390-ended.png"))
        finally:
            context.close()
        assert seen.refused == [] and seen.errors == [], (seen.refused, seen.errors)
    r = httpx.get(f"{live_server}/api/v1/operations", headers=bearer(tablet))
    assert r.status_code == 401 and r.json()["extra"]["reason"] == "revoked"
