"""Address lists into the real PostGIS: both coordinate systems, UPRN keys, street matching, refusals,
generated doors replaced, the area, atomicity and concurrency."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import pytest
from convertbng.cutil import convert_bng
from sqlalchemy import text

from server.db.engine import transaction
from server.db.models import Operation
from server.domain.addresses import importer as address_importer
from server.domain.addresses.importer import import_addresses
from server.domain.addresses.reader import AddressFileError, read_addresses

from .conftest import ALPHA, BETA
from .test_grid import CAISTER_EN, CAISTER_LAT, CAISTER_LON, metres


def csv_bytes(rows: list[dict], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def grid(lon: float, lat: float) -> tuple[float, float]:
    e, n = convert_bng([lon], [lat])
    return round(float(e[0]), 2), round(float(n[0]), 2)


async def run(db_engine, operation: Operation, data: bytes, name: str = "list.csv"):
    addresses = read_addresses(data, name)
    async with transaction(db_engine) as session:
        op = await session.get(Operation, operation.id)
        return await import_addresses(session, addresses, op)


async def doors(db_engine, operation_id: int) -> dict[str, dict]:
    async with transaction(db_engine) as session:
        rows = (await session.execute(text("""
            SELECT h.id, h.ref, h.address, h.house_number, h.postcode, h.source, h.side, s.name AS street,
                   s.usrn, ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat
              FROM household h LEFT JOIN street s ON s.id = h.street_id
             WHERE h.operation_id = :op"""), {"op": operation_id})).mappings().all()
    return {r["ref"]: dict(r) for r in rows}


async def test_a_published_grid_position_is_stored_within_a_metre(db_engine, planned):
    """Through the whole import (CSV, OSTN15, PostGIS storage), in both coordinate systems."""
    op = await planned(streets=False, area=None)
    rows = [{"UPRN": "1", "ADDRESS": "Caister Water Tower", "X_COORDINATE": CAISTER_EN[0],
             "Y_COORDINATE": CAISTER_EN[1], "LATITUDE": "", "LONGITUDE": ""},
            {"UPRN": "2", "ADDRESS": "Caister Water Tower (degrees)", "X_COORDINATE": "", "Y_COORDINATE": "",
             "LATITUDE": f"{CAISTER_LAT:.9f}", "LONGITUDE": f"{CAISTER_LON:.9f}"}]
    summary = await run(db_engine, op, csv_bytes(rows))
    assert summary.coordinates == {"easting/northing": 1, "latitude/longitude": 1}
    stored = await doors(db_engine, op.id)
    for ref in ("1", "2"):
        assert metres(stored[ref]["lon"], stored[ref]["lat"], CAISTER_LON, CAISTER_LAT) < 1.0


async def test_streets_by_usrn_then_name_then_nearest(db_engine, planned):
    op = await planned()
    a_e, a_n = grid(-1.5585, 53.8051)  # beside Alpha Street
    b_e, b_n = grid(-1.5521, 53.8047)  # beside Beta Road
    rows = [
        {"UPRN": "100", "USRN": "99000001", "STREET_DESCRIPTION": "ALPHA STREET", "PAO_START_NUMBER": "1",
         "X_COORDINATE": a_e, "Y_COORDINATE": a_n},
        # the USRN learnt from line 2 puts this row on Alpha Street though its name is misspelt
        {"UPRN": "101", "USRN": "99000001", "STREET_DESCRIPTION": "Alfa St", "PAO_START_NUMBER": "3",
         "X_COORDINATE": a_e + 10, "Y_COORDINATE": a_n},
        # no street name, no USRN: nearest street (Beta Road, a few metres away)
        {"UPRN": "102", "USRN": "", "STREET_DESCRIPTION": "", "PAO_START_NUMBER": "2",
         "X_COORDINATE": b_e, "Y_COORDINATE": b_n},
        # the name says Beta Road although the point is nearer Alpha Street: the name wins
        {"UPRN": "103", "USRN": "", "STREET_DESCRIPTION": "Beta Road", "PAO_START_NUMBER": "4",
         "X_COORDINATE": a_e, "Y_COORDINATE": a_n + 5},
    ]
    summary = await run(db_engine, op, csv_bytes(rows))
    assert (summary.by_usrn, summary.by_name, summary.by_nearest, summary.no_street) == (1, 2, 1, 0)
    assert summary.usrns_learnt == 1
    stored = await doors(db_engine, op.id)
    assert [stored[r]["street"] for r in ("100", "101", "102", "103")] == \
        ["Alpha Street", "Alpha Street", "Beta Road", "Beta Road"]
    assert stored["100"]["usrn"] == 99000001
    assert stored["101"]["address"] == "3 Alfa St"

    # A later upload finds the street by the USRN alone.
    later = [{"UPRN": "104", "USRN": "99000001", "STREET_DESCRIPTION": "", "PAO_START_NUMBER": "5",
              "X_COORDINATE": b_e, "Y_COORDINATE": b_n}]
    summary = await run(db_engine, op, csv_bytes(later))
    assert (summary.by_usrn, summary.by_name, summary.by_nearest) == (1, 0, 0)
    assert (await doors(db_engine, op.id))["104"]["street"] == "Alpha Street"


async def test_uploading_again_updates_in_place_and_never_duplicates(db_engine, planned):
    op = await planned()
    e, n = grid(-1.5585, 53.8051)
    rows = [{"UPRN": str(200 + i), "ADDRESS_LINE_1": f"{i} Alpha Street", "STREET": "Alpha Street",
             "POSTCODE": "ls6 1aa", "EASTING": e + i, "NORTHING": n} for i in range(1, 6)]
    first = await run(db_engine, op, csv_bytes(rows))
    assert (first.created, first.updated) == (5, 0)
    before = await doors(db_engine, op.id)
    rows[0]["ADDRESS_LINE_1"] = "Flat A, 1 Alpha Street"
    rows[0]["POSTCODE"] = "LS6 1AB"
    again = await run(db_engine, op, csv_bytes(rows))
    assert (again.created, again.updated) == (0, 5)
    after = await doors(db_engine, op.id)
    assert len(after) == len(before)
    assert after["201"]["id"] == before["201"]["id"]
    assert (after["201"]["address"], after["201"]["postcode"]) == ("Flat A, 1 Alpha Street", "LS6 1AB")
    assert before["201"]["postcode"] == "LS6 1AA"


async def test_refused_rows_are_listed_with_their_line_numbers(db_engine, planned):
    op = await planned()
    e, n = grid(-1.5585, 53.8051)
    text_ = (
        "uprn,address,easting,northing\n"
        f"300,1 Alpha Street,{e},{n}\n"  # line 2: good
        f",2 Alpha Street,{e},{n}\n"  # line 3: no UPRN
        f"300,3 Alpha Street,{e},{n}\n"  # line 4: the same UPRN as line 2
        "301,4 Alpha Street,abc,433000\n"  # line 5: not a number
        "302,5 Alpha Street,53.805,-1.5585\n"  # line 6: degrees in the grid columns
        f"303,6 Alpha Street,{n},{e}\n"  # line 7: swapped, outside the grid that way
        "304,7 Alpha Street,900000,1400000\n"  # line 8: beyond the National Grid
        f"305,,{e},{n}\n"  # line 9: no address
        "\n"  # line 10: blank, ignored
        f"306,\"8 Alpha Street, Leeds\",{e + 3},{n}\n"  # line 11: good (a quoted comma)
    ).encode()
    summary = await run(db_engine, op, text_)
    assert summary.imported == 2
    got = {r["line"]: r["reason"] for r in summary.refusals}
    assert sorted(got) == [3, 4, 5, 6, 7, 8, 9]
    assert got[3] == "no UPRN"
    assert "also on line 2" in got[4]
    assert "not a number" in got[5]
    assert "look like degrees" in got[6]
    assert "swapped" in got[7]
    assert "outside Great Britain" in got[8]
    assert "no address" in got[9]
    assert summary.refusal_reasons["duplicate UPRN in the file"] == 1


async def test_swapped_coordinates_inside_the_grid_are_told_by_the_area(db_engine, planned):
    """In Leeds, easting and northing are both valid grid values the other way round: the area tells."""
    op = await planned()
    e, n = grid(-1.5585, 53.8051)
    rows = [{"UPRN": "400", "ADDRESS": "1 Alpha Street", "EASTING": n, "NORTHING": e},
            {"UPRN": "401", "ADDRESS": "Somewhere in Scotland", "EASTING": 300000, "NORTHING": 700000}]
    summary = await run(db_engine, op, csv_bytes(rows))
    assert summary.imported == 0
    assert summary.outside_area == 1
    assert [r["line"] for r in summary.refusals] == [2] and "swapped" in summary.refusals[0]["reason"]


async def test_latitude_longitude_swapped_and_windows_1252(db_engine, planned):
    op = await planned()
    data = ("UPRN,Address,Latitude,Longitude\n"
            "500,\"1 Alpha Street, Café\",53.8051,-1.5585\n"
            "501,2 Alpha Street,-1.5585,53.8051\n").encode("cp1252")
    summary = await run(db_engine, op, data)
    assert summary.encoding == "Windows-1252" and summary.imported == 1
    assert (await doors(db_engine, op.id))["500"]["address"] == "1 Alpha Street, Café"
    assert "latitude and longitude look swapped" in summary.refusals[0]["reason"]


async def test_an_address_door_replaces_the_generated_door_it_stands_in_for(db_engine, planned):
    op = await planned()
    before = await doors(db_engine, op.id)
    generated = {r["house_number"]: r for r in before.values()
                 if r["source"] == "generated" and r["street"] == "Alpha Street"}
    assert {"1", "2", "3", "5", "7"} <= set(generated)
    e, n = grid(*ALPHA[0])
    rows = [  # 3 stands in for generated door 3; 7A for generated door 7 (its leading number)
        {"UPRN": "600", "PAO_START_NUMBER": "3", "STREET_DESCRIPTION": "Alpha Street", "X_COORDINATE": e + 30,
         "Y_COORDINATE": n + 10},
        {"UPRN": "601", "PAO_START_NUMBER": "7", "PAO_START_SUFFIX": "A", "STREET_DESCRIPTION": "Alpha Street",
         "X_COORDINATE": e + 60, "Y_COORDINATE": n + 10},
    ]
    summary = await run(db_engine, op, csv_bytes(rows))
    assert summary.generated_replaced == 2
    after = await doors(db_engine, op.id)
    gone = {generated["3"]["ref"], generated["7"]["ref"]}
    assert gone.isdisjoint(after) and set(before) - set(after) == gone
    assert after["601"]["address"] == "7A Alpha Street" and after["601"]["source"] == "address_list"
    # Uploading the same list again replaces nothing more.
    again = await run(db_engine, op, csv_bytes(rows))
    assert again.generated_replaced == 0 and set(await doors(db_engine, op.id)) == set(after)


async def test_a_generated_door_with_a_visit_is_kept(db_engine, planned):
    op = await planned()
    async with transaction(db_engine) as session:
        gid = (await session.execute(text(
            "SELECT h.id FROM household h JOIN street s ON s.id = h.street_id WHERE h.operation_id = :op "
            "AND s.name = 'Beta Road' AND h.house_number = '1'"), {"op": op.id})).scalar_one()
        tid = (await session.execute(text(
            "INSERT INTO team (operation_id, name) VALUES (:op, 'T') RETURNING id"), {"op": op.id})).scalar_one()
        await session.execute(text(
            "INSERT INTO visit (id, operation_id, household_id, team_id, device_id, visited_at, outcome, "
            "content_hash) VALUES (gen_random_uuid(), :op, :h, :t, 'd', now(), 'no_answer', 'x')"),
            {"op": op.id, "h": gid, "t": tid})
    e, n = grid(*BETA[0])
    summary = await run(db_engine, op, csv_bytes([{"UPRN": "700", "PAO_START_NUMBER": "1",
                                                    "STREET_DESCRIPTION": "Beta Road", "X_COORDINATE": e - 10,
                                                    "Y_COORDINATE": n + 10}]))
    assert (summary.generated_replaced, summary.generated_kept) == (0, 1)
    assert any(r["id"] == gid for r in (await doors(db_engine, op.id)).values())


async def test_a_reimport_of_the_osm_extract_brings_no_generated_doors_back(db_engine, planned, tmp_path):
    from server.domain.areas.importer import import_area
    from server.domain.areas.osm_reader import read_area

    from .conftest import street_file

    op = await planned()
    e, n = grid(*ALPHA[0])
    await run(db_engine, op, csv_bytes([{"UPRN": "800", "PAO_START_NUMBER": "1", "STREET_DESCRIPTION":
                                         "Alpha Street", "X_COORDINATE": e + 6, "Y_COORDINATE": n + 10}]))
    before = await doors(db_engine, op.id)
    async with transaction(db_engine) as session:
        summary = await import_area(session, read_area(street_file(tmp_path)), op.name)
    after = await doors(db_engine, op.id)
    assert set(after) == set(before)
    assert summary.skipped["generated door on a street the address list covers"] > 0


async def test_one_bad_file_leaves_nothing_half_imported(db_engine, planned, monkeypatch):
    op = await planned()
    before = await doors(db_engine, op.id)
    e, n = grid(-1.5585, 53.8051)
    rows = [{"UPRN": str(900 + i), "ADDRESS": f"{i} Alpha Street", "EASTING": e + i, "NORTHING": n}
            for i in range(10)]

    async def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(address_importer, "order_doors", broken)
    with pytest.raises(RuntimeError):
        await run(db_engine, op, csv_bytes(rows))
    assert await doors(db_engine, op.id) == before
    # Files that cannot be read at all are refused before the database is touched.
    for data, says in ((b"PK\x03\x04zip", "Excel"), (b"\x00\x01binary", "binary"),
                       (b"uprn,address\n1,x\n", "no coordinate columns"),
                       (b"address,easting,northing\nx,1,2\n", "no UPRN column")):
        with pytest.raises(AddressFileError, match=says):
            read_addresses(data, "bad.csv")


async def test_doors_outside_the_area_are_left_out_and_counted(db_engine, planned):
    op = await planned()
    inside = grid(-1.5585, 53.8051)
    outside = grid(-1.5300, 53.8200)
    rows = [{"UPRN": "1000", "ADDRESS": "1 Alpha Street", "EASTING": inside[0], "NORTHING": inside[1]},
            {"UPRN": "1001", "ADDRESS": "Far away", "EASTING": outside[0], "NORTHING": outside[1]}]
    summary = await run(db_engine, op, csv_bytes(rows))
    assert (summary.imported, summary.outside_area) == (1, 1)
    assert "1001" not in await doors(db_engine, op.id)


async def test_concurrent_imports_of_one_file_never_duplicate(db_engine, planned):
    op = await planned()
    e, n = grid(-1.5585, 53.8051)
    data = csv_bytes([{"UPRN": str(1100 + i), "ADDRESS": f"{i} Alpha Street", "EASTING": e + i, "NORTHING": n}
                      for i in range(50)])
    results = await asyncio.gather(*(run(db_engine, op, data) for _ in range(3)))
    assert sorted(r.created for r in results) == [0, 0, 50]
    stored = await doors(db_engine, op.id)
    assert sum(1 for r in stored.values() if r["source"] == "address_list") == 50


async def test_a_closed_operation_takes_no_address_list(db_engine, planned):
    from server.lib.exceptions import Conflict

    op = await planned()
    async with transaction(db_engine) as session:
        await session.execute(text("UPDATE operation SET status = 'closed' WHERE id = :op"), {"op": op.id})
    op.status = "closed"
    e, n = grid(-1.5585, 53.8051)
    with pytest.raises(Conflict, match="closed"):
        await run(db_engine, op, csv_bytes([{"UPRN": "1", "ADDRESS": "x", "EASTING": e, "NORTHING": n}]))


def test_the_aliases_of_addressbase_and_llpg_exports():
    from server.domain.addresses.columns import map_columns

    plus = ["UPRN", "USRN", "X_COORDINATE", "Y_COORDINATE", "LATITUDE", "LONGITUDE", "SAO_TEXT",
            "PAO_START_NUMBER", "PAO_TEXT", "STREET_DESCRIPTION", "POSTCODE", "POSTCODE_LOCATOR"]
    cols = map_columns(plus)
    assert cols["easting"] == [2] and cols["latitude"] == [4] and cols["postcode"] == [10, 11]
    core = map_columns(["uprn", "Easting", "Northing", "single line address", "Street Name"])
    assert core["single_line"] == [3] and core["street"] == [4]
    assert json.dumps(map_columns(["Uprn", "lat", "lng", "Address Line 1"]))
