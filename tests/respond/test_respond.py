"""The card left at the door (issue 16): a resident answers online with its code, in their language, on
plain pages with no script; the door counts as answered, once; the follow-up they ask for is routed;
the pair's tablet sees the door answered at its next pull; wrong, used and expired codes say so and
say nothing about the door; guessing is slowed down in PostgreSQL."""

from __future__ import annotations

import html
import re

from sqlalchemy import text

from tests.sync.conftest import visit

FORM = {"Content-Type": "application/x-www-form-urlencoded"}

ANSWERS = {
    "q.feel_safe_after_dark": "2", "q.unsafe_reasons": "poor_lighting", "q.asb_seen": "no",
    "q.smoke_alarm": "no", "q.fire_safety_visit": "yes", "q.hear_back": "community_meeting",
    "q.other_comments": "Bins left out",
}


async def _post(client, path: str, data: dict | list) -> object:
    return await client.post(path, data=data, headers=FORM)


async def test_a_resident_answers_with_the_card_code_in_polish(client, card_op, leave_card, db_engine, headers,
                                                               pull_all):
    code = await leave_card(card_op, household=1)
    page = await client.get("/respond?lang=pl")
    assert page.status_code == 200 and '<html lang="pl" dir="ltr">' in page.text
    assert "Wypełnij ankietę z karty" in page.text and "<script" not in page.text
    assert page.headers["cache-control"] == "no-store"

    typed = " " + code.lower().replace("-", " ") + " "  # as a person might type it
    questions = await _post(client, "/respond", {"code": typed, "lang": "pl"})
    assert questions.status_code == 200, questions.text
    html = questions.text
    assert "Jak bezpiecznie czujesz się, spacerując po tej okolicy po zmroku?" in html
    assert "Odpowiedz, jeśli w pytaniu 1 wybrałeś" in html  # the skip logic said in words
    assert ">Tak<" in html and ">Nie<" in html
    assert code.replace("-", "") not in page.text and code not in str(questions.url)

    # Something missing: every problem listed, in Polish, nothing stored
    missing = {k: v for k, v in ANSWERS.items() if k != "q.hear_back"}
    refused = await _post(client, "/respond/answers", {**missing, "code": code, "lang": "pl"})
    assert refused.status_code == 422
    assert "Wystąpił problem" in refused.text and "Odpowiedz na to pytanie." in refused.text
    assert 'value="poor_lighting" checked' in refused.text  # what was answered is kept

    sent = await _post(client, "/respond/answers", {
        **ANSWERS, "code": code, "lang": "pl", "contact": "yes", "name": "Anna Nowak", "phone": "07911 123456",
        "contact_method": "text_message", "contact_language": "pl", "adjustment": ["large_print"]})
    assert sent.status_code == 200, sent.text
    assert "Dziękujemy. Twoje odpowiedzi zostały wysłane." in sent.text
    assert "Wizyta w sprawie bezpieczeństwa pożarowego w domu" in sent.text

    household = card_op.household_ids[1]
    async with db_engine.connect() as conn:
        visit_row = (await conn.execute(text(
            "SELECT outcome, team_id, user_id, device_id, answers, concerns, communication FROM visit "
            "WHERE household_id = :h AND outcome = 'answered_online'"), {"h": household})).one()
        result = (await conn.execute(text("SELECT closing_rank FROM household_result WHERE household_id = :h"),
                                     {"h": household})).scalar()
        followup = (await conn.execute(text(
            "SELECT f.category, f.agency_id IS NOT NULL, f.resident_consent, r.phone, r.contact_method, r.language "
            "FROM followup f JOIN followup_resident r ON r.followup_id = f.id "
            "WHERE f.household_id = :h"), {"h": household})).one()
    assert visit_row.team_id == card_op.team_a and visit_row.user_id is None and visit_row.device_id == "respond"
    assert visit_row.answers["fire_safety_visit"] is True and "other_comments" in visit_row.answers
    assert "asb_types" not in visit_row.answers
    assert set(visit_row.concerns) >= {"feeling_unsafe", "street_lighting", "no_smoke_alarm"}
    assert visit_row.communication == {"language": "pl", "adjustments": ["large_print"]}
    assert result == 4  # answered
    assert tuple(followup) == ("home_fire_safety_visit", True, True, "+447911123456", "text_message", "pl")

    # The routed agency's partner sees it like any other, with how and in which language to get in touch
    async with db_engine.connect() as conn:
        followup_id = (await conn.execute(text("SELECT id FROM followup WHERE household_id = :h"),
                                          {"h": household})).scalar()
    seen = await client.get(f"/api/v1/followups/{followup_id}", headers=await headers("firesafety"))
    assert seen.status_code == 200, seen.text
    assert seen.json()["resident"] == {"name": "Anna Nowak", "phone": "+447911123456", "email": None,
                                       "contact_method": "text_message", "language": "pl"}

    # The door counts once, as answered, in the street results
    streets = (await client.get(f"/api/v1/operations/{card_op.id}/streets",
                                headers=await headers("coordinator"))).json()
    assert streets["totals"]["answered"] == 1

    # A second answer with the same code is refused, and says so without saying anything about the door
    again = await _post(client, "/respond/answers", {**ANSWERS, "code": code, "lang": "pl"})
    assert again.status_code == 409 and "Ankieta z tej karty została już wypełniona." in again.text
    async with db_engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM visit WHERE household_id = :h AND "
                                         "outcome = 'answered_online'"), {"h": household})).scalar()
    assert count == 1

    # The pair's own tablet gets the answer at its next pull (another pair's would too)
    changes, _ = await pull_all(card_op.id, user="officer", until=lambda cs: any(
        c["kind"] == "visit" and c["outcome"] == "answered_online" for c in cs))
    mine = [c for c in changes if c["kind"] == "visit" and c["household_id"] == household]
    assert [c["outcome"] for c in mine] == ["answered_online"]  # its own card_left is not sent back


async def test_wrong_codes_are_refused_and_guessing_is_slowed_down(client, card_op, leave_card, fresh_throttle):
    real = await leave_card(card_op)
    r = await _post(client, "/respond", {"code": "12345", "lang": "en"})
    assert r.status_code == 400 and "That is not a card code" in r.text  # a typo, not a guess: not counted
    for attempt in range(5):
        r = await _post(client, "/respond", {"code": f"ZZZZZ-ZZZZ{attempt}", "lang": "en"})
        assert r.status_code == 404 and "We could not find that code" in r.text
        assert card_op.name not in r.text and "street" not in r.text.lower().replace("your street", "")
    # five wrong codes are free; the next attempt, even with the right code, must wait (2 s, then 4 s …)
    r = await _post(client, "/respond", {"code": real, "lang": "en"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert "Too many codes were tried from here" in r.text
    # the wait is in PostgreSQL, so every server process sees it
    assert "Wait" in r.text and card_op.name not in r.text


async def test_a_code_stops_working_when_the_operation_closes(client, card_op, leave_card, db_engine):
    code = await leave_card(card_op)
    async with db_engine.begin() as conn:
        await conn.execute(text("UPDATE operation SET status = 'closed', closed_at = now() WHERE id = :op"),
                           {"op": card_op.id})
    r = await _post(client, "/respond", {"code": code, "lang": "cy"})
    assert r.status_code == 410 and "Mae'r arolwg hwn wedi cau." in html.unescape(r.text)


async def test_the_page_is_in_urdu_right_to_left(client, card_op, leave_card):
    code = await leave_card(card_op)
    r = await _post(client, "/respond", {"code": code, "lang": "ur"})
    assert r.status_code == 200 and '<html lang="ur" dir="rtl">' in r.text
    assert "اندھیرا ہونے کے بعد" in r.text and "میرے جوابات بھیجیں" in r.text


async def test_a_tablet_cannot_push_an_online_answer_nor_a_code_on_another_outcome(push, card_op):
    r = await push([visit(card_op, outcome="answered_online"),
                    visit(card_op, outcome="no_answer", card_code="K7M2Q9XH4T"),
                    visit(card_op, outcome="card_left", card_code="not-a-code")])
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["rejected"] * 3
    assert "recorded by the server when a resident answers online" in results[0]["reason"]
    assert "a card code belongs to a 'card_left' visit" in results[1]["reason"]
    assert results[2]["path"] == "$.card_code"


async def test_the_code_itself_is_never_stored(card_op, leave_card, db_engine):
    code = await leave_card(card_op, household=2)
    plain = code.replace("-", "")
    async with db_engine.connect() as conn:
        rows = (await conn.execute(text("SELECT code_hash FROM response_card WHERE household_id = :h"),
                                   {"h": card_op.household_ids[2]})).scalars().all()
    assert len(rows) == 1 and plain not in rows[0] and re.fullmatch(r"[0-9a-f]{64}", rows[0])


async def test_communication_needs_are_counted_by_street_and_published_only_under_the_rule(
        client, db_engine, demo, leave_card, push, headers):
    import csv
    import io

    from tests.sync.conftest import make_operation

    op = await make_operation(db_engine, demo, households=24)  # three streets of eight: units of their own
    code = await leave_card(op, household=0)
    sent = await _post(client, "/respond/answers", {
        **ANSWERS, "code": code, "lang": "ur", "adjustment": ["more_time", "written"]})
    assert sent.status_code == 200, sent.text
    at_the_door = visit(op, household=3, outcome="answered",  # the same street (households go round the streets)
                        communication={"language": "pl", "interpreter": "family_or_friend"})
    assert (await push([at_the_door])).json()["results"][0]["status"] == "stored"

    coordinator = await headers("coordinator")
    streets = (await client.get(f"/api/v1/operations/{op.id}/streets", headers=coordinator)).json()
    [street] = [s for s in streets["items"] if s["answered"]]
    assert street["languages"] == {"pl": 1, "ur": 1} and street["interpreters"] == {"family_or_friend": 1}
    assert (street["adjustments"], street["answered_online"], street["other_language"],
            street["with_interpreter"]) == (1, 1, 2, 1)
    assert streets["totals"]["languages"] == {"pl": 1, "ur": 1}

    r = await client.post(f"/api/v1/operations/{op.id}/publish", json={}, headers=coordinator)
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO((await client.get(f"/open-data/operations/{op.id}/streets.csv")).text
                                           .lstrip("\ufeff"))))
    published = next(row for row in rows if row["households_answered"] != "0")
    # 1 or 2 households: under the disclosure rule's threshold, so the cells are empty, never the number
    for column in ("households_answered_online", "households_other_language", "households_interpreter",
                   "households_adjustment"):
        assert published[column] == "", (column, published[column])
