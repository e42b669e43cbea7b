"""Wire shapes of the follow-up API (msgspec Structs)."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from server.domain.followups.service import FollowupView
from shared_schemas.codes import label


class EventOut(msgspec.Struct):
    at: dt.datetime
    actor: str | None
    from_status: str | None
    to_status: str
    agency: str | None
    version: int
    note: str
    kind: str = "status"  # raised, status, note, assign, reassign
    agency_name: str | None = None
    assignee: str | None = None  # an "assign" event: to whom (their name); None: to nobody


class ResidentOut(msgspec.Struct, omit_defaults=True):
    name: str | None
    phone: str | None
    email: str | None
    #: How and in which language the resident wants to be contacted (shared_schemas/communication.py).
    contact_method: str | None = None
    language: str | None = None


class FollowupOut(msgspec.Struct):
    id: uuid.UUID
    operation_id: int
    category: str
    category_label: str
    priority: str
    status: str
    version: int
    description: str
    agency: str | None
    agency_name: str | None
    raised_at: dt.datetime
    due_at: dt.datetime | None
    overdue: bool
    updated_at: dt.datetime
    place: str | None
    street_id: int | None
    household_id: int | None
    lat: float | None
    lon: float | None
    resident_consent: bool
    allowed: list[str]
    assignee: str | None = None  # the username of the person of the agency working on it
    assignee_name: str | None = None
    postcode: str | None = None


class FollowupDetail(FollowupOut, kw_only=True):
    events: list[EventOut]
    resident: ResidentOut | None = None


class FollowupList(msgspec.Struct):
    items: list[FollowupOut]
    next: str | None


class FollowupPatch(msgspec.Struct, forbid_unknown_fields=True):
    """A status change; or ``agency`` (reassign); or ``assignee`` (a username of the agency's partners, or
    null for nobody); or only a ``note``."""

    version: int
    status: str | None = None
    note: str = ""
    reason: str | None = None
    agency: str | None = None
    assignee: str | None | msgspec.UnsetType = msgspec.UNSET


class Routing(msgspec.Struct):
    operation_id: int
    routing: dict[str, str]


class RoutingIn(msgspec.Struct):
    routing: dict[str, str]


def _fields(v: FollowupView) -> dict:
    f = v.followup
    return {"id": f.id, "operation_id": f.operation_id, "category": f.category, "category_label": label(f.category),
                "priority": f.priority, "status": f.status, "version": f.version, "description": f.description,
                "agency": v.agency_code, "agency_name": v.agency_name, "raised_at": f.raised_at, "due_at": f.due_at,
                "overdue": v.overdue, "updated_at": f.updated_at, "place": v.place, "street_id": f.street_id,
                "household_id": f.household_id, "lat": v.lat, "lon": v.lon, "resident_consent": f.resident_consent,
                "allowed": v.allowed, "assignee": v.assignee, "assignee_name": v.assignee_name,
                "postcode": v.postcode}


def followup_out(v: FollowupView) -> FollowupOut:
    return FollowupOut(**_fields(v))


def followup_detail(v: FollowupView) -> FollowupDetail:
    return FollowupDetail(**_fields(v), events=[EventOut(**e) for e in v.events],
                          resident=ResidentOut(**v.resident) if v.resident else None)
