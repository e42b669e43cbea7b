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
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, false, func, insert, or_, select, tuple_, update
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
from shared_schemas.codes import FOLLOWUP_TRANSITIONS, FollowupCategory, FollowupStatus

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


def _base(user: CurrentUser):
    return with_place(
        select(
            Followup,
            Agency.code.label("agency_code"), Agency.name.label("agency_name"),
            PLACE_NAME.label("place"),
            _street.name.label("street_name"),
            func.ST_Y(_point).label("lat"), func.ST_X(_point).label("lon"),
            Operation.name.label("operation_name"),
        )
        .join(Operation, Operation.id == Followup.operation_id)
        .outerjoin(Agency, Agency.id == Followup.agency_id)
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
                        street_name=row.street_name, lat=row.lat, lon=row.lon, operation_name=row.operation_name)


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


async def _visible(session: AsyncSession, user: CurrentUser, followup_id: uuid.UUID, *, lock: bool = False):
    q = _base(user).where(Followup.id == followup_id)
    if lock:
        q = q.with_for_update(of=Followup)
    row = (await session.execute(q)).first()
    if row is None:
        raise NotFound(f"There is no follow-up {followup_id} that you can see.")
    return row


async def events_of(session: AsyncSession, followup_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = (await session.execute(
        select(FollowupEvent, User.display_name, Agency.code)
        .outerjoin(User, User.id == FollowupEvent.actor_user_id)
        .outerjoin(Agency, Agency.id == FollowupEvent.agency_id)
        .where(FollowupEvent.followup_id == followup_id)
        .order_by(FollowupEvent.id))).all()
    return [{"at": e.at, "actor": name, "from_status": e.from_status, "to_status": e.to_status,
             "agency": code, "version": e.version, "note": e.note} for e, name, code in rows]


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
@dataclass(frozen=True)
class Change:
    version: int
    status: str | None = None
    note: str = ""
    reason: str | None = None
    agency: str | None = None


async def change_followup(session: AsyncSession, user: CurrentUser, followup_id: uuid.UUID,
                          change: Change, *, public_url: str) -> FollowupView:
    """Apply a status change or a reassignment; one event, one audit entry; 409 on a stale version."""
    row = await _visible(session, user, followup_id, lock=True)
    f: Followup = row[0]
    if change.version != f.version:
        raise Conflict(f"This follow-up changed since you read it (you sent version {change.version}, it is now "
                       f"version {f.version}, {f.status}); reload it and try again.",
                       extra={"version": f.version, "status": f.status})
    note = (change.note or "").strip()
    old_status, old_agency = f.status, f.agency_id
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
        new_status, new_agency, action = FollowupStatus.OPEN.value, agency_id, "followup.reassign"
    else:
        if change.status is None:
            raise Invalid("Send the new 'status' (or 'agency' to reassign).", field="status")
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
        new_status, new_agency, action = change.status, f.agency_id, "followup.status"
    if change.reason and change.reason.strip():
        note = f"Reason: {change.reason.strip()}" + (f"\n{note}" if note else "")
    new_version = f.version + 1
    await session.execute(update(Followup).where(Followup.id == f.id).values(
        status=new_status, agency_id=new_agency, version=new_version, updated_at=func.now()))
    await session.execute(insert(FollowupEvent).values(
        followup_id=f.id, operation_id=f.operation_id, actor_user_id=user.id, from_status=old_status,
        to_status=new_status, agency_id=new_agency, version=new_version, note=note))
    await audit(session, user, action, "followup", str(f.id),
                {"from": old_status, "to": new_status, "version": new_version,
                 **({"from_agency": old_agency, "to_agency": new_agency} if action == "followup.reassign" else {})})
    if action == "followup.reassign":
        await enqueue_followup_notifications(session, [f.id], event="followup.assigned", public_url=public_url)
    session.expire_all()
    return await get_followup(session, user, followup_id, with_resident=False)


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


