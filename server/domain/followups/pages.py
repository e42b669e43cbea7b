"""The partner inbox at /partner: server-rendered pages (Jinja2) with plain HTML forms.

Partners see their agency's follow-ups; coordinators see those of the operations they run,
reassign them and see notifications that could not be delivered. The pages call the same
service as the API, so the rules (visibility, versions, transitions, residents' details and
their audit) are the API's. A request without a session goes to /partner/login; forms are
protected by the SameSite=Strict session cookie.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.static_files import create_static_files_router
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Household, Street
from server.domain.followups import service
from server.domain.notifications.service import undelivered
from server.lib.auth import current_user, requires
from server.lib.exceptions import DoorstepError
from server.lib.languages import english_name
from server.lib.pages import AreaLook, PageArea
from shared_schemas.codes import (
    FOLLOWUP_CATEGORY_LABELS,
    FOLLOWUP_STATUS_LABELS,
    PRIORITY_LABELS,
    FollowupStatus,
    label,
)
from shared_schemas.communication import CONTACT_METHOD_LABELS

WEB = Path(__file__).resolve().parents[2] / "web" / "partner"
area = PageArea(WEB / "templates", "/partner", forbidden_heading="Not for your account", look=AreaLook(
    name="Partner inbox", title="Partner inbox", nav="Follow-ups", back="Sign in to the follow-ups",
    who_signs_in="Partner agencies and coordinators",
    stylesheets=("/static/doorstep.css", "/static/partner/partner.css")))
render = area.render
_user_or_none = area.user_or_none
area.env.filters["label"] = label
#: Times on the pages are shown in the operations' local time (the database keeps UTC).
DISPLAY_TZ = ZoneInfo("Europe/London")
area.env.filters["when"] = lambda d: d.astimezone(DISPLAY_TZ).strftime("%d %b %Y %H:%M") if d else ""
ACTION_LABELS = {"acknowledged": "Acknowledge", "in_progress": "Start work", "resolved": "Resolve",
                 "declined": "Decline"}

partner_or_coordinator = requires("partner", "coordinator")


def _script_json(value: Any) -> str:
    """JSON safe to place inside <script type="application/json">: no "</script>" can close it."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# ---------------------------------------------------------------- inbox
def _filters(status: str | None, category: str | None, overdue: str | None, operation_id: str | None,
             agency: str | None) -> service.Filters:
    op = int(operation_id) if operation_id and operation_id.isdigit() else None
    return service.Filters(status=status or None, category=category or None,
                           overdue={"yes": True, "no": False}.get(overdue or ""), operation_id=op,
                           agency=agency or None)


@get("/", include_in_schema=False, guards=[partner_or_coordinator])
async def inbox(request: Request, db_session: NamedDependency[AsyncSession], status: FromQuery[str | None] = None,
                category: FromQuery[str | None] = None, overdue: FromQuery[str | None] = None,
                operation_id: FromQuery[str | None] = None, agency: FromQuery[str | None] = None,
                cursor: FromQuery[str | None] = None) -> Response:
    user = current_user(request)
    filters = _filters(status, category, overdue, operation_id, agency)
    views, next_cursor = await service.list_followups(db_session, user, filters, limit=50, cursor=cursor)
    chosen = {k: v for k, v in {"status": status, "category": category, "overdue": overdue,
                                "operation_id": operation_id, "agency": agency}.items() if v}
    api_filters = {**{k: v for k, v in chosen.items() if k != "overdue"},
                   **({"overdue": "true" if overdue == "yes" else "false"} if overdue in ("yes", "no") else {})}
    coordinator = user.has("coordinator")
    places = [{"id": str(v.followup.id), "lat": v.lat, "lon": v.lon, "label": label(v.followup.category),
               "status": v.followup.status, "overdue": v.overdue} for v in views if v.lat is not None]
    return render(
        "inbox.html", places_json=_script_json(places), user=user, items=views, chosen=chosen,
        coordinator=coordinator,
        statuses=FOLLOWUP_STATUS_LABELS, categories=FOLLOWUP_CATEGORY_LABELS, priorities=PRIORITY_LABELS,
        next_url=("/partner?" + urlencode({**chosen, "cursor": next_cursor})) if next_cursor else None,
        csv_url="/api/v1/followups.csv" + ("?" + urlencode(api_filters) if api_filters else ""),
        csv_residents_url="/api/v1/followups.csv?" + urlencode({**api_filters, "residents": "true"}),
        operations=await service.operations_run_by(db_session, user) if coordinator else [],
        agencies=await service.agencies(db_session) if coordinator else [],
        failures=(await undelivered(db_session, user, limit=20))[0] if coordinator else [],
    )


# ---------------------------------------------------------------- one follow-up
async def _street_geojson(db_session: AsyncSession, street_id: int | None) -> dict | None:
    if street_id is None:
        return None
    geo = (await db_session.execute(select(func.ST_AsGeoJSON(Street.geom, 6)).where(Street.id == street_id))).scalar()
    return json.loads(geo) if geo else None


async def _detail(request: Request, db_session: AsyncSession, followup_id: uuid.UUID, *, error: str | None = None,
                  status_code: int = 200, done: str | None = None, show_resident: bool = True) -> Response:
    user = current_user(request)
    view = await service.get_followup(db_session, user, followup_id, via="web", with_resident=show_resident)
    coordinator = user.has("coordinator")
    street_id = view.followup.street_id
    if street_id is None and view.followup.household_id is not None:
        street_id = (await db_session.execute(select(Household.street_id)
                                              .where(Household.id == view.followup.household_id))).scalar()
    map_data = {"lat": view.lat, "lon": view.lon, "street": await _street_geojson(db_session, street_id),
                "tiles": request.app.state.settings.tile_url or ""}
    return render(
        "followup.html", status_code=status_code, user=user, v=view, f=view.followup, error=error, done=done,
        actions=[(s, ACTION_LABELS[s]) for s in view.allowed], coordinator=coordinator,
        agencies=await service.agencies(db_session) if coordinator else [],
        failures=(await undelivered(db_session, user, followup_id=followup_id))[0] if coordinator else [],
        map_json=_script_json(map_data), final=view.followup.status in service.FINAL,
        declined=FollowupStatus.DECLINED.value, resident_hidden=not show_resident and view.may_see_resident,
        contact_methods={m.value: label for m, label in CONTACT_METHOD_LABELS.items()},
        language_names=_LanguageNames(),
    )


class _LanguageNames:
    """A resident's contact language named in English for the page (``.get`` as a dict's)."""

    @staticmethod
    def get(code: str, default: str | None = None) -> str:
        return english_name(code) or default or code


@get("/followups/{followup_id:uuid}", include_in_schema=False, guards=[partner_or_coordinator])
async def followup_page(followup_id: FromPath[uuid.UUID], request: Request,
                        db_session: NamedDependency[AsyncSession], done: FromQuery[str | None] = None) -> Response:
    return await _detail(request, db_session, followup_id, done=done)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v) for k, v in form.items()}


def _version(form: dict[str, str]) -> int:
    try:
        return int(form.get("version", ""))
    except ValueError:
        return -1


@post("/followups/{followup_id:uuid}", include_in_schema=False, guards=[partner_or_coordinator], status_code=200)
async def change_status(followup_id: FromPath[uuid.UUID], request: Request,
                        db_session: NamedDependency[AsyncSession]) -> Response:
    form = await _form(request)
    change = service.Change(version=_version(form), status=form.get("status") or None, note=form.get("note", ""),
                            reason=form.get("reason") or None)
    return await _apply(request, db_session, followup_id, change)


@post("/followups/{followup_id:uuid}/reassign", include_in_schema=False, guards=[requires("coordinator")],
      status_code=200)
async def reassign(followup_id: FromPath[uuid.UUID], request: Request,
                   db_session: NamedDependency[AsyncSession]) -> Response:
    form = await _form(request)
    change = service.Change(version=_version(form), agency=form.get("agency") or "", note=form.get("note", ""))
    return await _apply(request, db_session, followup_id, change)


async def _apply(request: Request, db_session: AsyncSession, followup_id: uuid.UUID,
                 change: service.Change) -> Response:
    """Answers with the page itself (200), not a redirect: the session commits only after a 2xx."""
    try:
        view = await service.change_followup(db_session, current_user(request), followup_id, change,
                                              public_url=request.app.state.settings.public_url)
    except DoorstepError as exc:
        if exc.status_code == 404:
            raise
        # Nothing is written on an error answer, so an audited showing of residents' details could not be
        # recorded either: the page says what went wrong and leaves those details out.
        await db_session.rollback()
        return await _detail(request, db_session, followup_id, error=exc.detail, status_code=exc.status_code,
                             show_resident=False)
    done = "reassigned" if change.agency else view.followup.status
    return await _detail(request, db_session, followup_id, done=done)


partner_pages = Router(
    path="/partner",
    route_handlers=[*area.sign_in_routes(), inbox, followup_page, change_status, reassign,
                    area.unknown_route([partner_or_coordinator])],
    exception_handlers={
        **area.exception_handlers(),
    },
    include_in_schema=False,
)

partner_static = create_static_files_router(path="/static/partner", directories=[WEB / "static"],
                                            include_in_schema=False)

PAGE_ROUTES = [partner_pages, partner_static]
