"""The field rules' messages (shared_schemas.fields) reach the officer in the interface language: the
shared sentences go through the tablet's catalog before they are filled in, and the server's words
(no translate passed) stay English."""

from __future__ import annotations

from string import Formatter

import pytest

from mobile import words
from mobile.viewmodels.followup import FollowupDraft, live_problems, problems
from shared_schemas import fields


def _places(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


@pytest.fixture
def welsh():
    words.use("cy")
    try:
        yield
    finally:
        words.use("en")


def test_a_follow_ups_field_problems_are_in_welsh(welsh):
    draft = FollowupDraft(category="graffiti", description="x" * 4100, consent=True, contact_phone="call after 6pm",
                          contact_email="nobody.example.org")
    found = problems(draft)
    assert found["contact_phone"].startswith("Nid rhif yw'r rhif ffôn."), found
    assert found["contact_email"].startswith("Does dim @ yn y cyfeiriad e-bost"), found
    assert found["description"] == "Mae'r maes “disgrifiad” yn 4,100 nod; y terfyn yw 4,000. Byrhewch ef o 100."
    assert live_problems(draft)["description"] == found["description"]
    draft = FollowupDraft(category="graffiti", description="ok", consent=True, contact_phone="07911 12345")
    assert problems(draft)["contact_phone"].startswith("Nid yw'r rhif ffôn yn rhif dilys yn y DU"), problems(draft)


def test_the_same_rules_stay_english_for_the_server_and_in_an_english_interface():
    assert fields.check("followup.description", "x" * 4100) == (
        "The description is 4,100 characters; the limit is 4,000. Shorten it by 100.")
    assert fields.check("followup.description", "  ") == "The description is empty: write it before saving."
    assert fields.check_phone("call after 6pm") == fields.PHONE_NOT_A_NUMBER
    assert problems(FollowupDraft(category="graffiti", description="ok", consent=True,
                                  contact_email="a@b"))["contact_email"] == fields.EMAIL_NOT_VALID


def test_every_field_rule_sentence_and_field_name_has_welsh(welsh):
    for text in (*fields.MESSAGES, *(limit.name for limit in fields.LIMITS.values())):
        assert words._(text) != text, text
        assert _places(words._(text)) == _places(text), text


def test_a_pins_problem_is_in_welsh(welsh):
    from mobile.store.credentials import PIN_MESSAGES, pin_problem

    assert pin_problem("12", words._) == "Mae PIN yn 4 i 8 digid."
    assert pin_problem("1111", words._).startswith("Dewiswch PIN nad yw'n un digid")
    assert pin_problem("3456", words._).startswith("Dewiswch PIN nad yw'n rhes")
    assert pin_problem("12") == "A PIN is 4 to 8 digits."  # the store's own check, untranslated
    assert all(words._(text) != text for text in PIN_MESSAGES)


def test_the_sync_engines_sentences_with_a_detail_are_in_welsh(welsh):
    from mobile.sync import messages

    assert messages.say(messages.SERVER_TROUBLE, status=503).startswith("Mae'r gweinydd yn brysur")
    assert "(HTTP 503)" in messages.say(messages.SERVER_TROUBLE, status=503)
    assert messages.photo_refused(500, None, "HTTP 500")[0].startswith("Ni allai'r gweinydd dderbyn llun (HTTP 500)")
    for template in messages.FORMATTED:
        translated = words._(template)
        assert translated != template, template
        assert _places(translated) == _places(template), template
