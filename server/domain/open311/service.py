"""Open311 GeoReport v2 (read side) over follow-ups: services are follow-up categories, service
requests are the follow-ups routed to the key's agency. Never residents' details.

Status: ``open`` while a follow-up is open, acknowledged or in progress; ``closed`` once it is
resolved or declined. ``status_notes`` is the note of the latest change; ``expected_datetime``
is the due date.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Agency, Followup, FollowupEvent, Household
from server.domain.followups.service import PLACE_NAME, PLACE_POINT, with_place
from server.domain.operations.access import agency_sees_followup
from shared_schemas.codes import FOLLOWUP_CATEGORY_LABELS, FollowupCategory

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
MAX_RESULTS = 1000
DEFAULT_WINDOW = dt.timedelta(days=90)
CLOSED = ("resolved", "declined")

DESCRIPTIONS = {
    FollowupCategory.FLY_TIPPING: "Rubbish dumped on a street, alley or open land",
    FollowupCategory.GRAFFITI: "Graffiti on walls, street furniture or buildings",
    FollowupCategory.STREET_LIGHTING: "A street light that is out, flickering or damaged",
    FollowupCategory.ABANDONED_VEHICLE: "A vehicle that appears abandoned",
    FollowupCategory.HOUSING_DISREPAIR: "Repairs needed in a rented home",
    FollowupCategory.HOME_FIRE_SAFETY_VISIT: "A resident would like a home fire safety visit",
    FollowupCategory.ANTI_SOCIAL_BEHAVIOUR: "Anti-social behaviour reported by residents",
    FollowupCategory.DRUGS: "Drug dealing or use reported by residents",
    FollowupCategory.SAFEGUARDING: "A safeguarding concern for a resident",
    FollowupCategory.OTHER: "Anything else raised for a partner agency",
}


class Open311Error(Exception):
    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


def iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def parse_datetime(name: str, value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace(" ", "+"))
    except ValueError as exc:
        raise Open311Error(400, f"{name} must be a W3C date-time such as 2010-01-01T00:00:00Z") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def services() -> list[dict[str, Any]]:
    return [{"service_code": c.value, "service_name": FOLLOWUP_CATEGORY_LABELS[c], "description": DESCRIPTIONS[c],
             "metadata": False, "type": "realtime", "keywords": "", "group": "Doorstep follow-ups"}
            for c in FollowupCategory]


def discovery(base_url: str) -> dict[str, Any]:
    return {"changeset": "2026-01-01T00:00:00Z", "contact": "Ask your Doorstep coordinator for an API key.",
            "key_service": "An administrator issues one key per agency (POST /api/v1/agencies/{code}/open311-key).",
            "endpoints": [{"specification": SPEC_URL, "url": base_url, "changeset": "2026-01-01T00:00:00Z",
                           "type": "production", "formats": ["application/json"]}]}


_latest_note = (select(FollowupEvent.note).where(FollowupEvent.followup_id == Followup.id)
                .order_by(FollowupEvent.id.desc()).limit(1).scalar_subquery())


def _requests(agency_id: int) -> Select:
    """The agency's follow-ups as Open311 rows (access: ``agency_sees_followup``), newest first."""
    return with_place(
        select(Followup.id, Followup.category, Followup.status, Followup.description, Followup.raised_at,
               Followup.updated_at, Followup.due_at, Agency.code.label("agency_code"),
               Agency.name.label("agency_name"), PLACE_NAME.label("address"),
               Household.ref.label("address_id"), Household.postcode,
               func.ST_Y(PLACE_POINT).label("lat"), func.ST_X(PLACE_POINT).label("lon"), _latest_note.label("note"))
        .join(Agency, Agency.id == Followup.agency_id)
    ).where(agency_sees_followup(agency_id)).order_by(Followup.raised_at.desc(), Followup.id.desc())


@dataclass(frozen=True)
class Query:
    service_request_id: str | None = None
    service_code: str | None = None
    status: str | None = None
    start_date: str | None = None
    end_date: str | None = None


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _request(row: Any) -> dict[str, Any]:
    closed = row.status in CLOSED
    return {
        "service_request_id": str(row.id),
        "status": "closed" if closed else "open",
        "status_notes": row.note or "",
        "service_name": FOLLOWUP_CATEGORY_LABELS.get(row.category, row.category),
        "service_code": row.category,
        "description": row.description,
        "agency_responsible": row.agency_name,
        "service_notice": "",
        "requested_datetime": iso(row.raised_at),
        "updated_datetime": iso(row.updated_at),
        "expected_datetime": iso(row.due_at),
        "address": row.address or "",
        "address_id": row.address_id or "",
        "zipcode": row.postcode or "",
        "lat": row.lat,
        "long": row.lon,
        "media_url": "",
    }


async def service_requests(session: AsyncSession, agency_id: int, q: Query) -> list[dict[str, Any]]:
    ids = _split(q.service_request_id)
    query = _requests(agency_id).limit(MAX_RESULTS)
    if ids:  # service_request_id overrides every other filter (the spec says so)
        try:
            query = query.where(Followup.id.in_([uuid.UUID(i) for i in ids]))
        except ValueError:
            return []
    else:
        codes = _split(q.service_code)
        known = {c.value for c in FollowupCategory}
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise Open311Error(400, f"unknown service_code {', '.join(unknown)}; see services.json")
        if codes:
            query = query.where(Followup.category.in_(codes))
        statuses = _split(q.status)
        if any(s not in ("open", "closed") for s in statuses):
            raise Open311Error(400, "status must be open or closed (comma separated)")
        if statuses and len(set(statuses)) == 1:
            closed = Followup.status.in_(CLOSED)
            query = query.where(closed if statuses[0] == "closed" else ~closed)
        start, end = parse_datetime("start_date", q.start_date), parse_datetime("end_date", q.end_date)
        if start is None and end is None:
            start = dt.datetime.now(dt.UTC) - DEFAULT_WINDOW
        if start is not None:
            query = query.where(Followup.raised_at >= start)
        if end is not None:
            query = query.where(Followup.raised_at <= end)
    return [_request(r) for r in (await session.execute(query)).all()]


async def service_request(session: AsyncSession, agency_id: int, request_id: str) -> dict[str, Any]:
    try:
        rid = uuid.UUID(request_id)
    except ValueError:
        raise Open311Error(404, f"no service request {request_id}") from None
    row = (await session.execute(_requests(agency_id).where(Followup.id == rid))).first()
    if row is None:
        raise Open311Error(404, f"no service request {request_id}")
    return _request(row)
