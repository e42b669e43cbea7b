"""The card left at the door, end to end (issue 16): the pair's tablet leaves a card and syncs; in
Chromium, on a phone-sized page with no script, a resident enters the code and answers in Polish; the
door counts once; a second answer with the same code is refused; the pair's tablet, at its next pull,
shows the door answered. Screenshots at 390 and 1280 px under .artifacts/screens/respond_*."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from mobile.store import HouseholdStatus
from shared_schemas.cards import new_code, shown
from shared_schemas.codes import Outcome
from shared_schemas.records import Visit
from tests.mobile_core.test_against_server import signed_in_tablet

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_door(store, op_id: int, team_id: int) -> int:
    for street in reversed(store.streets_for_team(op_id, team_id)):
        for door in reversed(store.households_on_street(op_id, street.id)):
            if door.status is HouseholdStatus.NOT_KNOCKED:
                return door.id
    pytest.fail("no unknocked door left on the pair's streets")


def _answered(base: str, op_id: int) -> int:
    token = httpx.post(f"{base}/api/v1/auth/token", json={"username": "coordinator", "password": "doorstep-demo"}
                       ).json()["access_token"]
    totals = httpx.get(f"{base}/api/v1/operations/{op_id}/streets",
                       headers={"Authorization": f"Bearer {token}"}).json()["totals"]
    return totals["answered"]


def test_a_resident_answers_online_in_polish_and_the_pair_sees_the_door_answered(live_server, browser, screens_dir,
                                                                                 tmp_path):
    store, transport, engine, op_id = signed_in_tablet(tmp_path / "officer.db", live_server, "officer")
    assert engine.sync_once().ok  # the first pull: doors other pairs have knocked
    team = store.team_for_user(op_id, "officer")
    door = _free_door(store, op_id, team.id)
    code = new_code()
    store.record_visit(Visit(id=uuid.uuid4(), operation_id=op_id, household_id=door, team_id=team.id,
                             visited_at=datetime.now(UTC), outcome=Outcome.CARD_LEFT, card_code=code))
    assert engine.sync_once().stored == 1
    assert store.household(op_id, door).status is HouseholdStatus.TO_REVISIT
    answered_before = _answered(live_server, op_id)

    for width, height, name in ((390, 844, "phone"), (1280, 900, "desktop")):  # in Urdu, right to left
        context = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=False)
        page = context.new_page()
        page.goto(f"{live_server}/respond?lang=ur")
        page.fill("#code", shown(code))
        page.click("button[type=submit]")
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.locator("html").get_attribute("lang") == "ur"
        assert page.evaluate("getComputedStyle(document.querySelector('fieldset')).direction") == "rtl"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(screens_dir / f"respond_{name}_urdu_questions.png"), full_page=True)
        context.close()  # only looked: the code is still unused

    for width, height, name in ((390, 844, "phone"), (1280, 900, "desktop")):
        context = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=False)
        page = context.new_page()
        page.goto(f"{live_server}/respond?lang=pl")
        assert page.locator("h1").inner_text() == "Wypełnij ankietę z karty"
        page.screenshot(path=str(screens_dir / f"respond_{name}_1_code.png"), full_page=True)
        if name == "desktop":  # the same code a second time: refused, nothing said about the door
            page.fill("#code", shown(code))
            page.click("button[type=submit]")
            assert "Ankieta z tej karty została już wypełniona." in page.locator(".error-summary").inner_text()
            page.screenshot(path=str(screens_dir / f"respond_{name}_2_used.png"), full_page=True)
            context.close()
            break
        page.fill("#code", shown(code).lower())
        page.click("button[type=submit]")
        assert page.locator("h1").inner_text() == "Ankieta społeczna StreetSafe"
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing runs off a phone
        page.screenshot(path=str(screens_dir / f"respond_{name}_2_questions.png"), full_page=True)
        send = page.get_by_role("button", name="Wyślij odpowiedzi")
        send.click()  # nothing answered: the problems, in Polish
        assert "Wystąpił problem" in page.locator(".error-summary").inner_text()
        page.screenshot(path=str(screens_dir / f"respond_{name}_3_problems.png"), full_page=True)
        page.check("label:has-text('4')")
        page.locator("#asb_seen").get_by_label("Nie").check()
        page.locator("#smoke_alarm").get_by_label("Tak").check()
        page.get_by_label("Spotkanie mieszkańców").check()
        page.get_by_label("Duży druk").check()
        send.click()
        assert page.locator("h1").inner_text() == "Dziękujemy. Twoje odpowiedzi zostały wysłane."
        page.screenshot(path=str(screens_dir / f"respond_{name}_4_thanks.png"), full_page=True)
        context.close()

    assert _answered(live_server, op_id) == answered_before + 1  # the door counts once
    assert engine.sync_once().ok  # the pair's next pull
    assert store.household(op_id, door).status is HouseholdStatus.DONE
    [online] = [v for v in store.visits_for_household(op_id, door) if v.outcome == Outcome.ANSWERED_ONLINE]
    assert online.team_id == team.id
    store.close()
