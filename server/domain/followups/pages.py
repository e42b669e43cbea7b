"""The partner inbox at /partner: a work queue, server-rendered (Jinja2) with plain HTML forms.

Partners see their agency's follow-ups; coordinators see those of the operations they run, reassign
them, and see the notifications not delivered yet. The pages call the same service as the API, so
the rules (visibility, versions, transitions, assignment, residents' details and their audit) are
the API's. A request without a session goes to /partner/login and comes back.

Every form answers post-redirect-get (server/lib/pages.py): a reload or Back never sends it again. A
change refused because the follow-up changed meanwhile comes back to the page with what changed since
the version the form was opened at (``?since=``) marked in the history, and the typed note still in
its box (forms.js).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.static_files import create_static_files_router
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.followups import places, service
from server.domain.notifications import service as outbox
from server.domain.notifications.routes import wake_worker
from server.domain.photos.service import photos_of
from server.lib.auth import current_user, requires
from server.lib.exceptions import Conflict, DoorstepError
from server.lib.languages import english_name
from server.lib.pages import AreaLook, PageArea, form_fields, script_json, see_other
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
    name="Follow-ups", title="Follow-ups", nav="Follow-ups", back="Sign in to the follow-ups",
    who_signs_in="Partner agencies and coordinators",
    stylesheets=("/static/doorstep.css", "/static/partner/partner.css")))
area.env.filters["label"] = label
ACTION_LABELS = {"acknowledged": "Acknowledge", "in_progress": "Start work", "resolved": "Resolve",
                 "declined": "Decline"}
#: The inbox's columns: (sort key, heading); None: not sortable.
COLUMNS = [("raised", "Raised"), ("category", "Category"), ("priority", "Priority"), ("status", "Status"),
           ("agency", "Agency"), ("assignee", "Assigned to"), ("due", "Due"), ("place", "Where"),
           (None, "Description")]
PAGE = 100

partner_or_coordinator = requires("partner", "coordinator")
coordinator = requires("coordinator")


# ---------------------------------------------------------------- the inbox


def _filters(user, q: dict[str, str]) -> service.Filters:
    op = q.get("operation_id", "")
    return service.Filters(
        status=q.get("status") or None, category=q.get("category") or None,
        overdue={"yes": True, "no": False}.get(q.get("overdue", "")), operation_id=int(op) if op.isdigit() else None,
        agency=q.get("agency") or None, assignee_id=user.id if q.get("assigned") == "me" else None,
        unassigned=q.get("assigned") == "nobody")


@get("/", guards=[partner_or_coordinator])
async def inbox(request: Request, db_session: NamedDependency[AsyncSession], status: FromQuery[str] = "",
                category: FromQuery[str] = "", overdue: FromQuery[str] = "", operation_id: FromQuery[str] = "",
                agency: FromQuery[str] = "", assigned: FromQuery[str] = "", sort: FromQuery[str] = "",
                limit: FromQuery[int] = PAGE) -> Response:
    user = current_user(request)
    chosen = {k: v for k, v in {"status": status, "category": category, "overdue": overdue,
                                "operation_id": operation_id, "agency": agency, "assigned": assigned}.items() if v}
    filters = _filters(user, chosen)
    key, _, direction = sort.partition(":")
    limit = min(max(limit, PAGE), service.QUEUE_MAX)
    views, total = await service.work_queue(db_session, user, filters, sort=key or None,
                                            descending=direction == "desc", limit=limit)
    counts = await service.queue_counts(db_session, user, filters)
    is_coordinator = user.has("coordinator")
    points = [(v.lon, v.lat) for v in views if v.lon is not None and v.lat is not None]
    places_json = {
        "places": [{"id": str(v.followup.id), "lat": v.lat, "lon": v.lon, "label": label(v.followup.category),
                    "status": v.followup.status, "overdue": v.overdue} for v in views if v.lat is not None],
        "streets": await places.streets_around(db_session, sorted({v.followup.operation_id for v in views}), points),
        "tiles": request.app.state.settings.tile_url or ""}
    api_filters = {k: v for k, v in chosen.items() if k not in ("overdue", "assigned")}
    if overdue in ("yes", "no"):
        api_filters["overdue"] = "true" if overdue == "yes" else "false"

    def url(**change: Any) -> str:
        params = {**chosen, **({"sort": sort} if sort else {}), **change}
        return "/partner" + ("?" + urlencode({k: v for k, v in params.items() if v}) if params else "")

    return area.page(
        request, "inbox.html", items=views, total=total, counts=counts, chosen=chosen, sort=sort, url=url,
        sort_heading=dict(COLUMNS).get(key) if key in service.SORT_KEYS else None,
        more_url=url(limit=limit + PAGE) if total > len(views) and limit < service.QUEUE_MAX else None,
        coordinator=is_coordinator, columns=[c for c in COLUMNS if c[0] != "agency" or is_coordinator],
        statuses=FOLLOWUP_STATUS_LABELS, categories=FOLLOWUP_CATEGORY_LABELS, priorities=PRIORITY_LABELS,
        places_json=script_json(places_json),
        csv_url="/api/v1/followups.csv" + ("?" + urlencode(api_filters) if api_filters else ""),
        csv_residents_url="/api/v1/followups.csv?" + urlencode({**api_filters, "residents": "true"}),
        operations=await service.operations_run_by(db_session, user) if is_coordinator else [],
        agencies=await service.agencies(db_session),
        outbox=await outbox.outbox_counts(db_session, user) if is_coordinator else None,
    )


# ---------------------------------------------------------------- one follow-up


def _geo_uri(view: service.FollowupView) -> str | None:
    """RFC 5870: opens the place in the phone's maps app."""
    if view.lat is None or view.lon is None:
        return None
    return f"geo:{view.lat:.6f},{view.lon:.6f}?z=18"


class _LanguageNames:
    """A resident's contact language named in English for the page (``.get`` as a dict's)."""

    @staticmethod
    def get(code: str, default: str | None = None) -> str:
        return english_name(code) or default or code


@get("/followups/{followup_id:uuid}", guards=[partner_or_coordinator])
async def followup_page(followup_id: FromPath[uuid.UUID], request: Request,
                        db_session: NamedDependency[AsyncSession], since: FromQuery[int | None] = None) -> Response:
    user = current_user(request)
    view = await service.get_followup(db_session, user, followup_id, via="web")
    f = view.followup
    is_coordinator = user.has("coordinator")
    around: dict = {"type": "FeatureCollection", "features": []}
    if view.lat is not None and view.lon is not None:
        around = await places.streets_near(db_session, f.operation_id, view.lon, view.lat)
    street = f.street_id or next((s["id"] for s in around["features"] if s["properties"]["name"] == view.street_name),
                                 None)
    map_data = {"lat": view.lat, "lon": view.lon, "streets": around, "street_id": street,
                "tiles": request.app.state.settings.tile_url or ""}
    changed = [e for e in view.events if since is not None and e["version"] > since]
    return area.page(
        request, "followup.html", v=view, f=f,
        actions=[(s, ACTION_LABELS[s]) for s in service.STATUSES if s in view.allowed],
        coordinator=is_coordinator, agencies=await service.agencies(db_session) if is_coordinator else [],
        assignable=await service.assignable(db_session, f), may_assign=may_assign(user, view, is_coordinator),
        notifications=(await outbox.undelivered(db_session, user, followup_id=followup_id))[0]
        if is_coordinator else [],
        map_json=script_json(map_data), final=f.status in service.FINAL, geo=_geo_uri(view),
        declined=FollowupStatus.DECLINED.value, since=since, changed=changed,
        contact_methods={m.value: label for m, label in CONTACT_METHOD_LABELS.items()},
        language_names=_LanguageNames(), photos=await photos_of(db_session, followup_id))


def may_assign(user, view: service.FollowupView, runs_it: bool) -> bool:
    # The page's hint only; the service decides (a coordinator of another operation is refused there).
    return view.followup.agency_id is not None and view.followup.status not in service.FINAL and (
        runs_it or ("partner" in user.roles and user.agency_code == view.agency_code))


def _version(form: dict[str, str]) -> int:
    try:
        return int(form.get("version", ""))
    except ValueError:
        return -1


async def _change(request: Request, db_session: AsyncSession, followup_id: uuid.UUID, change: service.Change,
                  *, saying) -> Response:
    """Apply a change and answer post-redirect-get. A conflict comes back with ``since`` (the version the
    form was opened at), so the page marks what changed; any refusal keeps the typed text in the tab."""
    here = f"/partner/followups/{followup_id}"
    draft = f"followup-{followup_id}"
    try:
        view = await service.change_followup(db_session, current_user(request), followup_id, change,
                                             public_url=request.app.state.settings.public_url)
    except Conflict as exc:
        await db_session.rollback()
        known = exc.extra or {}
        if "version" in known and change.version != known["version"]:
            return see_other(request, here, since=change.version, form=draft, error=(
                "Not saved: someone changed this follow-up since you opened it (marked below under History). "
                "What you typed is still here: check it, then send it again."))
        return see_other(request, here, error=exc.detail, form=draft)
    except DoorstepError as exc:
        if exc.status_code == 404:
            raise
        await db_session.rollback()
        return see_other(request, here, error=exc.detail, form=draft)
    return see_other(request, here, ok=saying(view), form=draft)


@post("/followups/{followup_id:uuid}", guards=[partner_or_coordinator])
async def change_status(followup_id: FromPath[uuid.UUID], request: Request,
                        db_session: NamedDependency[AsyncSession]) -> Response:
    """The status form: a status button, or "Add the note" (no status)."""
    form = await form_fields(request)
    change = service.Change(version=_version(form), status=form.get("status") or None, note=form.get("note", ""),
                            reason=form.get("reason") or None)
    return await _change(request, db_session, followup_id, change, saying=lambda v: (
        f"Saved: now {label(v.followup.status).lower()}." if change.status else "Saved: your note is in the history."))


@post("/followups/{followup_id:uuid}/assign", guards=[partner_or_coordinator])
async def assign(followup_id: FromPath[uuid.UUID], request: Request,
                 db_session: NamedDependency[AsyncSession]) -> Response:
    form = await form_fields(request)
    who = form.get("assignee", "")
    change = service.Change(version=_version(form), note=form.get("assign_note", ""),
                            assignee_id=int(who) if who.isdigit() else service.NOT_ASSIGNED)
    return await _change(request, db_session, followup_id, change, saying=lambda v: (
        f"Saved: assigned to {v.assignee_name}." if v.assignee_name else "Saved: assigned to nobody."))


@post("/followups/{followup_id:uuid}/reassign", guards=[coordinator])
async def reassign(followup_id: FromPath[uuid.UUID], request: Request,
                   db_session: NamedDependency[AsyncSession]) -> Response:
    form = await form_fields(request)
    change = service.Change(version=_version(form), agency=form.get("agency") or "", note=form.get("note", ""))
    return await _change(request, db_session, followup_id, change,
                         saying=lambda v: f"Saved: reassigned to {v.agency_name}, which is told now.")


# ---------------------------------------------------------------- notifications not delivered


@get("/notifications", guards=[coordinator])
async def notifications_page(request: Request, db_session: NamedDependency[AsyncSession],
                             cursor: FromQuery[str | None] = None) -> Response:
    user = current_user(request)
    rows, next_cursor = await outbox.undelivered(db_session, user, limit=200, cursor=cursor)
    return area.page(request, "notifications.html", rows=rows, next_cursor=next_cursor,
                     counts=await outbox.outbox_counts(db_session, user))


async def _try_now(request: Request, db_session: AsyncSession, notification_id: int | None) -> Response:
    back = "/partner/notifications"
    try:
        count = await outbox.try_now(db_session, current_user(request), notification_id)
    except DoorstepError as exc:
        await db_session.rollback()
        return see_other(request, back, error=exc.detail)
    await wake_worker(request, db_session)
    return see_other(request, back, ok=(
        f"Trying now: {count} notification{'s' if count != 1 else ''} will be sent within a few seconds if the "
        "mail server or webhook takes them. Reload to see."))


@post("/notifications/{notification_id:int}/try-now", guards=[coordinator])
async def try_one_now(notification_id: FromPath[int], request: Request,
                      db_session: NamedDependency[AsyncSession]) -> Response:
    return await _try_now(request, db_session, notification_id)


@post("/notifications/try-now", guards=[coordinator])
async def try_all_now(request: Request, db_session: NamedDependency[AsyncSession]) -> Response:
    return await _try_now(request, db_session, None)


partner_pages = Router(
    path="/partner",
    route_handlers=[*area.sign_in_routes(), inbox, followup_page, change_status, assign, reassign,
                    notifications_page, try_one_now, try_all_now, area.unknown_route([partner_or_coordinator])],
    exception_handlers=area.exception_handlers(),
    include_in_schema=False,
)

partner_static = create_static_files_router(path="/static/partner", directories=[WEB / "static"],
                                            include_in_schema=False)

PAGE_ROUTES = [partner_pages, partner_static]
