"""How residents answered each question, for the coordinators: each door's latest answered visit, counted
per question and per answer, for the operation or one street, over a date range if given.

Only questions with a fixed set of answers are counted (yes/no, single and multiple choice, the 1–5
scale): a free-text or number answer never leaves the database here, so no resident's words reach the
page. Counts are of doors (households), not visits.
"""

from __future__ import annotations

import collections
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.questionnaires.repository import published_version
from shared_schemas.questionnaire import QuestionnaireError, QuestionType

from .period import Period

COUNTED = (QuestionType.YES_NO, QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE, QuestionType.SCALE_1_5)

_SQL = text("""
WITH latest AS (          -- each door's latest answered visit in the range
    SELECT DISTINCT ON (v.household_id) v.household_id, v.answers
    FROM visit v JOIN household h ON h.id = v.household_id
    WHERE v.operation_id = :op AND v.outcome IN ('answered', 'answered_online') AND v.superseded_by IS NULL
      AND v.visited_at >= :start AND v.visited_at < :end
      AND (CAST(:street AS integer) IS NULL OR h.street_id = :street)
    ORDER BY v.household_id, v.visited_at DESC, v.id DESC
), given AS (
    SELECT l.household_id, a.key AS question, a.value
    FROM latest l CROSS JOIN LATERAL jsonb_each(l.answers) AS a
    WHERE a.key = ANY(CAST(:questions AS text[]))
)
SELECT question, NULL AS answer, count(*) AS n FROM given GROUP BY question      -- doors that answered it
UNION ALL
SELECT question, value #>> '{}', count(*) FROM given
 WHERE jsonb_typeof(value) IN ('string', 'number', 'boolean') GROUP BY 1, 2
UNION ALL
SELECT question, e.value, count(*) FROM given CROSS JOIN LATERAL jsonb_array_elements_text(value) AS e(value)
 WHERE jsonb_typeof(given.value) = 'array' GROUP BY 1, 2
UNION ALL
SELECT '', NULL, count(*) FROM latest                                            -- doors that answered at all
""")


class AnswerCount(msgspec.Struct):
    value: str  # the stored answer: an option's value, "true"/"false", or "1".."5"
    label: str
    count: int


class QuestionSummary(msgspec.Struct):
    id: str
    text: str
    type: str
    answered: int  # doors that answered this question
    answers: list[AnswerCount]  # every possible answer, in the questionnaire's order, with its count


class AnswerSummary(msgspec.Struct):
    operation_id: int
    street_id: int | None
    answered: int  # doors with an answered visit in the range
    questions: list[QuestionSummary]


def _choices(q: Any) -> list[tuple[str, str]]:
    if q.type == QuestionType.YES_NO:
        return [("true", "Yes"), ("false", "No")]
    if q.type == QuestionType.SCALE_1_5:
        return [(str(v), f"{v}" + (f" ({q.low_label})" if v == 1 and q.low_label else "")
                 + (f" ({q.high_label})" if v == 5 and q.high_label else "")) for v in range(1, 6)]
    return [(o.value, o.label) for o in q.options]


async def answer_summary(session: AsyncSession, operation_id: int, questionnaire_id: str, *,
                         street_id: int | None = None, period: Period | None = None) -> AnswerSummary:
    try:
        questionnaire = await published_version(session, questionnaire_id)
    except QuestionnaireError:  # a definition that no longer loads: nothing to label the answers with
        questionnaire = None
    questions = [q for q in (questionnaire.questions if questionnaire else []) if q.type in COUNTED]
    start, end = (period or Period()).bounds()
    counts: dict[str, dict[str | None, int]] = collections.defaultdict(dict)
    for question, answer, n in (await session.execute(_SQL, {
            "op": operation_id, "start": start, "end": end, "street": street_id,
            "questions": [q.id for q in questions]})).all():
        counts[question][answer] = n
    out = []
    for q in questions:
        got = counts.get(q.id, {})
        out.append(QuestionSummary(id=q.id, text=q.text, type=str(q.type), answered=got.get(None, 0), answers=[
            AnswerCount(value, label, got.get(value, 0)) for value, label in _choices(q)]))
    return AnswerSummary(operation_id=operation_id, street_id=street_id, answered=counts[""].get(None, 0),
                         questions=out)
