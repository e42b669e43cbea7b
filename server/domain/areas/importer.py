"""Write an Area into an operation: upsert streets and households, match households to streets.

Everything happens in the caller's transaction, so a failure anywhere leaves the database
as it was. Rows are keyed by (operation_id, ref): re-importing the same (or a newer)
extract updates rows in place and never duplicates them. Rows from an earlier import
that the new file no longer has are kept, because visits may point at them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from geoalchemy2 import WKTElement
from sqlalchemy import BigInteger, Executable, Integer, String, bindparam, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Household, Operation, Street
from server.domain.areas.features import Area, BuildingFeature, Coord, UnknownOperationError
from server.domain.areas.ordering import Door, door_order
from shared_schemas.walk import walk_positions

MATCH_RADIUS_M = 150.0  # farther than this from every street (in EPSG:27700 metres) = unmatched
BATCH = 500

Progress = Callable[[str, int, int], None]  # (step, done, total)


def reporter(progress) -> Progress:
    """Accept a plain callback, a rich.progress.Progress (one task per step), or None."""
    if progress is None:
        return lambda step, done, total: None
    if hasattr(progress, "add_task") and hasattr(progress, "update"):
        tasks: dict[str, object] = {}

        def report(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = progress.add_task(step, total=max(total, 1))
            progress.update(tasks[step], completed=done, total=max(total, 1))

        return report
    return progress


@dataclass(frozen=True)
class ImportSummary:
    operation: str
    streets: int
    households: int
    unmatched: int
    created: int
    updated: int
    by_source: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    buildings: int = 0


def _multilinestring(lines: Sequence[Sequence[Coord]]) -> WKTElement:
    parts = ", ".join("(" + ", ".join(f"{lon} {lat}" for lon, lat in line) + ")" for line in lines)
    return WKTElement(f"MULTILINESTRING({parts})", srid=4326)


def _point(lon: float, lat: float) -> WKTElement:
    return WKTElement(f"POINT({lon} {lat})", srid=4326)


async def import_area(
    session: AsyncSession, area: Area, operation_name: str, progress=None
) -> ImportSummary:
    """`progress`: None, a callback (step, done, total), or a rich Progress."""
    report = reporter(progress)
    operation_id = await session.scalar(select(Operation.id).where(Operation.name == operation_name))
    if operation_id is None:
        raise UnknownOperationError(f"no operation named {operation_name!r}; create it first")

    area, outside = await _inside_the_area(session, operation_id, area)

    created = updated = 0
    street_ids: dict[str, int] = {}
    streets = list(area.streets)
    for start in range(0, len(streets), BATCH):
        chunk = streets[start : start + BATCH]
        stmt = insert(Street).values(
            [
                {
                    "operation_id": operation_id,
                    "ref": s.ref,
                    "name": s.name[:200],
                    "locality": s.locality and s.locality[:200],
                    "geom": _multilinestring(s.lines),
                }
                for s in chunk
            ]
        )
        upsert: Executable = stmt.on_conflict_do_update(
            constraint="uq_street_operation_ref",
            set_={"name": stmt.excluded.name, "locality": stmt.excluded.locality, "geom": stmt.excluded.geom},
        ).returning(Street.ref, Street.id, literal_column("xmax = 0"))  # xmax = 0: the row is new
        for ref, sid, inserted in await session.execute(upsert):
            street_ids[ref] = sid
            created, updated = created + inserted, updated + (not inserted)
        report("streets", start + len(chunk), len(streets))

    # A street whose doors came from the council's address list gets no generated doors again
    # (they were placeholders for the doors the list now gives).
    covered = set((await session.execute(text(
        "SELECT DISTINCT s.ref FROM street s JOIN household h ON h.street_id = s.id "
        "WHERE s.operation_id = :op AND h.source = 'address_list'"), {"op": operation_id})).scalars())
    households = [h for h in area.households if not (h.source == "generated" and h.street_ref in covered)]
    left_out = len(area.households) - len(households)
    for start in range(0, len(households), BATCH):
        batch = households[start : start + BATCH]
        door_insert = insert(Household).values(
            [
                {
                    "operation_id": operation_id,
                    "ref": h.ref,
                    "address": h.address,
                    "house_number": h.house_number,
                    "postcode": h.postcode,
                    "street_id": street_ids.get(h.street_ref) if h.street_ref else None,
                    "side": h.side,
                    "source": h.source,
                    "geom": _point(h.lon, h.lat),
                }
                for h in batch
            ]
        )
        cols = ("address", "house_number", "postcode", "street_id", "side", "source", "geom")
        door_upsert: Executable = door_insert.on_conflict_do_update(
            constraint="uq_household_operation_ref", set_={c: door_insert.excluded[c] for c in cols}
        ).returning(literal_column("xmax = 0"))
        for (inserted,) in await session.execute(door_upsert):
            created, updated = created + inserted, updated + (not inserted)
        report("households", start + len(batch), len(households))

    refs = [h.ref for h in households]
    report("nearest streets", 0, 1)
    await _match_nearest(session, operation_id, refs)
    report("nearest streets", 1, 1)

    report("door order", 0, len(streets))
    await _order_doors(session, area, street_ids)
    report("door order", len(streets), len(streets))

    # Fresh statistics now, not when autovacuum gets round to it: without them the planner takes
    # a new operation's households for a handful, and the check of every pushed visit's key
    # (household id, operation id) scanned all of the operation's doors (300 us per visit).
    await session.execute(text("ANALYZE street, household"))

    report("building outlines", 0, len(area.buildings))
    await replace_buildings(session, operation_id, area.buildings)
    report("building outlines", len(area.buildings), len(area.buildings))

    unmatched = await session.scalar(
        select(func.count())
        .select_from(Household)
        .where(Household.operation_id == operation_id, Household.ref.in_(refs), Household.street_id.is_(None))
    )
    by_source: dict[str, int] = {}
    for h in households:
        by_source[h.source] = by_source.get(h.source, 0) + 1
    return ImportSummary(
        operation=operation_name,
        streets=len(streets),
        households=len(households),
        unmatched=unmatched or 0,
        created=created,
        updated=updated,
        by_source=by_source,
        skipped={**area.skipped, **outside,
                 **({"generated door on a street the address list covers": left_out} if left_out else {})},
        buildings=len(area.buildings),
    )


# Which of the extract's streets cross the operation's area, and which doors stand in it: the
# same test as the address list's (ST_Intersects with the drawn polygon), by PostGIS in one query each.
_STREETS_IN_AREA = text("""
    SELECT t.i FROM operation AS o, unnest(CAST(:wkts AS text[])) WITH ORDINALITY AS t(w, i)
     WHERE o.id = :op AND ST_Intersects(o.area, ST_GeomFromText(t.w, 4326))""")
_DOORS_IN_AREA = text("""
    SELECT t.i FROM operation AS o,
           unnest(CAST(:lons AS float8[]), CAST(:lats AS float8[])) WITH ORDINALITY AS t(lon, lat, i)
     WHERE o.id = :op AND ST_Intersects(o.area, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326))""")
# Building outlines are a picture of the place: those within 150 m of the area (by a corner) are kept.
_BUILDINGS_NEAR_AREA = text("""
    SELECT t.i FROM operation AS o,
           unnest(CAST(:lons AS float8[]), CAST(:lats AS float8[])) WITH ORDINALITY AS t(lon, lat, i)
     WHERE o.id = :op
       AND ST_DWithin(o.area::geography, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326)::geography, 150)""")


async def _inside_the_area(session: AsyncSession, operation_id: int, area: Area) -> tuple[Area, dict[str, int]]:
    """The extract cut to the operation's drawn area (an extract is a rectangle, often a town): streets
    that cross it whole, doors inside it; what was left out, counted. No area drawn: all of it."""
    if not await session.scalar(select(Operation.area.is_not(None)).where(Operation.id == operation_id)):
        return area, {}
    streets, households = list(area.streets), list(area.households)
    keep_streets = set((await session.execute(_STREETS_IN_AREA, {
        "op": operation_id, "wkts": [_multilinestring(s.lines).data for s in streets]})).scalars())
    keep_doors = set((await session.execute(_DOORS_IN_AREA, {
        "op": operation_id, "lons": [h.lon for h in households], "lats": [h.lat for h in households]})).scalars())
    corners = [b.polygons[0][0][0] if b.polygons and b.polygons[0][0] else (0.0, 0.0) for b in area.buildings]
    keep_buildings = set((await session.execute(_BUILDINGS_NEAR_AREA, {
        "op": operation_id, "lons": [c[0] for c in corners], "lats": [c[1] for c in corners]})).scalars())
    inside = replace(area, streets=tuple(s for i, s in enumerate(streets, 1) if i in keep_streets),
                     households=tuple(h for i, h in enumerate(households, 1) if i in keep_doors),
                     buildings=tuple(b for i, b in enumerate(area.buildings, 1) if i in keep_buildings))
    counts = {"street outside the operation's area": len(streets) - len(inside.streets),
              "door outside the operation's area": len(households) - len(inside.households)}
    return inside, {k: v for k, v in counts.items() if v}



BUILDING_BATCH = 5000
# One statement per batch: the outlines travel as two text arrays and PostGIS parses each WKT.
_BUILDINGS = text(
    "INSERT INTO building (operation_id, ref, geom) "
    "SELECT :operation_id, b.ref, ST_Multi(ST_GeomFromText(b.wkt, 4326)) FROM unnest(:refs, :wkts) AS b(ref, wkt)"
).bindparams(bindparam("refs", type_=ARRAY(String)), bindparam("wkts", type_=ARRAY(String)))


def _polygons_wkt(polygons: Sequence[Sequence[Sequence[Coord]]]) -> str:
    return "MULTIPOLYGON(" + ", ".join(
        "(" + ", ".join("(" + ", ".join(f"{lon} {lat}" for lon, lat in ring) + ")" for ring in polygon) + ")"
        for polygon in polygons) + ")"


async def replace_buildings(session: AsyncSession, operation_id: int, buildings: Sequence[BuildingFeature]) -> None:
    """The operation's building outlines become this extract's (they are a picture; nothing refers to them)."""
    await session.execute(text("DELETE FROM building WHERE operation_id = :op"), {"op": operation_id})
    usable = [b for b in buildings if b.polygons and all(len(ring) >= 4 for p in b.polygons for ring in p)]
    for start in range(0, len(usable), BUILDING_BATCH):
        batch = usable[start:start + BUILDING_BATCH]
        await session.execute(_BUILDINGS, {"operation_id": operation_id, "refs": [b.ref for b in batch],
                                           "wkts": [_polygons_wkt(b.polygons) for b in batch]})


def nearest_street(point: str) -> str:
    """SQL for the id of the street of operation :operation_id nearest to the PostGIS point
    expression `point`, within :radius metres (NULL if none): the one rule for "nearest street",
    used by the OSM importer and the address-list importer.

    Distances are EPSG:27700 metres; `<->` between the transformed geometries is that distance.
    Candidates are first cut down, index-assisted, to streets within a disc in degrees that holds
    the whole radius: a degree of longitude is the shortest way to cover a metre (111 195 m ·
    cos(latitude)), and 5 % more covers the spheroid and the grid's scale. (Ordering by `<->` on
    raw EPSG:4326 instead would rank in degrees, ~1.6 times longer east-west than north-south in
    Britain, and can pick the wrong street: see test_nearest_is_measured_in_metres_not_degrees.)
    """
    return f"""(SELECT s.id FROM street AS s
        WHERE s.operation_id = :operation_id
          AND ST_DWithin(s.geom, {point},
                         1.05 * :radius / (111195.0 * greatest(cos(radians(ST_Y({point}))), 0.1)))
          AND ST_DWithin(ST_Transform(s.geom, 27700), ST_Transform({point}, 27700), :radius)
        ORDER BY ST_Transform(s.geom, 27700) <-> ST_Transform({point}, 27700), s.id
        LIMIT 1)"""


# One set-based statement for every household of this import whose addr:street named no street.
_NEAREST = text(
    f"""
    UPDATE household AS h
    SET street_id = {nearest_street("h.geom")}
    WHERE h.operation_id = :operation_id
      AND h.ref = ANY(:refs)
      AND h.street_id IS NULL
    """
).bindparams(bindparam("refs", type_=ARRAY(String)))


async def _match_nearest(session: AsyncSession, operation_id: int, refs: list[str]) -> None:
    await session.execute(_NEAREST, {"operation_id": operation_id, "refs": refs, "radius": MATCH_RADIUS_M})


async def _order_doors(session: AsyncSession, area: Area, street_ids: dict[str, int]) -> None:
    """Number every household on this import's streets (older ones too) in walking order."""
    await order_doors(session, {street_ids[s.ref]: s.lines for s in area.streets})


async def street_lines(session: AsyncSession, ids: Sequence[int]) -> dict[int, tuple[tuple[Coord, ...], ...]]:
    """The stored lines of these streets, as the door order walks them."""
    rows = await session.execute(
        text("SELECT id, ST_AsGeoJSON(geom, 7) FROM street WHERE id = ANY(:ids)")
        .bindparams(bindparam("ids", type_=ARRAY(Integer))), {"ids": list(ids)})
    return {sid: tuple(tuple((c[0], c[1]) for c in line) for line in json.loads(geo)["coordinates"])
            for sid, geo in rows}


async def order_doors(session: AsyncSession, lines_by_id: Mapping[int, Sequence[Sequence[Coord]]]) -> None:
    """Number every household on these streets in walking order (street id -> its lines): the walk rule
    of the tablet (``shared_schemas.walk``, each side in house-number order), with the position along
    the street (``ordering.door_order``) settling the doors without a number of their own."""
    rows = await session.execute(
        select(Household.id, Household.street_id, Household.side, func.ST_X(Household.geom),
               func.ST_Y(Household.geom), Household.address, Household.house_number, Street.name)
        .join(Street, Street.id == Household.street_id)
        .where(Household.street_id.in_(list(lines_by_id)))
        .order_by(Household.id)
    )
    doors: dict[int, list[Door]] = {}
    numbers: dict[int, tuple[str, str | None]] = {}
    names: dict[int, str] = {}
    for hid, sid, side, lon, lat, address, house_number, street_name in rows:
        doors.setdefault(sid, []).append(Door(hid, side, lon, lat))
        numbers[hid] = (address, house_number)
        names[sid] = street_name
    ids: list[int] = []
    orders: list[int] = []
    for sid, street_doors in doors.items():
        along = door_order(lines_by_id[sid], street_doors)
        walk = walk_positions(names[sid], ((d.key, *numbers[d.key], d.side, along[d.key]) for d in street_doors))
        for hid, order in walk.items():
            ids.append(hid)
            orders.append(order)
    if ids:
        await session.execute(
            text(
                "UPDATE household AS h SET door_order = o.door_order "
                "FROM unnest(:ids, :orders) AS o(id, door_order) WHERE h.id = o.id"
            ).bindparams(bindparam("ids", type_=ARRAY(BigInteger)), bindparam("orders", type_=ARRAY(Integer))),
            {"ids": ids, "orders": orders},
        )
