"""The shapes of the open-data API (publishing, what happens next)."""

from __future__ import annotations

import datetime as dt

import msgspec

MAX_PRIORITIES = 3
MAX_PRIORITY_LENGTH = 200
MAX_CONTACT_LENGTH = 300


class PublicLinks(msgspec.Struct):
    page: str  # the open-data page
    csv: str
    geojson: str
    datapackage: str
    report: str  # "you said, we did" (HTML)
    report_pdf: str
    ogc_collection: str  # the OGC API – Features collection


class Publication(msgspec.Struct):
    operation_id: int
    published: bool
    published_at: dt.datetime | None
    published_by: str | None  # the coordinator's display name (coordinators only see this)
    links: PublicLinks  # public once published; before that, coordinators preview the page and report


class NextSteps(msgspec.Struct, forbid_unknown_fields=True):
    """What happens next, as the report says it: up to three priorities and who to contact.

    Checked in the service (publication.check_next_steps) with messages that say what to fix."""

    priorities: list[str] = []
    contact: str | None = None
