"""The OGC API's collections: which exist for whom, and their features, a page at a time.

- `operation-{id}-streets`: a published operation's units under the disclosure rule, exactly the
  rows of its streets.csv (units.py). Anyone.
- For a coordinator of the operation (a bearer token; admins too), whether published or not:
  `operation-{id}-streets-full` (every street with the dashboard's full figures, the CSV of
  GET …/streets), `operation-{id}-doors` (each door with its status), `operation-{id}-followups`
  (category, agency, status and dates). No resident's details in any of them: a door is an
  address and a status; a follow-up has neither its description nor its resident.

Features come from the slices' own services (results.services, followups.service), never a
query of this module's own for the same figures.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import msgspec
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Operation
from server.domain.followups import service as followups
from server.domain.operations.access import runs, runs_operation
from server.domain.results import services as results_services
from server.domain.results.formats import flat_row
from server.lib.auth import CurrentUser
from server.lib.exceptions import BadRequest, DoorstepError, NotFound

from . import files, public, publication
from .fields import FIELDS

Kind = Literal["streets", "streets-full", "doors", "followups"]
KINDS: tuple[Kind, ...] = ("streets", "streets-full", "doors", "followups")
INTERNAL: tuple[Kind, ...] = ("streets-full", "doors", "followups")
_ID = re.compile(r"^operation-([1-9][0-9]{0,9})-(streets|streets-full|doors|followups)$")
INT32_MAX = 2**31 - 1

Envelope = tuple[float, float, float, float]

TITLES: dict[Kind, str] = {
    "streets": "results by street (open data)",
    "streets-full": "streets with full figures (internal)",
    "doors": "doors and their status (internal)",
    "followups": "follow-ups by category, agency and status (internal)",
}


@dataclass(frozen=True)
class Layer:
    operation: Operation
    kind: Kind

    @property
    def id(self) -> str:
        return f"operation-{self.operation.id}-{self.kind}"

    @property
    def internal(self) -> bool:
        return self.kind != "streets"

    @property
    def title(self) -> str:
        return f"{self.operation.name}: {TITLES[self.kind]}"

    @property
    def description(self) -> str:
        if self.kind == "streets":
            return f"One feature per published unit, the rows of streets.csv. {files.RULE_TEXT}"
        return ("Internal to the operation's coordinators: unrounded figures, never to be published as they are. "
                "No resident's details.")


@dataclass(frozen=True)
class Page:
    features: list[dict[str, Any]]
    matched: int
    next_cursor: str | None


# ---------------------------------------------------------------- which collections, for whom


def not_found(collection_id: str) -> NotFound:
    return NotFound(f"There is no collection {collection_id!r}; GET /ogc/collections lists them.")


async def layer(session: AsyncSession, user: CurrentUser | None, collection_id: str) -> Layer:
    match = _ID.match(collection_id)
    if match is None or int(match.group(1)) > INT32_MAX:
        raise not_found(collection_id)
    operation_id, kind = int(match.group(1)), match.group(2)
    operation = await session.get(Operation, operation_id)
    if operation is None:
        raise not_found(collection_id)
    if kind == "streets":
        if operation.published_at is None:
            raise not_found(collection_id)
    elif user is None or not await runs(session, user, operation_id):
        raise not_found(collection_id)  # never 403: whether it exists is not for everyone to learn
    return Layer(operation, kind)  # type: ignore[arg-type]


async def layers(session: AsyncSession, user: CurrentUser | None) -> list[Layer]:
    out = [Layer(op, "streets") for op in sorted(await publication.published_operations(session), key=lambda o: o.id)]
    if user is not None and ("admin" in user.roles or "coordinator" in user.roles):
        q = select(Operation).where(runs_operation(user, Operation.id)).order_by(Operation.id)
        for op in (await session.execute(q)).scalars():
            out.extend(Layer(op, kind) for kind in INTERNAL)
    return out


_EXTENT_SQL = text("""
SELECT operation_id, ST_XMin(e) AS x0, ST_YMin(e) AS y0, ST_XMax(e) AS x1, ST_YMax(e) AS y1
FROM (SELECT operation_id, ST_Extent(geom) AS e
      FROM (SELECT operation_id, geom FROM street WHERE operation_id = ANY(:ids)
            UNION ALL SELECT operation_id, geom FROM household WHERE operation_id = ANY(:ids)) g
      GROUP BY operation_id) x
""")


async def extents(session: AsyncSession, operation_ids: list[int]) -> dict[int, list[float]]:
    """Each operation's bounding box (its streets and doors), WGS 84 longitude/latitude."""
    if not operation_ids:
        return {}
    rows = (await session.execute(_EXTENT_SQL, {"ids": sorted(set(operation_ids))})).all()
    return {r.operation_id: [r.x0, r.y0, r.x1, r.y1] for r in rows if r.x0 is not None}


# ---------------------------------------------------------------- features


_STREETS_IN_SQL = "SELECT id FROM street WHERE operation_id = :op AND ({where})"


async def streets_in(session: AsyncSession, operation_id: int, boxes: list[Envelope]) -> set[int]:
    """The operation's streets whose line intersects one of the envelopes (the street's spatial index)."""
    params: dict[str, Any] = {"op": operation_id}
    parts = []
    for i, box in enumerate(boxes):
        params.update({f"x0_{i}": box[0], f"y0_{i}": box[1], f"x1_{i}": box[2], f"y1_{i}": box[3]})
        parts.append(f"ST_Intersects(geom, ST_MakeEnvelope(:x0_{i}, :y0_{i}, :x1_{i}, :y1_{i}, 4326))")
    sql = _STREETS_IN_SQL.format(where=" OR ".join(parts) or "false")
    return set((await session.execute(text(sql), params)).scalars())


def _int_cursor(cursor: str | None) -> int:
    if cursor is None:
        return -1
    if not re.fullmatch(r"-?[0-9]{1,10}", cursor):
        raise BadRequest(f"The cursor {cursor!r} is not one this collection gave out; follow the `next` link of the "
                         "previous page, or leave it out for the first page.", field="cursor")
    return int(cursor)


def _paged(features: list[tuple[int, dict[str, Any]]], limit: int, cursor: str | None) -> Page:
    after = _int_cursor(cursor)
    features.sort(key=lambda f: f[0])
    rest = [f for key, f in features if key > after]
    page = rest[:limit]
    return Page(features=page, matched=len(features),
                next_cursor=str(page[-1]["id"]) if len(rest) > limit else None)


async def _units_page(session: AsyncSession, layer_: Layer, limit: int, cursor: str | None,
                      boxes: list[Envelope] | None, feature_id: int | None = None) -> Page:
    results = await public.results_for(session, layer_.operation, with_geometry=True)
    units = results.units
    if boxes is not None:
        inside = await streets_in(session, layer_.operation.id, boxes)
        units = [u for u in units if inside.intersection(u.street_ids)]
    if feature_id is not None:
        units = [u for u in units if u.unit_id == feature_id]
    return _paged([(u.unit_id, files.feature(u)) for u in units], limit, cursor)


async def _full_streets_page(session: AsyncSession, layer_: Layer, limit: int, cursor: str | None,
                             boxes: list[Envelope] | None, feature_id: int | None = None) -> Page:
    op = layer_.operation
    rows = await results_services.street_results(session, op.id, with_geometry=True,
                                                 questionnaire_id=op.questionnaire_id)
    keys = (list(rows.totals.concerns), list(rows.totals.fixes), list(rows.totals.followups))
    inside = await streets_in(session, op.id, boxes) if boxes is not None else None
    features = []
    for item, geometry in zip(rows.items, rows.geometries or [], strict=True):
        if (inside is not None and item.street_id not in inside) or feature_id not in (None, item.street_id):
            continue
        features.append((item.street_id, {"type": "Feature", "id": item.street_id,
                                          "geometry": msgspec.json.decode(geometry) if geometry else None,
                                          "properties": flat_row(item, *keys)}))
    return _paged(features, limit, cursor)


def _door_feature(d: Any) -> dict[str, Any]:
    return {"type": "Feature", "id": d.household_id,
            "geometry": {"type": "Point", "coordinates": [d.lon, d.lat]} if d.lon is not None else None,
            "properties": {"household_id": d.household_id, "ref": d.ref, "address": d.address,
                           "house_number": d.house_number, "street_id": d.street_id, "street_name": d.street_name,
                           "source": d.source, "status": d.status, "attempts": d.attempts,
                           "last_outcome": d.last_outcome,
                           "last_visited_at": d.last_visited_at.isoformat() if d.last_visited_at else None}}


async def _doors_page(session: AsyncSession, layer_: Layer, limit: int, cursor: str | None,
                      boxes: list[Envelope] | None, feature_id: int | None = None) -> Page:
    op_id = layer_.operation.id
    if feature_id is not None:
        page = await results_services.doors(session, op_id, household_id=feature_id, limit=1)
        return Page([_door_feature(d) for d in page.items], len(page.items), None)
    page = await results_services.doors(session, op_id, limit=min(limit, results_services.DOORS.maximum), cursor=cursor,
                                        bbox=boxes)
    matched = await results_services.door_count(session, op_id, bbox=boxes)
    return Page([_door_feature(d) for d in page.items], matched, page.next)


def _followup_feature(v: followups.FollowupView) -> dict[str, Any]:
    f = v.followup
    return {"type": "Feature", "id": str(f.id),
            "geometry": {"type": "Point", "coordinates": [v.lon, v.lat]} if v.lon is not None else None,
            "properties": {"followup_id": str(f.id), "category": f.category, "priority": f.priority,
                           "status": f.status, "agency_code": v.agency_code, "agency_name": v.agency_name,
                           "street_id": f.street_id, "street_name": v.street_name, "overdue": v.overdue,
                           "raised_at": f.raised_at.isoformat(), "due_at": f.due_at.isoformat() if f.due_at else None,
                           "updated_at": f.updated_at.isoformat()}}


async def _followups_page(session: AsyncSession, user: CurrentUser, layer_: Layer, limit: int, cursor: str | None,
                          boxes: list[Envelope] | None, feature_id: str | None = None) -> Page:
    op_id = layer_.operation.id
    if feature_id is not None:
        try:
            fid = uuid.UUID(feature_id)
        except ValueError:
            return Page([], 0, None)
        view = await followups.find_followup(session, user, op_id, fid)
        return Page([_followup_feature(view)] if view else [], 1 if view else 0, None)
    filters = followups.Filters(operation_id=op_id, bbox=tuple(boxes) if boxes is not None else None)
    try:
        # OGC API may serve fewer than asked: at most the follow-ups list's own maximum (server/lib/paging.py).
        views, nxt = await followups.list_followups(session, user, filters,
                                                    limit=min(limit, followups.FOLLOWUPS.maximum), cursor=cursor)
    except DoorstepError as exc:
        if exc.field == "cursor":
            raise BadRequest(exc.detail, field="cursor") from None
        raise
    return Page([_followup_feature(v) for v in views], await followups.count_followups(session, user, filters), nxt)


async def items(session: AsyncSession, user: CurrentUser | None, layer_: Layer, *, limit: int, cursor: str | None,
                boxes: list[Envelope] | None) -> Page:
    if layer_.kind == "streets":
        return await _units_page(session, layer_, limit, cursor, boxes)
    if layer_.kind == "streets-full":
        return await _full_streets_page(session, layer_, limit, cursor, boxes)
    if layer_.kind == "doors":
        return await _doors_page(session, layer_, limit, cursor, boxes)
    assert user is not None
    return await _followups_page(session, user, layer_, limit, cursor, boxes)


async def item(session: AsyncSession, user: CurrentUser | None, layer_: Layer, feature_id: str) -> dict[str, Any]:
    unknown = NotFound(f"There is no feature {feature_id!r} in {layer_.id}.")
    if layer_.kind == "followups":
        assert user is not None
        page = await _followups_page(session, user, layer_, 1, None, None, feature_id=feature_id)
    else:
        if not re.fullmatch(r"[0-9]{1,10}", feature_id) or int(feature_id) > INT32_MAX:
            raise unknown
        fid = int(feature_id)
        fetch = {"streets": _units_page, "streets-full": _full_streets_page, "doors": _doors_page}[layer_.kind]
        page = await fetch(session, layer_, 1, None, None, feature_id=fid)
    if not page.features:
        raise unknown
    return page.features[0]


# ---------------------------------------------------------------- what the features hold (JSON Schema)

_DOOR_PROPERTIES = {"household_id": "integer", "ref": "string", "address": "string", "house_number": "string",
                    "street_id": "integer", "street_name": "string", "source": "string", "status": "string",
                    "attempts": "integer",
                    "last_outcome": "string", "last_visited_at": "string"}
_FOLLOWUP_PROPERTIES = {"followup_id": "string", "category": "string", "priority": "string", "status": "string",
                        "agency_code": "string", "agency_name": "string", "street_id": "integer",
                        "street_name": "string", "overdue": "boolean", "raised_at": "string", "due_at": "string",
                        "updated_at": "string"}


def _full_street_properties() -> dict[str, str]:
    from server.domain.results.formats import _SCALARS
    from server.domain.results.services import CONCERN_BITS, FIX_CODES, STATUS_CODES

    out = {k: "string" if k in ("ref", "name", "locality") else
           "number" if k in ("coverage", "contact_rate") else "integer" for k in _SCALARS}
    out.update({f"concern_{c}": "integer" for c in CONCERN_BITS})
    out.update({f"fix_{c}": "integer" for c in FIX_CODES})
    out.update({f"followups_{c}": "integer" for c in STATUS_CODES})
    return out


def feature_schema(layer_: Layer, url: str) -> dict[str, Any]:
    """A JSON Schema of the collection's features (GeoJSON), for clients that type their columns
    from it (GDAL, QGIS). A value may be null where the description says so."""
    if layer_.kind == "streets":
        props = {f.name: {"type": f.type, "title": f.title, "description": f.table_schema()["description"]}
                 for f in FIELDS}
        geometry = "MultiLineString"
    else:
        types = {"streets-full": _full_street_properties(), "doors": _DOOR_PROPERTIES,
                 "followups": _FOLLOWUP_PROPERTIES}[layer_.kind]
        props = {k: {"type": t} for k, t in types.items()}
        geometry = "MultiLineString" if layer_.kind == "streets-full" else "Point"
    return {"$schema": "https://json-schema.org/draft/2019-09/schema", "$id": url, "title": layer_.title,
            "type": "object", "required": ["type", "geometry", "properties"],
            "properties": {"type": {"type": "string", "enum": ["Feature"]},
                           "id": {"type": "string" if layer_.kind == "followups" else "integer"},
                           "geometry": {"type": "object", "description": f"GeoJSON {geometry}, WGS 84, or null"},
                           "properties": {"type": "object", "properties": props}}}
