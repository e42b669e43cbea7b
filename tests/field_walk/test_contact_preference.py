"""The resident's way and language of contact, chosen on the tablet's follow-up form, reach the partner
agency's inbox page through the real server (issue 16), with their consent."""

from __future__ import annotations

import httpx
import pytest

from .conftest import PASSWORD, open_walk_list, street_with_free_doors

pytestmark = [pytest.mark.ui, pytest.mark.slow]


def _partner_page(base: str, username: str, path: str) -> str:
    """The page as the partner's browser gets it: signed in, with the session cookie."""
    token = httpx.post(f"{base}/api/v1/auth/token", json={"username": username, "password": PASSWORD},
                       timeout=30).json()["access_token"]
    r = httpx.get(f"{base}{path}", headers={"Cookie": f'doorstep_session="Bearer {token}"'}, timeout=30)
    assert r.status_code == 200, r.status_code
    return r.text


def test_a_followups_way_and_language_of_contact_reach_the_partner(walk, live_server):
    open_walk_list(walk)
    walk.open_street(street_with_free_doors(walk, 1))
    address = walk.free_doors(1)[0]
    walk.task("A follow-up with the resident's way and language of contact", 14)
    walk.tap(walk.door_row(address), step="door")
    walk.tap(walk.button("Come back later"), step="come_back_later")
    visit = walk.screen
    walk.tap(visit.ids.add_followup, step="add_followup")
    [draft] = visit.vm.followups
    card = visit.card(draft.id)
    walk.tap(walk.button("Fly-tipping", root=card), step="category")
    walk.tap(card.ids.description, step="description")
    walk.type_text(card.ids.description, "Sofa dumped in the back lane")
    walk.tap(card.ids.consent_yes, step="consent")
    walk.tap(card.ids.contact_phone, step="phone")
    walk.type_text(card.ids.contact_phone, "07911 123456")
    walk.tap(walk.button("Text message", root=card), step="text_message")
    polish = next(t for t in card.ids.contact_languages.children if t.value == "pl")
    assert polish.text == "Polski"  # each language by its own name
    walk.tap(polish, step="polski")
    walk.tap(visit.ids.save, step="save")
    walk.wait_until(lambda: walk.screen.name == "street", message="saved")
    walk.end_task()
    walk.wait_sent()

    page = _partner_page(live_server, "envhealth", f"/partner/followups/{draft.id}")  # fly-tipping's agency
    assert "Sofa dumped in the back lane" in page and "+447911123456" in page
    assert "<dt>Contact by</dt><dd>Text message</dd>" in page and "<dt>In</dt><dd>Polish</dd>" in page
    other = httpx.get(f"{live_server}/api/v1/followups/{draft.id}", timeout=30,
                      headers={"Authorization": "Bearer " + httpx.post(
                          f"{live_server}/api/v1/auth/token", json={"username": "firesafety", "password": PASSWORD},
                          timeout=30).json()["access_token"]})
    assert other.status_code == 404  # another agency sees nothing of it
