"""/respond: a resident answers the questionnaire online with the code on the card left at their door.

Plain server-rendered forms: no sign-in, no script, no cookie; they work on a phone and with a screen
reader (labels, fieldsets with legends, an error summary linked to the fields, ``lang`` and ``dir`` on
the page). The code travels in the forms' bodies, never in an address, so it stays out of histories
and logs. The page's own words come from gettext catalogs (``server/web/locale``), the questions'
from the questionnaire's translations.

- ``GET /respond``: the code, in the language of ``?lang=`` or the browser's;
- ``POST /respond``: the code (and a language): the questionnaire, or the code again with why not;
- ``POST /respond/answers``: the answers: stored, or the questionnaire again with what to put right.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from server.lib.clients import request_client
from server.lib.languages import own_name
from shared_schemas import fields
from shared_schemas.catalogs import catalog, languages
from shared_schemas.codes import FOLLOWUP_CATEGORY_LABELS, FollowupCategory
from shared_schemas.communication import (
    ADJUSTMENT_LABELS,
    BSL,
    CONTACT_METHOD_LABELS,
    Adjustment,
    CommunicationNeeds,
    ContactMethod,
    contact_problems,
    needs_problems,
)
from shared_schemas.questionnaire import (
    Condition,
    Question,
    Questionnaire,
    QuestionType,
    best_language,
    check_answers,
    language_codes,
    prune_answers,
    translated,
    yes_no_words,
)
from shared_schemas.scripts import is_rtl

from .service import Card, Contact, Refusal, Refused, card_for, questionnaire_of, record_answers

WEB = Path(__file__).resolve().parents[2] / "web"
LOCALE = str(WEB / "locale")
DOMAIN = "respond"
_env = Environment(loader=FileSystemLoader(WEB / "respond" / "templates"), autoescape=select_autoescape(["html"]),
                   auto_reload=False)
HTML = "text/html"
#: Nothing here may be kept by a browser or a proxy: it holds a resident's answers and code.
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def page_languages() -> list[str]:
    return languages(LOCALE, DOMAIN)


class Words:
    """The page's words in one language (gettext), with ``{name}`` placeholders filled in."""

    def __init__(self, language: str):
        self.language = language if language in page_languages() else "en"
        self._catalog = catalog(LOCALE, DOMAIN, self.language)

    def __call__(self, message: str, **values: Any) -> str:
        text = self._catalog.gettext(message)
        return text.format(**values) if values else text


def _negotiate(request: Request, wanted: str | None) -> str:
    available = page_languages()
    if wanted and wanted in available:
        return wanted
    from babel import negotiate_locale

    header = request.headers.get("accept-language", "")
    preferred = [part.split(";")[0].strip().replace("-", "_") for part in header.split(",") if part.strip()][:10]
    return negotiate_locale(preferred, available, sep="_") or "en"


def _render(template: str, language: str, rtl: bool, status_code: int = 200, **context: Any) -> Response:
    """A page in ``language`` (its own words from the catalog, or English where there is none); ``rtl``:
    the page reads right to left (its questions, or its catalog's words, are in such a script)."""
    body = _env.get_template(template).render(_=Words(language), lang=language, dir="rtl" if rtl else "ltr",
                                              **context)
    return Response(body, media_type=HTML, status_code=status_code, headers=NO_STORE)


def _code_page(language: str, error: str = "", typed: str = "", status_code: int = 200) -> Response:
    words = Words(language)
    return _render("code.html", words.language, is_rtl(words("Answer the survey from your card")), status_code,
                   error=error, typed=typed, languages=[(code, own_name(code)) for code in page_languages()])


# ---------------------------------------------------------------- the code


@get("/respond", include_in_schema=False)
async def code_page(request: Request, lang: str | None = None) -> Response:
    return _code_page(_negotiate(request, (lang or "")[:20]))


REFUSAL_WORDS = {
    Refusal.MALFORMED: "That is not a card code: it has 10 letters and numbers, like K7M2Q-9XH4T. Check it against "
                       "the card.",
    Refusal.UNKNOWN: "We could not find that code. Check it against the card and try again.",
    Refusal.USED: "The survey on this card has already been answered. Thank you.",
    Refusal.CLOSED: "This survey has closed. Thank you for your interest.",
}


def _refusal(language: str, refused: Refused, typed: str) -> Response:
    words = Words(language)
    if refused.why is Refusal.WAIT:
        message = words("Too many codes were tried from here. Wait {seconds} seconds and try again.",
                        seconds=refused.wait_seconds)
        response = _code_page(language, message, typed, status_code=429)
        response.headers["Retry-After"] = str(refused.wait_seconds)
        return response
    status = {Refusal.MALFORMED: 400, Refusal.UNKNOWN: 404, Refusal.USED: 409, Refusal.CLOSED: 410}[refused.why]
    return _code_page(language, words(REFUSAL_WORDS[refused.why]), typed, status_code=status)


async def _form(request: Request) -> Any:
    return await request.form()


@post("/respond", include_in_schema=False, status_code=200, request_max_body_size=64 * 1024)
async def code_given(request: Request, db_session: NamedDependency[AsyncSession]) -> Response:
    form = await _form(request)
    typed = str(form.get("code") or "")[:100]
    wanted = str(form.get("lang") or "")[:20] or None
    try:
        card = await card_for(db_session, request.app.state.db_engine, typed, request_client(request))
    except Refused as refused:
        return _refusal(_negotiate(request, wanted), refused, typed)
    questionnaire = await questionnaire_of(db_session, card)
    language = best_language(questionnaire, wanted or _negotiate(request, None))
    return _questions_page(card, questionnaire, language, typed)


# ---------------------------------------------------------------- the questions


def _questions_page(card: Card, questionnaire: Questionnaire, language: str, code: str,
                    answers: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                    contact: Contact | None = None, needs: CommunicationNeeds | None = None,
                    status_code: int = 200) -> Response:
    shown = translated(questionnaire, language)
    words = Words(language)
    yes, no = yes_no_words(questionnaire, language)
    numbers = {q.id: n for n, q in enumerate((q for q in shown.questions if q.type is not QuestionType.NOTE), 1)}
    blocks = [_block(q, numbers, shown, words, yes or words("Yes"), no or words("No")) for q in shown.questions]
    contact = contact or Contact(language=language)
    methods = [(m.value, words(CONTACT_METHOD_LABELS[m])) for m in ContactMethod]
    adjustments = [(a.value, words(RESIDENT_ADJUSTMENT_WORDS[a])) for a in Adjustment]
    contact_languages = [(code_, own_name(code_)) for code_ in language_codes(questionnaire)]
    contact_languages.append((BSL, words("British Sign Language")))
    return _render("questions.html", language, is_rtl(shown.title), status_code, questionnaire=shown, blocks=blocks,
                   blocks_by_id={block["question"].id: block for block in blocks}, code=code, answers=answers or {},
                   errors=errors or {}, contact=contact, methods=methods,
                   adjustments=adjustments, needs=needs or CommunicationNeeds(language=language),
                   contact_languages=contact_languages, operation=card.operation_name,
                   switch=[(code_, own_name(code_)) for code_ in language_codes(questionnaire)]
                   if len(language_codes(questionnaire)) > 1 else [],
                   names={language_.code: language_.name for language_ in questionnaire.languages})


#: The adjustments in a resident's own words (the tablet shows ``ADJUSTMENT_LABELS``, the officer's).
RESIDENT_ADJUSTMENT_WORDS = {
    Adjustment.MORE_TIME: "More time, or a slower pace",
    Adjustment.WRITTEN: "Things written down",
    Adjustment.LIP_READING: "Face me and speak clearly, so I can lip-read",
    Adjustment.LARGE_PRINT: "Large print",
    Adjustment.EASY_READ: "Easy read",
    Adjustment.BRAILLE: "Braille",
    Adjustment.AUDIO: "Information read aloud",
    Adjustment.SUPPORT_PERSON: "Someone with me: family, a carer or an advocate",
    Adjustment.OTHER: "Something else",
}
assert set(RESIDENT_ADJUSTMENT_WORDS) == set(ADJUSTMENT_LABELS)


def _block(question: Question, numbers: dict[str, int], shown: Questionnaire, words: Words, yes: str,
           no: str) -> dict[str, Any]:
    """What the template needs to draw one question."""
    kind = question.type
    choices: list[tuple[str, str]] = []
    if kind is QuestionType.YES_NO:
        choices = [("yes", yes), ("no", no)]
    elif kind is QuestionType.SCALE_1_5:
        choices = [(str(n), f"{n}" + (f" – {question.low_label}" if n == 1 and question.low_label else "")
                    + (f" – {question.high_label}" if n == 5 and question.high_label else "")) for n in range(1, 6)]
    elif kind in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
        choices = [(o.value, o.label) for o in question.options]
    return {"question": question, "number": numbers.get(question.id), "choices": choices,
            "multiple": kind is QuestionType.MULTIPLE_CHOICE, "kind": kind.value,
            "when": _when(question.show_if, numbers, shown, words, yes, no) if question.show_if else "",
            "max_length": question.max_length or (2000 if kind is QuestionType.TEXT else None)}


def _when(condition: Condition, numbers: dict[str, int], shown: Questionnaire, words: Words, yes: str,
          no: str) -> str:
    """When a question applies, in the resident's words: the page shows every question (no script), so
    each one that depends on an earlier answer says which."""
    from msgspec import UNSET

    values: list[Any] | None = None
    if condition.equals is not UNSET:
        values = [condition.equals]
    elif condition.in_ is not UNSET:
        values = list(condition.in_)
    target = shown.question(condition.question or "") if condition.question else None
    if values is None or target is None:
        return words("Answer only if it applies to you.")

    def label(value: Any) -> str:
        if target.type is QuestionType.YES_NO:
            return yes if value is True else no
        for option in target.options:
            if option.value == value:
                return option.label
        return str(value)

    answers = words(" or ").join(f"“{label(v)}”" for v in values)
    return words("Answer if you answered {answers} to question {number}.", answers=answers,
                 number=numbers.get(target.id, "?"))


# ---------------------------------------------------------------- the answers


def _read_answers(form: Any, questionnaire: Questionnaire) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question in questionnaire.questions:
        name = f"q.{question.id}"
        kind = question.type
        if kind is QuestionType.NOTE:
            continue
        if kind is QuestionType.MULTIPLE_CHOICE:
            chosen = [str(v)[:64] for v in form.getall(name, [])][:len(question.options) + 1]
            if chosen:
                answers[question.id] = chosen
            continue
        raw = str(form.get(name) or "").strip()[:4000]
        if not raw:
            continue
        if kind is QuestionType.YES_NO:
            answers[question.id] = {"yes": True, "no": False}.get(raw, raw)
        elif kind in (QuestionType.SCALE_1_5, QuestionType.NUMBER):
            number = raw.replace(",", ".")
            try:
                answers[question.id] = int(number) if number.lstrip("-").isdigit() else float(number)
            except ValueError:
                answers[question.id] = raw  # the engine says it is not a number
        else:
            answers[question.id] = raw
    return answers


def _answer_errors(questionnaire: Questionnaire, shown: Questionnaire, answers: dict[str, Any],
                   words: Words) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in check_answers(questionnaire, prune_answers(questionnaire, answers))[0]:
        question = shown.question(error.question_id)
        if question is None or error.question_id in errors:
            continue
        errors[error.question_id] = _answer_message(question, error.kind, words)
    return errors


def _answer_message(question: Question, kind: str, words: Words) -> str:
    if kind == "required":
        return words("Answer this question.")
    if kind == "constraint":
        if question.constraint_message:
            return question.constraint_message
        if question.type is QuestionType.TEXT:
            return words("Keep it to {count} characters.", count=question.max_length or 2000)
        return words("Enter a number from {low} to {high}.",
                     low=_number(question.min) if question.min is not None else "…",
                     high=_number(question.max) if question.max is not None else "…")
    if question.type is QuestionType.NUMBER:
        return words("Enter a whole number.") if question.integer else words("Enter a number.")
    if question.type is QuestionType.DATE:
        return words("Enter a date like 2026-05-14.")
    return words("Choose one of the answers.")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _read_contact_and_needs(form: Any, language: str, questionnaire: Questionnaire
                            ) -> tuple[Contact, CommunicationNeeds, dict[str, str], Words]:
    words = Words(language)
    errors: dict[str, str] = {}
    consent = str(form.get("contact") or "") == "yes"
    method = str(form.get("contact_method") or "")
    contact_language = str(form.get("contact_language") or language)
    allowed_languages = {*language_codes(questionnaire), BSL}
    contact = Contact(consent=consent, name=str(form.get("name") or "").strip()[:300],
                      phone=str(form.get("phone") or "").strip()[:60], email=str(form.get("email") or "").strip()[:330],
                      method=method if method in {m.value for m in ContactMethod} else "",
                      language=contact_language if contact_language in allowed_languages else language)
    if consent:
        if fields.check("resident.name", contact.name):
            errors["name"] = words("Keep your name to {count} characters.",
                                   count=fields.LIMITS["resident.name"].max_length)
        if fields.check_phone(contact.phone):
            errors["phone"] = words("Enter a UK phone number, like 07911 123456.")
        if fields.check_email(contact.email):
            errors["email"] = words("Enter an e-mail address, like name@example.org.")
        method_enum = ContactMethod(contact.method) if contact.method else None
        if contact_problems(method_enum, contact.phone, contact.email):
            errors["contact_method"] = words("Give a phone number or an e-mail address for the way you chose, or "
                                             "choose a letter.")
        elif method_enum is None and not contact.phone and not contact.email:
            errors["contact_method"] = words("Give a phone number or an e-mail address, or choose a letter.")
    chosen = [a for a in (str(v) for v in form.getall("adjustment", [])) if a in {x.value for x in Adjustment}]
    other = str(form.get("adjustment_other") or "").strip()[:400]
    if other and Adjustment.OTHER.value not in chosen:
        chosen.append(Adjustment.OTHER.value)
    needs = CommunicationNeeds(language=language, adjustments=[Adjustment(a) for a in dict.fromkeys(chosen)],
                               adjustment_other=other)
    if needs_problems(needs) or fields.over_limit("visit.adjustment_other", other):
        errors["adjustment_other"] = words("Tell us what you need, in up to {count} characters.",
                                           count=fields.LIMITS["visit.adjustment_other"].max_length)
    return contact, needs, errors, words


@post("/respond/answers", include_in_schema=False, status_code=200, request_max_body_size=256 * 1024)
async def answers_given(request: Request, db_session: NamedDependency[AsyncSession]) -> Response:
    form = await _form(request)
    typed = str(form.get("code") or "")[:100]
    wanted = str(form.get("lang") or "")[:20] or None
    engine = request.app.state.db_engine
    try:
        card = await card_for(db_session, engine, typed, request_client(request))
    except Refused as refused:
        return _refusal(_negotiate(request, wanted), refused, typed)
    questionnaire = await questionnaire_of(db_session, card)
    language = best_language(questionnaire, wanted)
    shown = translated(questionnaire, language)
    answers = _read_answers(form, questionnaire)
    contact, needs, errors, words = _read_contact_and_needs(form, language, questionnaire)
    errors = {**_answer_errors(questionnaire, shown, answers, words), **errors}
    if errors:
        return _questions_page(card, questionnaire, language, typed, answers, errors, contact, needs,
                               status_code=422)
    try:
        done = await record_answers(db_session, card, questionnaire, answers, needs, contact,
                                    request.app.state.settings)
    except Refused as refused:
        await db_session.rollback()
        return _refusal(language, refused, typed)
    return _render("done.html", language, is_rtl(shown.title),
                   followups=[words(FOLLOWUP_CATEGORY_LABELS[FollowupCategory(c)]) for c in done.followups],
                   contact=contact.consent, operation=card.operation_name, questionnaire=shown)

ROUTES = [code_page, code_given, answers_given]
