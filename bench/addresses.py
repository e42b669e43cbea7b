"""Times an address list of 100,000 rows through `import-addresses`' code, beside plain COPY of the same rows.

    .venv/bin/python bench/addresses.py [--rows 100000] [--streets 400] [--database doorstep_bench_addresses]

The operation has a grid of `--streets` named streets; the list is AddressBase Plus-like (UPRN, USRN on half
the streets, PAO number, street name on 7 rows in 8, X/Y in British National Grid), so every street-matching
path runs: USRN, name, and nearest street for the rows without a name. Printed: reading (CSV, checks, OSTN15),
the database's transaction (stage, area, streets, generated doors, upsert, door order), the whole, and the
rows/s; beside them the same rows loaded by plain COPY into a table with a point column (the ceiling), and the
import again (every row an update). Target: the whole import of 100,000 rows under 60 s on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import asyncpg_dsn, fresh_database  # noqa: E402

TARGET_SECONDS = 60.0


def make_list(rows: int, streets: int) -> bytes:
    """Streets run west-east 60 m apart; doors every 8 m along them, 10 m off the centre line."""
    from convertbng.cutil import convert_bng

    per_street = -(-rows // streets)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["UPRN", "USRN", "PAO_START_NUMBER", "STREET_DESCRIPTION", "POSTCODE_LOCATOR", "X_COORDINATE",
                "Y_COORDINATE"])
    e0, n0 = (float(v[0]) for v in convert_bng([-1.60], [53.78]))
    uprn = 999_000_000_001
    for s in range(streets):
        for k in range(per_street):
            if uprn - 999_000_000_001 >= rows:
                break
            side = 1 if k % 2 == 0 else -1
            w.writerow([uprn, 99_000_001 + s if s % 2 == 0 else "", k + 1,
                        "" if uprn % 8 == 0 else f"BENCH STREET {s + 1}", "LS6 1AA",
                        f"{e0 + 8 * (k // 2) + 4:.2f}", f"{n0 + 60 * s + 10 * side:.2f}"])
            uprn += 1
    return out.getvalue().encode()


async def setup_operation(conn, streets: int, per_street: int) -> int:
    from convertbng.cutil import convert_lonlat

    from bench.common import ROOT  # noqa: F401 - the cluster is the project's

    await conn.execute("INSERT INTO questionnaire_version (id, version, title, definition) "
                       "VALUES ('bench-q', 1, 'Bench', '{}') ON CONFLICT DO NOTHING")
    op = await conn.fetchval("INSERT INTO operation (name, questionnaire_id, area) VALUES ('bench', 'bench-q', "
                             "ST_Multi(ST_MakeEnvelope(-1.7, 53.7, -1.2, 54.2, 4326))) RETURNING id")
    from convertbng.cutil import convert_bng

    e0, n0 = (float(v[0]) for v in convert_bng([-1.60], [53.78]))
    length = 8 * (per_street // 2 + 1)
    records = []
    for s in range(streets):
        lons, lats = convert_lonlat([e0, e0 + length], [n0 + 60 * s, n0 + 60 * s])
        line = f"MULTILINESTRING(({lons[0]} {lats[0]}, {lons[1]} {lats[1]}))"
        records.append((op, f"BENCH-{s + 1}", f"Bench Street {s + 1}", line))
    await conn.executemany("INSERT INTO street (operation_id, ref, name, geom) "
                           "VALUES ($1, $2, $3, ST_GeomFromText($4, 4326))", records)
    await conn.execute("ANALYZE street")
    return op


async def main() -> int:
    import asyncpg
    from sqlalchemy import text

    from server.db.engine import make_engine, transaction
    from server.db.models import Operation
    from server.domain.addresses.importer import import_addresses
    from server.domain.addresses.reader import read_addresses

    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--streets", type=int, default=400)
    p.add_argument("--database", default="doorstep_bench_addresses")
    args = p.parse_args()
    url = fresh_database(args.database)
    import os
    import subprocess

    subprocess.run([sys.executable, "-m", "server.cli", "migrate"], check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "DATABASE_URL": url})
    data = make_list(args.rows, args.streets)
    conn = await asyncpg.connect(**asyncpg_dsn(url))
    try:
        op_id = await setup_operation(conn, args.streets, -(-args.rows // args.streets))
    finally:
        await conn.close()
    print(f"machine: 2 cores shared with other work; {args.rows:,} rows on {args.streets} streets, "
          f"{len(data) / 1e6:.1f} MB of CSV")

    engine = make_engine(url)
    try:
        t0 = time.perf_counter()
        addresses = read_addresses(data, "bench.csv")
        t1 = time.perf_counter()
        steps: dict[str, float] = {}

        def progress(step: str, done: int, total: int) -> None:
            steps.setdefault(step, time.perf_counter())

        async with transaction(engine) as session:
            operation = await session.get(Operation, op_id)
            summary = await import_addresses(session, addresses, operation, progress)
        t2 = time.perf_counter()
        again_start = time.perf_counter()
        async with transaction(engine) as session:
            operation = await session.get(Operation, op_id)
            again = await import_addresses(session, read_addresses(data, "bench.csv"), operation)
        again_s = time.perf_counter() - again_start

        # The ceiling: the same rows by plain COPY into a table with a point column.
        conn = await asyncpg.connect(**asyncpg_dsn(url))
        try:
            await conn.execute("CREATE TABLE plain_copy (uprn bigint, usrn bigint, number text, street text, "
                               "postcode text, lon float8, lat float8, geom geometry(Point, 4326))")
            rows = [(r.uprn, r.usrn, r.house_number, r.street_name, r.postcode, r.lon, r.lat)
                    for r in addresses.rows]
            c0 = time.perf_counter()
            async with conn.transaction():
                await conn.copy_records_to_table("plain_copy", records=rows, columns=[
                    "uprn", "usrn", "number", "street", "postcode", "lon", "lat"])
                await conn.execute("UPDATE plain_copy SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326)")
            copy_s = time.perf_counter() - c0
        finally:
            await conn.close()
        async with transaction(engine) as session:
            stored = (await session.execute(text("SELECT count(*) FROM household WHERE operation_id = :op"),
                                            {"op": op_id})).scalar()
    finally:
        await engine.dispose()

    read_s, db_s, total_s = t1 - t0, t2 - t1, t2 - t0
    n = summary.imported
    print(f"{'':40}{'seconds':>10}{'rows/s':>12}")
    print(f"{'reading (CSV, checks, OSTN15)':40}{read_s:10.2f}{args.rows / read_s:12,.0f}")
    print(f"{'database transaction':40}{db_s:10.2f}{n / db_s:12,.0f}")
    print(f"{'import-addresses, whole (first upload)':40}{total_s:10.2f}{n / total_s:12,.0f}")
    print(f"{'import-addresses again (all updates)':40}{again_s:10.2f}{n / again_s:12,.0f}")
    print(f"{'plain COPY of the same rows (ceiling)':40}{copy_s:10.2f}{n / copy_s:12,.0f}")
    print(f"x plain COPY: {total_s / copy_s:.1f}")
    marks = sorted(steps.items(), key=lambda kv: kv[1]) + [("commit", t2)]
    print("inside the transaction: " + ", ".join(
        f"{name} {end - start:.1f} s" for (name, start), (_, end) in zip(marks, marks[1:], strict=False)))
    print(f"streets by USRN {summary.by_usrn:,}, name {summary.by_name:,}, nearest {summary.by_nearest:,}, "
          f"none {summary.no_street:,}; refused {summary.refused}; stored {stored:,} doors; "
          f"second upload: {again.updated:,} updated, {again.created} new")
    ok = total_s < TARGET_SECONDS and stored == args.rows and again.created == 0
    print(f"target: {args.rows:,} rows in {total_s:.1f} s < {TARGET_SECONDS:.0f} s: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
