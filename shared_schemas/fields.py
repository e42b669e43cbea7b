"""What a person may type into a record: the limits and checks both sides apply.

One definition: the msgspec types in ``records`` take their ``max_length`` from ``LIMITS``
(so the server's decoder refuses exactly what the tablet refuses), the tablet shows
``counter()`` beside each field and ``check()`` before saving, and a rejection the server
still makes (an older tablet) is worded by ``too_long()`` the same way. Phone numbers are
checked with Google's libphonenumber (``phonenumbers``) as UK numbers, e-mail addresses with
``email-validator`` (syntax only: no DNS look-up, the tablet is often offline).

Messages are plain words that say what to change, never a library's message, and never repeat
the value (the server's reasons must not carry residents' details). Each is a whole sentence with
place-holders (the constants below), put into a language by the ``translate`` a caller passes (the
tablet's ``mobile.words._``; the server and the wire keep English) before it is filled in, so a
catalog translates sentences, not pieces; scripts/tablet_messages.py gathers them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from msgspec import Meta

#: Where numbers without a country code are read as from.
PHONE_REGION = "GB"


@dataclass(frozen=True, slots=True)
class TextLimit:
    """A free-text field: what people call it and how long it may be."""

    name: str  # "note", "description": the word in messages
    max_length: int
    required: bool = False


#: Every free-text field of the records, by ``record type.field`` (the contract's names).
LIMITS: dict[str, TextLimit] = {
    "visit.notes": TextLimit("note", 4000),
    "fix.notes": TextLimit("note", 4000),
    "followup.description": TextLimit("description", 4000, required=True),
    "resident.name": TextLimit("resident's name", 200),
    "resident.phone": TextLimit("phone number", 50),
    "resident.email": TextLimit("e-mail address", 320),
    "visit.adjustment_other": TextLimit("other adjustment", 200),
}

#: The JSON path (as msgspec reports it) of each limited field, per record type.
PATHS: dict[tuple[str, str], str] = {
    ("visit", "$.notes"): "visit.notes",
    ("fix", "$.notes"): "fix.notes",
    ("followup", "$.description"): "followup.description",
    ("followup", "$.resident.name"): "resident.name",
    ("followup", "$.resident.phone"): "resident.phone",
    ("followup", "$.resident.email"): "resident.email",
    ("visit", "$.communication.adjustment_other"): "visit.adjustment_other",
}


def limited(key: str) -> type:
    """The msgspec type of a limited text field (``Annotated[str, Meta(max_length=…)]``)."""
    return Annotated[str, Meta(max_length=LIMITS[key].max_length)]  # type: ignore[return-value]


TOO_LONG = "The {field} is {length} characters; the limit is {limit}. Shorten it by {over}."
EMPTY = "The {field} is empty: write it before saving."
ANSWER_TOO_LONG = "The answer is {length} characters; the limit is {limit}. Shorten it by {over}."
PHONE_NOT_A_NUMBER = ("The phone number is not a number. Write the digits only, e.g. 07911 123456 or "
                      "0113 245 6789; put anything else (such as when to call) in the description.")
PHONE_NOT_VALID = ("The phone number is not a valid UK number: check the digits with the resident "
                   "(a mobile is 07 and 9 more digits; a landline starts with its area code).")
EMAIL_NO_AT = "The e-mail address has no @: check it with the resident (name@example.org)."
EMAIL_NOT_VALID = "The e-mail address is not valid: check the spelling with the resident (name@example.org)."
#: Every sentence above, for the tablet's catalog (with each field's name, ``LIMITS[…].name``).
MESSAGES = (TOO_LONG, EMPTY, ANSWER_TOO_LONG, PHONE_NOT_A_NUMBER, PHONE_NOT_VALID, EMAIL_NO_AT, EMAIL_NOT_VALID)

Translate = Callable[[str], str]


def as_written(text: str) -> str:
    """The translate that keeps a sentence as written here (English): the server's, and the default."""
    return text


def _count(n: int) -> str:
    return f"{n:,}"


def too_long(key: str, length: int, translate: Translate = as_written) -> str:
    """"The note is 4,500 characters; the limit is 4,000." """
    limit = LIMITS[key]
    return translate(TOO_LONG).format(field=translate(limit.name), length=_count(length),
                                      limit=_count(limit.max_length), over=_count(length - limit.max_length))


def counter(key: str, text: str) -> str:
    """What the character counter beside a field shows: "120 / 4,000"."""
    return f"{_count(len(text))} / {_count(LIMITS[key].max_length)}"


def over_limit(key: str, text: str) -> bool:
    return len(text) > LIMITS[key].max_length


def check(key: str, text: str | None, translate: Translate = as_written) -> str | None:
    """The problem with a free-text field in plain words, or None."""
    limit = LIMITS[key]
    value = text or ""
    if limit.required and not value.strip():
        return translate(EMPTY).format(field=translate(limit.name))
    if len(value) > limit.max_length:
        return too_long(key, len(value), translate)
    return None


def text_answer_too_long(length: int, limit: int, translate: Translate = as_written) -> str:
    """A questionnaire text answer over its question's limit (same words as the record fields)."""
    return translate(ANSWER_TOO_LONG).format(length=_count(length), limit=_count(limit),
                                             over=_count(length - limit))


# ---------------------------------------------------------------- phone numbers


def check_phone(text: str | None, translate: Translate = as_written) -> str | None:
    """None when ``text`` is a valid UK phone number (or an international one with +), else why not."""
    import phonenumbers

    value = (text or "").strip()
    if not value:
        return None
    if len(value) > LIMITS["resident.phone"].max_length:
        return too_long("resident.phone", len(value), translate)
    try:
        number = phonenumbers.parse(value, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return translate(PHONE_NOT_A_NUMBER)
    if not phonenumbers.is_valid_number(number):
        return translate(PHONE_NOT_VALID)
    return None


def normalise_phone(text: str) -> str:
    """A valid phone number in one form (E.164, e.g. +447911123456); ``text`` unchanged if it is not one."""
    import phonenumbers

    try:
        number = phonenumbers.parse(text.strip(), PHONE_REGION)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_valid_number(number):
        return text
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# ---------------------------------------------------------------- e-mail addresses


def check_email(text: str | None, translate: Translate = as_written) -> str | None:
    """None when ``text`` is a well-formed e-mail address (syntax only, no DNS), else why not."""
    from email_validator import EmailNotValidError, validate_email

    value = (text or "").strip()
    if not value:
        return None
    if len(value) > LIMITS["resident.email"].max_length:
        return too_long("resident.email", len(value), translate)
    if "@" not in value:
        return translate(EMAIL_NO_AT)
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return translate(EMAIL_NOT_VALID)
    return None


__all__ = [
    "ANSWER_TOO_LONG",
    "EMAIL_NOT_VALID",
    "EMAIL_NO_AT",
    "EMPTY",
    "LIMITS",
    "MESSAGES",
    "PATHS",
    "PHONE_NOT_A_NUMBER",
    "PHONE_NOT_VALID",
    "PHONE_REGION",
    "TOO_LONG",
    "TextLimit",
    "Translate",
    "as_written",
    "check",
    "check_email",
    "check_phone",
    "counter",
    "limited",
    "normalise_phone",
    "over_limit",
    "text_answer_too_long",
    "too_long",
]
