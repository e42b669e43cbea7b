""""You said, we did": what residents said and what was done, for the operation or one published unit,
as a page and a printable PDF, under the disclosure rule like every public output.

- What residents said: the top concerns (the units' published counts) and the spread of the
  headline answers (each household's latest answers to the questionnaire's unconditional scale and
  single-choice questions, such as feeling safe after dark).
- What was done: fixes on the spot by category (the units' counts), follow-ups by agency and
  status (resolved first).
- What happens next: the coordinator's priorities (up to three) and the follow-ups still open.
- Who to contact: the coordinator's line, the agencies that took part, 999 and 101.

The PDF is the same template rendered by WeasyPrint with the map inline; the map is drawn by
matplotlib from our own street geometry as SVG (no tiles). Rendering runs in a worker thread and
its result is kept until the figures, the priorities or the publication change.
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import io
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Operation
from server.domain.questionnaires.repository import published_version
from server.domain.results.services import results_version
from server.lib.exceptions import NotFound
from shared_schemas.codes import FOLLOWUP_CATEGORY_LABELS, FOLLOWUP_STATUS_LABELS, FollowupStatus
from shared_schemas.questionnaire import QuestionnaireError

from . import disclosure, public, publication
from .schemas import NextSteps
from .units import PublicResults, Unit

#: Follow-up statuses as the report lists them: what was done first.
STATUS_ORDER = ("resolved", "in_progress", "acknowledged", "open", "declined")
STILL_OPEN = ("open", "acknowledged", "in_progress")
STATIC = Path(__file__).resolve().parents[2] / "web" / "static"
RAMP = ("#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494")  # the page's map colours (static/opendata/map.js)
NOT_PUBLISHED = "#b8bec6"


@dataclass(frozen=True)
class AnswerLine:
    label: str
    scale: str | None  # a scale point drawn as dots (no figure that could pass for a count)
    count: int | None
    pct: int | None


@dataclass(frozen=True)
class Headline:
    question: str
    lines: list[AnswerLine]
    answered: int | None  # households that answered this question, published


@dataclass(frozen=True)
class AgencyRow:
    agency: str
    counts: dict[str, int | None]  # STATUS_ORDER -> published count
    total: int | None


@dataclass
class Report:
    operation: Operation
    unit: Unit | None  # None: the whole operation
    values: dict[str, int | None]  # the unit's (or the operation's) published figures
    concerns: list[public.Line]
    headlines: list[Headline]
    fixes: list[public.Line]
    agencies: list[AgencyRow]
    agency_totals: dict[str, int | None]
    still_open: list[public.Line]
    next_steps: NextSteps
    taking_part: list[str]
    last_updated: dt.date | None
    preview: bool
    unit_streets: list[str] = field(default_factory=list)  # the street names of "Other streets"
    statuses: tuple[tuple[str, str], ...] = tuple((s, FOLLOWUP_STATUS_LABELS[FollowupStatus(s)]) for s in STATUS_ORDER)

    @property
    def title(self) -> str:
        return self.operation.name + (f": {self.unit.name}" if self.unit else "")


# ---------------------------------------------------------------- queries (keyed by operation)

_HEADLINE_SQL = text("""
WITH latest AS (          -- each household's latest answers
    SELECT DISTINCT ON (v.household_id) v.household_id, v.answers
    FROM visit v
    WHERE v.operation_id = :op AND v.outcome IN ('answered', 'answered_online') AND v.superseded_by IS NULL
    ORDER BY v.household_id, v.visited_at DESC, v.id DESC
)
SELECT a.key AS question, a.value #>> '{}' AS answer, count(*) AS n
FROM latest l
JOIN household h ON h.id = l.household_id
CROSS JOIN LATERAL jsonb_each(l.answers) AS a
WHERE a.key = ANY(CAST(:questions AS text[]))
  AND jsonb_typeof(a.value) IN ('number', 'string', 'boolean')
  AND (CAST(:keys AS integer[]) IS NULL OR coalesce(h.street_id, 0) = ANY(CAST(:keys AS integer[])))
GROUP BY 1, 2
""")

_FOLLOWUPS_SQL = text("""
SELECT coalesce(a.name, '') AS agency, f.category, f.status, count(*) AS n
FROM followup f LEFT JOIN agency a ON a.id = f.agency_id
WHERE f.operation_id = :op
  AND (CAST(:keys AS integer[]) IS NULL OR coalesce(f.street_id, 0) = ANY(CAST(:keys AS integer[])))
GROUP BY 1, 2, 3
""")

_TAKING_PART_SQL = text("""
SELECT a.name FROM team t JOIN team_member tm ON tm.team_id = t.id JOIN app_user u ON u.id = tm.user_id
JOIN agency a ON a.id = u.agency_id WHERE t.operation_id = :op
UNION
SELECT a.name FROM followup f JOIN agency a ON a.id = f.agency_id WHERE f.operation_id = :op
ORDER BY 1
""")


def _street_keys(unit: Unit | None) -> list[int] | None:
    """The street keys of a unit as the queries take them (0: doors on no street); None: all."""
    if unit is None:
        return None
    return [*unit.street_ids, *([0] if unit.includes_no_street else [])]


def _dots(value: int, top: int = 5) -> str:
    return "●" * value + "○" * (top - value)


async def _headlines(session: AsyncSession, operation: Operation, keys: list[int] | None) -> list[Headline]:
    try:
        questionnaire = await published_version(session, operation.questionnaire_id)
    except QuestionnaireError:
        questionnaire = None
    if questionnaire is None:
        return []
    # Headline questions: asked of everyone (no condition) and with a fixed set of answers.
    questions = [q for q in questionnaire.questions if q.show_if is None and q.type in ("scale_1_5", "single_choice")]
    if not questions:
        return []
    counts: dict[str, dict[str, int]] = collections.defaultdict(dict)
    for row in (await session.execute(_HEADLINE_SQL, {"op": operation.id, "questions": [q.id for q in questions],
                                                      "keys": keys})).all():
        counts[row.question][row.answer] = row.n
    out = []
    for q in questions:
        got = counts.get(q.id, {})
        base = sum(got.values())
        options: list[tuple[str, str, str | None]]
        if q.type == "scale_1_5":
            options = [(str(v), (q.low_label if v == 1 else q.high_label if v == 5 else ""), _dots(v))
                       for v in range(1, 6)]
        else:
            options = [(o.value, o.label, None) for o in q.options]
        lines = [AnswerLine(label, scale, disclosure.count(got.get(value, 0)), disclosure.rate(got.get(value, 0), base))
                 for value, label, scale in options]
        if base:  # a question nobody has answered yet says nothing
            out.append(Headline(q.text, lines, disclosure.count(base)))
    return out


async def _followups(session: AsyncSession, operation_id: int, keys: list[int] | None
                     ) -> tuple[list[AgencyRow], dict[str, int | None], list[public.Line]]:
    by_agency: dict[str, dict[str, int]] = collections.defaultdict(lambda: dict.fromkeys(STATUS_ORDER, 0))
    open_by_category: dict[str, int] = collections.defaultdict(int)
    for row in (await session.execute(_FOLLOWUPS_SQL, {"op": operation_id, "keys": keys})).all():
        agency = row.agency or "Not yet passed to an agency"
        by_agency[agency][row.status] = by_agency[agency].get(row.status, 0) + row.n
        if row.status in STILL_OPEN:
            open_by_category[row.category] += row.n
    rows = [AgencyRow(agency, {s: disclosure.count(n.get(s, 0)) for s in STATUS_ORDER},
                      disclosure.count(sum(n.values()))) for agency, n in sorted(by_agency.items())]
    totals = {s: disclosure.count(sum(n.get(s, 0) for n in by_agency.values())) for s in STATUS_ORDER}
    totals["all"] = disclosure.count(sum(sum(n.values()) for n in by_agency.values()))
    labels = {c.value: label for c, label in FOLLOWUP_CATEGORY_LABELS.items()}
    still = [public.Line(c, labels.get(c, c), disclosure.count(n)) for c, n in open_by_category.items()]
    still.sort(key=public.order)
    return rows, totals, still


async def build(session: AsyncSession, view: publication.Viewable, unit_id: int | None, *,
                with_geometry: bool = False) -> tuple[Report, PublicResults]:
    """The report, and the results it is made from (with the street lines for a map)."""
    operation = view.operation
    results = await public.results_for(session, operation, with_geometry=with_geometry)
    unit = None
    if unit_id is not None:
        unit = results.unit(unit_id)
        if unit is None:
            raise NotFound(f"There is no published street {unit_id} in this operation; streets with fewer than "
                           f"{disclosure.MIN_HOUSEHOLDS} households are in \"{disclosure.OTHER_UNIT_NAME}\".")
    keys = _street_keys(unit)
    values = unit.values if unit else results.totals
    agencies, agency_totals, still = await _followups(session, operation.id, keys)
    report = Report(
        operation=operation, unit=unit, values=values, concerns=public.concern_lines(values, top=5),
        headlines=await _headlines(session, operation, keys), fixes=public.fix_lines(values), agencies=agencies,
        agency_totals=agency_totals, still_open=still,
        next_steps=await publication.next_steps(session, operation),
        taking_part=list((await session.execute(_TAKING_PART_SQL, {"op": operation.id})).scalars()),
        last_updated=await publication.last_updated(session, operation.id), preview=view.preview,
        unit_streets=sorted(results.street_names[s] for s in unit.street_ids) if unit and unit.is_other else [])
    return report, results


async def version(session: AsyncSession, operation: Operation) -> str:
    """What the report of an operation depends on, for keeping a rendered copy."""
    steps = await publication.next_steps(session, operation)
    return "|".join([await results_version(session, operation.id), str(operation.published_at), *steps.priorities,
                     steps.contact or ""])


# ---------------------------------------------------------------- the map (matplotlib, SVG, no tiles)


def _lines(geometry: dict[str, Any] | None) -> list[list[list[float]]]:
    return list(geometry["coordinates"]) if geometry else []


def map_svg(results: PublicResults, highlight: int | None = None) -> str:
    """The operation's streets as an SVG map: coloured by the share of households that answered
    (the page's colours), or, for one unit's report, that unit dark and the rest light."""
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 4.4))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    every: list[list[list[float]]] = []
    background = _lines(results.withheld_geometry)
    if background:
        ax.add_collection(LineCollection(background, colors=NOT_PUBLISHED, linewidths=1.5))
        every += background
    for unit in results.units:
        lines = _lines(unit.geometry)
        every += lines
        if highlight is not None:
            colour, width = ("#253494", 4.0) if unit.unit_id == highlight else ("#c8cdd3", 2.0)
        else:
            pct = unit.values.get("answered_pct")
            colour = NOT_PUBLISHED if pct is None else RAMP[min(len(RAMP) - 1, pct // 20)]
            width = 3.0
        ax.add_collection(LineCollection(lines, colors=colour, linewidths=width, capstyle="round"))
    if every:
        xs = [p[0] for line in every for p in line]
        ys = [p[1] for line in every for p in line]
        pad_x, pad_y = (max(xs) - min(xs)) * 0.03 or 0.001, (max(ys) - min(ys)) * 0.03 or 0.001
        ax.set_xlim(min(xs) - pad_x, max(xs) + pad_x)
        ax.set_ylim(min(ys) - pad_y, max(ys) + pad_y)
        ax.set_aspect(1 / math.cos(math.radians((min(ys) + max(ys)) / 2)))  # metres east and north alike
    out = io.StringIO()
    fig.savefig(out, format="svg", transparent=True, metadata={"Date": None, "Creator": None})
    svg = out.getvalue()
    return svg[svg.index("<svg"):]


# ---------------------------------------------------------------- the PDF (WeasyPrint)


def data_url(svg: str) -> str:
    """The map for the PDF: as an image, whose SVG styles WeasyPrint applies (inline SVG's it ignores)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def render_pdf(html: str) -> bytes:
    """The report as a PDF. Nothing is fetched while it is made: the map comes as a data: URL (the
    only scheme the fetcher takes) and the stylesheet is read from our own static folder."""
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    styles = [CSS(filename=str(STATIC / "opendata" / "report.css"))]
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf(stylesheets=styles)


class RenderedCache:
    """The last rendered maps and PDFs, by what they were made from (bounded, shared by threads)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._items: collections.OrderedDict[tuple, Any] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: tuple, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


RENDERED = RenderedCache()
