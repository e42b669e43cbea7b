"""The admin pages (issue 14): people, agencies, routing defaults and the audit log, each change
answered post-redirect-get and written to the audit log with who and when; the front door and the
error pages."""

from __future__ import annotations

import html
import re
import uuid

from sqlalchemy import text

from server.db.engine import transaction
from server.domain.notifications.targets import webhook_url_problem


def _message(page: str) -> str:
    found = re.search(r'id="flash"[^>]*>([^<]*)<', page)
    return html.unescape(found.group(1)) if found else ""


async def _form(client, headers, path: str, data: dict, follow: bool = True):
    """Post a page's form as the browser does, then follow the redirect (GET) as the browser does."""
    r = await client.post(path, data=data, headers=headers, follow_redirects=False)
    assert r.status_code == 303, (r.status_code, r.text[:300])
    location = r.headers["location"]
    return (await client.get(location, headers=headers)) if follow else r


async def test_only_admins_and_refusals_point_where_the_user_may_go(client, headers):
    for who, home in (("envhealth", "/partner"), ("coordinator", "/dashboard")):
        r = await client.get("/admin/users", headers=await headers(who))
        assert r.status_code == 403 and "text/html" in r.headers["content-type"]
        assert f'href="{home}" id="error-home"' in r.text and 'href="/admin"' not in r.text
    r = await client.get("/dashboard", headers=await headers("envhealth"))  # a partner at the dashboard
    assert r.status_code == 403
    assert 'id="error-home">Go to follow-ups</a>' in r.text and 'href="/dashboard"' not in r.text
    r = await client.get("/admin", headers=await headers("admin"))
    assert r.status_code == 200 and "Latest changes" in r.text


async def test_add_a_person_then_change_reset_and_deactivate_them(client, headers, db_engine):
    admin = await headers("admin")
    name = "adm-" + uuid.uuid4().hex[:8]
    page = await _form(client, admin, "/admin/users", {"username": name, "display_name": "Jo Tester",
                                                       "agency": "council-envhealth", "roles": "partner",
                                                       "password": "first-password-1"})
    assert page.status_code == 200 and page.url.path == f"/admin/users/{name}"
    assert _message(page.text).startswith(f"Added {name}")
    token = (await client.post("/api/v1/auth/token", json={"username": name, "password": "first-password-1"})).json()
    client.cookies.clear()
    theirs = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await client.get("/partner", headers=theirs)).status_code == 200

    # The same name again: back to the form, saying why (the typed fields wait in the browser).
    again = await _form(client, admin, "/admin/users", {"username": name, "display_name": "Other", "agency": "police",
                                                        "roles": "visitor", "password": "another-password"})
    assert again.url.path == "/admin/users" and "is taken" in _message(again.text)

    # Roles and agency
    page = await _form(client, admin, f"/admin/users/{name}", {"display_name": "Jo Tester-Smith",
                                                               "agency": "council-envhealth",
                                                               "roles": ["partner", "coordinator"]})
    assert "Saved" in _message(page.text) and "Jo Tester-Smith" in page.text

    # A new password ends their sign-ins
    page = await _form(client, admin, f"/admin/users/{name}/password", {"password": "second-password-2"})
    assert "New password set" in _message(page.text)
    assert (await client.get("/api/v1/operations", headers=theirs)).status_code == 401

    # Deactivated: cannot sign in; reactivated: can again
    page = await _form(client, admin, f"/admin/users/{name}/active", {"active": "no"})
    assert "Deactivated" in _message(page.text) and 'id="user-state">Deactivated' in page.text
    r = await client.post("/api/v1/auth/token", json={"username": name, "password": "second-password-2"})
    assert r.status_code == 401
    page = await _form(client, admin, f"/admin/users/{name}/active", {"active": "yes"})
    assert "Reactivated" in _message(page.text)

    # Every change is in the audit log, with who did it; never a password
    async with transaction(db_engine) as s:
        rows = (await s.execute(text(
            "SELECT a.action, u.username, a.at, a.detail::text FROM audit_log a "
            "JOIN app_user u ON u.id = a.actor_user_id "
            "WHERE a.entity_type = 'user' AND a.entity_id = (SELECT id::text FROM app_user WHERE username = :n) "
            "ORDER BY a.id"), {"n": name})).all()
    assert [r.action for r in rows] == ["user.add", "user.update", "user.update", "user.update", "user.update"]
    assert {r.username for r in rows} == {"admin"} and all(r.at for r in rows)
    assert not any("password-" in r.detail for r in rows)
    page = await client.get(f"/admin/users/{name}", headers=admin)
    assert page.text.count('data-action="user.update"') == 4 and "Alex Admin" in page.text


async def test_an_admin_cannot_lock_themselves_out_from_the_page(client, headers):
    admin = await headers("admin")
    page = await _form(client, admin, "/admin/users/admin/active", {"active": "no"})
    assert "cannot deactivate yourself" in _message(page.text)
    page = await _form(client, admin, "/admin/users/admin", {"display_name": "Alex Admin", "agency": "council",
                                                             "roles": "visitor"})
    assert "admin role" in _message(page.text)


async def test_a_message_in_the_address_cannot_be_forged(client, headers):
    admin = await headers("admin")
    page = await _form(client, admin, "/admin/users/admin/active", {"active": "no"}, follow=False)
    signed = page.headers["location"].split("m=", 1)[1]
    payload = signed.split(".")[0]
    forged = payload + "." + "0" * 32
    r = await client.get(f"/admin/users?m={forged}", headers=admin)
    assert 'id="flash"' not in r.text
    r = await client.get(f"/admin/users?m={signed}", headers=await headers("coordinator"))  # another session's
    assert 'id="flash"' not in r.text


async def test_agencies_notifications_and_open311_key(client, headers, db_engine):
    admin = await headers("admin")
    code = "t-" + uuid.uuid4().hex[:8]
    page = await _form(client, admin, "/admin/agencies", {"code": code, "name": "Test Housing Association",
                                                          "kind": "housing", "email": "repairs@housing.example"})
    assert page.url.path == f"/admin/agencies/{code}" and "Added Test Housing Association" in _message(page.text)
    page = await _form(client, admin, f"/admin/agencies/{code}", {
        "name": "Test Housing Association", "kind": "housing", "email": "not-an-address",
        "webhook_url": "", "webhook_secret": ""})
    assert "not an e-mail address" in _message(page.text)
    page = await _form(client, admin, f"/admin/agencies/{code}", {
        "name": "Test Housing", "kind": "housing", "email": "cases@housing.example",
        "webhook_url": "https://cases.housing.example/doorstep", "webhook_secret": ""})
    assert "needs a secret" in _message(page.text)
    secret = "s3cret-" + "Ab9" * 10
    page = await _form(client, admin, f"/admin/agencies/{code}", {
        "name": "Test Housing", "kind": "housing", "email": "cases@housing.example",
        "webhook_url": "https://cases.housing.example/doorstep", "webhook_secret": secret})
    assert _message(page.text).startswith("Saved")
    listed = (await client.get("/api/v1/agencies", headers=admin)).json()["items"]
    mine = next(a for a in listed if a["code"] == code)
    assert mine["email"] == "cases@housing.example" and mine["has_webhook_secret"] and secret not in str(listed)
    issued = await client.post(f"/api/v1/agencies/{code}/open311-key", headers=admin)
    assert issued.status_code == 201 and issued.headers["cache-control"] == "no-store"
    async with transaction(db_engine) as s:
        details = (await s.execute(text("SELECT action, detail::text FROM audit_log WHERE entity_type = 'agency' "
                                        "AND entity_id = :c ORDER BY id"), {"c": code})).all()
    assert [d.action for d in details] == ["agency.add", "agency.update", "open311.key_issued"]
    assert secret not in str(details) and '"webhook_secret": "changed"' in details[1].detail
    page = await client.get(f"/admin/agencies/{code}", headers=admin)
    assert 'data-has-key="yes"' in page.text and issued.json()["api_key"] not in page.text


def test_the_webhook_rule_is_https_outside_demo_mode():
    assert webhook_url_problem("http://cases.example/hook", demo=False).startswith("The webhook URL is not https://")
    assert webhook_url_problem("http://cases.example/hook", demo=True) is None
    assert webhook_url_problem("https://cases.example/hook", demo=False) is None
    assert "full address" in webhook_url_problem("cases.example/hook", demo=True)


async def test_routing_defaults_are_what_a_new_operation_starts_with(client, headers):
    admin = await headers("admin")
    page = await client.get("/admin/routing", headers=admin)
    assert page.status_code == 200 and "Anti-social behaviour" in page.text
    before = (await client.get("/api/v1/routing-defaults", headers=admin)).json()["routing"]
    assert before["fly_tipping"] == "council-envhealth"  # from the demo
    changed = {**before, "graffiti": "council", "drugs": None}
    fields = {f"route-{k}": v or "" for k, v in changed.items()}
    page = await _form(client, admin, "/admin/routing", fields)
    assert _message(page.text).startswith("Saved")
    area = {"type": "Polygon", "coordinates": [[[-1.56, 53.80], [-1.55, 53.80], [-1.55, 53.81], [-1.56, 53.80]]]}
    op = await client.post("/api/v1/operations", headers=await headers("coordinator"), json={
        "name": "Routing defaults " + uuid.uuid4().hex[:6], "questionnaire_id": "streetsafe-community-v2",
        "area": area})
    assert op.status_code == 201, op.text
    routing = (await client.get(f"/api/v1/operations/{op.json()['id']}/routing",
                                headers=await headers("coordinator"))).json()["routing"]
    assert routing["graffiti"] == "council" and "drugs" not in routing
    r = await client.put("/api/v1/routing-defaults", headers=admin, json={"routing": before})
    assert r.status_code == 200 and r.json()["routing"] == before
    log = (await client.get("/api/v1/audit?action=routing_defaults.update&limit=2", headers=admin)).json()["items"]
    assert log[0]["actor"] == "admin" and log[0]["detail"]["changes"]["graffiti"] == {"from": "council",
                                                                                       "to": "council-envhealth"}


async def test_the_audit_page_reads_newest_first_by_who_and_what(client, headers):
    admin = await headers("admin")
    page = await client.get("/admin/audit?actor=admin", headers=admin)
    assert page.status_code == 200 and "Alex Admin" in page.text
    first = (await client.get("/api/v1/audit?limit=3", headers=admin)).json()
    assert len(first["items"]) == 3 and first["next"]
    ats = [i["at"] for i in first["items"]]
    assert ats == sorted(ats, reverse=True)
    more = (await client.get(f"/api/v1/audit?limit=3&cursor={first['next']}", headers=admin)).json()
    assert not {i["id"] for i in more["items"]} & {i["id"] for i in first["items"]}
    assert (await client.get("/api/v1/audit", headers=await headers("coordinator"))).status_code == 403


async def test_the_front_door_and_unknown_addresses(client, headers):
    client.cookies.clear()
    r = await client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    for link in ("/dashboard/login", "/partner/login", "/admin/login", "/open-data", "/schema/swagger"):
        assert f'href="{link}"' in r.text
    for path in ("/no-such-page", "/partner/no/such/page"):
        r = await client.get(path, follow_redirects=True)
        assert r.status_code == 404 or "/login" in str(r.url), path
    r = await client.get("/no-such-page")
    assert r.status_code == 404 and "Page not found" in r.text and "text/html" in r.headers["content-type"]
    for who, path in (("coordinator", "/dashboard/operations/abc"), ("envhealth", "/partner/nope"),
                      ("admin", "/admin/nothing-here")):
        r = await client.get(path, headers=await headers(who))
        assert r.status_code == 404 and "Page not found" in r.text and "Sign out" in r.text, (who, path)
    r = await client.get("/api/v1/no-such-route", headers=await headers("admin"))
    assert r.status_code == 404 and r.json()["status_code"] == 404
    page = await client.get("/login?next=/partner/followups/x")
    assert "carry on where you were" in page.text
