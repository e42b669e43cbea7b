"""The public open-data pages and files at /open-data: no sign-in, published operations only
(an operation's coordinators may preview theirs before publishing)."""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime
from pathlib import Path

from litestar import Request, Response, Router, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.reads import as_of_words
from server.lib.auth import optional_user
from server.lib.exceptions import DoorstepError
from server.lib.pages import AreaLook, PageArea

from . import disclosure, files, public, publication
from .fields import BY_NAME

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "opendata" / "templates"
area = PageArea(TEMPLATES, "/open-data", forbidden_heading="Not published", look=AreaLook(
    name="Open data", title="Open data", nav="Published operations", back="See the published operations",
    who_signs_in="Coordinators", stylesheets=("/static/doorstep.css", "/static/opendata/opendata.css")))
area.env.filters["n"] = disclosure.words
area.env.filters["nt"] = disclosure.short
area.env.filters["day"] = public.long_day
area.env.globals.update(OGL_LINE=files.OGL_LINE, OSM_LINE=files.OSM_LINE, RULE_TEXT=files.RULE_TEXT,
                        SUPPRESS_BELOW=disclosure.SUPPRESS_BELOW,
                        MIN_HOUSEHOLDS=disclosure.MIN_HOUSEHOLDS, FIELDS=BY_NAME)

#: Published outputs follow the results, so caches must ask again each time; a coordinator's preview
#: of an unpublished operation is never stored anywhere.
PUBLIC_CACHE = {"Cache-Control": "no-cache", "Vary": "Cookie, Authorization"}
PREVIEW_CACHE = {"Cache-Control": "private, no-store", "Vary": "Cookie, Authorization"}


def cache_headers(view: publication.Viewable, last_updated: dt.date | None = None) -> dict[str, str]:
    """Caching, and for a file the day its figures last changed as Last-Modified (midnight UTC: public
    outputs give dates to the day, never a time), so a CSV, which cannot say it inside, says it too."""
    headers = dict(PREVIEW_CACHE if view.preview else PUBLIC_CACHE)
    if last_updated is not None:
        headers["Last-Modified"] = format_datetime(dt.datetime.combine(last_updated, dt.time(), dt.UTC), usegmt=True)
    return headers


def absolute(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + path


@get("/", include_in_schema=False)
async def published_list(request: Request, read_session: NamedDependency[AsyncSession]) -> Response:
    operations = await publication.published_operations(read_session)
    rows = [{"operation": op, "last_updated": await publication.last_updated(read_session, op.id),
             "links": publication.links(op.id)} for op in operations]
    return area.render("list.html", user=None, rows=rows, ogc=absolute(request, "/ogc"),
                       read_as_of=as_of_words(request))


@get("/operations/{operation_id:int}", include_in_schema=False)
async def operation_page(request: Request, db_session: NamedDependency[AsyncSession],
                         read_session: NamedDependency[AsyncSession], operation_id: FromPath[int]) -> Response:
    # Who may see it from the primary (a withdrawal applies at once); the figures from a replica if any.
    view = await publication.viewable(db_session, await optional_user(request), operation_id)
    results = await public.results_for(read_session, view.operation)
    response = area.render(
        "operation.html", user=None, operation=view.operation, preview=view.preview, results=results,
        totals=results.totals, concerns=public.concern_lines(results.totals, top=5),
        fixes=public.fix_lines(results.totals),
        last_updated=await publication.last_updated(read_session, operation_id),
        links=publication.links(operation_id),
        ogc_url=absolute(request, f"/ogc/collections/operation-{operation_id}-streets"),
        ogc_root=absolute(request, "/ogc"), read_as_of=as_of_words(request))
    response.headers.update(cache_headers(view))
    return response


# ---------------------------------------------------------------- files (errors as JSON, like the API)


@get("/operations/{operation_id:int}/streets.csv", include_in_schema=False)
async def streets_csv(request: Request, db_session: NamedDependency[AsyncSession],
                      read_session: NamedDependency[AsyncSession], operation_id: FromPath[int]) -> Response:
    view = await publication.viewable(db_session, await optional_user(request), operation_id)
    results = await public.results_for(read_session, view.operation)
    updated = await publication.last_updated(read_session, operation_id)
    return Response(files.streets_csv(results), media_type="text/csv", headers={
        **cache_headers(view, updated),
        "Content-Disposition": f'inline; filename="operation-{operation_id}-streets.csv"'})


@get("/operations/{operation_id:int}/streets.geojson", include_in_schema=False)
async def streets_geojson(request: Request, db_session: NamedDependency[AsyncSession],
                          read_session: NamedDependency[AsyncSession], operation_id: FromPath[int]) -> Response:
    view = await publication.viewable(db_session, await optional_user(request), operation_id)
    results = await public.results_for(read_session, view.operation, with_geometry=True)
    updated = await publication.last_updated(read_session, operation_id)
    body = files.streets_geojson(view.operation, results, updated)
    return Response(body, media_type="application/geo+json", headers=cache_headers(view, updated))


@get("/operations/{operation_id:int}/datapackage.json", include_in_schema=False)
async def datapackage(request: Request, db_session: NamedDependency[AsyncSession],
                      read_session: NamedDependency[AsyncSession], operation_id: FromPath[int]) -> Response:
    view = await publication.viewable(db_session, await optional_user(request), operation_id)
    updated = await publication.last_updated(read_session, operation_id)
    body = files.datapackage(view.operation, absolute(request, f"/open-data/operations/{operation_id}/"), updated)
    return Response(body, media_type="application/json", headers=cache_headers(view, updated))


def error_page(_: Request, exc: DoorstepError) -> Response:
    """The shared error page, as to anyone: these paths are public, so no session is looked up."""
    return area.render("error.html", status_code=exc.status_code, status=exc.status_code,
                       heading=area.headings.get(exc.status_code, "Something is wrong"), detail=exc.detail, user=None)


from .report_routes import REPORT_FILES, REPORT_PAGES  # noqa: E402 - they use this module's area

pages = Router(path="/open-data", route_handlers=[published_list, operation_page, *REPORT_PAGES],
               exception_handlers={DoorstepError: error_page}, include_in_schema=False)
downloads = Router(path="/open-data", route_handlers=[streets_csv, streets_geojson, datapackage, *REPORT_FILES],
                   include_in_schema=False)

PAGE_ROUTES = [pages, downloads]
