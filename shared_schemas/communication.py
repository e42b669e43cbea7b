"""What a resident needed to take part, and how they want to be contacted: one rule for the tablet,
the /respond page and the server.

On every answered visit: the language it was held in, whether an interpreter was needed and what
kind, and the adjustments the resident asked for. On a follow-up, inside the resident's contact
details (so only ever with their consent, and erased from the tablet with them): how and in which
language they want the partner agency to get in touch.

The adjustments follow the NHS Accessible Information Standard's kinds of need (a format to read,
a way of communicating, support), in words a pair at a door can choose from; anything else goes in
``adjustment_other``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec import Meta

from . import fields
from .questionnaire.definition import LanguageCode

#: British Sign Language's language code (ISO 639-3), for "the language used" and "contact in".
BSL = "bfi"


class Interpreter(StrEnum):
    NONE = "none"
    FAMILY_OR_FRIEND = "family_or_friend"
    PROFESSIONAL_IN_PERSON = "professional_in_person"
    TELEPHONE = "telephone"
    BSL = "bsl"


class Adjustment(StrEnum):
    MORE_TIME = "more_time"  # more time, a slower pace
    WRITTEN = "written"  # write things down, or show the questions on the screen
    LIP_READING = "lip_reading"  # face them and speak clearly
    LARGE_PRINT = "large_print"
    EASY_READ = "easy_read"
    BRAILLE = "braille"
    AUDIO = "audio"  # read aloud, or information as audio
    SUPPORT_PERSON = "support_person"  # a family member, carer or advocate with them
    OTHER = "other"  # say what in adjustment_other


class ContactMethod(StrEnum):
    PHONE = "phone"
    TEXT_MESSAGE = "text_message"
    EMAIL = "email"
    LETTER = "letter"
    IN_PERSON = "in_person"
    TEXT_RELAY = "text_relay"  # Relay UK: a typed conversation through a relay assistant
    BSL_VIDEO = "bsl_video"  # a video call with a BSL interpreter (Video Relay Service)


INTERPRETER_LABELS: dict[Interpreter, str] = {
    Interpreter.NONE: "None",
    Interpreter.FAMILY_OR_FRIEND: "Family or friend",
    Interpreter.PROFESSIONAL_IN_PERSON: "Professional, in person",
    Interpreter.TELEPHONE: "Telephone interpreter",
    Interpreter.BSL: "BSL interpreter",
}
ADJUSTMENT_LABELS: dict[Adjustment, str] = {
    Adjustment.MORE_TIME: "More time",
    Adjustment.WRITTEN: "Written down",
    Adjustment.LIP_READING: "Lip-reading",
    Adjustment.LARGE_PRINT: "Large print",
    Adjustment.EASY_READ: "Easy read",
    Adjustment.BRAILLE: "Braille",
    Adjustment.AUDIO: "Read aloud",
    Adjustment.SUPPORT_PERSON: "Someone with them",
    Adjustment.OTHER: "Other",
}
CONTACT_METHOD_LABELS: dict[ContactMethod, str] = {
    ContactMethod.PHONE: "Phone call",
    ContactMethod.TEXT_MESSAGE: "Text message",
    ContactMethod.EMAIL: "E-mail",
    ContactMethod.LETTER: "Letter",
    ContactMethod.IN_PERSON: "A visit",
    ContactMethod.TEXT_RELAY: "Text relay (Relay UK)",
    ContactMethod.BSL_VIDEO: "BSL video call",
}

#: What each way of getting in touch needs from the contact details.
NEEDS: dict[ContactMethod, tuple[str, ...]] = {
    ContactMethod.PHONE: ("phone",),
    ContactMethod.TEXT_MESSAGE: ("phone",),
    ContactMethod.TEXT_RELAY: ("phone",),
    ContactMethod.EMAIL: ("email",),
    ContactMethod.BSL_VIDEO: ("phone", "email"),  # either
    ContactMethod.LETTER: (),  # the door's address
    ContactMethod.IN_PERSON: (),
}


class CommunicationNeeds(msgspec.Struct, forbid_unknown_fields=False, kw_only=True, omit_defaults=True):
    """How an answered visit was held."""

    #: The language the questionnaire was asked (or answered) in; ``bfi`` for BSL.
    language: LanguageCode
    interpreter: Interpreter = Interpreter.NONE
    adjustments: list[Adjustment] = []
    #: What the "other" adjustment was.
    adjustment_other: Annotated[str, Meta(max_length=fields.LIMITS["visit.adjustment_other"].max_length)] = ""


def needs_problems(needs: CommunicationNeeds) -> list[str]:
    """Rules the types cannot say, in plain words."""
    problems: list[str] = []
    repeated = sorted({a.value for a in needs.adjustments if needs.adjustments.count(a) > 1})
    if repeated:
        problems.append(f"adjustments chosen more than once: {', '.join(repeated)}")
    other = needs.adjustment_other.strip()
    if Adjustment.OTHER in needs.adjustments and not other:
        problems.append("say what the other adjustment was")
    if other and Adjustment.OTHER not in needs.adjustments:
        problems.append("an other adjustment was described but 'other' is not chosen")
    return problems


def contact_problems(method: ContactMethod | None, phone: str | None, email: str | None) -> list[str]:
    """What a way of getting in touch needs that the details lack."""
    if method is None:
        return []
    needed = NEEDS[method]
    have = {"phone": bool((phone or "").strip()), "email": bool((email or "").strip())}
    if needed and not any(have[name] for name in needed):
        what = " or ".join("a phone number" if name == "phone" else "an e-mail address" for name in needed)
        return [f"{CONTACT_METHOD_LABELS[method]} needs {what}: give it, or choose another way to get in touch"]
    return []
