"""What `doorstep import-osm FILE --operation NAME` runs: read, import in one transaction, summarise."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from server.db.engine import make_engine, transaction
from server.domain.areas.importer import MATCH_RADIUS_M, ImportSummary, import_area
from server.domain.areas.osm_reader import read_area


async def run_import(
    database_url: str | None, path: str | Path, operation_name: str, console: Console | None = None
) -> ImportSummary:
    """Read the file completely first, then write everything in one transaction and commit once.

    The progress bar goes to stderr and only to a terminal (a script or a test reading stderr
    sees just the one-line error); the summary goes to stdout.
    """
    progress_console = Console(stderr=True)
    console = console or Console()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        console=progress_console, transient=True, disable=not progress_console.is_terminal,
    ) as bar:
        reading = bar.add_task(f"reading {Path(path).name}", total=None)
        area = await asyncio.to_thread(read_area, path)
        bar.update(reading, total=1, completed=1)
        engine = make_engine(database_url)
        try:
            async with transaction(engine) as session:
                summary = await import_area(session, area, operation_name, bar)
        finally:
            await engine.dispose()
    console.print(summary_table(summary))
    return summary


def summary_table(s: ImportSummary) -> Table:
    table = Table(title=f"Imported into {s.operation!r}", show_header=False)
    table.add_row("streets", str(s.streets))
    sources = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(s.by_source.items()))
    table.add_row("households", f"{s.households} ({sources})" if sources else str(s.households))
    table.add_row("unmatched", f"{s.unmatched} (no street within {MATCH_RADIUS_M:.0f} m)")
    table.add_row("rows created / updated", f"{s.created} / {s.updated}")
    for reason, n in sorted(s.skipped.items()):
        table.add_row("skipped", f"{n} {reason}")
    return table

