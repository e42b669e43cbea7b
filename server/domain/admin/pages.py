"""The admin pages at /admin: people, agencies, routing defaults and the audit log.

Plain HTML forms, each answered post-redirect-get (server/lib/pages.py), so a reload never repeats a
change; the changes go through the same services as the API, so the rules (who may change what, what
is audited) are the API's. Secrets are shown once: an Open311 key by the page's script from the API's
answer, never stored by the page; webhook secrets and passwords are written, never shown back.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.static_files import create_static_files_router
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Agency, AuditLog, User
from server.domain.auth.services import KNOWN_ROLES, add_user, update_user
from server.lib.auth import current_user, requires_admin
from server.lib.pages import AreaLook, PageArea, answer_form, form_fields, form_lists
from shared_schemas.codes import FOLLOWUP_CATEGORY_LABELS, ROLE_LABELS, Role

from . import agencies as agency_service
from . import audit_log, people, routing

WEB = Path(__file__).resolve().parents[2] / "web" / "admin"
area = PageArea(WEB / "templates", "/admin", forbidden_heading="For admins only", look=AreaLook(
    name="Admin", title="Admin", nav="Admin", back="Sign in to the admin pages", who_signs_in="Admins",
    stylesheets=("/static/doorstep.css", "/static/admin/admin.css")))
area.env.globals.update(ROLE_LABELS={r.value: label for r, label in ROLE_LABELS.items()},
                        ROLES=[r.value for r in Role], KINDS=agency_service.KINDS, ACTIONS=audit_log.ACTIONS,
                        describe=audit_log.describe)
GUARDS = [requires_admin]


async def _agency_choices(db_session: AsyncSession) -> list[tuple[str, str]]:
    return [(c, n) for c, n in (await db_session.execute(select(Agency.code, Agency.name).order_by(Agency.name)))]


# ---------------------------------------------------------------- overview


@get("/", guards=GUARDS)
async def overview(request: Request, db_session: NamedDependency[AsyncSession]) -> Response:
    counts = (await db_session.execute(select(
        select(func.count()).where(User.active.is_(True)).scalar_subquery(),
        select(func.count()).where(User.active.is_(False)).scalar_subquery(),
        select(func.count()).select_from(Agency).scalar_subquery(),
        select(func.count()).where(Agency.open311_key_hash.is_not(None)).scalar_subquery()))).one()
    recent, _ = await audit_log.entries(db_session, limit=10)
    return area.page(request, "overview.html", counts=counts, recent=recent)


# ---------------------------------------------------------------- people


@get("/users", guards=GUARDS)
async def users_page(request: Request, db_session: NamedDependency[AsyncSession], q: FromQuery[str] = "",
                     agency: FromQuery[str] = "", role: FromQuery[str] = "", active: FromQuery[str] = "",
                     cursor: FromQuery[str | None] = None) -> Response:
    rows, next_cursor = await people.people(
        db_session, search=q[:100], agency=agency, role=role if role in KNOWN_ROLES else "",
        active={"yes": True, "no": False}.get(active), cursor=cursor)
    return area.page(request, "users.html", rows=rows, next_cursor=next_cursor,
                     agencies=await _agency_choices(db_session),
                     chosen={"q": q, "agency": agency, "role": role, "active": active})


@post("/users", guards=GUARDS)
async def add_user_form(request: Request, db_session: NamedDependency[AsyncSession]) -> Response:
    form = await form_fields(request)
    roles = await form_lists(request, "roles")
    actor = current_user(request)
    username = form.get("username", "").strip()
    return await answer_form(
        request, db_session,
        add_user(db_session, username=username, password=form.get("password", ""),
                 display_name=form.get("display_name", "").strip(), agency_code=form.get("agency", ""), roles=roles,
                 actor_id=actor.id),
        back="/admin/users", form="new-user", done=lambda u: f"/admin/users/{u.username}",
        ok=lambda u: f"Added {u.username}: they can sign in now with the password you gave them.")


@get("/users/{username:str}", guards=GUARDS)
async def user_page(request: Request, db_session: NamedDependency[AsyncSession], username: FromPath[str]) -> Response:
    person = await people.person(db_session, username)
    history, _ = await audit_log.entries(db_session, entity_type="user", entity_id=str(person.id), limit=20)
    return area.page(request, "user.html", person=person, agencies=await _agency_choices(db_session),
                     sign_ins=await people.live_sign_ins(db_session, person.id), history=history,
                     myself=person.id == current_user(request).id)


def _user_change(request: Request, db_session: AsyncSession, username: str, **change):
    return update_user(db_session, request.app.state.session_gate, current_user(request), username, **change)


@post("/users/{username:str}", guards=GUARDS)
async def change_user_form(request: Request, db_session: NamedDependency[AsyncSession],
                           username: FromPath[str]) -> Response:
    form = await form_fields(request)
    roles = await form_lists(request, "roles")
    here = f"/admin/users/{username}"
    return await answer_form(
        request, db_session,
        _user_change(request, db_session, username, roles=roles, agency_code=form.get("agency", ""),
                     display_name=form.get("display_name", "")),
        back=here, form=f"user-{username}", ok="Saved. Their sign-ins take the new roles and agency within 30 seconds.")


@post("/users/{username:str}/password", guards=GUARDS)
async def password_form(request: Request, db_session: NamedDependency[AsyncSession],
                        username: FromPath[str]) -> Response:
    form = await form_fields(request)
    return await answer_form(
        request, db_session, _user_change(request, db_session, username, password=form.get("password", "")),
        back=f"/admin/users/{username}", form=f"password-{username}",
        ok="New password set. Every sign-in of theirs has ended: they sign in again with the new password.")


@post("/users/{username:str}/active", guards=GUARDS)
async def active_form(request: Request, db_session: NamedDependency[AsyncSession], username: FromPath[str]) -> Response:
    form = await form_fields(request)
    active = form.get("active") == "yes"
    return await answer_form(
        request, db_session, _user_change(request, db_session, username, active=active),
        back=f"/admin/users/{username}",
        ok=("Reactivated: they can sign in again." if active else
            "Deactivated: every sign-in of theirs has ended, on the web and on tablets, and they cannot sign in."))


# ---------------------------------------------------------------- agencies


@get("/agencies", guards=GUARDS)
async def agencies_page(request: Request, db_session: NamedDependency[AsyncSession]) -> Response:
    return area.page(request, "agencies.html", rows=await agency_service.list_agencies(db_session))


@post("/agencies", guards=GUARDS)
async def add_agency_form(request: Request, db_session: NamedDependency[AsyncSession]) -> Response:
    form = await form_fields(request)
    data = agency_service.NewAgency(code=form.get("code", ""), name=form.get("name", ""),
                                    kind=form.get("kind", "other"), email=form.get("email", ""))
    return await answer_form(
        request, db_session, agency_service.add_agency(db_session, current_user(request), data),
        back="/admin/agencies", form="new-agency", done=lambda a: f"/admin/agencies/{a.code}",
        ok=lambda a: f"Added {a.name}. Give it a webhook here if it has a case system, and route categories to it "
                     "in the routing defaults.")


@get("/agencies/{code:str}", guards=GUARDS)
async def agency_page(request: Request, db_session: NamedDependency[AsyncSession], code: FromPath[str]) -> Response:
    found = await agency_service.agency(db_session, code)
    members, _ = await people.people(db_session, agency=code, limit=200)
    history, _ = await audit_log.entries(db_session, entity_type="agency", entity_id=code, limit=20)
    return area.page(request, "agency.html", agency=found, members=members, history=history,
                     demo=request.app.state.settings.demo)


@post("/agencies/{code:str}", guards=GUARDS)
async def change_agency_form(request: Request, db_session: NamedDependency[AsyncSession],
                             code: FromPath[str]) -> Response:
    form = await form_fields(request)
    change = agency_service.AgencyChange(
        name=form.get("name"), kind=form.get("kind"), email=form.get("email", ""),
        webhook_url=form.get("webhook_url", ""), webhook_secret=form.get("webhook_secret") or None)
    return await answer_form(
        request, db_session,
        agency_service.change_agency(db_session, current_user(request), code, change,
                                     demo=request.app.state.settings.demo),
        back=f"/admin/agencies/{code}", form=f"agency-{code}", ok="Saved. New notifications go where it now says.")


# ---------------------------------------------------------------- routing defaults


@get("/routing", guards=GUARDS)
async def routing_page(request: Request, db_session: NamedDependency[AsyncSession]) -> Response:
    return area.page(request, "routing.html", routing=await routing.routing_defaults(db_session),
                     categories={c.value: label for c, label in FOLLOWUP_CATEGORY_LABELS.items()},
                     agencies=await _agency_choices(db_session))


@post("/routing", guards=GUARDS)
async def routing_form(request: Request, db_session: NamedDependency[AsyncSession]) -> Response:
    form = await form_fields(request)
    wanted = {c.value: form.get(f"route-{c.value}") or None for c in FOLLOWUP_CATEGORY_LABELS}
    return await answer_form(
        request, db_session, routing.set_routing_defaults(db_session, current_user(request), wanted),
        back="/admin/routing", form="routing",
        ok="Saved. Operations created from now on start with this routing; existing ones keep theirs.")


# ---------------------------------------------------------------- audit log


@get("/audit", guards=GUARDS)
async def audit_page(request: Request, db_session: NamedDependency[AsyncSession], actor: FromQuery[str] = "",
                     action: FromQuery[str] = "", entity_type: FromQuery[str] = "", entity_id: FromQuery[str] = "",
                     cursor: FromQuery[str | None] = None) -> Response:
    rows, next_cursor = await audit_log.entries(db_session, actor=actor[:80], action=action[:60],
                                                entity_type=entity_type[:40], entity_id=entity_id[:200],
                                                cursor=cursor)
    kinds = list((await db_session.execute(select(AuditLog.action).distinct().order_by(AuditLog.action))).scalars())
    return area.page(request, "audit.html", rows=rows, next_cursor=next_cursor, kinds=kinds,
                     chosen={"actor": actor, "action": action, "entity_type": entity_type, "entity_id": entity_id})


admin_pages = Router(
    path="/admin",
    route_handlers=[*area.sign_in_routes(), overview, users_page, add_user_form, user_page, change_user_form,
                    password_form, active_form, agencies_page, add_agency_form, agency_page, change_agency_form,
                    routing_page, routing_form, audit_page, area.unknown_route(GUARDS)],
    exception_handlers=area.exception_handlers(),
    include_in_schema=False,
)
admin_static = create_static_files_router(path="/static/admin", directories=[WEB / "static"], include_in_schema=False)

PAGE_ROUTES = [admin_pages, admin_static]
