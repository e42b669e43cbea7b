"""What every server-rendered page area (/, /dashboard, /partner, /admin, /open-data) shares: Jinja2
rendering, the signed-in user if any, the header's links to the areas a user may use, dates and
times as a UK service writes them, the forms' post-redirect-get, and the error behaviours (no
session → the area's sign-in page, then back; anything else → an error page saying why, whose
link goes where the user may go, never back to where they were refused; an unknown URL → the
styled 404).

Forms post, then redirect (303) to a page (post-redirect-get), so reloading or going Back never
sends a form again. What the page then says ("Saved", or why not) travels in the redirect's URL
as a message signed with the session's own key (``flash``): nobody can craft a link that makes a
page say something, and a reload says it again without doing it again. What the user typed is
kept in the browser's tab (``forms.js``), so a refusal, a conflict or a sign-in in between never
loses it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.auth.sessions import end_session
from server.lib.auth import CurrentUser, current_user, remembered_user, session_cookie
from server.lib.exceptions import DoorstepError, NotFound, http_error_handler

HTML = "text/html"  # Litestar adds "; charset=utf-8" to text types itself
NO_STORE = {"Cache-Control": "no-store"}

# Where to go after signing in: a path on this site, or nowhere. A browser reads "\" as "/" and
# drops tabs and newlines from a URL, so "/\evil.example" and "/<tab>/evil.example" would leave the
# site as surely as "//evil.example"; any of them, a control character, a space or a scheme fails.
# login.js holds the same expression (SAFE_NEXT there); tests/security/test_redirects.py runs both.
SAFE_NEXT = re.compile(r"/(?![/\\])[^\x00-\x20\x7f\\]*")


def safe_next(value: str | None, default: str) -> str:
    """`value` if it is a path on this site (see SAFE_NEXT), else `default`."""
    return value if value and SAFE_NEXT.fullmatch(value) else default


#: The frame every area's pages extend (base.html), its sign-in page and its error page; an
#: area's own folder comes first, so it can still replace any of them.
SHARED_TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"

# ---------------------------------------------------------------- dates and times, as the UK writes them

#: The operations are in the UK: every date and time a page shows is London's (the database keeps UTC).
DISPLAY_TZ = ZoneInfo("Europe/London")


def local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(DISPLAY_TZ) if value.tzinfo else value.replace(tzinfo=dt.UTC).astimezone(DISPLAY_TZ)


def when(value: dt.datetime | None) -> str:
    """"14 Mar 2025, 18:04" (24-hour clock, London time); "" for none."""
    if value is None:
        return ""
    t = local(value)
    return f"{t.day} {t:%b %Y}, {t:%H:%M}"


def day(value: dt.date | dt.datetime | None) -> str:
    """"Fri 14 Mar 2025" (a time is taken in London first); "" for none."""
    if value is None:
        return ""
    d = local(value) if isinstance(value, dt.datetime) else value
    return f"{d:%a} {d.day} {d:%b %Y}"


def iso(value: dt.datetime | None) -> str:
    """The machine-readable time for <time datetime="…">."""
    return value.astimezone(dt.UTC).isoformat(timespec="seconds") if value else ""


def script_json(value: Any) -> str:
    """JSON for a <script type="application/json"> block: "<", ">" and "&" escaped, so no text can close it."""
    return json.dumps(value, default=str).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# ---------------------------------------------------------------- where each user may go

#: The page areas, in the header's order: (path, link text, roles that may use it). Admins hold every role.
AREAS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/dashboard", "Operations", ("coordinator",)),
    ("/partner", "Follow-ups", ("partner", "coordinator")),
    ("/admin", "Admin", ("admin",)),
)


def areas_for(user: CurrentUser | None) -> list[tuple[str, str]]:
    """The areas this user may use: the header's links."""
    if user is None:
        return []
    return [(path, name) for path, name, roles in AREAS if any(user.has(r) for r in roles)]


def home_for(user: CurrentUser | None) -> tuple[str, str]:
    """Where this user's work is (path, words for a link): the admin's pages for an admin, else the
    first area they may use; the front page for anyone else (visitors work on the tablet)."""
    if user is None:
        return "/", "Go to the front page"
    if "admin" in user.roles:
        return "/admin", "Go to the admin pages"
    mine = areas_for(user)
    if mine:
        path, name = mine[0]
        return path, f"Go to {name.lower()}"
    return "/", "Go to the front page"


# ---------------------------------------------------------------- messages after a redirect


@dataclass(frozen=True)
class Flash:
    """What a page says after a form's redirect: ``ok`` or ``error``, the words, and which form."""

    kind: str
    text: str
    form: str = ""

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


def _sign(user: CurrentUser, payload: str) -> str:
    # The session's CSRF token is a secret of this session alone (an HMAC of its id): a message signed
    # with it cannot be made by anyone else, nor replayed to another user.
    return hmac.new(user.csrf_token.encode(), payload.encode(), hashlib.sha256).hexdigest()[:32]


def flash_value(user: CurrentUser, flash: Flash) -> str:
    payload = base64.urlsafe_b64encode(json.dumps([flash.kind, flash.text, flash.form]).encode()).decode()
    return f"{payload}.{_sign(user, payload)}"


def read_flash(request: Request, user: CurrentUser | None) -> Flash | None:
    """The signed message in the URL's ``m``, if it is this session's; None otherwise."""
    value = request.query_params.get("m")
    if not value or user is None or not user.csrf_token or "." not in value:
        return None
    payload, signature = value.rsplit(".", 1)
    if not hmac.compare_digest(signature, _sign(user, payload)):
        return None
    try:
        kind, text, form = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except (ValueError, TypeError):
        return None
    return Flash(str(kind), str(text), str(form))


def see_other(request: Request, path: str, *, ok: str | None = None, error: str | None = None, form: str = "",
              **query: Any) -> Redirect:
    """The answer to a form: 303 to a page (GET), with a signed message for it to show."""
    user = current_user(request)
    params = {k: v for k, v in query.items() if v is not None}
    if ok or error:
        params["m"] = flash_value(user, Flash("ok" if ok else "error", ok or error or "", form))
    return Redirect(path + ("?" + urlencode(params) if params else ""), status_code=303, headers=NO_STORE)


async def answer_form(request: Request, db_session: AsyncSession, change: Awaitable[Any], *, back: str,
                      ok: str | Callable[[Any], str], form: str = "", done: str | Callable[[Any], str] | None = None,
                      **query: Any) -> Redirect:
    """Run a form's change and answer it post-redirect-get: to ``done`` (or ``back``) saying ``ok``, or,
    when the change is refused (a DoorstepError: nothing written), back to ``back`` saying why; the
    typed text waits in the browser (forms.js) for the next try."""
    try:
        result = await change
    except DoorstepError as exc:
        await db_session.rollback()
        return see_other(request, back, error=exc.detail, form=form, **query)
    target = done(result) if callable(done) else (done or back)
    return see_other(request, target, ok=ok(result) if callable(ok) else ok, form=form, **query)


async def form_fields(request: Request) -> dict[str, str]:
    """A posted form's fields as text (the last value of a repeated one; ``form_lists`` for all)."""
    form = await request.form()
    return {k: str(v) for k, v in form.items()}


async def form_lists(request: Request, name: str) -> list[str]:
    form = await request.form()
    return [str(v) for v in form.getall(name)] if name in form else []


# ---------------------------------------------------------------- the areas


@dataclass(frozen=True)
class AreaLook:
    """What the shared templates say differently per area."""

    name: str  # after "Doorstep · " in the header
    title: str  # the page title when a page gives none
    nav: str  # kept for older templates: the header's link home
    back: str  # kept for older templates
    who_signs_in: str  # "… sign in with their Doorstep account."
    stylesheets: tuple[str, ...]


#: Every page area by its path, for the styled 404 of an unknown URL under it.
_AREAS: dict[str, PageArea] = {}


class PageArea:
    def __init__(self, templates: Path | None, home: str, forbidden_heading: str, look: AreaLook) -> None:
        folders = [FileSystemLoader(templates)] if templates else []
        self.env = Environment(loader=ChoiceLoader([*folders, FileSystemLoader(SHARED_TEMPLATES)]),
                               autoescape=select_autoescape(["html"]), auto_reload=False)
        self.env.globals["area"] = {**asdict(look), "home": home, "logout": f"{home.rstrip('/')}/logout"}
        self.env.globals.update(areas_for=areas_for, home_for=home_for)
        self.env.filters.update(when=when, day=day, iso=iso)
        self.home = home
        self.login_path = f"{home.rstrip('/')}/login"
        self.headings = {403: forbidden_heading, 404: "Page not found"}
        _AREAS[home] = self

    def __deepcopy__(self, memo: dict) -> PageArea:
        # Litestar deep-copies route handlers (and their exception handlers, bound to this
        # area) for each app it builds; the area is shared configuration, never changed.
        return self

    def render(self, name: str, status_code: int = 200, **context: Any) -> Response:
        return Response(self.env.get_template(name).render(**context), media_type=HTML, status_code=status_code,
                        headers=NO_STORE)

    def page(self, request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
        """A signed-in page: the user, the message a form's redirect brought, and the context."""
        user = current_user(request)
        return self.render(name, status_code=status_code, user=user, flash=read_flash(request, user),
                           here=request.url.path, **context)

    @staticmethod
    def user_or_none(request: Request) -> CurrentUser | None:
        try:
            return current_user(request)
        except NotAuthorizedException:
            return None

    def to_login(self, request: Request, _: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            # A form sent after the session ended: back to the page the form was on, once signed in
            # again, where forms.js puts back what was typed (nothing was saved).
            target = _same_site_path(request) or self.home
        return Redirect(f"{self.login_path}?next={quote(target, safe='/')}", status_code=303, headers=NO_STORE)

    def error_page(self, request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        detail = getattr(exc, "detail", "") or "Something went wrong."
        return self.render("error.html", status_code=status, status=status,
                           heading=self.headings.get(status, "Something is wrong"), detail=detail,
                           user=self.user_or_none(request))

    def sign_in_routes(self) -> list:
        """GET /login (the sign-in page, then back to `next` on this site) and POST /logout."""
        area = self

        @get("/login", include_in_schema=False)
        async def login_page(next: FromQuery[str] = area.home) -> Response:  # noqa: A002 - the query parameter is "next"
            return area.render("login.html", next=safe_next(next, area.home), user=None)

        @post("/logout", include_in_schema=False, status_code=303)
        async def logout(request: Request, db_session: NamedDependency[AsyncSession]) -> Response:
            # Ends the session itself, not only the cookie: a copy of the token stops working too.
            user = current_user(request)
            await end_session(db_session, request.app.state.session_gate, user.session_id, "signed_out", by=user)
            response = Redirect(area.login_path, status_code=303)
            response.cookies.append(session_cookie(request.app.state.settings, "", 0))
            return response

        return [login_page, logout]

    def unknown_route(self, guards: list) -> Any:
        """A catch-all route for the area: an unknown address under it answers the area's styled 404,
        after the same sign-in and role check as the area's pages (so the page knows who is asking)."""

        @get("/{rest:path}", include_in_schema=False, guards=guards)
        async def unknown_page(rest: FromPath[str]) -> Response:
            raise NotFound("There is no page at this address. Check it, or start again from a link below.")

        return unknown_page

    def exception_handlers(self) -> dict:
        return {NotAuthorizedException: self.to_login, PermissionDeniedException: self.error_page,
                DoorstepError: self.error_page}


def _same_site_path(request: Request) -> str | None:
    """The path (and query) of the page that sent this request, if it is one of this site's."""
    referer = request.headers.get("referer") or ""
    parts = urlsplit(referer)
    if not referer or f"{parts.scheme}://{parts.netloc}" != str(request.base_url).rstrip("/"):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path, "") or None


# Paths that answer as an API (JSON errors) however a browser asks; everything else is a page.
_API_PREFIXES = ("/api/", "/ogc", "/open311", "/schema", "/static", "/health")


def not_found(request: Request, exc: Exception) -> Response:
    """An unknown URL outside the areas' own routes (each area also has a catch-all route, which
    knows who is signed in): the styled 404 with links to start again; under the API, its JSON answer.
    (Exception handlers are synchronous: the user is the one this process checked moments ago, if any.)"""
    path = request.url.path
    if path.startswith(_API_PREFIXES) or request.method not in ("GET", "HEAD"):
        return http_error_handler(request, cast(HTTPException, exc))  # a NotFoundException is one
    owner = max((home for home in _AREAS if path == home or path.startswith(home.rstrip("/") + "/")),
                key=len, default="/")
    area = _AREAS.get(owner) or _AREAS.get("/")
    if area is None:
        return http_error_handler(request, exc)  # type: ignore[arg-type]
    return area.render("error.html", status_code=404, status=404, heading="Page not found",
                       detail="There is no page at this address. Check it, or start again from a link below.",
                       user=remembered_user(request))
