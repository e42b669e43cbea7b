"""Agencies: who they are, where their follow-up notifications go (e-mail, a signed webhook), and whether
they hold an Open311 key. Admins add and change them; each change is audited, never a secret's value."""

from __future__ import annotations

import re

import msgspec
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Agency, User
from server.domain.notifications.targets import email_problem, webhook_url_problem
from server.lib.audit import audit
from server.lib.auth import CurrentUser
from server.lib.exceptions import Conflict, Invalid, NotFound

CODE = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")
#: What kind of agency: a label for people; "other" for anything new.
KINDS = {"police": "Police", "council": "Council", "environmental_health": "Environmental health",
         "fire": "Fire and rescue", "housing": "Housing", "health": "Health", "other": "Other"}
SECRET_MIN = 24


class AgencyOut(msgspec.Struct):
    code: str
    name: str
    kind: str
    email: str | None
    webhook_url: str | None
    has_webhook_secret: bool
    has_open311_key: bool
    users: int = 0


class AgencyChange(msgspec.Struct, forbid_unknown_fields=True):
    """Only what is sent changes; an empty ``email`` or ``webhook_url`` removes it. ``webhook_secret`` is
    written, never read back."""

    name: str | None = None
    kind: str | None = None
    email: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None


class NewAgency(msgspec.Struct, forbid_unknown_fields=True):
    code: str
    name: str
    kind: str = "other"
    email: str | None = None


def _out(a: Agency, users: int = 0) -> AgencyOut:
    return AgencyOut(code=a.code, name=a.name, kind=a.kind, email=a.email, webhook_url=a.webhook_url,
                     has_webhook_secret=bool(a.webhook_secret), has_open311_key=bool(a.open311_key_hash), users=users)


async def list_agencies(session: AsyncSession) -> list[AgencyOut]:
    users = select(func.count()).where(User.agency_id == Agency.id, User.active.is_(True)).scalar_subquery()
    rows = (await session.execute(select(Agency, users).order_by(Agency.name))).all()
    return [_out(a, n) for a, n in rows]


async def agency(session: AsyncSession, code: str) -> Agency:
    found = (await session.execute(select(Agency).where(Agency.code == code))).scalar_one_or_none()
    if found is None:
        raise NotFound(f"There is no agency {code!r}.")
    return found


def _name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise Invalid("Give the agency a name of 1 to 200 characters.", field="$.name")
    return name


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise Invalid(f"Unknown kind {kind!r}; choose one of {', '.join(KINDS)}.", field="$.kind")
    return kind


def _email(email: str) -> str | None:
    email = email.strip()
    if not email:
        return None
    problem = email_problem(email)
    if problem:
        raise Invalid(problem, field="$.email")
    return email


async def add_agency(session: AsyncSession, actor: CurrentUser, data: NewAgency) -> AgencyOut:
    code = data.code.strip()
    if not CODE.fullmatch(code):
        raise Invalid("The code is 2 to 40 lower-case letters, digits and hyphens, starting with a letter or digit "
                      "(e.g. council-housing); it is how routing tables name the agency.", field="$.code")
    new = Agency(code=code, name=_name(data.name), kind=_kind(data.kind), email=_email(data.email or ""))
    session.add(new)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(f"There is already an agency with the code {code!r}.", extra={"field": "$.code"}) from None
    await audit(session, actor, "agency.add", "agency", code, {"name": new.name, "kind": new.kind})
    return _out(new)


async def change_agency(session: AsyncSession, actor: CurrentUser, code: str, change: AgencyChange, *,
                        demo: bool) -> AgencyOut:
    """Audited with the fields that changed (a secret as "changed", never its value)."""
    a = await agency(session, code)
    changed: dict[str, object] = {}
    if change.name is not None and _name(change.name) != a.name:
        changed["name"] = {"from": a.name, "to": _name(change.name)}
        a.name = _name(change.name)
    if change.kind is not None and _kind(change.kind) != a.kind:
        changed["kind"] = {"from": a.kind, "to": change.kind}
        a.kind = change.kind
    if change.email is not None and _email(change.email) != a.email:
        changed["email"] = {"from": a.email, "to": _email(change.email)}
        a.email = _email(change.email)
    if change.webhook_url is not None:
        url = change.webhook_url.strip() or None
        if url is not None:
            problem = webhook_url_problem(url, demo=demo)
            if problem:
                raise Invalid(problem, field="$.webhook_url")
        if url != a.webhook_url:
            changed["webhook_url"] = {"from": a.webhook_url, "to": url}
            a.webhook_url = url
    if change.webhook_secret is not None and change.webhook_secret.strip():
        secret = change.webhook_secret.strip()
        if len(secret) < SECRET_MIN or len(secret) > 200 or any(c.isspace() for c in secret):
            raise Invalid(f"The webhook secret must be {SECRET_MIN} to 200 characters without spaces: use "
                          "“Make a new secret” and give it to the agency's receiver.", field="$.webhook_secret")
        if secret != a.webhook_secret:
            changed["webhook_secret"] = "changed"
            a.webhook_secret = secret
    if a.webhook_url and not a.webhook_secret:
        raise Invalid("A webhook needs a secret to sign its deliveries with: make one (and give it to the agency's "
                      "receiver), or leave the webhook URL empty.", field="$.webhook_secret")
    await session.flush()
    if changed:
        await audit(session, actor, "agency.update", "agency", code, {"changes": changed})
    users = (await session.execute(select(func.count()).where(User.agency_id == a.id, User.active.is_(True)))
             ).scalar_one()
    return _out(a, users)
