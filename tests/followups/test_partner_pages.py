"""The partner inbox pages through the app (cookie sessions): isolation, forms, consent and audit."""

from __future__ import annotations

import html
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
                          data=await _form(client, env, version="1", status="acknowledged"), headers=env,
                          follow_redirects=False)
    assert r.status_code == 404
    coord = await client.get("/partner", params={"category": "home_fire_safety_visit"},
                             headers=await _cookie(tokens, "coordinator"))
    assert str(theirs) in coord.text and 'id="f-agency"' in coord.text


def _said(page: str) -> str:
    """What the page says after a form's redirect (its flash message)."""
    import re

    found = re.search(r'id="flash"[^>]*>([^<]*)<', page)
    return html.unescape(found.group(1)) if found else ""


async def _post(client, path: str, headers: dict[str, str], **fields: str):
    """Send a page's form as the browser does: it answers 303 (post-redirect-get); follow it with a GET."""
    r = await client.post(path, data=await _form(client, headers, **fields), headers=headers, follow_redirects=False)
    assert r.status_code == 303, (r.status_code, r.text[:300])
    return await client.get(r.headers["location"], headers=headers)


async def test_status_form_stale_and_illegal_changes(client, tokens, raise_followup, db_engine):
    fid = await raise_followup("graffiti")
    env = await _cookie(tokens, "envhealth")
    here = f"/partner/followups/{fid}"
    page = await client.get(here, headers=env)
    assert 'id="to-acknowledged"' in page.text and 'id="map"' in page.text
    page = await _post(client, here, env, version="1", status="acknowledged", note="On our list")
    assert page.url.path == here and _said(page.text) == "Saved: now acknowledged." and "On our list" in page.text
    # A second tab still at version 1 moves it on: refused, back at the page, saying what changed since.
    stale = await _post(client, here, env, version="1", status="in_progress", note="typed in the other tab")
    assert stale.url.params["since"] == "1" and _said(stale.text).startswith("Not saved: someone changed")
    assert 'id="what-changed"' in stale.text and "On our list" in stale.text.split('id="what-changed"')[1]
    declined = await _post(client, here, env, version="2", status="declined")
    assert "reason" in _said(declined.text)
    async with transaction(db_engine) as s:
        row = (await s.execute(text("SELECT status, version FROM followup WHERE id = :id"), {"id": fid})).one()
    assert tuple(row) == ("acknowledged", 2)


async def test_a_note_alone_and_an_assignment_do_not_stand_in_the_way(client, tokens, raise_followup, db_engine,
                                                                     make_partner):
    fid = await raise_followup("fly_tipping")
    env = await _cookie(tokens, "envhealth")
    here = f"/partner/followups/{fid}"
    page = await _post(client, here, env, version="1", status="", note="Rang the resident, no answer")
    assert _said(page.text) == "Saved: your note is in the history." and 'data-kind="note"' in page.text
    assert (await _post(client, here, env, version="2", status="", note="  ")).text.count("Type a note") == 1
    colleague_id, colleague = await make_partner("council-envhealth")
    page = await _post(client, f"{here}/assign", env, version="1", assignee=str(colleague_id))
    assert _said(page.text) == f"Saved: assigned to {colleague}." and 'id="assignee">' + colleague in page.text
    # A status change from a page opened at version 1: the note and the assignment since are no conflict.
    page = await _post(client, here, env, version="1", status="in_progress", note="Crew booked")
    assert _said(page.text) == "Saved: now in progress."
    # Not to someone of another agency
    other_id, _ = await make_partner("fire-safety")
    page = await _post(client, f"{here}/assign", env, version="4", assignee=str(other_id))
    assert "partner of the follow-up's agency" in _said(page.text)
    async with transaction(db_engine) as s:
        kinds = (await s.execute(text("SELECT kind FROM followup_event WHERE followup_id = :id ORDER BY id"),
                                 {"id": fid})).scalars().all()
        audits = (await s.execute(text("SELECT action FROM audit_log WHERE entity_id = :id AND action LIKE "
                                       "'followup.%' ORDER BY id"), {"id": str(fid)})).scalars().all()
    assert kinds == ["raised", "note", "assign", "status"]
    assert audits == ["followup.note", "followup.assign", "followup.status"]


async def test_the_inbox_is_a_work_queue(client, tokens, raise_followup, demo_ids):
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    tag = uuid.uuid4().hex[:6]
    old_low = await raise_followup("graffiti", priority="low", raised_at=now - dt.timedelta(days=40),
                                   description=f"old low {tag}")  # overdue
    late_urgent = await raise_followup("graffiti", priority="urgent", raised_at=now - dt.timedelta(days=3),
                                       description=f"late urgent {tag}")  # overdue
    new_urgent = await raise_followup("graffiti", priority="urgent", description=f"new urgent {tag}")
    new_normal = await raise_followup("graffiti", priority="normal", description=f"new normal {tag}")
    env = await _cookie(tokens, "envhealth")
    page = await client.get("/partner", params={"category": "graffiti"}, headers=env)
    ids = [str(old_low), str(late_urgent), str(new_urgent), str(new_normal)]
    order = sorted(ids, key=page.text.index)
    assert order == [str(late_urgent), str(old_low), str(new_urgent), str(new_normal)]
    assert 'data-count="open">Open <b>' in page.text and 'aria-sort="none"' in page.text
    by_raised = await client.get("/partner", params={"category": "graffiti", "sort": "raised:desc"}, headers=env)
    assert sorted(ids, key=by_raised.text.index) == [str(new_normal), str(new_urgent), str(late_urgent), str(old_low)]
    assert 'aria-sort="descending"' in by_raised.text
    mine = await client.get("/partner", params={"assigned": "me"}, headers=env)
    assert not any(i in mine.text for i in ids)
    coord = await client.get("/partner", params={"category": "graffiti"}, headers=await _cookie(tokens, "coordinator"))
    assert "Leeds City Council Environmental Health" in coord.text.split('id="followups"')[1]
    assert "council-envhealth</td>" not in coord.text


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
    page = await _post(client, f"/partner/followups/{fid}/reassign", coord, version="1", agency="housing",
                       note="Council block")
    assert _said(page.text) == "Saved: reassigned to Leeds Housing Services, which is told now."
    env = await _cookie(tokens, "envhealth")
    partner = await client.post(f"/partner/followups/{fid}/reassign",
                                data=await _form(client, env, version="2", agency="police"), headers=env,
                                follow_redirects=False)
    assert partner.status_code in (403, 404)
