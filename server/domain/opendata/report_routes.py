""""You said, we did" at /open-data/operations/{id}/report (a page), …/report.pdf (to print) and
…/map.svg, for the operation and for each published unit (…/units/{unit_id}/…). Published
operations for anyone; before publishing, for the operation's coordinators only."""

from __future__ import annotations

import anyio
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.reads import as_of_words
from server.lib.auth import optional_user

from . import publication, report
from .pages import absolute, area, cache_headers


async def _view(request: Request, session: AsyncSession, operation_id: int) -> publication.Viewable:
    return await publication.viewable(session, await optional_user(request), operation_id)


def _paths(operation_id: int, unit_id: int | None) -> str:
    return f"/open-data/operations/{operation_id}" + (f"/units/{unit_id}" if unit_id is not None else "")


async def _page(request: Request, session: AsyncSession, reads: AsyncSession, operation_id: int,
                unit_id: int | None) -> Response:
    # Who may see it from the primary; the figures (and the version that keys the rendered copies)
    # from a read replica if there is one, always both from the same database.
    view = await _view(request, session, operation_id)
    r, _ = await report.build(reads, view, unit_id)
    base = _paths(operation_id, unit_id)
    response = area.render("report.html", user=None, r=r, map_src=f"{base}/map.svg",
                           pdf_url=f"{base}/report.pdf", links=publication.links(operation_id),
                           data_url=absolute(request, f"/open-data/operations/{operation_id}/"),
                           read_as_of=as_of_words(request))
    response.headers.update(cache_headers(view))
    return response


async def _rendered(request: Request, session: AsyncSession, reads: AsyncSession, operation_id: int,
                    unit_id: int | None, what: str) -> tuple[bytes | str, publication.Viewable]:
    """The map (SVG) or the PDF, rendered once per state of what they show."""
    view = await _view(request, session, operation_id)
    key = (what, operation_id, unit_id, view.preview, await report.version(reads, view.operation))
    done = report.RENDERED.get(key)
    if done is not None:
        return done, view
    r, results = await report.build(reads, view, unit_id, with_geometry=True)
    svg = await anyio.to_thread.run_sync(report.map_svg, results, unit_id)
    if what == "svg":
        out: bytes | str = svg
    else:
        html = area.env.get_template("report_print.html").render(
            r=r, map_src=report.data_url(svg), data_url=absolute(request, f"/open-data/operations/{operation_id}/"))
        out = await anyio.to_thread.run_sync(report.render_pdf, html)
    report.RENDERED.put(key, out)
    return out, view


async def _pdf(request: Request, session: AsyncSession, reads: AsyncSession, operation_id: int,
               unit_id: int | None) -> Response:
    pdf, view = await _rendered(request, session, reads, operation_id, unit_id, "pdf")
    name = f"you-said-we-did-operation-{operation_id}" + (f"-unit-{unit_id}" if unit_id is not None else "")
    return Response(pdf, media_type="application/pdf",
                    headers={**cache_headers(view), "Content-Disposition": f'inline; filename="{name}.pdf"'})


async def _map(request: Request, session: AsyncSession, reads: AsyncSession, operation_id: int,
               unit_id: int | None) -> Response:
    svg, view = await _rendered(request, session, reads, operation_id, unit_id, "svg")
    return Response(svg, media_type="image/svg+xml", headers=cache_headers(view))


@get("/operations/{operation_id:int}/report", include_in_schema=False)
async def operation_report(request: Request, db_session: NamedDependency[AsyncSession],
                           read_session: NamedDependency[AsyncSession], operation_id: FromPath[int]) -> Response:
    return await _page(request, db_session, read_session, operation_id, None)


@get("/operations/{operation_id:int}/units/{unit_id:int}/report", include_in_schema=False)
async def unit_report(request: Request, db_session: NamedDependency[AsyncSession],
                      read_session: NamedDependency[AsyncSession], operation_id: FromPath[int],
                      unit_id: FromPath[int]) -> Response:
    return await _page(request, db_session, read_session, operation_id, unit_id)


@get("/operations/{operation_id:int}/report.pdf", include_in_schema=False)
async def operation_report_pdf(request: Request, db_session: NamedDependency[AsyncSession],
                               read_session: NamedDependency[AsyncSession], operation_id: FromPath[int]) -> Response:
    return await _pdf(request, db_session, read_session, operation_id, None)


@get("/operations/{operation_id:int}/units/{unit_id:int}/report.pdf", include_in_schema=False)
async def unit_report_pdf(request: Request, db_session: NamedDependency[AsyncSession],
                          read_session: NamedDependency[AsyncSession], operation_id: FromPath[int],
                      unit_id: FromPath[int]) -> Response:
    return await _pdf(request, db_session, read_session, operation_id, unit_id)


@get("/operations/{operation_id:int}/map.svg", include_in_schema=False)
async def operation_map(request: Request, db_session: NamedDependency[AsyncSession],
                        read_session: NamedDependency[AsyncSession], operation_id: FromPath[int]) -> Response:
    return await _map(request, db_session, read_session, operation_id, None)


@get("/operations/{operation_id:int}/units/{unit_id:int}/map.svg", include_in_schema=False)
async def unit_map(request: Request, db_session: NamedDependency[AsyncSession],
                   read_session: NamedDependency[AsyncSession], operation_id: FromPath[int],
                   unit_id: FromPath[int]) -> Response:
    return await _map(request, db_session, read_session, operation_id, unit_id)


REPORT_PAGES = [operation_report, unit_report]
REPORT_FILES = [operation_report_pdf, unit_report_pdf, operation_map, unit_map]
