"""Write a checked address list into an operation, in the caller's one transaction.

Doors are keyed by UPRN (household.ref is the UPRN): uploading the list again updates doors in
place and never duplicates them. Steps, all set-based:

1. the rows go into a temporary table by COPY;
2. rows outside the operation's area are left out and counted; a row given in easting/northing
   that is outside the area but would be inside it with the two swapped is refused as swapped;
3. each row gets its street: by USRN (a street that carries it), else by street name (compared
   loosely, as the OSM importer does; among streets of the same name, the nearest), else the
   nearest street within MATCH_RADIUS_M (``importer.nearest_street``, EPSG:27700 KNN). A USRN
   whose rows all matched one street by name is learnt by that street (``street.usrn``), so its
   other rows, and later uploads, find it by USRN;
4. a new door replaces the generated door it stands in for: on the same street and side, the
   generated door with the nearest number (each generated door once). Only while the operation
   is planned, and never a door with a visit, fix or follow-up (those are kept and counted);
5. doors are upserted (ON CONFLICT on (operation, ref)), and the streets they are on get their
   door order again.

Two imports into one operation never interleave (a transaction-level advisory lock).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.driver import driver_connection
from server.db.models import Operation
from server.domain.addresses.reader import AddressList, Refusal
from server.domain.areas.features import leading_number, name_key
from server.domain.areas.importer import MATCH_RADIUS_M, nearest_street, order_doors, reporter, street_lines
from server.domain.operations.lifecycle import ensure_editable
from server.lib.exceptions import NotFound

#: How many refused rows a summary lists one by one (all are counted).
LISTED_REFUSALS = 500
IMPORT_LOCK = 0x446F6F72  # "Door": the advisory lock space of imports, with the operation id


@dataclass
class AddressSummary:
    operation: str
    rows: int  # data lines read
    imported: int
    created: int
    updated: int
    by_usrn: int
    by_name: int
    by_nearest: int
    no_street: int
    outside_area: int
    refused: int
    generated_replaced: int
    generated_kept: int  # would have been replaced, but a visit, fix or follow-up points at it / not planned
    usrns_learnt: int
    encoding: str
    coordinates: dict[str, int]
    columns: dict[str, str]
    refusals: list[dict[str, Any]] = field(default_factory=list)
    refusal_reasons: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def lock_operation_imports(session: AsyncSession, operation_id: int) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(:space, :op)"),
                          {"space": IMPORT_LOCK, "op": operation_id})


async def import_addresses(session: AsyncSession, addresses: AddressList, operation: Operation,
                           progress=None) -> AddressSummary:
    report = reporter(progress)
    ensure_editable(operation, "its doors")
    await lock_operation_imports(session, operation.id)
    op = operation.id
    raw = await driver_connection(session)
    refused: list[Refusal] = list(addresses.refused)
    total = len(addresses.rows)

    report("staging rows", 0, total)
    await raw.execute("""
        CREATE TEMPORARY TABLE address_stage (
            line integer, uprn bigint, address text, house_number text, street_name text, street_key text,
            usrn bigint, postcode text, side text, lon float8, lat float8, slon float8, slat float8,
            geom geometry(Point, 4326), street_id integer, matched text
        ) ON COMMIT DROP""")
    records = [(r.line, r.uprn, r.address, r.house_number, r.street_name,
                name_key(r.street_name) if r.street_name else None, r.usrn, r.postcode, r.side, r.lon, r.lat,
                r.swapped[0] if r.swapped else None, r.swapped[1] if r.swapped else None)
               for r in addresses.rows]
    await raw.copy_records_to_table("address_stage", records=records, columns=[
        "line", "uprn", "address", "house_number", "street_name", "street_key", "usrn", "postcode", "side",
        "lon", "lat", "slon", "slat"])
    await raw.execute("UPDATE address_stage SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326)")
    report("staging rows", total, total)

    # 2. the area
    report("checking the area", 0, 1)
    outside = swapped = 0
    if (await raw.fetchval("SELECT area IS NOT NULL FROM operation WHERE id = $1", op)):
        rows = await raw.fetch("""
            WITH gone AS (
                DELETE FROM address_stage AS a
                 USING operation AS o
                 WHERE o.id = $1 AND NOT ST_Intersects(o.area, a.geom)
             RETURNING a.line, a.uprn, a.lon, a.lat,
                       (a.slon IS NOT NULL AND ST_Intersects(o.area, ST_SetSRID(ST_MakePoint(a.slon, a.slat), 4326)))
                       AS swapped_inside)
            SELECT line, uprn, swapped_inside FROM gone ORDER BY line""", op)
        for line, uprn, swapped_inside in rows:
            if swapped_inside:
                swapped += 1
                refused.append(Refusal(line, "easting and northing look swapped: with the two exchanged the door "
                                             "is inside the area", str(uprn)))
            else:
                outside += 1
    report("checking the area", 1, 1)

    # 3. streets: USRN, then name, then learn USRNs, then nearest
    report("matching streets", 0, 3)
    await raw.execute("CREATE INDEX ON address_stage (street_key)")
    by_usrn = await _count(raw, """
        UPDATE address_stage AS a SET street_id = s.id, matched = 'usrn'
          FROM street AS s WHERE s.operation_id = $1 AND s.usrn = a.usrn""", op)
    names: dict[str, list[int]] = defaultdict(list)
    for sid, name in await raw.fetch("SELECT id, name FROM street WHERE operation_id = $1 ORDER BY id", op):
        names[name_key(name)].append(sid)
    keys = list(names)
    await raw.execute("CREATE TEMPORARY TABLE street_key (key text, street_id integer) ON COMMIT DROP")
    await raw.copy_records_to_table("street_key", records=[(k, i) for k in keys for i in names[k]])
    await raw.execute("CREATE INDEX ON street_key (key); ANALYZE street_key; ANALYZE address_stage")
    # A name that one street has: a hash join. A name several streets share: the nearest of them.
    by_name = await _count(raw, """
        UPDATE address_stage AS a SET street_id = k.street_id, matched = 'name'
          FROM (SELECT key, min(street_id) AS street_id FROM street_key GROUP BY key HAVING count(*) = 1) AS k
         WHERE a.street_id IS NULL AND a.street_key = k.key""")
    by_name += await _count(raw, """
        UPDATE address_stage AS a SET matched = 'name', street_id = (
            SELECT k.street_id FROM street_key AS k JOIN street AS s ON s.id = k.street_id
             WHERE k.key = a.street_key
             ORDER BY ST_Transform(s.geom, 27700) <-> ST_Transform(a.geom, 27700), s.id LIMIT 1)
         WHERE a.street_id IS NULL
           AND a.street_key IN (SELECT key FROM street_key GROUP BY key HAVING count(*) > 1)""")
    report("matching streets", 1, 3)
    learnt = await _count(raw, """
        WITH one AS (
            SELECT usrn, min(street_id) AS street_id FROM address_stage
             WHERE usrn IS NOT NULL AND matched = 'name'
             GROUP BY usrn HAVING count(DISTINCT street_id) = 1)
        UPDATE street AS s SET usrn = one.usrn FROM one
         WHERE s.id = one.street_id AND s.usrn IS NULL
           AND NOT EXISTS (SELECT 1 FROM street AS t WHERE t.operation_id = $1 AND t.usrn = one.usrn)""", op)
    if learnt:
        by_usrn += await _count(raw, """
            UPDATE address_stage AS a SET street_id = s.id, matched = 'usrn'
              FROM street AS s WHERE s.operation_id = $1 AND s.usrn = a.usrn AND a.street_id IS NULL""", op)
    report("matching streets", 2, 3)
    nearest_sql = nearest_street("a.geom").replace(":operation_id", "$1").replace(":radius", "$2")
    by_nearest = await _count(raw, f"""
        UPDATE address_stage AS a SET street_id = {nearest_sql}, matched = 'nearest'
         WHERE a.street_id IS NULL""", op, MATCH_RADIUS_M)
    by_nearest -= await raw.fetchval("SELECT count(*) FROM address_stage WHERE matched = 'nearest' "
                                     "AND street_id IS NULL")
    report("matching streets", 3, 3)

    # 4. generated doors the new doors stand in for
    report("replacing generated doors", 0, 1)
    replaced, kept = await _replace_generated(raw, op, operation.status == "planned")
    report("replacing generated doors", 1, 1)

    # 5. upsert, then door order
    report("saving doors", 0, total)
    counts = await raw.fetch("""
        INSERT INTO household AS h (operation_id, ref, address, house_number, postcode, street_id, side, source, geom)
        SELECT $1, a.uprn::text, a.address, a.house_number, a.postcode, a.street_id, a.side, 'address_list', a.geom
          FROM address_stage AS a ORDER BY a.uprn
        ON CONFLICT ON CONSTRAINT uq_household_operation_ref DO UPDATE
           SET address = excluded.address, house_number = excluded.house_number, postcode = excluded.postcode,
               street_id = excluded.street_id, side = excluded.side, source = excluded.source, geom = excluded.geom
        RETURNING (xmax = 0) AS inserted""", op)
    created = sum(1 for r in counts if r[0])
    updated = len(counts) - created
    report("saving doors", total, total)
    touched = [r[0] for r in await raw.fetch(
        "SELECT DISTINCT street_id FROM address_stage WHERE street_id IS NOT NULL ORDER BY 1")]
    report("door order", 0, len(touched))
    if touched:
        await order_doors(session, await street_lines(session, touched))
    report("door order", len(touched), len(touched))
    await raw.execute("ANALYZE street, household")  # as import-osm does: fresh statistics for the push's key checks

    no_street = await raw.fetchval("SELECT count(*) FROM address_stage WHERE street_id IS NULL")
    refused.sort(key=lambda r: r.line)
    reasons: dict[str, int] = defaultdict(int)
    for r in refused:
        reasons[_reason_kind(r.reason)] += 1
    return AddressSummary(
        operation=operation.name, rows=addresses.data_lines, imported=len(counts), created=created, updated=updated,
        by_usrn=by_usrn, by_name=by_name, by_nearest=by_nearest, no_street=no_street, outside_area=outside,
        refused=len(refused), generated_replaced=replaced, generated_kept=kept, usrns_learnt=learnt,
        encoding=addresses.encoding, coordinates=addresses.coordinates, columns=addresses.columns,
        refusals=[{"line": r.line, "uprn": r.uprn, "reason": r.reason} for r in refused[:LISTED_REFUSALS]],
        refusal_reasons=dict(sorted(reasons.items())),
    )


def _reason_kind(reason: str) -> str:
    """The reason without the row's own values, for counting ("UPRN 12 is also on line 3" -> duplicate UPRN)."""
    for marker, kind in (("also on line", "duplicate UPRN in the file"), ("no UPRN", "no UPRN"),
                         ("UPRN", "UPRN not a number"), ("swapped", "coordinates swapped"),
                         ("look like", "coordinates in the wrong columns"), ("outside Great Britain",
                         "outside Great Britain"), ("not a number", "coordinates not numbers"),
                         ("not degrees", "coordinates not numbers"), ("no coordinates", "no coordinates"),
                         ("no address", "no address")):
        if marker in reason:
            return kind
    return "other"


async def _count(raw: Any, sql: str, *args: Any) -> int:
    status = await raw.execute(sql, *args)
    return int(status.split()[-1])


async def _replace_generated(raw: Any, operation_id: int, planned: bool) -> tuple[int, int]:
    """Delete the generated door each new address-list number stands in for; (replaced, kept)."""
    new_doors = await raw.fetch("""
        SELECT a.uprn, a.street_id, a.house_number, a.side FROM address_stage AS a
         WHERE a.street_id IS NOT NULL AND a.house_number IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM household AS h WHERE h.operation_id = $1 AND h.ref = a.uprn::text)
         ORDER BY a.street_id, a.uprn""", operation_id)
    if not new_doors:
        return 0, 0
    streets = sorted({r["street_id"] for r in new_doors})
    generated = await raw.fetch("""
        SELECT h.id, h.street_id, h.house_number, h.side,
               (EXISTS (SELECT 1 FROM visit AS v WHERE v.household_id = h.id)
                OR EXISTS (SELECT 1 FROM fix AS f WHERE f.household_id = h.id)
                OR EXISTS (SELECT 1 FROM followup AS u WHERE u.household_id = h.id)) AS has_records
          FROM household AS h
         WHERE h.operation_id = $1 AND h.source = 'generated' AND h.street_id = ANY($2::int[])
         ORDER BY h.id
           FOR UPDATE OF h""", operation_id, streets)
    pool: dict[tuple[int, str], list[tuple[int, int, bool]]] = defaultdict(list)
    for g in generated:
        n = leading_number(g["house_number"])
        if n is not None:
            pool[(g["street_id"], g["side"])].append((n, g["id"], g["has_records"]))
    doomed: list[int] = []
    kept = 0
    # One generated door per new number: flats 1 and 2 at number 15 stand in for one front door.
    numbers = sorted({(d["street_id"], d["side"], n) for d in new_doors
                      if (n := leading_number(d["house_number"])) is not None})
    for street_id, side, n in numbers:
        candidates = pool.get((street_id, side))
        if not candidates:
            continue
        best = min(range(len(candidates)), key=lambda i: (abs(candidates[i][0] - n), candidates[i][0]))
        _, gid, has_records = candidates.pop(best)
        if planned and not has_records:
            doomed.append(gid)
        else:
            kept += 1
    if doomed:
        await raw.execute("DELETE FROM household WHERE id = ANY($1::int[])", doomed)
    return len(doomed), kept


async def operation_by_name(session: AsyncSession, name: str) -> Operation:
    from sqlalchemy import select

    operation = (await session.execute(select(Operation).where(Operation.name == name))).scalar_one_or_none()
    if operation is None:
        raise NotFound(f"no operation named {name!r}; create it first (or add --create --area AREA.geojson)")
    return operation
