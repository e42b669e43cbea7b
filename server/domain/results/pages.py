"""The coordinators' web pages at /dashboard. Server-rendered shells (Jinja2); the figures come from the
same API the tests check, fetched by the page with the session cookie the sign-in route sets.

A request without a session goes to the sign-in page; a signed-in user who is not a coordinator, or
does not run the operation, gets a page saying so.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Household, Operation, Street, Team, TeamStreet
from server.db.reads import as_of_words
from server.domain.operations.access import COORDINATOR, Access, visible_operations
from server.domain.operations.lifecycle import CLOSING_MEANS
from server.domain.questionnaires.repository import published_ids
from server.domain.setup import services as setup_services
from server.lib.auth import current_user, requires_coordinator
from server.lib.pages import AreaLook, PageArea, script_json
from shared_schemas.codes import OUTCOME_LABELS

from . import services

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "dashboard" / "templates"
area = PageArea(TEMPLATES, "/dashboard", forbidden_heading="Not yours to see", look=AreaLook(
    name="Coordinators", title="Doorstep", nav="Operations", back="Sign in to the dashboard",
    who_signs_in="Coordinators", stylesheets=("/static/doorstep.css", "/static/dashboard/dashboard.css")))
render = area.render
_user_or_none = area.user_or_none


# ---------------------------------------------------------------- pages


@get("/", include_in_schema=False, guards=[requires_coordinator])
async def operations_page(request: Request, db_session: NamedDependency[AsyncSession]) -> Response:
    user = current_user(request)
    streets = select(func.count()).where(Street.operation_id == Operation.id).scalar_subquery()
    households = select(func.count()).where(Household.operation_id == Operation.id).scalar_subquery()
    result = await db_session.execute(visible_operations(user).add_columns(
        streets.label("streets"), households.label("households")).order_by(Operation.id))
    rows = [{"id": op.id, "name": op.name, "status": op.status, "starts_on": op.starts_on, "ends_on": op.ends_on,
             "streets": n_streets, "households": n_households} for op, n_streets, n_households in result.all()]
    areas = (await db_session.execute(select(Operation.name, func.ST_AsGeoJSON(Operation.area, 6)).where(
        Operation.area.is_not(None), Operation.id.in_([r["id"] for r in rows])))).all()
    context = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name}, "geometry": json.loads(geo)} for name, geo in areas]}
    settings = request.app.state.settings
    return render("operations.html", user=user, operations=rows, questionnaires=await published_ids(db_session),
                  context_areas=script_json(context), tile_url=settings.tile_url, max_area_km2=settings.max_area_km2)



@get("/operations/{operation_id:int}", include_in_schema=False, guards=[requires_coordinator],
     dependencies={"access": COORDINATOR})
async def operation_page(request: Request, access: Access, poll: FromQuery[int | None] = None) -> Response:
    poll_ms = max(250, min(poll, 60_000)) if poll else 5000
    return render("operation.html", user=access.user, operation=access.operation, poll_ms=poll_ms,
                  tile_url=request.app.state.settings.tile_url)


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
                  printed_at=dt.datetime.now(dt.UTC).strftime("%d %b %Y %H:%M UTC"), read_as_of=as_of_words(request))


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
    route_handlers=[*area.sign_in_routes(), operations_page, operation_page, revisits_page, setup_page,
                    area.unknown_route([requires_coordinator])],
    exception_handlers={
        **area.exception_handlers(),
    },
    include_in_schema=False,
)
