"""Progress over time: visits per day and the share of doors knocked so far (cumulative coverage), by
London day; and the same as a chart, drawn here as SVG (no chart library, no script: an image the
dashboard shows, with the figures beside it as a table for anyone who cannot see it)."""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from .period import Period

_DAYS_SQL = text("""
WITH first AS (            -- the day each door was first knocked (coverage counts a door once)
    SELECT (min(v.visited_at) AT TIME ZONE 'Europe/London')::date AS day
    FROM visit v WHERE v.operation_id = :op AND v.superseded_by IS NULL GROUP BY v.household_id
), knocked AS (
    SELECT day, count(*) AS doors FROM first GROUP BY day
), made AS (
    SELECT (v.visited_at AT TIME ZONE 'Europe/London')::date AS day, count(*) AS visits,
           count(*) FILTER (WHERE v.outcome IN ('answered', 'answered_online')) AS answered
    FROM visit v WHERE v.operation_id = :op AND v.superseded_by IS NULL GROUP BY 1  -- a corrected visit counts once
)
SELECT coalesce(m.day, k.day) AS day, coalesce(m.visits, 0) AS visits, coalesce(m.answered, 0) AS answered,
       coalesce(k.doors, 0) AS first_knocks
FROM made m FULL JOIN knocked k ON k.day = m.day
ORDER BY 1
""")
_HOUSEHOLDS_SQL = text("SELECT count(*) FROM household WHERE operation_id = :op")


class Day(msgspec.Struct):
    day: dt.date
    visits: int  # attempts that day
    answered: int  # attempts answered that day
    first_knocks: int  # doors knocked for the first time that day
    coverage: float | None  # doors knocked by the end of the day / households


class Progress(msgspec.Struct):
    operation_id: int
    households: int
    days: list[Day]  # every day of the range (or from the first visit to the last), empty ones included


async def daily_progress(session: AsyncSession, operation_id: int, period: Period | None = None) -> Progress:
    rows = (await session.execute(_DAYS_SQL, {"op": operation_id})).all()
    households = (await session.execute(_HOUSEHOLDS_SQL, {"op": operation_id})).scalar_one()
    period = period or Period()
    by_day = {r.day: r for r in rows}
    if not rows and not period.limited:
        return Progress(operation_id, households, [])
    first = period.first or (rows[0].day if rows else period.last)
    last = period.last or (max(rows[-1].day, first) if rows else first)
    assert first is not None and last is not None
    knocked = sum(r.first_knocks for r in rows if r.day < first)
    days = []
    for n in range((last - first).days + 1):
        day = first + dt.timedelta(days=n)
        r = by_day.get(day)
        knocked += r.first_knocks if r else 0
        days.append(Day(day=day, visits=r.visits if r else 0, answered=r.answered if r else 0,
                        first_knocks=r.first_knocks if r else 0,
                        coverage=round(knocked / households, 4) if households else None))
    return Progress(operation_id, households, days)


# ---------------------------------------------------------------- the chart

W, H = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 48, 16, 40
BAR, LINE, GRID, INK = "#7fa7d6", "#b3261e", "#d5dbe3", "#333d48"


def _nice(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if top <= step * 4:
            return step
    return 10_000


def chart_svg(progress: Progress, title: str) -> str:
    """Visits per day as bars (left axis) and coverage as a line (right axis, 0–100%). Presentation
    attributes only (no style attribute): the page's CSP allows no inline styles."""
    days = progress.days
    t = escape(title)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
           f'role="img" aria-labelledby="t d" font-family="system-ui, sans-serif" font-size="13">',
           f'<title id="t">{t}</title>']
    if not days:
        out.append('<desc id="d">No visits yet.</desc>'
                   f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" fill="{INK}">No visits yet</text></svg>')
        return "".join(out)
    total = sum(d.visits for d in days)
    last_cover = days[-1].coverage
    out.append(f'<desc id="d">{total} visits over {len(days)} days; '
               f'{round((last_cover or 0) * 100)}% of doors knocked by {days[-1].day:%d %b %Y}.</desc>')
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    step = _nice(max(d.visits for d in days))
    top = step * 4
    slot = plot_w / len(days)
    for i in range(5):  # grid lines and both axes' numbers
        y = TOP + plot_h - plot_h * i / 4
        out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
                   f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">{step * i}</text>'
                   f'<text x="{W - RIGHT + 6}" y="{y + 4:.1f}" fill="{LINE}">{25 * i}%</text>')
    label_every = max(1, round(len(days) / 8))
    points = []
    for i, d in enumerate(days):
        x = LEFT + slot * i
        h = plot_h * d.visits / top
        if d.visits:
            bar = min(max(slot * 0.7, 1), 48)  # a few days' bars stay bars, not a wall
            out.append(f'<rect x="{x + (slot - bar) / 2:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" '
                       f'height="{h:.1f}" fill="{BAR}"><title>{d.day:%a %d %b}: {d.visits} visits</title></rect>')
        if d.coverage is not None:
            points.append(f"{x + slot / 2:.1f},{TOP + plot_h - plot_h * d.coverage:.1f}")
        if i % label_every == 0:
            out.append(f'<text x="{x + slot / 2:.1f}" y="{H - BOTTOM + 16}" text-anchor="middle" '
                       f'fill="{INK}">{d.day.day} {d.day:%b}</text>')
    if points:
        out.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{LINE}" stroke-width="2.5"/>')
        if len(points) <= 31:  # a dot per day: a single day's coverage is still seen
            out.extend(f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="3.5" fill="{LINE}"/>' for p in points)
    out.append(f'<rect x="{LEFT}" y="{H - 15}" width="10" height="10" fill="{BAR}"/>'
               f'<text x="{LEFT + 14}" y="{H - 6}" fill="{INK}">visits per day</text>'
               f'<line x1="{LEFT + 130}" x2="{LEFT + 146}" y1="{H - 10}" y2="{H - 10}" stroke="{LINE}" '
               'stroke-width="2.5"/>'
               f'<text x="{LEFT + 150}" y="{H - 6}" fill="{LINE}">doors knocked so far (%)</text></svg>')
    return "".join(out)
