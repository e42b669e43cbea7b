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

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

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


_REQUESTS = text("""
SELECT f.id, f.category, f.status, f.description, f.raised_at, f.updated_at, f.due_at,
       a.code AS agency_code, a.name AS agency_name,
       coalesce(h.address, s.name) AS address, h.ref AS address_id, h.postcode,
       ST_Y(coalesce(h.geom, ST_ClosestPoint(s.geom, ST_Centroid(s.geom)))) AS lat,
       ST_X(coalesce(h.geom, ST_ClosestPoint(s.geom, ST_Centroid(s.geom)))) AS lon,
       (SELECT e.note FROM followup_event e WHERE e.followup_id = f.id ORDER BY e.id DESC LIMIT 1) AS note
  FROM followup AS f
  JOIN agency AS a ON a.id = f.agency_id
  LEFT JOIN household AS h ON h.id = f.household_id
  LEFT JOIN street AS s ON s.id = coalesce(f.street_id, h.street_id)
 WHERE f.agency_id = :agency_id
   AND (CAST(:ids AS uuid[]) IS NULL OR f.id = ANY(CAST(:ids AS uuid[])))
   AND (CAST(:codes AS text[]) IS NULL OR f.category = ANY(CAST(:codes AS text[])))
   AND (CAST(:statuses AS text[]) IS NULL OR f.status = ANY(CAST(:statuses AS text[])))
   AND (CAST(:start AS timestamptz) IS NULL OR f.raised_at >= CAST(:start AS timestamptz))
   AND (CAST(:end AS timestamptz) IS NULL OR f.raised_at <= CAST(:end AS timestamptz))
 ORDER BY f.raised_at DESC, f.id DESC
 LIMIT :limit
""")


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
    params: dict[str, Any] = {"agency_id": agency_id, "ids": None, "codes": None, "statuses": None,
                              "start": None, "end": None, "limit": MAX_RESULTS}
    if ids:  # service_request_id overrides every other filter (the spec says so)
        try:
            params["ids"] = [str(uuid.UUID(i)) for i in ids]
        except ValueError:
            return []
    else:
        codes = _split(q.service_code)
        known = {c.value for c in FollowupCategory}
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise Open311Error(400, f"unknown service_code {', '.join(unknown)}; see services.json")
        params["codes"] = codes or None
        statuses = _split(q.status)
        if any(s not in ("open", "closed") for s in statuses):
            raise Open311Error(400, "status must be open or closed (comma separated)")
        if statuses and len(set(statuses)) == 1:
            params["statuses"] = list(CLOSED) if statuses[0] == "closed" else [
                "open", "acknowledged", "in_progress"]
        start, end = parse_datetime("start_date", q.start_date), parse_datetime("end_date", q.end_date)
        if start is None and end is None:
            start = dt.datetime.now(dt.UTC) - DEFAULT_WINDOW
        params["start"], params["end"] = start, end
    rows = (await session.execute(_REQUESTS, params)).all()
    return [_request(r) for r in rows]


async def service_request(session: AsyncSession, agency_id: int, request_id: str) -> dict[str, Any]:
    try:
        rid = str(uuid.UUID(request_id))
    except ValueError:
        raise Open311Error(404, f"no service request {request_id}") from None
    rows = (await session.execute(_REQUESTS, {"agency_id": agency_id, "ids": [rid], "codes": None,
                                              "statuses": None, "start": None, "end": None, "limit": 1})).all()
    if not rows:
        raise Open311Error(404, f"no service request {request_id}")
    return _request(rows[0])
