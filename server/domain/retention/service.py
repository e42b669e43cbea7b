"""What retention removes, and one run of it (the nightly worker's and ``doorstep retention run``'s).

A follow-up closed (resolved or declined) more than ``DOORSTEP_RETENTION_FOLLOWUP_DAYS`` ago loses its
resident's details (the ``followup_resident`` row: name, phone, e-mail, how to contact them), its
description, the notes of its history, the description its webhook deliveries carried, and its
photos. A visit older than ``DOORSTEP_RETENTION_VISIT_TEXT_DAYS`` loses its notes and its answers to
the questionnaire's text questions; a fix older than that its notes and its photos. Street-level
follow-ups and fixes are follow-ups and fixes like the others. A photo goes (its row, then its
stored object) only when no record still kept refers to it; a photo no record has referred to for
``DOORSTEP_RETENTION_FOLLOWUP_DAYS`` (it arrived after its record was cleared) goes too.

Counts, outcomes, categories, statuses, places and answers with a fixed set of values stay, so every
aggregate (street results, answer counts, open data) reads the same after. The close time is the
follow-up's last change (``updated_at``: a closed follow-up changes no more). The audit log gets one
``retention.remove`` entry per run with the counts and the cut-off times, never what was removed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Result, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.db.engine import transaction
from server.db.models import QuestionnaireVersion
from server.domain.followups.service import FINAL
from server.domain.photos.service import lock_photo
from server.domain.photos.storage import PhotoStore, photo_key
from server.domain.questionnaires.repository import published_ids, published_versions
from server.lib.audit import audit_by_server
from server.lib.daily import DailyJob, JobBusy
from server.settings import Settings
from shared_schemas.questionnaire import QuestionnaireError, QuestionType

JOB = "retention"  # its row in scheduled_job (migration 0023)

_OLD_CLOSED = text("""
SELECT f.id FROM followup AS f
 WHERE f.status = ANY(:final) AND f.updated_at < :cutoff
   AND (f.description <> '' OR EXISTS (SELECT 1 FROM followup_resident r WHERE r.followup_id = f.id)
        OR EXISTS (SELECT 1 FROM record_photo p WHERE p.record_id = f.id)
        OR EXISTS (SELECT 1 FROM followup_event e WHERE e.followup_id = f.id AND e.note <> '')
        OR EXISTS (SELECT 1 FROM notification n WHERE n.followup_id = f.id AND n.channel = 'webhook'
                                                  AND n.body::jsonb ->> 'description' <> ''))
""")

# Photo rows nobody refers to any more, among those just let go and those left unreferenced too long;
# they move to the removal queue in the same statement (their objects go after the commit).
_PHOTOS_LET_GO = text("""
WITH gone AS (
    DELETE FROM photo AS p
     WHERE (p.sha256 = ANY(:released) OR p.received_at < :stray_cutoff)
       AND NOT EXISTS (SELECT 1 FROM record_photo AS r WHERE r.sha256 = p.sha256)
    RETURNING p.sha256)
INSERT INTO photo_removal (sha256) SELECT sha256 FROM gone ON CONFLICT (sha256) DO NOTHING
""")


@dataclass
class RetentionReport:
    followups: int = 0  # closed follow-ups cleared
    residents: int = 0  # residents' details removed
    followup_notes: int = 0  # notes of follow-ups' histories
    webhook_bodies: int = 0  # webhook deliveries' descriptions
    photos: int = 0  # photos taken out of the database (their objects queued for removal)
    visit_notes: int = 0
    visit_answers: int = 0  # visits whose text answers went
    fix_notes: int = 0
    fix_photo_refs: int = 0
    photo_objects: int = 0  # stored objects deleted after the commit

    def summary(self) -> str:
        return (f"{self.followups} closed follow-up(s) cleared ({self.residents} resident's details, "
                f"{self.followup_notes} history note(s)); notes removed from {self.visit_notes} visit(s), "
                f"text answers from {self.visit_answers}, notes from {self.fix_notes} fix(es); "
                f"{self.photos} photo(s) removed ({self.photo_objects} stored object(s) deleted)")


def _rows(result: Result[Any]) -> int:
    """How many rows a DELETE or UPDATE touched (its result is a cursor's)."""
    return cast("CursorResult[Any]", result).rowcount or 0


async def _text_questions(session: AsyncSession) -> dict[str, list[str]]:
    """Each published questionnaire version's text questions (ids), read by the shared engine's loader. A
    definition it cannot load (written by hand into the table, or by a newer server) is read as plain
    JSON instead: its answers still go, and one bad definition never stops the run."""
    found: dict[str, list[str]] = {}
    for qid in await published_ids(session):
        try:
            version = (await published_versions(session, [qid]))[qid]
            ids = [q.id for q in version.questions if q.type is QuestionType.TEXT]
        except QuestionnaireError:
            raw = (await session.execute(select(QuestionnaireVersion.definition)
                                         .where(QuestionnaireVersion.id == qid))).scalar_one()
            questions = raw.get("questions") if isinstance(raw, dict) else None
            ids = [q["id"] for q in questions or [] if isinstance(q, dict) and q.get("type") == QuestionType.TEXT.value
                   and isinstance(q.get("id"), str)] if isinstance(questions, list) else []
        if ids:
            found[qid] = ids
    return found


async def remove_expired(session: AsyncSession, settings: Settings, now: dt.datetime, *,
                         trigger: str) -> RetentionReport:
    """Remove what is past its time at ``now`` (see the module's docstring), in the caller's transaction,
    and audit it. Photos' stored objects wait in ``photo_removal`` (:func:`remove_queued_photos`)."""
    report = RetentionReport()
    followup_cutoff = now - dt.timedelta(days=settings.retention_followup_days)
    text_cutoff = now - dt.timedelta(days=settings.retention_visit_text_days)
    one = session.execute
    ids = [row[0] for row in (await one(_OLD_CLOSED, {"final": list(FINAL), "cutoff": followup_cutoff})).all()]
    released: set[str] = set()
    if ids:
        report.followups = len(ids)
        report.residents = _rows(await one(text("DELETE FROM followup_resident WHERE followup_id = ANY(:ids)"),
                                           {"ids": ids}))
        await one(text("UPDATE followup SET description = '' WHERE id = ANY(:ids) AND description <> ''"),
                  {"ids": ids})
        report.followup_notes = _rows(await one(text(
            "UPDATE followup_event SET note = '' WHERE followup_id = ANY(:ids) AND note <> ''"), {"ids": ids}))
        # A webhook delivery carried the description (the Open311 view; notifications/outbox.py).
        report.webhook_bodies = _rows(await one(text(
            "UPDATE notification SET body = jsonb_set(body::jsonb, '{description}', '\"\"')::text "
            "WHERE followup_id = ANY(:ids) AND channel = 'webhook' AND body::jsonb ->> 'description' <> ''"),
            {"ids": ids}))
        released |= {row[0] for row in (await one(text(
            "DELETE FROM record_photo WHERE record_id = ANY(:ids) AND record_type = 'followup' RETURNING sha256"),
            {"ids": ids})).all()}
    report.visit_notes = _rows(await one(text(
        "UPDATE visit SET notes = '' WHERE visited_at < :cutoff AND notes <> ''"), {"cutoff": text_cutoff}))
    text_questions = await _text_questions(session)
    if text_questions:
        report.visit_answers = _rows(await one(text("""
            UPDATE visit AS v SET answers = v.answers - q.ids
              FROM (SELECT key AS questionnaire_id, ARRAY(SELECT jsonb_array_elements_text(value)) AS ids
                      FROM jsonb_each(CAST(:questions AS jsonb))) AS q
             WHERE v.questionnaire_id = q.questionnaire_id AND v.visited_at < :cutoff AND v.answers ?| q.ids"""),
            {"questions": json.dumps(text_questions), "cutoff": text_cutoff}))
    report.fix_notes = _rows(await one(text(
        "UPDATE fix SET notes = '' WHERE done_at < :cutoff AND notes <> ''"), {"cutoff": text_cutoff}))
    fix_photos = {row[0] for row in (await one(text(
        "DELETE FROM record_photo AS r USING fix AS f WHERE r.record_id = f.id AND r.record_type = 'fix' "
        "AND f.done_at < :cutoff RETURNING r.sha256"), {"cutoff": text_cutoff})).all()}
    report.fix_photo_refs = len(fix_photos)
    released |= fix_photos
    report.photos = _rows(await one(_PHOTOS_LET_GO, {"released": sorted(released), "stray_cutoff": followup_cutoff}))
    await audit_by_server(session, "retention.remove", "retention", now.isoformat(), {
        **{k: v for k, v in asdict(report).items() if k != "photo_objects"},
        "trigger": trigger, "followups_closed_before": followup_cutoff.isoformat(),
        "text_before": text_cutoff.isoformat(), "followup_days": settings.retention_followup_days,
        "visit_text_days": settings.retention_visit_text_days})
    return report


async def remove_queued_photos(engine: AsyncEngine, store: PhotoStore) -> int:
    """Delete the stored object of each photo in ``photo_removal``, then its queue row; returns how many
    objects went. A photo uploaded again since it was queued keeps its object. Each photo is locked
    (``lock_photo``) while its object goes, so an upload of it waits rather than races; the object is
    deleted before the transaction writes anything, so the transaction has no id while the store
    (maybe S3, over the network) answers and holds back no tablet's pull."""
    async with transaction(engine) as session:
        queued = list((await session.execute(text(
            "SELECT sha256 FROM photo_removal ORDER BY queued_at, sha256"))).scalars())
    deleted = 0
    for sha256 in queued:
        async with transaction(engine) as session:
            await lock_photo(session, sha256)
            back = (await session.execute(text("SELECT 1 FROM photo WHERE sha256 = :sha256"),
                                          {"sha256": sha256})).first()
            if back is None:
                await asyncio.to_thread(store.delete, photo_key(sha256))
                deleted += 1
            await session.execute(text("DELETE FROM photo_removal WHERE sha256 = :sha256"), {"sha256": sha256})
    return deleted


async def run_retention(engine: AsyncEngine, settings: Settings, store: PhotoStore, now: dt.datetime, *,
                        force: bool = False, job_name: str = JOB) -> RetentionReport | None:
    """One run under the job's lease (server/lib/daily.py): if the day of ``now`` is due and not done
    (``force``: even if done, as the command does, which then leaves the nightly schedule as it was),
    remove what is past its time and mark the day done in one transaction, then delete the photos' objects.
    None when there was nothing due; JobBusy when ``force`` finds another process running it."""
    job = DailyJob(engine, job_name, settings.retention_at)
    claim = await job.claim(now, force=force)
    if claim is None:
        until = await job.busy_until() if force else None
        if until is not None:
            raise JobBusy(until)
        return None
    try:
        async with transaction(engine) as session:
            await job.mark_done(session, claim, day_done=not force)
            report = await remove_expired(session, settings, now, trigger="command" if force else "nightly")
        report.photo_objects = await remove_queued_photos(engine, store)
        return report
    finally:
        await asyncio.shield(job.release(claim))
