"""What `doorstep import-addresses FILE --operation NAME [--create --area AREA.geojson]` runs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.addresses.importer import AddressSummary, import_addresses
from server.domain.addresses.reader import AddressFileError, read_addresses
from server.domain.areas.commands import CreateSpec, get_or_create_operation, in_one_transaction, progress_bar
from server.domain.areas.importer import MATCH_RADIUS_M

#: Refused rows the terminal lists one by one (the rest are counted by reason).
SHOWN_REFUSALS = 20


async def run_address_import(database_url: str | None, path: str | Path, operation_name: str,
                             console: Console | None = None, create: CreateSpec | None = None) -> AddressSummary:
    console = console or Console()
    path = Path(path)
    if not path.is_file():
        raise AddressFileError(f"{path}: no such file")
    data = path.read_bytes()
    with progress_bar() as bar:
        lines = max(data.count(b"\n"), 1)
        reading = bar.add_task(f"reading {path.name}", total=lines)
        addresses = await asyncio.to_thread(
            read_addresses, data, path.name, lambda n: bar.update(reading, completed=n))
        bar.update(reading, completed=lines)

        async def work(session: AsyncSession) -> AddressSummary:
            operation = await get_or_create_operation(session, operation_name, create)
            return await import_addresses(session, addresses, operation, bar)

        summary = await in_one_transaction(database_url, work)
    console.print(address_table(summary))
    if summary.refusals:
        console.print(f"Refused rows ({summary.refused}; fix them in the file and import it again — "
                      "the rows that went in are updated, not duplicated):")
        for r in summary.refusals[:SHOWN_REFUSALS]:
            console.print(f"  line {r['line']}: {r['reason']}", markup=False, highlight=False)
        if summary.refused > SHOWN_REFUSALS:
            console.print(f"  … and {summary.refused - SHOWN_REFUSALS} more")
    return summary


def address_table(s: AddressSummary) -> Table:
    table = Table(title=f"Address list imported into {s.operation!r}", show_header=False)
    for label, value in address_summary_rows(s.as_dict()):
        table.add_row(label, value)
    return table


def address_summary_rows(d: dict[str, Any]) -> list[tuple[str, str]]:
    """The summary's lines, for the terminal and the set-up page alike."""
    coords = ", ".join(f"{n} in {k}" for k, n in d["coordinates"].items())
    rows = [
        ("rows read", f"{d['rows']} ({d['encoding']}; {coords or 'no usable coordinates'})"),
        ("doors imported", f"{d['imported']} ({d['created']} new, {d['updated']} updated)"),
        ("street found by", f"USRN {d['by_usrn']}, name {d['by_name']}, nearest {d['by_nearest']}"),
        ("doors on no street", f"{d['no_street']} (no street within {MATCH_RADIUS_M:.0f} m)"),
        ("outside the area", f"{d['outside_area']} (left out)"),
        ("generated doors replaced", str(d["generated_replaced"])),
    ]
    if d["generated_kept"]:
        rows.append(("generated doors kept", f"{d['generated_kept']} (visits point at them, or the operation is "
                                             "no longer planned)"))
    if d["usrns_learnt"]:
        rows.append(("USRNs learnt by streets", str(d["usrns_learnt"])))
    rows.append(("rows refused", str(d["refused"]) + (
        " (" + ", ".join(f"{n} {k}" for k, n in d["refusal_reasons"].items()) + ")" if d["refused"] else "")))
    return rows
