"""What `doorstep import-osm` and `doorstep import-addresses` run: read the file whole, then create the
operation if asked (--create --area) and import, all in one transaction, and print a summary.

The progress bars go to stderr and only to a terminal (a script or a test reading stderr sees just the
one-line error); the summary goes to stdout.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import make_engine, transaction
from server.db.models import Operation, User
from server.domain.areas.features import AreaFileError
from server.domain.areas.importer import MATCH_RADIUS_M, ImportSummary, import_area
from server.domain.areas.osm_reader import read_area
from server.lib.exceptions import Conflict, Invalid, NotFound

T = TypeVar("T")


@dataclass(frozen=True)
class CreateSpec:
    """--create --area FILE [--questionnaire ID] [--coordinator USER …]: make the planned operation first."""

    area_file: Path
    questionnaire_id: str | None = None
    coordinators: tuple[str, ...] = ()


@contextmanager
def progress_bar():
    console = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True, disable=not console.is_terminal) as bar:
        yield bar


async def get_or_create_operation(session: AsyncSession, name: str, create: CreateSpec | None) -> Operation:
    from server.domain.setup.schemas import OperationCreate
    from server.domain.setup.services import create_planned_operation
    from server.settings import get_settings

    if create is None:
        operation = (await session.execute(select(Operation).where(Operation.name == name))).scalar_one_or_none()
        if operation is None:
            raise NotFound(f"no operation named {name!r}: create it on the dashboard, or add "
                           "--create --area AREA.geojson to this command")
        return operation
    try:
        area = json.loads(create.area_file.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise AreaFileError(f"{create.area_file}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise AreaFileError(f"{create.area_file}: not a GeoJSON file (it is not JSON text)") from None
    questionnaire = create.questionnaire_id or (await session.execute(text(
        "SELECT id FROM questionnaire_version ORDER BY published_at DESC, id DESC LIMIT 1"))).scalar()
    if questionnaire is None:
        raise Invalid("no questionnaire is published yet: run `doorstep demo load`, or publish one first")
    users = dict((await session.execute(select(User.username, User.id).where(
        User.username.in_(create.coordinators)))).all())
    missing = [u for u in create.coordinators if u not in users]
    if missing:
        raise NotFound(f"no user named {', '.join(missing)} to coordinate the operation")
    data = OperationCreate(name=name, area=area, questionnaire_id=questionnaire)
    try:
        detail = await create_planned_operation(session, data, [users[u] for u in create.coordinators],
                                                get_settings().max_area_km2)
    except Conflict:
        raise Conflict(f"there is already an operation called {name!r}: leave out --create to import into it") \
            from None
    return await session.get_one(Operation, detail.id)


async def in_one_transaction(database_url: str | None, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    engine = make_engine(database_url)
    try:
        async with transaction(engine) as session:
            return await work(session)
    finally:
        await engine.dispose()


async def run_import(database_url: str | None, path: str | Path, operation_name: str, console: Console | None = None,
                     create: CreateSpec | None = None) -> ImportSummary:
    """Read the OSM file completely first, then write everything in one transaction and commit once."""
    console = console or Console()
    with progress_bar() as bar:
        reading = bar.add_task(f"reading {Path(path).name}", total=None)
        area = await asyncio.to_thread(read_area, path)
        bar.update(reading, total=1, completed=1)

        async def work(session: AsyncSession) -> ImportSummary:
            operation = await get_or_create_operation(session, operation_name, create)
            return await import_area(session, area, operation.name, bar)

        summary = await in_one_transaction(database_url, work)
    console.print(summary_table(summary))
    return summary


def summary_table(s: ImportSummary) -> Table:
    table = Table(title=f"Imported into {s.operation!r}", show_header=False)
    for label, value in osm_summary_rows(s):
        table.add_row(label, value)
    return table


def osm_summary_rows(s: ImportSummary | dict[str, Any]) -> list[tuple[str, str]]:
    """The summary's lines, for the terminal and the set-up page alike."""
    d = s if isinstance(s, dict) else s.__dict__
    rows = [("streets", str(d["streets"]))]
    sources = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(d["by_source"].items()))
    rows.append(("households", f"{d['households']} ({sources})" if sources else str(d["households"])))
    rows.append(("unmatched", f"{d['unmatched']} (no street within {MATCH_RADIUS_M:.0f} m)"))
    rows.append(("rows created / updated", f"{d['created']} / {d['updated']}"))
    for reason, n in sorted(d["skipped"].items()):
        rows.append(("skipped", f"{n} {reason}"))
    return rows
