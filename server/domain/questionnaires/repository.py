"""Published questionnaire versions: the one place the server reads and publishes them.

A published version never changes (a trigger refuses updates; a change is a new version), so
a process keeps every definition it has read, loaded once, in one cache shared by the push,
the offline pack and the street results.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Text, cast, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import QuestionnaireVersion
from shared_schemas.questionnaire import Questionnaire, QuestionnaireError, load_questionnaire

_LOADED: dict[str, Questionnaire] = {}


async def published_versions(session: AsyncSession, ids: Iterable[str]) -> dict[str, Questionnaire]:
    """The published versions among ``ids``, by id; ids with no version are left out.

    Read leniently (``strict=False``): a definition written by a newer server still loads.
    """
    wanted = set(ids)
    missing = sorted(qid for qid in wanted if qid not in _LOADED)
    if missing:
        rows = await session.execute(select(QuestionnaireVersion.id, cast(QuestionnaireVersion.definition, Text))
                                     .where(QuestionnaireVersion.id.in_(missing)))
        for qid, definition in rows.all():
            _LOADED[qid] = load_questionnaire(definition.encode(), strict=False)
    return {qid: _LOADED[qid] for qid in wanted if qid in _LOADED}


async def published_version(session: AsyncSession, questionnaire_id: str) -> Questionnaire | None:
    """One published version, or None when there is none of that id."""
    return (await published_versions(session, [questionnaire_id])).get(questionnaire_id)


async def published_ids(session: AsyncSession) -> list[str]:
    """The ids of every published version, in order."""
    return list((await session.execute(select(QuestionnaireVersion.id).order_by(QuestionnaireVersion.id))).scalars())


async def publish(session: AsyncSession, path: Path) -> str:
    """Publish the definition in a JSON file (checked strictly first); an id already published is
    left as it is. Returns the id."""
    loaded = load_questionnaire(path)
    await session.execute(pg_insert(QuestionnaireVersion).values(
        id=loaded.id, version=loaded.version, title=loaded.title, definition=json.loads(path.read_text()),
    ).on_conflict_do_nothing(index_elements=["id"]))
    return loaded.id


@dataclass(frozen=True)
class Published:
    id: str
    version: int
    #: False when the very same definition was already published (nothing new was made).
    created: bool
    #: When the version asked for was taken by another definition: the one it was asked as.
    asked_for: str | None = None


def base_id(questionnaire_id: str) -> str:
    """The questionnaire's id without its version: ``streetsafe-community-v3`` -> ``streetsafe-community``."""
    return re.sub(r"-v\d+$", "", questionnaire_id)


async def publish_new_version(session: AsyncSession, definition: dict[str, Any]) -> Published:
    """Publish a checked definition as a new immutable version.

    The same definition published again makes nothing new (it says which version it is). Another
    definition under an id already taken becomes the next version of that questionnaire
    (``…-v4`` after ``…-v3``): published versions never change, and stored answers are always
    read against the one they were given to.
    """
    base = base_id(definition["id"])
    # One import at a time per questionnaire, so two uploads cannot take the same next version.
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"questionnaire:{base}"})
    existing = {row[0]: row[1] for row in (await session.execute(
        select(QuestionnaireVersion.id, QuestionnaireVersion.definition)
        .where(QuestionnaireVersion.id.op("~")(f"^{re.escape(base)}(-v[0-9]+)?$")))).all()}
    for qid, stored in existing.items():
        if _same_definition(stored, definition):
            return Published(qid, int(stored["version"]), created=False)
    asked_for = None
    if definition["id"] in existing:
        asked_for = definition["id"]
        newest = max((int(stored["version"]) for stored in existing.values()), default=0)
        version = max(newest, int(definition["version"])) + 1
        definition = dict(definition, id=f"{base}-v{version}", version=version)
    questionnaire = load_questionnaire(definition)
    await session.execute(pg_insert(QuestionnaireVersion).values(
        id=questionnaire.id, version=questionnaire.version, title=questionnaire.title, definition=definition))
    return Published(questionnaire.id, questionnaire.version, created=True, asked_for=asked_for)


def _same_definition(stored: dict[str, Any], new: dict[str, Any]) -> bool:
    """Equal as definitions (defaults filled in), whatever the id and version they were given."""
    import msgspec

    try:
        old = load_questionnaire(stored, strict=False)
    except QuestionnaireError:  # a stored definition this version cannot read is not the same
        return False
    fresh = load_questionnaire(new, strict=False)
    return old == msgspec.structs.replace(fresh, id=old.id, version=old.version)


async def published_summaries(session: AsyncSession) -> list[dict[str, Any]]:
    """Every published version (newest first within a questionnaire): id, version, title, languages,
    when, and how many operations use it."""
    from server.db.models import Operation

    used = dict((await session.execute(select(Operation.questionnaire_id, func.count())
                                       .group_by(Operation.questionnaire_id))).all())
    rows = (await session.execute(select(QuestionnaireVersion.id, QuestionnaireVersion.version,
                                         QuestionnaireVersion.title, QuestionnaireVersion.published_at)
                                  .order_by(QuestionnaireVersion.id))).all()
    out: list[dict[str, Any]] = []
    for qid, version, title, published_at in rows:
        try:
            questionnaire = await published_version(session, qid)
        except QuestionnaireError:  # stored by a version that read it differently: listed, not described
            questionnaire = None
        languages = [{"code": language.code, "name": language.name, "demonstration": language.demonstration}
                     for language in (questionnaire.languages if questionnaire else [])]
        out.append({"id": qid, "version": version, "title": title, "published_at": published_at,
                    "languages": languages or [{"code": questionnaire.default_language if questionnaire else "en",
                                                "name": "", "demonstration": False}],
                    "questions": len(questionnaire.questions) if questionnaire else 0,
                    "operations": used.get(qid, 0)})
    out.sort(key=lambda item: (base_id(item["id"]), -item["version"]))
    return out
