"""The partner inbox pages through the app (cookie sessions): isolation, forms, consent and audit."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from server.db.engine import transaction
from tests.conftest import TEST_ORIGIN, csrf_token_in


async def _cookie(tokens, username: str) -> dict[str, str]:
    """What a browser on the partner pages sends: the session cookie, and this site as Origin on a post."""
    return {"Cookie": f'doorstep_session="Bearer {await tokens(username)}"', "Origin": TEST_ORIGIN}


async def _form(client, headers: dict[str, str], **fields: str) -> dict[str, str]:
    """A form's fields as the page posts them: with the session's CSRF token from the page."""
    page = await client.get("/partner", headers=headers)
    return {**fields, "_csrf_token": csrf_token_in(page.text)}


async def test_pages_need_a_session(client):
    client.cookies.clear()
    r = await client.get("/partner", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/partner/login")
    login = await client.get("/partner/login")
    assert login.status_code == 200 and 'id="login-form"' in login.text
    assert (await client.get("/static/partner/partner.css")).status_code == 200


async def test_inbox_shows_only_the_agencys_followups(client, tokens, raise_followup):
    mine = await raise_followup("fly_tipping", description=f"Mattress {uuid.uuid4().hex[:6]}")
    theirs = await raise_followup("home_fire_safety_visit", description=f"Hoarding {uuid.uuid4().hex[:6]}")
    env = await _cookie(tokens, "envhealth")
    page = await client.get("/partner", params={"category": "fly_tipping"}, headers=env)
    assert page.status_code == 200 and str(mine) in page.text
    everything = await client.get("/partner", headers=env)
    assert str(theirs) not in everything.text
    assert (await client.get(f"/partner/followups/{theirs}", headers=env)).status_code == 404
    r = await client.post(f"/partner/followups/{theirs}",
                          data=await _form(client, env, version="1", status="acknowledged"), headers=env)
    assert r.status_code == 404
    coord = await client.get("/partner", params={"category": "home_fire_safety_visit"},
                             headers=await _cookie(tokens, "coordinator"))
    assert str(theirs) in coord.text and 'id="f-agency"' in coord.text


async def test_status_form_stale_and_illegal_changes(client, tokens, raise_followup, db_engine):
    fid = await raise_followup("graffiti")
    env = await _cookie(tokens, "envhealth")
    page = await client.get(f"/partner/followups/{fid}", headers=env)
    assert 'id="to-acknowledged"' in page.text and 'id="map"' in page.text
    r = await client.post(f"/partner/followups/{fid}", data=await _form(client, env, version="1",
                                                                         status="acknowledged", note="On our list"),
                          headers=env)
    assert r.status_code == 200 and 'id="done"' in r.text and "On our list" in r.text
    stale = await client.post(f"/partner/followups/{fid}",
                              data=await _form(client, env, version="1", status="in_progress"), headers=env)
    assert stale.status_code == 409 and "changed since you read it" in stale.text
    declined = await client.post(f"/partner/followups/{fid}",
                                 data=await _form(client, env, version="2", status="declined"), headers=env)
    assert declined.status_code == 422 and "reason" in declined.text
    async with transaction(db_engine) as s:
        row = (await s.execute(text("SELECT status, version FROM followup WHERE id = :id"), {"id": fid})).one()
    assert tuple(row) == ("acknowledged", 2)


async def test_detail_page_shows_consented_details_and_audits_each_view(client, tokens, raise_followup, db_engine):
    person = {"name": f"Mr Page {uuid.uuid4().hex[:6]}", "phone": "0113 496 0000", "email": "page@example.org"}
    fid = await raise_followup("fly_tipping", consent=True, resident=person)
    refused = await raise_followup("fly_tipping", consent=False, resident={"name": "Hidden Person"})
    env = await _cookie(tokens, "envhealth")
    page = await client.get(f"/partner/followups/{fid}", headers=env)
    assert person["name"] in page.text
    other = await client.get(f"/partner/followups/{refused}", headers=env)
    assert "Hidden Person" not in other.text and "did not agree" in other.text
    async with transaction(db_engine) as s:
        audits = (await s.execute(text(
            "SELECT action, detail FROM audit_log WHERE entity_id = :id AND action LIKE 'resident.%'"),
            {"id": str(fid)})).all()
        none = (await s.execute(text(
            "SELECT count(*) FROM audit_log WHERE entity_id = :id AND action LIKE 'resident.%'"),
            {"id": str(refused)})).scalar_one()
    assert [(a.action, a.detail["via"]) for a in audits] == [("resident.view", "web")] and none == 0


async def test_coordinator_reassigns_from_the_page(client, tokens, raise_followup):
    fid = await raise_followup("graffiti")
    coord = await _cookie(tokens, "coordinator")
    r = await client.post(f"/partner/followups/{fid}/reassign",
                          data=await _form(client, coord, version="1", agency="housing", note="Council block"),
                          headers=coord)
    assert r.status_code == 200 and "reassigned to housing" in r.text
    env = await _cookie(tokens, "envhealth")
    partner = await client.post(f"/partner/followups/{fid}/reassign",
                                data=await _form(client, env, version="2", agency="police"), headers=env)
    assert partner.status_code in (403, 404)
