"""An operation's published results and the figures the pages and the report show, all under the
disclosure rule. The pages, the files, the OGC API and the report read them from here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Operation
from server.domain.results import services as results_services
from shared_schemas.codes import CONCERN_LABELS, FIX_CATEGORY_LABELS, Concern, FixCategory

from . import units
from .fields import CONCERNS, FIXES


async def results_for(session: AsyncSession, operation: Operation, *,
                      with_geometry: bool = False) -> units.PublicResults:
    """The operation's published units: the coordinators' street results query, then the rule; with
    the street lines only for what draws them (the lines cost more than the figures)."""
    rows = await results_services.street_results(session, operation.id, with_geometry=with_geometry,
                                                 questionnaire_id=operation.questionnaire_id)
    return units.build(operation.id, rows)


@dataclass(frozen=True)
class Line:
    """One published figure with its label (and its share, where one may be published)."""

    code: str
    label: str
    count: int | None  # None: suppressed
    pct: int | None = None


def order(line: Line) -> tuple:
    # Suppressed counts (1 to 7) sort between 0 and the published ones, in label order: ordering them
    # by their true size would tell what the suppression hides.
    return (-(line.count if line.count is not None else 1), line.label)


def concern_lines(values: dict[str, int | None], top: int | None = None) -> list[Line]:
    """Concerns raised (published count and share of households that answered), the most raised
    first; concerns nobody raised are left out."""
    lines = [Line(c, CONCERN_LABELS[Concern(c)], values[f"concern_{c}"], values[f"concern_{c}_pct"])
             for c in CONCERNS if values[f"concern_{c}"] != 0]
    lines.sort(key=order)
    return lines[:top] if top else lines


def fix_lines(values: dict[str, int | None]) -> list[Line]:
    lines = [Line(c, FIX_CATEGORY_LABELS[FixCategory(c)], values[f"fix_{c}"]) for c in FIXES
             if values[f"fix_{c}"] != 0]
    lines.sort(key=order)
    return lines


def long_day(day: dt.date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""
