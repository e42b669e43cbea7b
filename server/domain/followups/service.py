"""Follow-ups after routing: who sees which, the status workflow, reassignment, residents' details.

Rules in one place:

- Who sees which follow-up, and residents' details: server/domain/operations/access.py. A
  follow-up outside what a user sees answers 404, never 403, so its existence does not leak.
- A change names the version it read; a stale version is a 409 with the current version.
  A status change must be one of ``FOLLOWUP_TRANSITIONS`` (409 naming the allowed ones);
  ``declined`` needs a reason. Only a coordinator of the operation reassigns; a reassigned
  follow-up starts again at ``open`` for its new agency, which is notified.
- Every change writes one ``followup_event`` row (tablets pull these) and one audit entry.
- Residents' details are shown only where the resident consented, only to the assigned
  agency's partners and the operation's coordinators, and every showing is audited
  (``resident.view``, or ``resident.export`` for a CSV). They never go to logs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import and_, case, false, func, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.db.models import (
    Agency,
    Followup,
    FollowupEvent,
    FollowupResident,
    Household,
    Operation,
    Street,
    User,
)
from server.domain.notifications.outbox import enqueue_followup_notifications
from server.domain.operations.access import may_see_resident, runs, runs_operation, sees_followup, sees_residents
from server.lib.audit import audit, audit_many
from server.lib.auth import CurrentUser
from server.lib.csvfile import csv_document
from server.lib.exceptions import Conflict, Forbidden, Invalid, NotFound
from server.lib.paging import Keyset
from shared_schemas.codes import FOLLOWUP_TRANSITIONS, FollowupCategory, FollowupStatus, Priority

FINAL = (FollowupStatus.RESOLVED.value, FollowupStatus.DECLINED.value)
CATEGORIES = [c.value for c in FollowupCategory]
STATUSES = [s.value for s in FollowupStatus]


# ---------------------------------------------------------------- reading
# Where a follow-up is: its household's door, else the middle of its street (the household's street
# when it names none). Used here, by Open311 and by the OGC layer; select from Followup, then
# ``with_place(...)`` adds the joins these columns need.
PLACE_STREET = aliased(Street)
PLACE_POINT = func.coalesce(Household.geom,
                            func.ST_ClosestPoint(PLACE_STREET.geom, func.ST_Centroid(PLACE_STREET.geom)))
PLACE_NAME = func.coalesce(Household.address, PLACE_STREET.name)
_street, _point = PLACE_STREET, PLACE_POINT


def with_place(q: Any) -> Any:
    return (q.outerjoin(Household, Household.id == Followup.household_id)
            .outerjoin(PLACE_STREET, PLACE_STREET.id == func.coalesce(Followup.street_id, Household.street_id)))


ASSIGNEE = aliased(User)


def _base(user: CurrentUser):
    return with_place(
        select(
            Followup,
            Agency.code.label("agency_code"), Agency.name.label("agency_name"),
            PLACE_NAME.label("place"),
            _street.name.label("street_name"),
            func.ST_Y(_point).label("lat"), func.ST_X(_point).label("lon"),
            Operation.name.label("operation_name"),
            Household.postcode.label("postcode"),
            ASSIGNEE.username.label("assignee"), ASSIGNEE.display_name.label("assignee_name"),
        )
        .join(Operation, Operation.id == Followup.operation_id)
        .outerjoin(Agency, Agency.id == Followup.agency_id)
        .outerjoin(ASSIGNEE, ASSIGNEE.id == Followup.assignee_user_id)
    ).where(sees_followup(user))


def is_overdue(f: Followup, now: dt.datetime | None = None) -> bool:
    now = now or dt.datetime.now(dt.UTC)
    return f.due_at is not None and f.due_at < now and f.status not in FINAL


@dataclass
class FollowupView:
    followup: Followup
    agency_code: str | None
    agency_name: str | None
    place: str | None
    street_name: str | None
    lat: float | None
    lon: float | None
    operation_name: str
    postcode: str | None = None
    assignee: str | None = None  # username
    assignee_name: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    resident: dict[str, str | None] | None = None
    may_see_resident: bool = False

    @property
    def overdue(self) -> bool:
        return is_overdue(self.followup)

    @property
    def allowed(self) -> list[str]:
        return sorted(s.value for s in FOLLOWUP_TRANSITIONS[FollowupStatus(self.followup.status)])


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    category: str | None = None
    overdue: bool | None = None
    operation_id: int | None = None
    agency: str | None = None
    #: Assigned to this user id; or, with ``unassigned``, to nobody.
    assignee_id: int | None = None
    unassigned: bool = False
    #: Only follow-ups whose place lies in one of these WGS 84 envelopes (x0, y0, x1, y1).
    bbox: tuple[tuple[float, float, float, float], ...] | None = None

    def check(self) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise Invalid(f"Unknown status {self.status!r}; use one of {', '.join(STATUSES)}.", field="status")
        if self.category is not None and self.category not in CATEGORIES:
            raise Invalid(f"Unknown category {self.category!r}; use one of {', '.join(CATEGORIES)}.",
                          field="category")


def _filtered(user: CurrentUser, filters: Filters):
    filters.check()
    q = _base(user)
    if filters.status:
        q = q.where(Followup.status == filters.status)
    if filters.category:
        q = q.where(Followup.category == filters.category)
    if filters.operation_id is not None:
        q = q.where(Followup.operation_id == filters.operation_id)
    if filters.agency:
        q = q.where(Agency.code == filters.agency)
    if filters.assignee_id is not None:
        q = q.where(Followup.assignee_user_id == filters.assignee_id)
    if filters.unassigned:
        q = q.where(Followup.assignee_user_id.is_(None))
    if filters.bbox is not None:
        q = q.where(or_(false(), *(func.ST_Intersects(_point, func.ST_MakeEnvelope(*box, 4326))
                                   for box in filters.bbox)))
    overdue = and_(Followup.due_at < func.now(), Followup.status.not_in(FINAL))
    if filters.overdue is True:
        q = q.where(overdue)
    elif filters.overdue is False:
        q = q.where(~overdue)
    return q


#: Newest raised first.
FOLLOWUPS = Keyset(tuple[dt.datetime, uuid.UUID], default=50, maximum=500)


def _view(row) -> FollowupView:
    return FollowupView(followup=row[0], agency_code=row.agency_code, agency_name=row.agency_name, place=row.place,
                        street_name=row.street_name, lat=row.lat, lon=row.lon, operation_name=row.operation_name,
                        postcode=row.postcode, assignee=row.assignee, assignee_name=row.assignee_name)


async def list_followups(session: AsyncSession, user: CurrentUser, filters: Filters, *,
                         limit: int = FOLLOWUPS.default, cursor: str | None = None
                         ) -> tuple[list[FollowupView], str | None]:
    """A page of follow-ups, newest raised first, keyset-paginated on (raised_at, id)."""
    limit, after = FOLLOWUPS.limit(limit), FOLLOWUPS.after(cursor)
    q = _filtered(user, filters).order_by(Followup.raised_at.desc(), Followup.id.desc()).limit(limit + 1)
    if after is not None:
        q = q.where(tuple_(Followup.raised_at, Followup.id) < tuple_(*after))
    views = [_view(r) for r in (await session.execute(q)).all()]
    return FOLLOWUPS.page(views, limit, key=lambda v: (v.followup.raised_at, v.followup.id))


async def find_followup(session: AsyncSession, user: CurrentUser, operation_id: int,
                        followup_id: uuid.UUID) -> FollowupView | None:
    """One follow-up of an operation as the list shows it (no residents' details, nothing audited)."""
    row = (await session.execute(_base(user).where(Followup.id == followup_id,
                                                   Followup.operation_id == operation_id))).first()
    return _view(row) if row is not None else None


async def count_followups(session: AsyncSession, user: CurrentUser, filters: Filters) -> int:
    """How many follow-ups `list_followups` would list, over every page."""
    return (await session.execute(select(func.count()).select_from(_filtered(user, filters).subquery()))).scalar_one()


# ---------------------------------------------------------------- the inbox as a work queue

_OVERDUE = and_(Followup.due_at < func.now(), Followup.status.not_in(FINAL))
#: Most pressing first: urgent 4 … low 1.
PRIORITY_RANK = case({p.value: i + 1 for i, p in enumerate(Priority)}, value=Followup.priority, else_=0)
_STATUS_RANK = case({s: i for i, s in enumerate(STATUSES)}, value=Followup.status, else_=len(STATUSES))
#: The work queue's order: overdue first, then the most urgent, then the soonest due, then the oldest.
QUEUE_ORDER = (_OVERDUE.desc(), PRIORITY_RANK.desc(), Followup.due_at.asc().nulls_last(), Followup.raised_at.asc(),
               Followup.id)
#: What the inbox can be sorted by (each column), each then by the queue's order.
SORT_KEYS: dict[str, Any] = {
    "raised": Followup.raised_at, "category": Followup.category, "priority": PRIORITY_RANK,
    "status": _STATUS_RANK, "agency": Agency.name, "assignee": ASSIGNEE.display_name, "due": Followup.due_at,
    "place": PLACE_NAME,
}
QUEUE_MAX = 1000


async def work_queue(session: AsyncSession, user: CurrentUser, filters: Filters, *, sort: str | None = None,
                     descending: bool = False, limit: int = 100) -> tuple[list[FollowupView], int]:
    """The follow-ups this user works, in the queue's order or sorted by one column (then the queue's
    order), the first ``limit`` (at most QUEUE_MAX), and how many there are in all."""
    q = _filtered(user, filters)
    total = (await session.execute(select(func.count()).select_from(q.subquery()))).scalar_one()
    key = SORT_KEYS.get(sort or "")
    order = ((key.desc().nulls_last() if descending else key.asc().nulls_last(),) if key is not None else ())
    rows = (await session.execute(q.order_by(*order, *QUEUE_ORDER).limit(min(max(limit, 1), QUEUE_MAX)))).all()
    return [_view(r) for r in rows], total


async def queue_counts(session: AsyncSession, user: CurrentUser, filters: Filters) -> dict[str, int]:
    """How many follow-ups there are of each status, overdue, and assigned to this user, under the
    filters but for status (the inbox's tabs)."""
    q = _filtered(user, replace(filters, status=None)).subquery()
    counts = dict.fromkeys(STATUSES, 0)
    for status, n in (await session.execute(select(q.c.status, func.count()).group_by(q.c.status))).all():
        counts[status] = n
    counts["all"] = sum(counts[s] for s in STATUSES)
    overdue = select(func.count()).select_from(q).where(q.c.due_at < func.now(), q.c.status.not_in(FINAL))
    mine = select(func.count()).select_from(q).where(q.c.assignee_user_id == user.id, q.c.status.not_in(FINAL))
    counts["overdue"], counts["mine"] = (await session.execute(select(overdue.scalar_subquery(),
                                                                      mine.scalar_subquery()))).one()
    return counts


async def assignable(session: AsyncSession, followup: Followup) -> list[tuple[int, str, str]]:
    """Who a follow-up can be assigned to: the active partners of its agency (id, username, name)."""
    if followup.agency_id is None:
        return []
    rows = await session.execute(
        select(User.id, User.username, User.display_name)
        .where(User.agency_id == followup.agency_id, User.active.is_(True), User.roles.contains(["partner"]))
        .order_by(User.display_name))
    return [(i, u, n) for i, u, n in rows.all()]


async def _visible(session: AsyncSession, user: CurrentUser, followup_id: uuid.UUID, *, lock: bool = False):
    q = _base(user).where(Followup.id == followup_id)
    if lock:
        q = q.with_for_update(of=Followup)
    row = (await session.execute(q)).first()
    if row is None:
        raise NotFound(f"There is no follow-up {followup_id} that you can see.")
    return row


async def events_of(session: AsyncSession, followup_id: uuid.UUID) -> list[dict[str, Any]]:
    """The follow-up's history, oldest first: who did what when (``kind``: raised, status, note,
    assign, reassign), the agency (code and name) and, for an assignment, to whom."""
    assignee = aliased(User)
    rows = (await session.execute(
        select(FollowupEvent, User.display_name, Agency.code, Agency.name, assignee.display_name)
        .outerjoin(User, User.id == FollowupEvent.actor_user_id)
        .outerjoin(Agency, Agency.id == FollowupEvent.agency_id)
        .outerjoin(assignee, assignee.id == FollowupEvent.assignee_user_id)
        .where(FollowupEvent.followup_id == followup_id)
        .order_by(FollowupEvent.id))).all()
    return [{"at": e.at, "actor": name, "kind": e.kind, "from_status": e.from_status, "to_status": e.to_status,
             "agency": code, "agency_name": agency_name, "assignee": to_whom, "version": e.version, "note": e.note}
            for e, name, code, agency_name, to_whom in rows]


async def get_followup(session: AsyncSession, user: CurrentUser, followup_id: uuid.UUID, *,
                       via: str = "api", with_resident: bool = True) -> FollowupView:
    """One follow-up with its history; residents' details only under the rules, each showing audited."""
    view = _view(await _visible(session, user, followup_id))
    view.events = await events_of(session, followup_id)
    f = view.followup
    view.may_see_resident = may_see_resident(user, f, await runs(session, user, f.operation_id))
    if view.may_see_resident and with_resident:
        resident = await session.get(FollowupResident, followup_id)
        if resident is not None and (resident.name or resident.phone or resident.email or resident.contact_method):
            view.resident = {"name": resident.name, "phone": resident.phone, "email": resident.email,
                             "contact_method": resident.contact_method, "language": resident.language}
            await audit(session, user, "resident.view", "followup", str(followup_id),
                        {"via": via, "fields": [k for k, v in view.resident.items() if v]})
    return view


# ---------------------------------------------------------------- changing
#: Events that conflict with a change sent against an older version; a note or an assignment since does not.
CONFLICTING = ("status", "reassign")
NOT_ASSIGNED = -1  # Change.assignee_id: take the follow-up away from whoever has it


@dataclass(frozen=True)
class Change:
    """A status change, a reassignment to another agency (``agency``), an assignment to a person of the
    agency (``assignee_id``; NOT_ASSIGNED for nobody), or, with none of these, a note on its own."""

    version: int
    status: str | None = None
    note: str = ""
    reason: str | None = None
    agency: str | None = None
    assignee_id: int | None = None


async def change_followup(session: AsyncSession, user: CurrentUser, followup_id: uuid.UUID,
                          change: Change, *, public_url: str) -> FollowupView:
    """Apply a status change, a reassignment, an assignment or a note: one event, one audit entry.

    ``change.version`` is the version the sender read. If the follow-up changed since by a status
    change or a reassignment, the change is refused (409, with the current version and status);
    a note or an assignment in between does not stand in the way.
    """
    row = await _visible(session, user, followup_id, lock=True)
    f: Followup = row[0]
    await _check_version(session, f, change.version)
    note = (change.note or "").strip()
    old_status, old_agency = f.status, f.agency_id
    new_status, new_agency, new_assignee = f.status, f.agency_id, f.assignee_user_id
    if change.agency is not None:
        if not await runs(session, user, f.operation_id):
            raise Forbidden("Only a coordinator of this operation can reassign a follow-up.")
        agency_id = (await session.execute(select(Agency.id).where(Agency.code == change.agency))).scalar()
        if agency_id is None:
            raise Invalid(f"There is no agency {change.agency!r}.", field="agency")
        if change.status not in (None, FollowupStatus.OPEN.value):
            raise Invalid("A reassigned follow-up starts again at 'open' for its new agency; "
                          "send no status (or 'open') with 'agency'.", field="status")
        if f.status == FollowupStatus.RESOLVED.value:
            raise Conflict("This follow-up is resolved; it cannot be reassigned.", extra={"allowed": []})
        if agency_id == f.agency_id:
            raise Conflict(f"This follow-up is already with {change.agency}.", extra={"agency": change.agency})
        # A new agency starts afresh: open, and nobody of theirs on it yet.
        new_status, new_agency, new_assignee, kind = FollowupStatus.OPEN.value, agency_id, None, "reassign"
    elif change.status is not None:
        if change.status not in STATUSES:
            raise Invalid(f"Unknown status {change.status!r}; use one of {', '.join(STATUSES)}.", field="status")
        allowed = sorted(s.value for s in FOLLOWUP_TRANSITIONS[FollowupStatus(f.status)])
        if change.status not in allowed:
            raise Conflict(
                f"A follow-up that is {f.status} cannot move to {change.status}; "
                + (f"it can move to {', '.join(allowed)}." if allowed else "it is final."),
                extra={"allowed": allowed, "status": f.status})
        if change.status == FollowupStatus.DECLINED.value and not (change.reason or "").strip():
            raise Invalid("Say why you decline it: send a 'reason'.", field="reason")
        new_status, kind = change.status, "status"
    elif change.assignee_id is not None:
        new_assignee = None if change.assignee_id == NOT_ASSIGNED else change.assignee_id
        await _check_assignee(session, user, f, new_assignee)
        if new_assignee == f.assignee_user_id:
            raise Conflict("It is assigned so already; nothing changed.", extra={"version": f.version})
        kind = "assign"
    else:
        if not note:
            raise Invalid("Type a note, or choose a new status.", field="note")
        kind = "note"
    if change.reason and change.reason.strip():
        note = f"Reason: {change.reason.strip()}" + (f"\n{note}" if note else "")
    new_version = f.version + 1
    await session.execute(update(Followup).where(Followup.id == f.id).values(
        status=new_status, agency_id=new_agency, assignee_user_id=new_assignee, version=new_version,
        updated_at=func.now()))
    await session.execute(insert(FollowupEvent).values(
        followup_id=f.id, operation_id=f.operation_id, actor_user_id=user.id, kind=kind, from_status=old_status,
        to_status=new_status, agency_id=new_agency, version=new_version, note=note,
        assignee_user_id=new_assignee if kind == "assign" else None))
    detail: dict[str, Any] = {"from": old_status, "to": new_status, "version": new_version}
    if kind == "reassign":
        detail |= {"from_agency": old_agency, "to_agency": new_agency}
    if kind == "assign":
        detail = {"assignee": {"from": f.assignee_user_id, "to": new_assignee}, "version": new_version}
    await audit(session, user, AUDIT_ACTIONS[kind], "followup", str(f.id), detail)
    if kind == "reassign":
        await enqueue_followup_notifications(session, [f.id], event="followup.assigned", public_url=public_url)
    session.expire_all()
    return await get_followup(session, user, followup_id, with_resident=False)


AUDIT_ACTIONS = {"status": "followup.status", "reassign": "followup.reassign", "assign": "followup.assign",
                 "note": "followup.note"}


async def assignee_id(session: AsyncSession, username: str | None) -> int:
    """The user id a change names by username (NOT_ASSIGNED for none); 422 for nobody of that name."""
    if not username:
        return NOT_ASSIGNED
    found = (await session.execute(select(User.id).where(User.username == username))).scalar()
    if found is None:
        raise Invalid(f"There is no user {username!r} to assign it to.", field="assignee")
    return found


async def _check_version(session: AsyncSession, f: Followup, version: int) -> None:
    """409 when the follow-up moved (status or agency) since ``version``, or for a version it never had."""
    if version == f.version:
        return
    conflicting = 0 < version < f.version and (await session.execute(
        select(func.count()).where(FollowupEvent.followup_id == f.id, FollowupEvent.version > version,
                                   FollowupEvent.kind.in_(CONFLICTING)))).scalar_one()
    if not 0 < version < f.version or conflicting:
        raise Conflict(f"This follow-up changed since you read it (you sent version {version}, it is now "
                       f"version {f.version}, {f.status}); reload it and try again.",
                       extra={"version": f.version, "status": f.status})


async def _check_assignee(session: AsyncSession, user: CurrentUser, f: Followup, assignee: int | None) -> None:
    """A follow-up is assigned by its agency's partners or the operation's coordinators, to an active
    partner of its agency (or to nobody)."""
    if not (("partner" in user.roles and f.agency_id == user.agency_id) or await runs(session, user, f.operation_id)):
        raise Forbidden("Only the agency's partners and the operation's coordinators assign a follow-up.")
    if assignee is None:
        return
    if f.agency_id is None:
        raise Invalid("This follow-up is with no agency yet: reassign it to an agency first.", field="assignee")
    if assignee not in {i for i, _, _ in await assignable(session, f)}:
        raise Invalid("Assign it to a partner of the follow-up's agency who can sign in.", field="assignee")


# ---------------------------------------------------------------- routing tables
def routing_of(operation: Operation) -> dict[str, str]:
    return dict(operation.routing or {})


async def set_routing(session: AsyncSession, user: CurrentUser, operation: Operation,
                      routing: dict[str, str]) -> dict[str, str]:
    """Replace an operation's routing table (coordinators); applies to follow-ups that arrive from now on."""
    for category in routing:
        if category not in CATEGORIES:
            raise Invalid(f"Unknown category {category!r}; use one of {', '.join(CATEGORIES)}.",
                          field=f"$.routing.{category}")
    known = set((await session.execute(select(Agency.code))).scalars())
    for category, code in routing.items():
        if code not in known:
            raise Invalid(f"There is no agency {code!r} (for {category}); known agencies: {', '.join(sorted(known))}.",
                          field=f"$.routing.{category}")
    old = routing_of(operation)
    await session.execute(update(Operation).where(Operation.id == operation.id).values(routing=routing))
    await audit(session, user, "operation.routing", "operation", str(operation.id), {"from": old, "to": routing})
    return routing


# ---------------------------------------------------------------- CSV export
CSV_COLUMNS = ["id", "operation", "category", "priority", "status", "version", "agency", "raised_at", "due_at",
               "overdue", "updated_at", "place", "lat", "lon", "description", "resident_consent"]
RESIDENT_COLUMNS = ["resident_name", "resident_phone", "resident_email", "resident_contact_method",
                    "resident_language"]


async def export_csv(session: AsyncSession, user: CurrentUser, filters: Filters, *,
                     with_residents: bool = False) -> str:
    """The follow-ups this user sees as CSV. Residents' details only on request, only where the
    resident consented and the user may see them; each exported record is audited."""
    q = _filtered(user, filters).order_by(Followup.raised_at.desc(), Followup.id.desc())
    rows = [_view(r) for r in (await session.execute(q)).all()]
    residents: dict[uuid.UUID, FollowupResident] = {}
    if with_residents and rows:
        allowed = select(Followup.id).where(Followup.id.in_([v.followup.id for v in rows]), sees_residents(user))
        residents = {r.followup_id: r for r in (await session.execute(
            select(FollowupResident).where(FollowupResident.followup_id.in_(allowed)))).scalars()}
    lines = []
    for v in rows:
        f = v.followup
        line = [str(f.id), v.operation_name, f.category, f.priority, f.status, f.version, v.agency_code,
                f.raised_at.isoformat(), f.due_at.isoformat() if f.due_at else None, "yes" if v.overdue else "no",
                f.updated_at.isoformat(), v.place, _num(v.lat), _num(v.lon), f.description,
                "yes" if f.resident_consent else "no"]
        if with_residents:
            r = residents.get(f.id)
            line += [r.name, r.phone, r.email, r.contact_method, r.language] if r else [None] * 5
        lines.append(line)
    await audit_many(session, user, "resident.export", "followup", [str(fid) for fid in residents], {"via": "csv"})
    return csv_document(CSV_COLUMNS + (RESIDENT_COLUMNS if with_residents else []), lines)


def _num(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


async def agencies(session: AsyncSession) -> list[tuple[str, str]]:
    return [(c, n) for c, n in (await session.execute(select(Agency.code, Agency.name).order_by(Agency.name))).all()]


async def operations_run_by(session: AsyncSession, user: CurrentUser) -> list[tuple[int, str]]:
    q = select(Operation.id, Operation.name).where(runs_operation(user, Operation.id)).order_by(Operation.name)
    return [(i, n) for i, n in (await session.execute(q)).all()]


