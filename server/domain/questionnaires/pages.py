"""The dashboard's questionnaires page (/dashboard/questionnaires): the published versions, each with its
languages and an XLSForm download, and the upload of a workbook as a new version."""

from __future__ import annotations

from litestar import Request, Response, Router, get
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.results.pages import area
from server.lib.auth import current_user, requires_coordinator

from .repository import published_summaries
from .xlsform import MAX_BYTES


@get("/", include_in_schema=False, guards=[requires_coordinator])
async def questionnaires(request: Request, db_session: NamedDependency[AsyncSession]) -> Response:
    return area.render("questionnaires.html", user=current_user(request),
                       questionnaires=await published_summaries(db_session), max_mb=MAX_BYTES // (1024 * 1024))


questionnaires_page = Router(path="/dashboard/questionnaires", route_handlers=[questionnaires],
                             exception_handlers=area.exception_handlers(), include_in_schema=False)
