"""Results by street, computed in PostgreSQL in one set-based pass per request.

A household's status comes from all the attempts at its door, by the rule in
shared_schemas/doors.py (the tablet uses the same): not knocked, to revisit, or closed as its
strongest closing outcome (answered > refused > do_not_visit > vacant).

Concerns count households (a door that raised a concern at two visits counts once), from the
`concerns` column the sync fills from the shared questionnaire engine; answers' free text and
notes are never read here.

The per-door figures come from `household_result` (migration 0003_results): one row per knocked
door, kept by statement-level triggers on `visit` in the same transaction as the visits. A request
aggregates the operation's households (tens of thousands of rows), never its whole visit history.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from typing import Any, cast

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.driver import driver_connection
from server.domain.questionnaires.repository import published_version
from server.lib.exceptions import BadRequest
from server.lib.paging import Int32, Keyset
from shared_schemas.codes import Concern, FixCategory, FollowupStatus
from shared_schemas.doors import CLOSED_AS, STATUS_PRECEDENCE, DoorStatus
from shared_schemas.questionnaire import QuestionnaireError, concern_codes

from .period import Period
from .schemas import (
    Door,
    DoorPage,
    FollowupCount,
    FollowupSummary,
    PairProgress,
    StreetResult,
    Totals,
    VisitOut,
    VisitPage,
)

DOOR_STATUSES = tuple(s.value for s in DoorStatus)

# household_result.closing_rank: 0 none, then the closed statuses from the weakest up; the SQL function
# doorstep_closing_rank (migrations 0003_results, 0018) gives each outcome its status's rank (a test checks it).
CLOSING_RANK: dict[str, int] = {o.value: len(STATUS_PRECEDENCE) - i for i, o in enumerate(STATUS_PRECEDENCE)}
OUTCOME_RANK: dict[str, int] = {o.value: CLOSING_RANK[status.value] for o, status in CLOSED_AS.items()}
# Built from the codes above only: no input reaches these texts.
_CLOSED_AS = "CASE r.closing_rank " + " ".join(
    f"WHEN {rank} THEN '{code}'" for code, rank in CLOSING_RANK.items()) + " END"
_CLOSED_COUNTS = ",\n".join(
    f"           count(*) FILTER (WHERE r.closing_rank = {rank}) AS {code}" for code, rank in CLOSING_RANK.items())

# Bit i of household_result.concern_mask is the i-th Concern code (migration 0003_results); bit 62
# marks a code the migration did not know, counted from the `concerns` arrays instead.
CONCERN_BITS: tuple[str, ...] = tuple(c.value for c in Concern)
OTHER_CONCERN_BIT = 62
_CONCERN_COUNTS = ",\n".join(
    f"           count(*) FILTER (WHERE r.concern_mask & {1 << i} <> 0) AS concern_{i}"
    for i in range(len(CONCERN_BITS)))

# Fixes by category and follow-ups by status, one column each; any other code lands in *_other and
# the exact counts are read per code instead.
FIX_CODES: tuple[str, ...] = tuple(c.value for c in FixCategory)
STATUS_CODES: tuple[str, ...] = tuple(s.value for s in FollowupStatus)


def _pivot(column: str, codes: tuple[str, ...], prefix: str) -> str:
    known = ", ".join(f"'{c}'" for c in codes)
    return ",\n".join([*(f"           count(*) FILTER (WHERE {column} = '{c}') AS {prefix}_{i}"
                          for i, c in enumerate(codes)),
                        f"           count(*) FILTER (WHERE {column} <> ALL (ARRAY[{known}])) AS {prefix}_other"])


_COUNTS = ("households", "knocked", "closed", "answered", "to_revisit", "refused", "vacant", "do_not_visit")

# The per-door summary for a date range ($2 to $3, UTC): the same columns as household_result, from the
# visits in the range (the whole history's summary is kept by triggers; a range is read from the visits).
_DOORS_IN_PERIOD = """(
    SELECT v.household_id, min(v.operation_id) AS operation_id, count(*)::int AS attempts,
           max(doorstep_closing_rank(v.outcome)) AS closing_rank,
           coalesce(bit_or((SELECT bit_or(1::bigint << doorstep_concern_bit(c)) FROM unnest(v.concerns) AS c)), 0)
               AS concern_mask,
           max(v.visited_at) AS last_visited_at
    FROM visit v
    WHERE v.operation_id = $1 AND v.visited_at >= $2 AND v.visited_at < $3 AND v.superseded_by IS NULL
    GROUP BY v.household_id)"""


def _streets_sql(geometry: str, ranged: bool = False) -> str:
    """The street results statement (asyncpg, $1 the operation id; with ``ranged``, $2 and $3 the
    period's UTC bounds); ``geometry`` adds a column."""
    doors = _DOORS_IN_PERIOD if ranged else "household_result"
    fixes_in = "AND done_at >= $2 AND done_at < $3" if ranged else ""
    followups_in = "AND raised_at >= $2 AND raised_at < $3" if ranged else ""
    return f"""
WITH by_street AS (         -- doors by street, from the per-door summary
    SELECT coalesce(h.street_id, 0) AS street_key,
           count(*) AS households,
           count(r.household_id) AS knocked,
           count(*) FILTER (WHERE r.closing_rank > 0) AS closed,
           count(*) FILTER (WHERE r.closing_rank = 0) AS to_revisit,
{_CLOSED_COUNTS},
{_CONCERN_COUNTS},
           count(*) FILTER (WHERE r.concern_mask & {1 << OTHER_CONCERN_BIT} <> 0) AS concern_other,
           coalesce(sum(r.attempts), 0)::bigint AS visits
    FROM household h
    LEFT JOIN {doors} r ON r.household_id = h.id AND r.operation_id = $1  -- only this operation's rows
    WHERE h.operation_id = $1
    GROUP BY 1
), fixes AS (
    SELECT coalesce(street_id, 0) AS street_key,
{_pivot("category", FIX_CODES, "fix")}
    FROM fix WHERE operation_id = $1 {fixes_in} GROUP BY 1
), followups AS (
    SELECT coalesce(street_id, 0) AS street_key,
{_pivot("status", STATUS_CODES, "followup")}
    FROM followup WHERE operation_id = $1 {followups_in} GROUP BY 1
), assigned AS (          -- one pair per street (migration 0011)
    SELECT ts.street_id, ts.team_id
    FROM team_street ts JOIN team t ON t.id = ts.team_id
    WHERE t.operation_id = $1
), streets AS (
    SELECT s.id AS street_key, s.id AS street_id, s.ref, s.name, s.locality, s.geom
    FROM street s WHERE s.operation_id = $1
    UNION ALL                -- the row for what is on no street (street ids start at 1)
    SELECT 0, NULL, NULL, NULL, NULL, NULL
)
SELECT s.street_id, s.ref, s.name, s.locality,
       {", ".join(f"coalesce(b.{c}, 0) AS {c}" for c in _COUNTS)},
       coalesce(b.visits, 0) AS visits,
       {", ".join(f"coalesce(b.concern_{i}, 0) AS concern_{i}" for i in range(len(CONCERN_BITS)))},
       coalesce(b.concern_other, 0) AS concern_other,
       {", ".join(f"coalesce(f.fix_{i}, 0) AS fix_{i}" for i in range(len(FIX_CODES)))},
       coalesce(f.fix_other, 0) AS fix_other,
       {", ".join(f"coalesce(fu.followup_{i}, 0) AS followup_{i}" for i in range(len(STATUS_CODES)))},
       coalesce(fu.followup_other, 0) AS followup_other,
       a.team_id
       {geometry}
FROM streets s
LEFT JOIN by_street b ON b.street_key = s.street_key
LEFT JOIN fixes f ON f.street_key = s.street_key
LEFT JOIN followups fu ON fu.street_key = s.street_key
LEFT JOIN assigned a ON a.street_id = s.street_id
ORDER BY s.name, s.street_id
"""


STREETS_SQL = _streets_sql("")
STREETS_GEO_SQL = _streets_sql(", ST_AsGeoJSON(s.geom, 7) AS geometry")
STREETS_IN_PERIOD_SQL = _streets_sql("", ranged=True)
STREETS_GEO_IN_PERIOD_SQL = _streets_sql(", ST_AsGeoJSON(s.geom, 7) AS geometry", ranged=True)
_CONCERN_COLS = [(code, f"concern_{i}") for i, code in enumerate(CONCERN_BITS)]
_FIX_COLS = [(code, f"fix_{i}") for i, code in enumerate(FIX_CODES)]
_STATUS_COLS = [(code, f"followup_{i}") for i, code in enumerate(STATUS_CODES)]

_FIXES_EXACT_SQL = ("SELECT coalesce(street_id, 0), category, count(*) FROM fix WHERE operation_id = $1 "
                    "AND done_at >= $2 AND done_at < $3 GROUP BY 1, 2")
_FOLLOWUPS_EXACT_SQL = ("SELECT coalesce(street_id, 0), status, count(*) FROM followup WHERE operation_id = $1 "
                        "AND raised_at >= $2 AND raised_at < $3 GROUP BY 1, 2")

# Exact concern counts (doors) from the visits' arrays, for an operation where a door has a code the bits do
# not cover (rare: the per-door summary's bits cover every code this version knows).
_CONCERNS_EXACT_SQL = """
SELECT coalesce(h.street_id, 0) AS street_key, c.code, count(DISTINCT v.household_id) AS n
FROM visit v
JOIN household h ON h.id = v.household_id
CROSS JOIN LATERAL unnest(v.concerns) AS c(code)
WHERE v.operation_id = $1 AND v.visited_at >= $2 AND v.visited_at < $3 AND cardinality(v.concerns) > 0
  AND v.superseded_by IS NULL
GROUP BY 1, 2
"""


# Communication needs of answered visits (issue 16), per street: read from the visits that carry them
# (answered ones only, a few per door at most); households are counted once per language and kind.
_COMMUNICATION_SQL = """
SELECT coalesce(h.street_id, 0) AS street_key, v.household_id, v.outcome = 'answered_online' AS online,
       coalesce(v.communication->>'language', '') AS language,
       coalesce(v.communication->>'interpreter', 'none') AS interpreter,
       jsonb_array_length(coalesce(v.communication->'adjustments', '[]'::jsonb)) > 0 AS adjusted
FROM visit v JOIN household h ON h.id = v.household_id
WHERE v.operation_id = $1 AND v.communication IS NOT NULL AND v.visited_at >= $2 AND v.visited_at < $3
  AND v.superseded_by IS NULL
"""


class Communication(msgspec.Struct):
    languages: dict[str, int]
    interpreters: dict[str, int]
    adjustments: int
    answered_online: int
    other_language: int
    with_interpreter: int


async def communication_by_street(raw: Any, operation_id: int, bounds: tuple[dt.datetime, dt.datetime] | None = None,
                                  ) -> dict[int, Communication]:
    """Street key (0: no street) -> households by language, by interpreter kind, and with adjustments (of the
    visits within ``bounds``, UTC [start, end), if given)."""
    languages: dict[int, dict[str, set[int]]] = {}
    interpreters: dict[int, dict[str, set[int]]] = {}
    adjusted: dict[int, set[int]] = {}
    online: dict[int, set[int]] = {}
    foreign: dict[int, set[int]] = {}
    interpreted: dict[int, set[int]] = {}
    for street_key, household, answered_online, language, interpreter, adjustment in await raw.fetch(
            _COMMUNICATION_SQL, operation_id, *(bounds or Period().bounds())):
        for key in (street_key, -1):  # -1: the operation's totals
            if answered_online:
                online.setdefault(key, set()).add(household)
            if language:
                languages.setdefault(key, {}).setdefault(language, set()).add(household)
                if language.split("-")[0] != "en":
                    foreign.setdefault(key, set()).add(household)
            if interpreter != "none":
                interpreters.setdefault(key, {}).setdefault(interpreter, set()).add(household)
                interpreted.setdefault(key, set()).add(household)
            if adjustment:
                adjusted.setdefault(key, set()).add(household)
    keys = set(languages) | set(interpreters) | set(adjusted) | set(online)
    return {key: Communication(
        languages={k: len(v) for k, v in sorted(languages.get(key, {}).items())},
        interpreters={k: len(v) for k, v in sorted(interpreters.get(key, {}).items())},
        adjustments=len(adjusted.get(key, set())), answered_online=len(online.get(key, set())),
        other_language=len(foreign.get(key, set())), with_interpreter=len(interpreted.get(key, set())))
        for key in keys}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def _concern_keys(session: AsyncSession, questionnaire_id: str) -> list[str]:
    """The concern categories of the operation's questionnaire, in question order."""
    try:
        questionnaire = await published_version(session, questionnaire_id)
    except QuestionnaireError:  # a definition that no longer loads still has results
        return []
    return concern_codes(questionnaire) if questionnaire is not None else []


def _filled(counts: dict[str, int] | None, keys: list[str]) -> dict[str, int]:
    out = dict.fromkeys(keys, 0)
    for k, n in (counts or {}).items():
        out[k] = int(n)
    return out


async def _exact(raw: Any, sql: str, operation_id: int, bounds: tuple) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for street_key, code, n in await raw.fetch(sql, operation_id, *bounds):
        out.setdefault(street_key, {})[code] = n
    return out


class StreetRows(msgspec.Struct):
    items: list[StreetResult]
    totals: Totals
    geometries: list[str] | None  # GeoJSON text of each item's geometry, in item order


async def street_results(session: AsyncSession, operation_id: int, questionnaire_id: str,
                         with_geometry: bool = False, period: Period | None = None) -> StreetRows:
    """Every street's figures (and the totals); with a ``period``, from the visits, fixes and follow-ups
    of those days only (a door counts as knocked if it was knocked then)."""
    concern_keys = await _concern_keys(session, questionnaire_id)
    fix_keys = [c.value for c in FixCategory]
    status_keys = [s.value for s in FollowupStatus]
    # For this transaction only: no JIT (its compile time, tens of ms, dwarfs the query's run time) and no
    # parallel plan (its workers would each build the same small hash tables; slower on 2 cores).
    await session.execute(text("SELECT set_config('jit', 'off', true), "
                               "set_config('max_parallel_workers_per_gather', '0', true)"))
    raw = await driver_connection(session)  # asyncpg records: no ORM row objects for a thousand wide rows
    bounds = (period or Period()).bounds()
    if period is not None and period.limited:
        rows = await raw.fetch(STREETS_GEO_IN_PERIOD_SQL if with_geometry else STREETS_IN_PERIOD_SQL, operation_id,
                               *bounds)
    else:
        rows = await raw.fetch(STREETS_GEO_SQL if with_geometry else STREETS_SQL, operation_id)
    exact_concerns = await _exact(raw, _CONCERNS_EXACT_SQL, operation_id, bounds) if any(
        r["concern_other"] for r in rows) else None
    exact_fixes = await _exact(raw, _FIXES_EXACT_SQL, operation_id, bounds) if any(
        r["fix_other"] for r in rows) else None
    exact_followups = await _exact(raw, _FOLLOWUPS_EXACT_SQL, operation_id, bounds) if any(
        r["followup_other"] for r in rows) else None
    communication = await communication_by_street(raw, operation_id, bounds)
    none = Communication({}, {}, 0, 0, 0, 0)
    items: list[StreetResult] = []
    geometries: list[str] | None = [] if with_geometry else None
    sums = dict.fromkeys((*_COUNTS, "visits"), 0)
    concern_sum: dict[str, int] = dict.fromkeys(concern_keys, 0)
    fix_sum: dict[str, int] = dict.fromkeys(fix_keys, 0)
    status_sum: dict[str, int] = dict.fromkeys(status_keys, 0)
    unmatched = 0
    for r in rows:
        key = r["street_id"] or 0
        concerns = (exact_concerns.get(key, {}) if exact_concerns is not None else
                    {code: r[col] for code, col in _CONCERN_COLS if r[col]})
        fixes = (exact_fixes.get(key, {}) if exact_fixes is not None else
                 {code: r[col] for code, col in _FIX_COLS if r[col]})
        followups = (exact_followups.get(key, {}) if exact_followups is not None else
                     {code: r[col] for code, col in _STATUS_COLS if r[col]})
        for k in sums:
            sums[k] += r[k]
        for target, counts in ((concern_sum, concerns), (fix_sum, fixes), (status_sum, followups)):
            for k, n in (counts or {}).items():
                target[k] = target.get(k, 0) + int(n)
        if r["street_id"] is None:
            unmatched = r["households"]
            continue
        items.append(StreetResult(
            street_id=r["street_id"], ref=r["ref"], name=r["name"], locality=r["locality"],
            **{c: r[c] for c in _COUNTS},
            coverage=_rate(r["knocked"], r["households"]), contact_rate=_rate(r["answered"], r["households"]),
            concerns=_filled(concerns, concern_keys), fixes=_filled(fixes, fix_keys),
            followups=_filled(followups, status_keys), team_id=r["team_id"],
            **msgspec.structs.asdict(communication.get(key, none)),
        ))
        if geometries is not None:
            geometries.append(r["geometry"])
    totals = Totals(
        streets=len(items), **cast(dict[str, Any], {c: sums[c] for c in _COUNTS}),
        coverage=_rate(sums["knocked"], sums["households"]), contact_rate=_rate(sums["answered"], sums["households"]),
        concerns=concern_sum, fixes=fix_sum, followups=status_sum, visits=sums["visits"],
        households_without_street=unmatched, **msgspec.structs.asdict(communication.get(-1, none)),
    )
    return StreetRows(items=items, totals=totals, geometries=geometries)


# ---------------------------------------------------------------- the cheap version to poll

_VERSION_SQL = """
SELECT (SELECT count(*)::text || '.' || coalesce(sum(attempts), 0)::text || '.' || coalesce(sum(closing_rank), 0)::text
               || '.' || coalesce(sum(concern_mask % 1000003), 0)::text || '.' || coalesce(sum(corrected), 0)::text
        FROM household_result WHERE operation_id = :op)
    || '/' || (SELECT count(*)::text FROM fix WHERE operation_id = :op)
    || '/' || (SELECT count(*)::text || '.' || coalesce(max(change_seq), 0)::text
               FROM followup_event WHERE operation_id = :op)
    || '/' || (SELECT count(*)::text FROM followup WHERE operation_id = :op)
    || '/' || (SELECT coalesce(max(change_seq), 0)::text FROM team_event WHERE operation_id = :op)
    || '/' || (SELECT count(*)::text || '.' || coalesce(sum(id), 0)::text FROM household WHERE operation_id = :op)
    || '/' || (SELECT status FROM operation WHERE id = :op)
"""


async def results_version(session: AsyncSession, operation_id: int) -> str:
    """A short string that changes whenever a visit, fix or follow-up arrives, a follow-up moves,
    a pair or its streets change, households are imported or the operation opens or closes.

    Sums over the per-door summary (every new visit adds an attempt) and counts, rather than the highest
    change number, so a row committed late by a slow transaction still changes it. It reads the
    operation's door summaries, not its visits.
    """
    raw = (await session.execute(text(_VERSION_SQL), {"op": operation_id})).scalar_one()
    return base64.urlsafe_b64encode(hashlib.sha256(raw.encode()).digest()[:12]).decode()


# ---------------------------------------------------------------- doors (keyset pages)

_DOORS_SQL = f"""
SELECT h.id AS household_id, h.ref, h.address, h.house_number, h.street_id, s.name AS street_name,
       h.door_order,
       coalesce({_CLOSED_AS}, CASE WHEN r.attempts > 0 THEN 'to_revisit' ELSE 'not_knocked' END) AS status,
       coalesce(r.attempts, 0) AS attempts, last.outcome AS last_outcome, r.last_visited_at, h.source,
       ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat, coalesce(r.corrected, 0) AS corrected
FROM household h
LEFT JOIN street s ON s.id = h.street_id
LEFT JOIN household_result r ON r.household_id = h.id AND r.operation_id = :op
LEFT JOIN LATERAL (
    SELECT v.outcome FROM visit v WHERE v.household_id = h.id AND r.household_id IS NOT NULL
       AND v.superseded_by IS NULL
    ORDER BY v.visited_at DESC, v.id DESC LIMIT 1
) last ON true
WHERE h.operation_id = :op
  AND (CAST(:street AS integer) IS NULL OR h.street_id = :street)
  AND (CAST(:household AS integer) IS NULL OR h.id = :household)
  AND (coalesce(h.street_id, 0), h.door_order, h.id) > (:c_street, :c_order, :c_id)
  {{status_filter}} {{bbox_filter}}
ORDER BY coalesce(h.street_id, 0), h.door_order, h.id
LIMIT :limit
"""
# Doors inside one or more WGS 84 envelopes (an OGC API bbox; two where it crosses the antimeridian).
_BBOX_FILTER = "h.geom && ST_MakeEnvelope(:x0_{i}, :y0_{i}, :x1_{i}, :y1_{i}, 4326)"

Envelope = tuple[float, float, float, float]


def _bbox_filter(boxes: list[Envelope] | None, params: dict[str, Any]) -> str:
    if boxes is None:
        return ""
    parts = []
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        params.update({f"x0_{i}": x0, f"y0_{i}": y0, f"x1_{i}": x1, f"y1_{i}": y1})
        parts.append(_BBOX_FILTER.format(i=i))
    return f"AND ({' OR '.join(parts) or 'false'})"


async def door_count(session: AsyncSession, operation_id: int, *, bbox: list[Envelope] | None = None) -> int:
    """How many doors `doors` would list with this bbox, over every page."""
    params: dict[str, Any] = {"op": operation_id}
    where = _bbox_filter(bbox, params)
    return (await session.execute(text(f"SELECT count(*) FROM household h WHERE h.operation_id = :op {where}"),
                                  params)).scalar_one()


#: Street by street (doors on no street first: key 0), each in walking order.
DOORS = Keyset(tuple[Int32, Int32, Int32], default=200, maximum=1000)
_BEFORE_EVERY_DOOR = (-1, -(2**31), -1)


async def doors(session: AsyncSession, operation_id: int, *, street_id: int | None = None,
                status: str | None = None, limit: int = DOORS.default, cursor: str | None = None,
                bbox: list[Envelope] | None = None, household_id: int | None = None) -> DoorPage:
    if status is not None and status not in DOOR_STATUSES:
        raise BadRequest(f"Unknown status {status!r}; use one of {', '.join(DOOR_STATUSES)}.", field="status")
    limit = DOORS.limit(limit)
    c_street, c_order, c_id = DOORS.after(cursor) or _BEFORE_EVERY_DOOR
    status_filter = ""
    if status == "not_knocked":
        status_filter = "AND r.household_id IS NULL"
    elif status == "to_revisit":
        status_filter = "AND r.closing_rank = 0"
    elif status is not None:
        status_filter = f"AND r.closing_rank = {CLOSING_RANK[status]}"
    params = {"op": operation_id, "street": street_id, "household": household_id, "c_street": c_street,
              "c_order": c_order, "c_id": c_id, "limit": limit + 1}
    sql = _DOORS_SQL.replace("{status_filter}", status_filter).replace("{bbox_filter}", _bbox_filter(bbox, params))
    rows = [Door(**r) for r in (await session.execute(text(sql), params)).mappings()]
    items, next_cursor = DOORS.page(rows, limit, key=lambda door: (door.street_id or 0, door.door_order,
                                                                  door.household_id))
    return DoorPage(items=items, next=next_cursor)


# ---------------------------------------------------------------- visits (keyset pages, newest first)

#: Newest first.
VISITS = Keyset(tuple[dt.datetime, uuid.UUID], default=200, maximum=1000)

_VISITS_SQL = """
SELECT v.id, v.household_id, h.street_id, v.team_id, v.outcome, v.visited_at, v.concerns, v.received_at,
       v.supersedes, v.superseded_by
FROM visit v JOIN household h ON h.id = v.household_id
WHERE v.operation_id = :op
  AND (CAST(:c_at AS timestamptz) IS NULL OR (v.visited_at, v.id) < (CAST(:c_at AS timestamptz), CAST(:c_id AS uuid)))
  AND (CAST(:street AS integer) IS NULL OR h.street_id = :street)
  AND (CAST(:household AS integer) IS NULL OR v.household_id = :household)
ORDER BY v.visited_at DESC, v.id DESC
LIMIT :limit
"""


async def visits(session: AsyncSession, operation_id: int, *, street_id: int | None = None,
                 household_id: int | None = None, limit: int = VISITS.default,
                 cursor: str | None = None) -> VisitPage:
    """Every visit, corrected ones too (``superseded_by`` names the correction; only the latest counts)."""
    limit, after = VISITS.limit(limit), VISITS.after(cursor)
    c_at, c_id = after if after is not None else (None, None)
    rows = (await session.execute(text(_VISITS_SQL), {
        "op": operation_id, "c_at": c_at, "c_id": c_id, "street": street_id, "household": household_id,
        "limit": limit + 1,
    })).mappings().all()
    items, next_cursor = VISITS.page([VisitOut(**{**r, "concerns": list(r["concerns"] or [])}) for r in rows], limit,
                                     key=lambda v: (v.visited_at, v.id))
    return VisitPage(items=items, next=next_cursor)


# ---------------------------------------------------------------- pairs

def _pairs_sql(ranged: bool) -> str:
    doors = _DOORS_IN_PERIOD.replace("$1", ":op").replace("$2", ":start").replace("$3", ":end") if ranged \
        else "household_result"
    visits_in = "AND v.visited_at >= :start AND v.visited_at < :end" if ranged else ""
    return f"""
WITH on_streets AS (
    SELECT ts.team_id, count(DISTINCT ts.street_id) AS streets, count(h.id) AS households,
           count(r.household_id) AS knocked, count(*) FILTER (WHERE r.closing_rank > 0) AS closed
    FROM team t
    JOIN team_street ts ON ts.team_id = t.id
    LEFT JOIN household h ON h.street_id = ts.street_id
    LEFT JOIN {doors} r ON r.household_id = h.id AND r.operation_id = :op
    WHERE t.operation_id = :op
    GROUP BY ts.team_id
), made AS (
    SELECT v.team_id, count(*) AS visits, max(v.visited_at) AS last_visit_at,
           count(DISTINCT v.household_id) FILTER (WHERE v.outcome IN ('answered', 'answered_online')) AS answered
    FROM visit v WHERE v.operation_id = :op AND v.superseded_by IS NULL {visits_in} GROUP BY v.team_id
), people AS (
    SELECT tm.team_id, array_agg(u.display_name ORDER BY u.display_name) AS members,
           array_agg(DISTINCT a.name) AS agencies
    FROM team_member tm JOIN app_user u ON u.id = tm.user_id JOIN agency a ON a.id = u.agency_id
    GROUP BY tm.team_id
)
SELECT t.id AS team_id, t.name, coalesce(p.members, '{{}}') AS members, coalesce(p.agencies, '{{}}') AS agencies,
       coalesce(o.streets, 0) AS streets, coalesce(o.households, 0) AS households,
       coalesce(o.knocked, 0) AS knocked, coalesce(o.closed, 0) AS closed,
       coalesce(m.visits, 0) AS visits, coalesce(m.answered, 0) AS answered, m.last_visit_at
FROM team t
LEFT JOIN on_streets o ON o.team_id = t.id
LEFT JOIN made m ON m.team_id = t.id
LEFT JOIN people p ON p.team_id = t.id
WHERE t.operation_id = :op
ORDER BY t.name, t.id
"""


_PAIRS_SQL, _PAIRS_IN_PERIOD_SQL = _pairs_sql(False), _pairs_sql(True)


async def pair_progress(session: AsyncSession, operation_id: int, period: Period | None = None) -> list[PairProgress]:
    if period is not None and period.limited:
        start, end = period.bounds()
        rows = (await session.execute(text(_PAIRS_IN_PERIOD_SQL), {"op": operation_id, "start": start, "end": end})
                ).mappings().all()
    else:
        rows = (await session.execute(text(_PAIRS_SQL), {"op": operation_id})).mappings().all()
    return [PairProgress(**{**r, "members": list(r["members"]), "agencies": sorted(r["agencies"]),
                            "to_revisit": r["knocked"] - r["closed"],
                            "coverage": _rate(r["knocked"], r["households"])}) for r in rows]


# ---------------------------------------------------------------- follow-ups

async def followup_summary(session: AsyncSession, operation_id: int) -> FollowupSummary:
    rows = (await session.execute(text(
        "SELECT category, status, count(*) AS n FROM followup WHERE operation_id = :op "
        "GROUP BY category, status ORDER BY category, status"), {"op": operation_id})).all()
    by_status = dict.fromkeys((s.value for s in FollowupStatus), 0)
    by_category: dict[str, int] = {}
    for category, status, n in rows:
        by_status[status] = by_status.get(status, 0) + n
        by_category[category] = by_category.get(category, 0) + n
    return FollowupSummary(operation_id=operation_id, total=sum(by_status.values()), by_status=by_status,
                           by_category=by_category,
                           items=[FollowupCount(category=c, status=s, count=n) for c, s, n in rows])


__all__ = ["DOOR_STATUSES", "STATUS_PRECEDENCE", "door_count", "doors", "followup_summary",
           "pair_progress", "results_version", "street_results", "visits"]
