"""The coordinators' web pages at /dashboard. Server-rendered shells (Jinja2); the figures come from the
same API the tests check, fetched by the page with the session cookie the sign-in route sets.

A request without a session goes to the sign-in page; a signed-in user who is not a coordinator, or
does not run the operation, gets a page saying so.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Household, HouseholdResult, Operation, Street, Team, TeamStreet
from server.db.reads import as_of_words
from server.domain.operations.access import COORDINATOR, Access, visible_operations
from server.domain.operations.lifecycle import CLOSING_MEANS
from server.domain.questionnaires.repository import published_ids
from server.domain.setup import services as setup_services
from server.lib.auth import current_user, requires_coordinator
from server.lib.exceptions import BadRequest
from server.lib.pages import AreaLook, PageArea, script_json, when
from shared_schemas.codes import (
    CONCERN_LABELS,
    FIX_CATEGORY_LABELS,
    FOLLOWUP_CATEGORY_LABELS,
    FOLLOWUP_STATUS_LABELS,
    OUTCOME_LABELS,
)

from . import services
from .period import Period, period
from .progress import chart_svg, daily_progress

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "dashboard" / "templates"
area = PageArea(TEMPLATES, "/dashboard", forbidden_heading="Not yours to see", look=AreaLook(
    name="Coordinators", title="Doorstep", nav="Operations", back="Sign in to the dashboard",
    who_signs_in="Coordinators", stylesheets=("/static/doorstep.css", "/static/dashboard/dashboard.css")))
render = area.render
_user_or_none = area.user_or_none
From = Annotated[str | None, QueryParameter(name="from", max_length=40)]
To = Annotated[str | None, QueryParameter(name="to", max_length=40)]


# ---------------------------------------------------------------- pages


@get("/", include_in_schema=False, guards=[requires_coordinator])
async def operations_page(request: Request, db_session: NamedDependency[AsyncSession]) -> Response:
    user = current_user(request)
    streets = select(func.count()).where(Street.operation_id == Operation.id).scalar_subquery()
    households = select(func.count()).where(Household.operation_id == Operation.id).scalar_subquery()
    knocked = select(func.count()).where(HouseholdResult.operation_id == Operation.id).scalar_subquery()
    result = await db_session.execute(visible_operations(user).add_columns(
        streets.label("streets"), households.label("households"), knocked.label("knocked")).order_by(Operation.id))
    rows = [{"id": op.id, "name": op.name, "status": op.status, "starts_on": op.starts_on, "ends_on": op.ends_on,
             "streets": n_streets, "households": n_households, "knocked": n_knocked,
             "coverage": round(100 * n_knocked / n_households) if n_households else None}
            for op, n_streets, n_households, n_knocked in result.all()]
    areas = (await db_session.execute(select(Operation.name, func.ST_AsGeoJSON(Operation.area, 6)).where(
        Operation.area.is_not(None), Operation.id.in_([r["id"] for r in rows])))).all()
    context = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name}, "geometry": json.loads(geo)} for name, geo in areas]}
    settings = request.app.state.settings
    return render("operations.html", user=user, operations=rows, questionnaires=await published_ids(db_session),
                  context_areas=script_json(context), tile_url=settings.tile_url, max_area_km2=settings.max_area_km2)



#: Every label the dashboard's script shows, from shared_schemas.codes: one spelling of each category.
LABELS = {"concern": {c.value: t for c, t in CONCERN_LABELS.items()},
          "other": {**{c.value: t for c, t in FIX_CATEGORY_LABELS.items()},
                    **{c.value: t for c, t in FOLLOWUP_CATEGORY_LABELS.items()},
                    **{c.value: t for c, t in FOLLOWUP_STATUS_LABELS.items()},
                    **{c.value: t for c, t in OUTCOME_LABELS.items()},
                    "not_knocked": "Not knocked", "to_revisit": "Knock again"}}


@get("/operations/{operation_id:int}", include_in_schema=False, guards=[requires_coordinator],
     dependencies={"access": COORDINATOR})
async def operation_page(request: Request, access: Access, poll: FromQuery[int | None] = None,
                         first: From = None, last: To = None) -> Response:
    poll_ms = max(250, min(poll, 60_000)) if poll else 5000
    try:
        chosen = period(first, last)
        problem = None
    except BadRequest as exc:
        chosen, problem = Period(), exc.detail
    return area.page(request, "operation.html", operation=access.operation, poll_ms=poll_ms,
                     tile_url=request.app.state.settings.tile_url, period=chosen, period_problem=problem,
                     period_query=urlencode(chosen.query()), labels_json=script_json(LABELS))


@get("/operations/{operation_id:int}/progress.svg", include_in_schema=False, guards=[requires_coordinator],
     dependencies={"access": COORDINATOR})
async def progress_chart(access: Access, db_session: NamedDependency[AsyncSession], first: From = None,
                         last: To = None) -> Response:
    """Visits per day and cumulative coverage as an SVG image (the page shows the same figures as a table)."""
    progress = await daily_progress(db_session, access.operation.id, period(first, last))
    return Response(chart_svg(progress, f"Progress of {access.operation.name}"), media_type="image/svg+xml",
                    headers={"Cache-Control": "private, no-cache"})


@get("/operations/{operation_id:int}/revisits", include_in_schema=False, guards=[requires_coordinator],
     dependencies={"access": COORDINATOR})
async def revisits_page(request: Request, access: Access, read_session: NamedDependency[AsyncSession]) -> Response:
    operation_id = access.operation.id
    doors: list[Any] = []
    cursor = None
    while True:
        page = await services.doors(read_session, operation_id, status="to_revisit", limit=1000, cursor=cursor)
        doors.extend(page.items)
        cursor = page.next
        if cursor is None:
            break
    teams = dict((await read_session.execute(
        select(TeamStreet.street_id, Team.name).join(Team, Team.id == TeamStreet.team_id)
        .where(Team.operation_id == operation_id))).all())
    streets: dict[Any, dict] = {}
    for d in doors:
        street = streets.setdefault(d.street_id, {"street_id": d.street_id, "name": d.street_name or "No street",
                                                  "team": teams.get(d.street_id), "doors": []})
        street["doors"].append(d)
    ordered = sorted(streets.values(), key=lambda s: (s["street_id"] is None, s["name"], s["street_id"] or 0))
    return render("revisits.html", user=access.user, operation=access.operation, streets=ordered,
                  labels={o.value: label for o, label in OUTCOME_LABELS.items()},
                  printed_at=when(dt.datetime.now(dt.UTC)), read_as_of=as_of_words(request))


@get("/operations/{operation_id:int}/setup", include_in_schema=False, guards=[requires_coordinator],
     dependencies={"access": COORDINATOR})
async def setup_page(request: Request, access: Access, db_session: NamedDependency[AsyncSession]) -> Response:
    view = await setup_services.setup_view(db_session, access.operation.id)
    settings = request.app.state.settings
    area = json.loads(bytes(view.operation.area)) if view.operation.area else None
    return render("setup.html", user=access.user, view=view, area_json=script_json(area),
                  closing_means=CLOSING_MEANS, tile_url=settings.tile_url,
                  upload_max_mb=settings.upload_max_bytes // (1024 * 1024))


dashboard = Router(
    path="/dashboard",
    route_handlers=[*area.sign_in_routes(), operations_page, operation_page, progress_chart, revisits_page,
                    setup_page, area.unknown_route([requires_coordinator])],
    exception_handlers={
        **area.exception_handlers(),
    },
    include_in_schema=False,
)
