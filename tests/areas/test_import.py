"""Importing areas into the real PostGIS: counts, nearest streets, idempotence, atomicity."""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import text

from server.db.engine import transaction
from server.domain.areas import importer
from server.domain.areas.commands import run_import
from server.domain.areas.features import AreaFileError, UnknownOperationError
from server.domain.areas.importer import MATCH_RADIUS_M, import_area
from server.domain.areas.osm_reader import read_area
from tests.support import doorstep

ROOT = Path(__file__).resolve().parents[2]
WOODHOUSE = ROOT / "fixtures/areas/leeds-woodhouse.osm.pbf"
BRISTOL = ROOT / "fixtures/areas/bristol-bs5.osm"
QUIET = Console(file=open(os.devnull, "w"))  # noqa: SIM115 - the progress bar has nowhere to go in tests


async def rows(db_engine, sql: str, **params):
    async with transaction(db_engine) as session:
        return (await session.execute(text(sql), params)).all()


async def households_of(db_engine, operation: str):
    """ref -> (address, street name or None, side, door_order, source, metres to its street)."""
    found = await rows(
        db_engine,
        """SELECT h.ref, h.address, s.name, h.side, h.door_order, h.source,
                  ST_Distance(ST_Transform(h.geom, 27700), ST_Transform(s.geom, 27700))
           FROM household h JOIN operation o ON o.id = h.operation_id
           LEFT JOIN street s ON s.id = h.street_id WHERE o.name = :n""",
        n=operation,
    )
    return {r[0]: r[1:] for r in found}


async def test_woodhouse_import_counts(db_engine, database_url, new_operation):
    op = await new_operation()
    summary = await run_import(database_url, WOODHOUSE, op, console=QUIET)
    assert (summary.streets, summary.households, summary.unmatched) == (37, 299, 0)
    assert summary.by_source == {"address_point": 21, "generated": 278}
    assert (summary.created, summary.updated) == (37 + 299, 0)
    (streets,) = await rows(
        db_engine, "SELECT count(*) FROM street s JOIN operation o ON o.id = s.operation_id WHERE o.name = :n", n=op
    )
    assert streets == (37,)
    homes = await households_of(db_engine, op)
    assert Counter(v[4] for v in homes.values()) == {"address_point": 21, "generated": 278}
    # Everyone has a street: generated doors by name, the shops and cafés by distance.
    assert all(v[1] is not None for v in homes.values())
    assert max(v[5] for v in homes.values()) < MATCH_RADIUS_M


async def test_nearest_street_worked_by_hand(db_engine, database_url, new_operation):
    op = await new_operation()
    await run_import(database_url, WOODHOUSE, op, console=QUIET)
    homes = await households_of(db_engine, op)
    # "Eldon Terrace, 14 Woodhouse Lane" (node 2407082484, -1.5520057 53.8090642). Woodhouse
    # Lane is a trunk road, not a street here, so the nearest street decides. In metres around
    # the point (1° lat = 111 195 m; 1° lon = 111 195 · cos 53.809° = 65 658 m), St. Marks
    # Road's segment from node 274156153 (-1.5516181 53.8090782) to node 5335835337
    # (-1.5519517 53.8088755) runs from A = (25.4, 1.6) to B = (3.5, -21.0). AB = (-21.9, -22.6);
    # the foot of the perpendicular is at t = -(A·AB)/|AB|² = 592.5/990.4 = 0.598, at
    # (25.4 - 13.1, 1.6 - 13.5) = (12.3, -11.9): 17.1 m away. The next-nearest street, Cross
    # Woodstock Street, is 53.5 m away (same method).
    address, street, side, _, source, metres = homes["OSM-N2407082484"]
    assert (address, street, side, source) == (
        "Eldon Terrace, 14 Woodhouse Lane",
        "St. Marks Road",
        "even",
        "address_point",
    )
    assert metres == pytest.approx(17.1, abs=0.5)
    # A few more, each worked out the same way (nearest, runner-up in metres):
    assert homes["OSM-N1187324681"][1] == "Cavendish Road"  # 29 Blenheim Terrace: 14.8 vs 20.6
    assert homes["OSM-N5491637320"][1] == "Cross Woodstock Street"  # 10 Blenheim Walk: 12.2 vs 19.0
    assert homes["OSM-N6096023793"][1] == "Hillary Place"  # 177-179 Woodhouse Lane: 29.8 vs 73.8
    assert homes["OSM-N353922336"][1] == "Back Blenheim Terrace"  # 166 Woodhouse Lane: 13.7 vs 15.4


async def test_nearest_is_measured_in_metres_not_degrees(db_engine, database_url, new_operation, osm):
    # East Street runs east-west along 53.8000 (to -1.5572); North Street north-south along
    # -1.5570 (53.7990 to 53.8030). The door at (-1.5575, 53.8004) is 0.0004° of latitude from
    # East Street (0.0004 · 111 195 = 44.5 m) and 0.0005° of longitude from North Street
    # (0.0005 · 65 658 = 32.8 m): nearer North Street in metres, though farther in degrees.
    path = osm.write(
        "trap.osm",
        osm.node(1, -1.5600, 53.8000), osm.node(2, -1.5572, 53.8000),
        osm.node(3, -1.5570, 53.7990), osm.node(4, -1.5570, 53.8030),
        osm.node(5, -1.5575, 53.8004, addr__housenumber="1", addr__street="Nowhere Lane"),
        osm.way(10, [1, 2], highway="tertiary", name="East Street"),
        osm.way(11, [3, 4], highway="tertiary", name="North Street"),
    )
    op = await new_operation()
    await run_import(database_url, path, op, console=QUIET)
    homes = await households_of(db_engine, op)
    assert homes["OSM-N5"][1] == "North Street"
    assert homes["OSM-N5"][5] == pytest.approx(32.8, abs=0.5)
    # The plain KNN operator on EPSG:4326 would have picked the other one:
    (naive,) = await rows(
        db_engine,
        """SELECT s.name FROM household h JOIN operation o ON o.id = h.operation_id
           CROSS JOIN LATERAL (SELECT name FROM street s WHERE s.operation_id = o.id
                               ORDER BY s.geom <-> h.geom LIMIT 1) s WHERE o.name = :n""",
        n=op,
    )
    assert naive == ("East Street",)


async def test_name_match_wins_and_far_households_are_unmatched(db_engine, database_url, new_operation, osm):
    path = osm.write(
        "match.osm",
        osm.node(1, -1.5600, 53.8000), osm.node(2, -1.5580, 53.8000),
        osm.node(3, -1.5570, 53.8010), osm.node(4, -1.5570, 53.8030),
        # right next to North Street, but its address says East Street
        osm.node(5, -1.5571, 53.8020, addr__housenumber="4", addr__street="East Street"),
        # due north of North Street's end (node 4)
        osm.node(6, -1.5570, 53.8060, addr__housenumber="9", addr__street="Far Away"),
        osm.node(7, -1.5570, 53.8040, addr__housenumber="8", addr__street="Far Away"),
        osm.way(10, [1, 2], highway="tertiary", name="East Street"),
        osm.way(11, [3, 4], highway="tertiary", name="North Street"),
    )
    op = await new_operation()
    summary = await run_import(database_url, path, op, console=QUIET)
    homes = await households_of(db_engine, op)
    assert homes["OSM-N5"][1] == "East Street"
    # node 6 is 0.0030° of latitude (333.6 m) north of North Street's end: unmatched;
    # node 7 is 0.0010° (111.2 m) north of it: within 150 m.
    assert homes["OSM-N6"][1] is None
    assert homes["OSM-N7"][1] == "North Street" and homes["OSM-N7"][5] == pytest.approx(111.2, abs=0.5)
    assert summary.unmatched == 1


async def test_reimport_updates_and_never_duplicates(db_engine, database_url, new_operation, snapshot):
    op = await new_operation()
    await run_import(database_url, WOODHOUSE, op, console=QUIET)
    before = await snapshot(op)
    again = await run_import(database_url, WOODHOUSE, op, console=QUIET)
    assert (again.created, again.updated) == (0, 37 + 299)
    after = await snapshot(op)
    assert after == before  # same ids, same refs, same everything
    assert (len(after[0]), len(after[1])) == (37, 299)


async def test_reimport_of_an_edited_file_updates_rows_in_place(db_engine, database_url, new_operation, osm):
    def extract(number: str, lon: float):
        return osm.write(
            "edit.osm",
            osm.node(1, -1.5600, 53.8000), osm.node(2, -1.5580, 53.8000),
            osm.node(5, lon, 53.8001, addr__housenumber=number, addr__street="East Street"),
            osm.way(10, [1, 2], highway="tertiary", name="East Street"),
        )

    op = await new_operation()
    await run_import(database_url, extract("4", -1.5590), op, console=QUIET)
    (first,) = await rows(db_engine, "SELECT id, address, ST_X(geom) FROM household h WHERE ref = 'OSM-N5' "
                          "AND operation_id = (SELECT id FROM operation WHERE name = :n)", n=op)
    summary = await run_import(database_url, extract("4A", -1.5585), op, console=QUIET)
    (second,) = await rows(db_engine, "SELECT id, address, ST_X(geom) FROM household h WHERE ref = 'OSM-N5' "
                           "AND operation_id = (SELECT id FROM operation WHERE name = :n)", n=op)
    assert first == (first[0], "4 East Street", -1.559)
    assert second == (first[0], "4A East Street", -1.5585)
    assert (summary.created, summary.updated) == (0, 2)


async def test_door_order_walks_each_side_in_number_order(db_engine, database_url, new_operation):
    # The tablet's walk rule (shared_schemas.walk), so the revisit list reads as the walk list does.
    op = await new_operation()
    await run_import(database_url, WOODHOUSE, op, console=QUIET)
    homes = await households_of(db_engine, op)
    grove = sorted((v[3], v[0]) for v in homes.values() if v[1] == "Blandford Grove")
    assert grove == [(1, "1 Blandford Grove"), (2, "3 Blandford Grove"), (3, "5 Blandford Grove"),
                     (4, "2 Blandford Grove"), (5, "4 Blandford Grove"), (6, "6 Blandford Grove")]
    # Door orders on each street are 1..n with no gaps or repeats.
    by_street: dict[str, list[int]] = {}
    for v in homes.values():
        by_street.setdefault(v[1], []).append(v[3])
    assert all(sorted(orders) == list(range(1, len(orders) + 1)) for orders in by_street.values())


async def test_the_walk_order_migration_renumbers_doors_imported_before_it(db_engine, database_url, new_operation):
    # Doors numbered the old way (up the odd side, back down the even) take the walk rule's order.
    import importlib.util

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    op = await new_operation()
    await run_import(database_url, WOODHOUSE, op, console=QUIET)
    old = {"1": 1, "3": 2, "5": 3, "6": 4, "4": 5, "2": 6}
    async with transaction(db_engine) as session:
        await session.execute(text(
            "UPDATE household AS h SET door_order = CAST(CAST(:old AS jsonb) ->> h.house_number AS integer) "
            "FROM street AS s, operation AS o WHERE s.id = h.street_id AND o.id = h.operation_id "
            "AND o.name = :n AND s.name = 'Blandford Grove'").bindparams(old=json.dumps(old), n=op))
    grove = sorted((v[3], v[0]) for v in (await households_of(db_engine, op)).values() if v[1] == "Blandford Grove")
    assert [a for _, a in grove][3:] == ["6 Blandford Grove", "4 Blandford Grove", "2 Blandford Grove"]
    spec = importlib.util.spec_from_file_location("walk_order", ROOT / "server/migrations/versions/0013_walk_order.py")
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    def upgrade(connection) -> None:
        with Operations.context(MigrationContext.configure(connection)):
            migration.upgrade()

    async with db_engine.begin() as connection:
        await connection.run_sync(upgrade)
    grove = sorted((v[3], v[0]) for v in (await households_of(db_engine, op)).values() if v[1] == "Blandford Grove")
    assert grove == [(1, "1 Blandford Grove"), (2, "3 Blandford Grove"), (3, "5 Blandford Grove"),
                     (4, "2 Blandford Grove"), (5, "4 Blandford Grove"), (6, "6 Blandford Grove")]


async def test_bristol_import(db_engine, database_url, new_operation):
    op = await new_operation()
    summary = await run_import(database_url, BRISTOL, op, console=QUIET)
    assert (summary.streets, summary.households) == (10, 51)
    assert summary.by_source == {"building": 43, "generated": 8}
    homes = await households_of(db_engine, op)
    # Every numbered building names a street of the file except none: all matched by name.
    assert homes["OSM-W905765852"][:3] == ("38,38A,38B Avonvale Road", "Avonvale Road", "even")
    assert summary.unmatched == sum(1 for v in homes.values() if v[1] is None) == 0


async def test_a_corrupt_file_leaves_the_database_untouched(db_engine, database_url, new_operation, snapshot, tmp_path):
    op = await new_operation()
    await run_import(database_url, BRISTOL, op, console=QUIET)
    before = await snapshot(op)
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(WOODHOUSE.read_bytes()[:20000])
    with pytest.raises(AreaFileError):
        await run_import(database_url, cut, op, console=QUIET)
    assert await snapshot(op) == before


async def test_a_failure_while_writing_rolls_everything_back(db_engine, database_url, new_operation, snapshot,
                                                             monkeypatch):
    # Streets and households are already written when the street matching fails: nothing stays.
    op = await new_operation()

    async def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(importer, "_match_nearest", broken)
    with pytest.raises(RuntimeError, match="went away"):
        await run_import(database_url, WOODHOUSE, op, console=QUIET)
    assert await snapshot(op) == ([], [])


async def test_an_unknown_operation_changes_nothing(db_engine):
    area = read_area(BRISTOL)
    async with transaction(db_engine) as session:
        (count_before,) = (await session.execute(text("SELECT count(*) FROM household"))).one()
        with pytest.raises(UnknownOperationError, match="no operation named 'Nowhere At All'"):
            await import_area(session, area, "Nowhere At All")
        (count_after,) = (await session.execute(text("SELECT count(*) FROM household"))).one()
    assert count_after == count_before


async def cli(*args: str):
    return await asyncio.to_thread(doorstep, *args)


async def test_cli_imports_and_refuses_bad_input_in_one_line(db_engine, new_operation, snapshot, tmp_path):
    op = await new_operation()
    done = await cli("import-osm", str(BRISTOL), "--operation", op)
    assert done.exit_code == 0, done.stderr
    before = await snapshot(op)
    assert (len(before[0]), len(before[1])) == (10, 51)
    empty = tmp_path / "empty.osm"
    empty.write_bytes(b"")
    nothing = tmp_path / "nothing.osm"
    nothing.write_text('<?xml version="1.0"?>\n<osm version="0.6"></osm>\n')
    for args in (
        (str(empty), "--operation", op),
        (str(nothing), "--operation", op),
        (str(tmp_path / "missing.osm.pbf"), "--operation", op),
        (str(BRISTOL), "--operation", "No Such Operation"),
    ):
        failed = await cli("import-osm", *args)
        assert failed.exit_code == 1, args
        assert failed.stderr.startswith("error: ") and failed.stderr.count("\n") == 1, failed.stderr
        assert "Traceback" not in failed.stderr
    assert await snapshot(op) == before


async def test_progress_reports_every_step_to_completion(db_engine, new_operation):
    op = await new_operation()
    reports: list[tuple[str, int, int]] = []
    async with transaction(db_engine) as session:
        await import_area(session, read_area(BRISTOL), op, progress=lambda *r: reports.append(r))
    last = {step: (done, total) for step, done, total in reports}
    assert last == {"streets": (10, 10), "households": (51, 51), "nearest streets": (1, 1), "door order": (10, 10),
                    "building outlines": (89, 89)}


async def test_an_extract_bigger_than_the_drawn_area_is_cut_to_it(db_engine, new_operation):
    """An extract is a rectangle (often a town); the operation gets the streets that cross its drawn
    area and the doors inside it, and the summary counts what was left out."""
    op = await new_operation()
    west = "POLYGON((-2.5590 51.4550, -2.5535 51.4550, -2.5535 51.4600, -2.5590 51.4600, -2.5590 51.4550))"
    async with transaction(db_engine) as session:
        await session.execute(text("UPDATE operation SET area = ST_Multi(ST_GeomFromText(:w, 4326)) WHERE name = :n"),
                              {"w": west, "n": op})
    whole = read_area(BRISTOL)
    async with transaction(db_engine) as session:
        summary = await import_area(session, whole, op)
    doors_out = summary.skipped["door outside the operation's area"]
    assert 0 < summary.households < len(whole.households)
    assert summary.households + doors_out == len(whole.households)
    assert 0 < summary.streets <= len(whole.streets)
    assert summary.streets + summary.skipped.get("street outside the operation's area", 0) == len(whole.streets)
    (outside,) = await rows(db_engine, """
        SELECT count(*) FILTER (WHERE NOT ST_Intersects(o.area, h.geom)), count(*)
          FROM household h JOIN operation o ON o.id = h.operation_id WHERE o.name = :n""", n=op)
    assert outside == (0, summary.households)
    (streets_outside,) = await rows(db_engine, """
        SELECT count(*) FILTER (WHERE NOT ST_Intersects(o.area, s.geom))
          FROM street s JOIN operation o ON o.id = s.operation_id WHERE o.name = :n""", n=op)
    assert streets_outside == (0,)


async def test_building_outlines_are_kept_and_a_new_import_replaces_them(db_engine, new_operation):
    """Every building of the extract (numbered or not) keeps its outline for the coordinators' map; importing
    again replaces them rather than adding a second copy."""
    op = await new_operation()
    for _ in range(2):
        async with transaction(db_engine) as session:
            summary = await import_area(session, read_area(BRISTOL), op)
    async with transaction(db_engine) as session:
        found = (await session.execute(text(
            "SELECT count(*), count(DISTINCT b.ref), bool_and(ST_IsValid(b.geom)), "
            "bool_and(GeometryType(b.geom) = 'MULTIPOLYGON') FROM building b JOIN operation o ON o.id = b.operation_id "
            "WHERE o.name = :op"), {"op": op})).one()
    assert summary.buildings == 89 and tuple(found) == (89, 89, True, True)
