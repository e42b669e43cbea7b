"""Publishing an operation's open data, withdrawing it, and who may see what.

- Only the operation's coordinators (and admins) publish, withdraw, or write what happens next.
- A published operation's open data needs no sign-in. An unpublished one's public URLs answer 404
  to everyone but its coordinators, who may preview the page and print the report before
  publishing (`viewable` says which).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Operation, OperationPriority, User
from server.domain.operations.access import OperationAccess, runs
from server.lib.audit import audit
from server.lib.auth import CurrentUser
from server.lib.exceptions import Invalid, NotFound

from .schemas import MAX_CONTACT_LENGTH, MAX_PRIORITIES, MAX_PRIORITY_LENGTH, NextSteps, Publication, PublicLinks

INT32_MAX = 2**31 - 1


def links(operation_id: int) -> PublicLinks:
    base = f"/open-data/operations/{operation_id}"
    return PublicLinks(
        page=f"{base}/",
        csv=f"{base}/streets.csv",
        geojson=f"{base}/streets.geojson",
        datapackage=f"{base}/datapackage.json",
        report=f"{base}/report",
        report_pdf=f"{base}/report.pdf",
        ogc_collection=f"/ogc/collections/operation-{operation_id}-streets",
    )


async def publication(session: AsyncSession, operation: Operation) -> Publication:
    by = None
    if operation.published_by is not None:
        by = (await session.execute(select(User.display_name).where(User.id == operation.published_by))).scalar()
    return Publication(operation_id=operation.id, published=operation.published_at is not None,
                       published_at=operation.published_at, published_by=by, links=links(operation.id))


async def publish(session: AsyncSession, access: OperationAccess) -> Publication:
    """Publish (again: a published operation keeps its first publication time)."""
    operation, user = access.operation, access.user
    if operation.published_at is None:
        operation.published_at = (await session.execute(select(text("now()")))).scalar_one()
        operation.published_by = user.id
        await audit(session, user, "opendata.publish", "operation", str(operation.id))
        await session.flush()
    return await publication(session, operation)


async def withdraw(session: AsyncSession, access: OperationAccess) -> Publication:
    operation, user = access.operation, access.user
    if operation.published_at is not None:
        operation.published_at = None
        operation.published_by = None
        await audit(session, user, "opendata.withdraw", "operation", str(operation.id))
        await session.flush()
    return await publication(session, operation)


# ---------------------------------------------------------------- who sees an operation's open data


@dataclass(frozen=True)
class Viewable:
    operation: Operation
    preview: bool  # not published: a coordinator of it is looking


async def viewable(session: AsyncSession, user: CurrentUser | None, operation_id: int, *,
                   preview: bool = True) -> Viewable:
    """The operation if its open data may be shown to `user`; 404 otherwise (never 403, so an
    unpublished operation's existence does not show). `preview=False`: published only."""
    unknown = NotFound(f"There is no published operation {operation_id}. The list of published operations is at "
                       "/open-data.")
    if not 1 <= operation_id <= INT32_MAX:
        raise unknown
    operation = await session.get(Operation, operation_id)
    if operation is None:
        raise unknown
    if operation.published_at is not None:
        return Viewable(operation, preview=False)
    if preview and user is not None and await runs(session, user, operation_id):
        return Viewable(operation, preview=True)
    raise unknown


async def published_operations(session: AsyncSession) -> list[Operation]:
    return list((await session.execute(
        select(Operation).where(Operation.published_at.is_not(None)).order_by(Operation.published_at.desc(),
                                                                               Operation.id))).scalars())


_LAST_CHANGE_SQL = text("""
SELECT greatest(
    (SELECT received_at FROM visit WHERE operation_id = :op ORDER BY change_txid DESC, change_seq DESC LIMIT 1),
    (SELECT at FROM followup_event WHERE operation_id = :op ORDER BY change_txid DESC, change_seq DESC LIMIT 1),
    (SELECT max(received_at) FROM followup WHERE operation_id = :op),
    (SELECT max(received_at) FROM fix WHERE operation_id = :op),
    (SELECT published_at FROM operation WHERE id = :op))
""")


async def last_updated(session: AsyncSession, operation_id: int) -> dt.date | None:
    """The day the published figures last changed: the newest visit, fix, follow-up or status
    change received (or the publication itself). Read through the pull indexes, so it costs a
    few index lookups however long the operation's history is."""
    from .disclosure import day

    return day((await session.execute(_LAST_CHANGE_SQL, {"op": operation_id})).scalar())


# ---------------------------------------------------------------- what happens next


# Embeddings, overrides and isolates can make printed text read differently from what is stored.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _clean(value: str, what: str, limit: int) -> str:
    value = value.strip()
    if any(unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS for ch in value):
        raise Invalid(f"{what} contains a line break or a control character; write it as plain text on one line.")
    if len(value) > limit:
        raise Invalid(f"{what} is {len(value)} characters long; keep it to {limit}.")
    return value


def check_next_steps(steps: NextSteps) -> NextSteps:
    """The priorities and contact as they will be stored: trimmed, plain text, within bounds."""
    if len(steps.priorities) > MAX_PRIORITIES:
        raise Invalid(f"There are {len(steps.priorities)} priorities; a report carries at most {MAX_PRIORITIES}, as a "
                      "PACT meeting sets them. Keep the most important.", field="$.priorities")
    priorities = []
    for i, p in enumerate(steps.priorities):
        cleaned = _clean(p, f"Priority {i + 1}", MAX_PRIORITY_LENGTH)
        if not cleaned:
            raise Invalid(f"Priority {i + 1} is empty; write it, or leave it out.", field=f"$.priorities[{i}]")
        priorities.append(cleaned)
    contact = _clean(steps.contact, "The contact", MAX_CONTACT_LENGTH) if steps.contact is not None else None
    return NextSteps(priorities=priorities, contact=contact or None)


async def next_steps(session: AsyncSession, operation: Operation) -> NextSteps:
    rows = (await session.execute(select(OperationPriority.text).where(
        OperationPriority.operation_id == operation.id).order_by(OperationPriority.position))).scalars()
    return NextSteps(priorities=list(rows), contact=operation.public_contact)


async def set_next_steps(session: AsyncSession, access: OperationAccess, steps: NextSteps) -> NextSteps:
    steps = check_next_steps(steps)
    operation, user, operation_id = access.operation, access.user, access.operation.id
    await session.execute(delete(OperationPriority).where(OperationPriority.operation_id == operation_id))
    if steps.priorities:
        await session.execute(insert(OperationPriority), [
            {"operation_id": operation_id, "position": i + 1, "text": p, "updated_by": user.id}
            for i, p in enumerate(steps.priorities)])
    operation.public_contact = steps.contact
    return steps
