"""The durable outbox: rows in ``notification`` that the worker sends and retries.

Enqueueing happens in the same transaction as the change it reports, so a notification
exists if and only if its change was committed. Rows carry everything needed to send them
(target, subject, body), so a restart loses nothing and a retry sends the same bytes.

Residents' details never go into a notification. An e-mail crosses mail servers nobody here
runs and sits in inboxes, so it carries no text a person wrote (the description may hold a
resident's words) and no exact address: only the category, priority, due date, operation and a
link to the follow-up in the partner inbox, where the partner signs in to read the rest. The
webhook goes to the agency's own system over https, signed (worker.py), and carries what the
Open311 view shows: description and place, never the resident's name or contacts.
"""

from __future__ import annotations

import json
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared_schemas.codes import FOLLOWUP_CATEGORY_LABELS, PRIORITY_LABELS

_LABELS = json.dumps({**{str(k): v for k, v in FOLLOWUP_CATEGORY_LABELS.items()},
                      **{f"priority:{k}": v for k, v in PRIORITY_LABELS.items()}})

_HEADLINES = {
    "followup.created": "New follow-up",
    "followup.assigned": "Follow-up reassigned to you",
}

_ENQUEUE = text("""
WITH f AS (
    SELECT f.id, f.operation_id, o.name AS operation_name, f.category, f.priority, f.status, f.version,
           f.description, f.due_at, f.raised_at, f.agency_id,
           a.code AS agency_code, a.name AS agency_name, a.email, a.webhook_url,
           coalesce(h.address, s.name, '') AS place,
           ST_Y(coalesce(h.geom, ST_ClosestPoint(s.geom, ST_Centroid(s.geom)))) AS lat,
           ST_X(coalesce(h.geom, ST_ClosestPoint(s.geom, ST_Centroid(s.geom)))) AS lon,
           (CAST(:labels AS jsonb) ->> f.category) AS category_label,
           (CAST(:labels AS jsonb) ->> ('priority:' || f.priority)) AS priority_label
      FROM followup AS f
      JOIN operation AS o ON o.id = f.operation_id
      JOIN agency AS a ON a.id = f.agency_id
      LEFT JOIN household AS h ON h.id = f.household_id
      LEFT JOIN street AS s ON s.id = coalesce(f.street_id, h.street_id)
     WHERE f.id = ANY(:ids)
),
msg AS (
    SELECT f.*,
           CAST(:headline AS text) || ': ' || coalesce(f.category_label, f.category) || ' (' ||
               coalesce(f.priority_label, f.priority) || ')' AS subject,
           CAST(:public_url AS text) || '/partner/followups/' || f.id AS link
      FROM f
)
INSERT INTO notification (channel, agency_id, followup_id, target, subject, body)
SELECT 'email', m.agency_id, m.id, m.email, '[Doorstep] ' || m.subject,
       m.subject || E'\n\n' ||
       'Agency: ' || m.agency_name || E'\n' ||
       'Category: ' || coalesce(m.category_label, m.category) || E'\n' ||
       'Priority: ' || coalesce(m.priority_label, m.priority) || E'\n' ||
       'Due: ' || coalesce(to_char(m.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'), 'not set') || E'\n' ||
       'Operation: ' || m.operation_name || E'\n\n' ||
       'Sign in to the partner inbox to read it: ' || m.link || E'\n'
  FROM msg AS m
 WHERE m.email IS NOT NULL AND m.email <> ''
UNION ALL
SELECT 'webhook', m.agency_id, m.id, m.webhook_url, m.subject,
       jsonb_build_object(
           'event', CAST(:event AS text),
           'service_request_id', m.id::text,
           'service_code', m.category,
           'service_name', coalesce(m.category_label, m.category),
           'priority', m.priority,
           'status', m.status,
           'version', m.version,
           'operation_id', m.operation_id,
           'agency_responsible', m.agency_code,
           'description', m.description,
           'address', m.place,
           'lat', m.lat,
           'long', m.lon,
           'requested_datetime', to_char(m.raised_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           'expected_datetime', to_char(m.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           'url', m.link)::text
  FROM msg AS m
 WHERE m.webhook_url IS NOT NULL AND m.webhook_url <> ''
""")


async def enqueue_followup_notifications(
    session: AsyncSession, followup_ids: list[uuid.UUID], *, public_url: str, event: str = "followup.created",
) -> None:
    """Add an e-mail row (agency has an address) and a webhook row (agency has a URL) per follow-up.

    Follow-ups without an agency get none. Runs in the caller's transaction. `public_url` is the
    deployment's address (DOORSTEP_PUBLIC_URL) that links point at.
    """
    if not followup_ids:
        return
    await session.execute(_ENQUEUE, {
        "ids": list(followup_ids), "labels": _LABELS, "event": event,
        "headline": _HEADLINES.get(event, "Follow-up update"),
        "public_url": public_url.rstrip("/"),
    })
