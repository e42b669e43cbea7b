"""A follow-up being written (in a visit or for a street): its fields, its checks, its record.

The checks are the shared ones (``shared_schemas.fields`` for lengths, phone numbers and
e-mail addresses, ``records.check_record`` for the contract's rules), so what the form
accepts the server accepts. ``check_followup`` is the one place a draft becomes a record.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, cast

from mobile import words
from shared_schemas import fields
from shared_schemas.codes import FOLLOWUP_CATEGORY_LABELS, PRIORITY_LABELS, FollowupCategory, Priority
from shared_schemas.communication import BSL, CONTACT_METHOD_LABELS, NEEDS, ContactMethod, contact_problems
from shared_schemas.questionnaire.languages import language_codes, language_of
from shared_schemas.records import Followup, ResidentContact, check_record

from .photos import refs as photo_refs

#: Form field -> the shared field rule it follows.
FIELD_RULES = {
    "description": "followup.description",
    "contact_name": "resident.name",
    "contact_phone": "resident.phone",
    "contact_email": "resident.email",
}
#: The resident's contact details: kept only with their consent, cleared when it is withdrawn.
CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email", "contact_method", "contact_language")
EDITABLE = ("category", "priority", "description", "consent", *CONTACT_FIELDS)
#: British Sign Language by its English name: the one contact language no questionnaire is asked in.
BSL_NAME = "British Sign Language"


@dataclass
class FollowupDraft:
    """The form's state; ``check_followup`` makes the record."""

    category: str = ""
    priority: str = Priority.NORMAL.value
    description: str = ""
    consent: bool | None = None  # None until the resident was asked
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    #: How and in which language the resident wants the partner to get in touch (communication.py);
    #: "" until chosen. Part of the contact details: only with consent.
    contact_method: str = ""
    contact_language: str = ""
    suggested: bool = False  # proposed from the answers and accepted with one tap
    photos: list[dict] = field(default_factory=list)  # {"sha256", "stage"}: mobile.viewmodels.photos
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def shows_contact(self) -> bool:
        """Contact details are asked for only when the resident consents."""
        return self.consent is True

    @property
    def title(self) -> str:
        labels = cast(dict[str, str], FOLLOWUP_CATEGORY_LABELS)  # keyed by a StrEnum: its texts look up alike
        return words._(labels.get(self.category, "New follow-up") if self.category else "New follow-up")

    def summary(self) -> str:
        pri = words._(cast(dict[str, str], PRIORITY_LABELS).get(self.priority, self.priority))
        consent = words._("consent given") if self.consent else words._("no consent")
        return f"{self.title} ({pri}, {consent})"

    def edit(self, **values: Any) -> None:
        for key, value in values.items():
            if key not in EDITABLE:
                raise AttributeError(key)
            setattr(self, key, value)
        if values.get("consent") is False:
            # without consent no contact details are kept, not even in memory
            for name in CONTACT_FIELDS:
                setattr(self, name, "")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> FollowupDraft:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def live_problems(draft: FollowupDraft) -> dict[str, str]:
    """What is wrong while typing: only what cannot become right by typing more (too long)."""
    out = {}
    for name, rule in FIELD_RULES.items():
        value = getattr(draft, name)
        if fields.over_limit(rule, value):
            out[name] = fields.too_long(rule, len(value), words._)
    return out


def problems(draft: FollowupDraft) -> dict[str, str]:
    """Form field -> what to change, in plain words (empty when it can be saved)."""
    out: dict[str, str] = {}
    if not draft.category:
        out["category"] = words._("Choose what the follow-up is about.")
    problem = fields.check("followup.description", draft.description, words._)
    if problem:
        out["description"] = (words._("Say what the partner agency should do.") if not draft.description.strip()
                              else problem)
    if draft.consent is None:
        out["consent"] = words._("Ask the resident whether they consent to be contacted.")
    if draft.consent:
        method = ContactMethod(draft.contact_method) if draft.contact_method else None
        if method is not None and contact_problems(method, draft.contact_phone, draft.contact_email):
            out["contact_method"] = _method_needs(method)
        elif not draft.contact_phone.strip() and not draft.contact_email.strip() and (method is None or NEEDS[method]):
            out["contact_phone"] = words._("Give a phone number or an e-mail address, or record that there is no "
                                           "consent.")
        for name, check in (("contact_phone", fields.check_phone), ("contact_email", fields.check_email)):
            problem = check(getattr(draft, name), words._)
            if problem:
                out[name] = problem
        problem = fields.check("resident.name", draft.contact_name, words._)
        if problem:
            out["contact_name"] = problem
    return out


def check_followup(draft: FollowupDraft, *, operation_id: int, team_id: int | None, raised_at: Any,
                   visit_id: uuid.UUID | None = None, street_id: int | None = None) -> tuple[Followup | None, dict]:
    """(the record, {}) when the draft can be saved, else (None, field -> message)."""
    found = problems(draft)
    if found:
        return None, found
    resident = None
    if draft.consent and any(getattr(draft, name).strip() for name in CONTACT_FIELDS):
        phone = draft.contact_phone.strip()
        resident = ResidentContact(name=draft.contact_name.strip(),
                                   phone=fields.normalise_phone(phone) if phone else None,
                                   email=draft.contact_email.strip() or None,
                                   contact_method=ContactMethod(draft.contact_method) if draft.contact_method else None,
                                   language=draft.contact_language or None)
    record = Followup(
        id=uuid.UUID(draft.id), operation_id=operation_id, team_id=team_id,
        category=FollowupCategory(draft.category), priority=Priority(draft.priority),
        description=draft.description.strip(), resident_consent=bool(draft.consent),
        resident=resident, raised_at=raised_at, visit_id=visit_id, street_id=street_id,
        photos=photo_refs(draft.photos),
    )
    contract = check_record(record)
    if contract:
        return None, {"form": contract[0][:1].upper() + contract[0][1:]}
    return record, {}


def category_choices() -> list[tuple[str, str]]:
    return [(c.value, FOLLOWUP_CATEGORY_LABELS[c]) for c in FollowupCategory]


def priority_choices() -> list[tuple[str, str]]:
    return [(p.value, PRIORITY_LABELS[p]) for p in Priority]


def contact_method_choices() -> list[tuple[str, str]]:
    return [(m.value, CONTACT_METHOD_LABELS[m]) for m in ContactMethod]


def contact_language_choices(questionnaire) -> list[tuple[str, str]]:
    """(code, name) for each language the resident can ask to be contacted in: the questionnaire's
    (each by its own name, as the resident's-language switch shows them), then British Sign Language
    (its name in the interface language)."""
    codes = language_codes(questionnaire) if questionnaire is not None else ["en"]
    named = [(code, language_of(questionnaire, code).name if questionnaire is not None else code) for code in codes]
    return [(code, _own_name(code) if name == code else name) for code, name in named] + [(BSL, BSL_NAME)]


def _own_name(code: str) -> str:
    """A language the questionnaire does not name, by its own name from Unicode's CLDR ("English")."""
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(code.replace("-", "_")) or code
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:]


def _method_needs(method: ContactMethod) -> str:
    needed, way = NEEDS[method], words._(CONTACT_METHOD_LABELS[method])
    if needed == ("phone",):
        return words._("{way} needs a phone number: give it, or choose another way.").format(way=way)
    if needed == ("email",):
        return words._("{way} needs an e-mail address: give it, or choose another way.").format(way=way)
    return words._("{way} needs a phone number or an e-mail address: give one, or choose another way.").format(
        way=way)
