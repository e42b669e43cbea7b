"""Published questionnaire versions: the one place the server reads and publishes them.

A published version never changes (a trigger refuses updates; a change is a new version), so
a process keeps every definition it has read, loaded once, in one cache shared by the push,
the offline pack and the street results.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Text, cast, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import QuestionnaireVersion
from shared_schemas.questionnaire import Questionnaire, load_questionnaire

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
