"""The `doorstep` command: serve, migrate, load the demo, import an area, add users.

Errors print one line saying what to fix and exit non-zero; nothing is half-done (each
command runs in one transaction).
"""

from __future__ import annotations

import asyncio
import functools
import getpass
import sys
from pathlib import Path
from typing import NoReturn

import click

from server.settings import SettingsError

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def one_line_errors(fn):
    """Domain and settings errors become a one-line message and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from server.domain.areas.features import AreaFileError
        from server.lib.exceptions import DoorstepError

        try:
            return fn(*args, **kwargs)
        except DoorstepError as exc:
            _fail(exc.detail)
        except (SettingsError, AreaFileError, FileNotFoundError) as exc:
            _fail(str(exc))

    return wrapper


async def _in_transaction(work):
    from server.db.engine import make_engine, transaction

    engine = make_engine()
    try:
        async with transaction(engine) as session:
            return await work(session)
    finally:
        await engine.dispose()


@click.group()
def main() -> None:
    """Doorstep: door-to-door community safety operations."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
@one_line_errors
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API and web pages."""
    import uvicorn

    from server.settings import get_settings

    settings = get_settings()
    settings.check_production_safe()
    if not settings.demo:
        _refuse_demo_passwords(settings.database_url)
    # proxy_headers off: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 and rewrite the
    # client address; server/lib/clients.py reads it, from DOORSTEP_TRUSTED_PROXIES only.
    uvicorn.run("server.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", access_log=False, proxy_headers=False)


def _refuse_demo_passwords(database_url: str) -> None:
    from server.db.engine import make_engine
    from server.domain.demo.guard import demo_passwords_refusal, users_with_the_demo_password

    async def check() -> list[str]:
        engine = make_engine(database_url)
        try:
            return await users_with_the_demo_password(engine)
        finally:
            await engine.dispose()

    left = asyncio.run(check())
    if left:
        _fail(demo_passwords_refusal(left))


@main.command()
@one_line_errors
def migrate() -> None:
    """Bring the database schema up to date (Alembic)."""
    from alembic import command
    from alembic.config import Config

    from server.settings import get_settings

    get_settings()  # fail early with a clear message when DATABASE_URL is missing
    command.upgrade(Config(str(ALEMBIC_INI)), "heads")  # slices may add their own heads
    click.echo("database schema is up to date")


@main.group()
def demo() -> None:
    """Demo data (never in a production start)."""


@demo.command("load")
@one_line_errors
def demo_load() -> None:
    """Load the demo agencies, users, questionnaire and the Woodhouse operation (DOORSTEP_DEMO=1 only)."""
    from server.domain.demo.loader import load_demo
    from server.settings import get_settings

    if not get_settings().demo:
        _fail("the demo is loaded only with DOORSTEP_DEMO=1: it makes users whose password is published "
              "(doorstep-demo). On a real database, add users with `doorstep user add` instead.")

    summary = asyncio.run(_in_transaction(load_demo))
    click.echo(f"demo loaded: operation {summary.operation_id} with {summary.streets} streets, "
               f"{summary.households} households, {summary.teams} pairs")


def create_options(fn):
    """--create --area AREA.geojson [--questionnaire ID] [--coordinator USER]: make the planned operation first."""
    fn = click.option("--coordinator", "coordinators", multiple=True,
                      help="With --create: a user who coordinates it (repeat for several).")(fn)
    fn = click.option("--questionnaire", "questionnaire_id", default=None,
                      help="With --create: the questionnaire id (default: the newest published).")(fn)
    fn = click.option("--area", "area_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
                      help="With --create: the area, a GeoJSON Polygon or MultiPolygon file.")(fn)
    fn = click.option("--create", is_flag=True, help="Create the operation (planned) before importing.")(fn)
    return fn


def _create_spec(create: bool, area_file: Path | None, questionnaire_id: str | None,
                 coordinators: tuple[str, ...]):
    from server.domain.areas.commands import CreateSpec

    if not create:
        if area_file or questionnaire_id or coordinators:
            _fail("--area, --questionnaire and --coordinator go with --create")
        return None
    if area_file is None:
        _fail("--create needs --area AREA.geojson (the operation's boundary)")
    return CreateSpec(area_file=area_file, questionnaire_id=questionnaire_id, coordinators=coordinators)


@main.command("import-osm")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--operation", "operation_name", required=True, help="Name of the operation.")
@create_options
@one_line_errors
def import_osm(file: Path, operation_name: str, create: bool, area_file: Path | None, questionnaire_id: str | None,
               coordinators: tuple[str, ...]) -> None:
    """Import streets and households from an OpenStreetMap .osm or .osm.pbf FILE."""
    from server.domain.areas.commands import run_import

    spec = _create_spec(create, area_file, questionnaire_id, coordinators)
    if not file.exists():
        _fail(f"no such file: {file}")
    asyncio.run(run_import(None, file, operation_name, create=spec))


@main.command("import-addresses")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--operation", "operation_name", required=True, help="Name of the operation.")
@create_options
@one_line_errors
def import_addresses(file: Path, operation_name: str, create: bool, area_file: Path | None,
                     questionnaire_id: str | None, coordinators: tuple[str, ...]) -> None:
    """Import doors from a council address list (CSV: UPRN, address, easting/northing or latitude/longitude)."""
    from server.domain.addresses.commands import run_address_import

    spec = _create_spec(create, area_file, questionnaire_id, coordinators)
    if not file.exists():
        _fail(f"no such file: {file}")
    asyncio.run(run_address_import(None, file, operation_name, create=spec))


@main.group()
def questionnaire() -> None:
    """Questionnaires as XLSForm workbooks (the survey, choices and settings sheets ODK uses)."""


@questionnaire.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@one_line_errors
def questionnaire_import(file: Path) -> None:
    """Publish the questionnaire in an XLSForm FILE (.xlsx) as a new version."""
    from server.domain.questionnaires.service import import_workbook
    from server.lib.exceptions import Invalid

    if not file.exists():
        _fail(f"no such file: {file}")
    try:
        result = asyncio.run(_in_transaction(lambda session: import_workbook(session, file.read_bytes(),
                                                                             filename=file.name)))
    except Invalid as exc:
        problems = (exc.extra or {}).get("problems", [])
        click.echo(f"error: {file.name} cannot be imported ({len(problems)} problem"
                   f"{'s' if len(problems) != 1 else ''}; nothing was published):", err=True)
        for p in problems:
            where = f"{p['sheet']} sheet" + (f", row {p['row']}" if p["row"] else "") + (
                f", column {p['column']}" if p["column"] else "")
            click.echo(f"  {where}: {p['message']}", err=True)
        sys.exit(1)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(result.message)


@questionnaire.command("export")
@click.argument("questionnaire_id")
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the workbook (default: ID.xlsx here).")
@one_line_errors
def questionnaire_export(questionnaire_id: str, output: Path | None) -> None:
    """Write a published questionnaire version as an XLSForm workbook."""
    from server.domain.questionnaires.service import export_workbook

    data = asyncio.run(_in_transaction(lambda session: export_workbook(session, questionnaire_id)))
    target = output or Path(f"{questionnaire_id}.xlsx")
    target.write_bytes(data)
    click.echo(f"wrote {target} ({len(data):,} bytes)")


@main.group()
def retention() -> None:
    """Residents' details, free text and photos removed on the organisation's schedule."""


@retention.command("run")
@click.option("--now", "now_text", default=None,
              help="Act as if it were this time (ISO 8601): removes now what would be past its time then "
                   "(not a dry run). The nightly schedule is left as it was.")
@one_line_errors
def retention_run(now_text: str | None) -> None:
    """Remove now what is past its time (DOORSTEP_RETENTION_FOLLOWUP_DAYS, DOORSTEP_RETENTION_VISIT_TEXT_DAYS)."""
    import datetime as dt

    from server.db.engine import make_engine
    from server.domain.photos.storage import photo_store
    from server.domain.retention.service import RetentionReport, run_retention
    from server.lib.daily import JobBusy
    from server.settings import get_settings

    try:
        now = dt.datetime.fromisoformat(now_text) if now_text else dt.datetime.now(dt.UTC)
    except ValueError:
        _fail(f"--now {now_text!r} is not a date and time: give e.g. 2027-03-01T02:00:00+00:00.")
    if now.tzinfo is None:
        _fail("--now needs a time zone, e.g. 2027-03-01T02:00:00+00:00.")
    settings = get_settings()

    async def run() -> RetentionReport | None:
        engine = make_engine()
        try:
            return await run_retention(engine, settings, photo_store(settings), now, force=True)
        finally:
            await engine.dispose()

    try:
        report = asyncio.run(run())
    except JobBusy as exc:
        _fail(f"A retention run is under way in a server process ({exc}): run this again when it has finished.")
    if report is None:
        _fail("The retention job has no row in scheduled_job: run `doorstep migrate` first.")
    click.echo(report.summary())


@main.command("open311-key")
@click.argument("agency_code")
@one_line_errors
def open311_key(agency_code: str) -> None:
    """Issue a new Open311 API key for an agency (printed once; only its hash is kept)."""
    from server.domain.open311.keys import issue_key

    key = asyncio.run(_in_transaction(lambda session: issue_key(session, agency_code)))
    click.echo(key)


@main.group()
def user() -> None:
    """Users and their roles."""


@user.command("add")
@click.argument("username")
@click.option("--agency", required=True, help="Agency code, e.g. police.")
@click.option("--role", "roles", multiple=True, required=True,
              help="visitor, coordinator, partner or admin; repeat for several.")
@click.option("--display-name", default=None)
@click.option("--password", default=None, help="Prompted for when not given.")
@one_line_errors
def user_add(username: str, agency: str, roles: tuple[str, ...], display_name: str | None,
             password: str | None) -> None:
    """Add a user (an admin's job: it needs access to the database)."""
    from server.domain.auth.services import add_user

    if password is None:
        password = getpass.getpass(f"Password for {username}: ")

    async def work(session):
        return await add_user(session, username=username, password=password,
                              display_name=display_name or username, agency_code=agency, roles=list(roles))

    created = asyncio.run(_in_transaction(work))
    click.echo(f"added user {created.username} ({', '.join(roles)}) in {agency}")


if __name__ == "__main__":
    main()
