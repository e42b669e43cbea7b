"""What retention removes, in one transaction, and the audit log entry that says so.

A follow-up closed (resolved or declined) more than ``DOORSTEP_RETENTION_FOLLOWUP_DAYS`` ago loses its
resident's details (the ``followup_resident`` row), its description, the notes of its history and its
photos (the references, and each photo no other record refers to, file and row). A visit older than
``DOORSTEP_RETENTION_VISIT_TEXT_DAYS`` loses its notes, as a fix its notes. Counts, outcomes,
categories and places stay, so every aggregate (street results, open data) reads the same after.
The close time is the follow-up's last change (``updated_at``: a closed follow-up changes no more).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, Result, text
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.photos.storage import PhotoStore, photo_key
from server.settings import Settings

_OLD_CLOSED = text("""
SELECT f.id FROM followup AS f
 WHERE f.status IN ('resolved', 'declined') AND f.updated_at < :cutoff
   AND (f.description <> '' OR EXISTS (SELECT 1 FROM followup_resident r WHERE r.followup_id = f.id)
        OR EXISTS (SELECT 1 FROM record_photo p WHERE p.record_id = f.id)
        OR EXISTS (SELECT 1 FROM followup_event e WHERE e.followup_id = f.id AND e.note <> ''))
""")


@dataclass
class RetentionReport:
    followups: list[str] = field(default_factory=list)
    residents: int = 0
    photos: int = 0
    visit_notes: int = 0
    fix_notes: int = 0

    def summary(self) -> str:
        return (f"{len(self.followups)} closed follow-up(s) cleared ({self.residents} resident's details, "
                f"{self.photos} photo(s)); notes removed from {self.visit_notes} visit(s) and {self.fix_notes} fix(es)")



def _rows(result: Result[Any]) -> int:
    """How many rows a DELETE or UPDATE touched (its result is a cursor's)."""
    return cast("CursorResult[Any]", result).rowcount or 0

async def run_retention(session: AsyncSession, settings: Settings, store: PhotoStore,
                        now: dt.datetime | None = None) -> RetentionReport:
    """Remove what is past its time (see the module's docstring); the caller commits."""
    now = now or dt.datetime.now(dt.UTC)
    report = RetentionReport()
    ids = [row[0] for row in (await session.execute(
        _OLD_CLOSED, {"cutoff": now - dt.timedelta(days=settings.retention_followup_days)})).all()]
    if ids:
        report.followups = [str(i) for i in ids]
        report.residents = _rows(await session.execute(
            text("DELETE FROM followup_resident WHERE followup_id = ANY(:ids)"), {"ids": ids}))
        await session.execute(text("UPDATE followup SET description = '' WHERE id = ANY(:ids)"), {"ids": ids})
        await session.execute(text("UPDATE followup_event SET note = '' WHERE followup_id = ANY(:ids) AND note <> ''"),
                              {"ids": ids})
        hashes = {row[0] for row in (await session.execute(
            text("DELETE FROM record_photo WHERE record_id = ANY(:ids) RETURNING sha256"), {"ids": ids})).all()}
        orphans = [row[0] for row in (await session.execute(text(
            "DELETE FROM photo WHERE sha256 = ANY(:h) AND NOT EXISTS "
            "(SELECT 1 FROM record_photo p WHERE p.sha256 = photo.sha256) RETURNING sha256"),
            {"h": sorted(hashes)})).all()] if hashes else []
        for sha256 in orphans:  # the rows go with the transaction; a file left by a failure is unreachable
            await asyncio.to_thread(store.delete, photo_key(sha256))
        report.photos = len(orphans)
    visit_cutoff = now - dt.timedelta(days=settings.retention_visit_text_days)
    report.visit_notes = _rows(await session.execute(
        text("UPDATE visit SET notes = '' WHERE visited_at < :cutoff AND notes <> ''"),
        {"cutoff": visit_cutoff}))
    report.fix_notes = _rows(await session.execute(
        text("UPDATE fix SET notes = '' WHERE done_at < :cutoff AND notes <> ''"),
        {"cutoff": visit_cutoff}))
    await session.execute(text(
        "INSERT INTO audit_log (action, entity_type, entity_id, detail) "
        "VALUES ('retention.remove', 'retention', :at, CAST(:detail AS jsonb))"),
        {"at": now.isoformat(), "detail": json.dumps({
            "followups": report.followups, "residents": report.residents, "photos": report.photos,
            "visit_notes": report.visit_notes, "fix_notes": report.fix_notes,
            "followup_days": settings.retention_followup_days,
            "visit_text_days": settings.retention_visit_text_days})})
    return report
