"""What every server-rendered page area (/dashboard, /partner) shares: Jinja2 rendering, the
signed-in user if any, and the two error behaviours (no session → the area's sign-in page,
anything else → an error page saying why)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.params import FromQuery
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from server.domain.auth.sessions import end_session
from server.lib.auth import CurrentUser, current_user, session_cookie
from server.lib.exceptions import DoorstepError

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


@dataclass(frozen=True)
class AreaLook:
    """What the shared templates say differently per area."""

    name: str  # after "Doorstep · " in the header
    title: str  # the page title when a page gives none
    nav: str  # the header's link home, for a signed-in user
    back: str  # the error page's link home
    who_signs_in: str  # "… sign in with their Doorstep account."
    stylesheets: tuple[str, ...]


class PageArea:
    def __init__(self, templates: Path, home: str, forbidden_heading: str, look: AreaLook) -> None:
        self.env = Environment(loader=ChoiceLoader([FileSystemLoader(templates), FileSystemLoader(SHARED_TEMPLATES)]),
                               autoescape=select_autoescape(["html"]), auto_reload=False)
        self.env.globals["area"] = {**asdict(look), "home": home}
        self.home = home
        self.login_path = f"{home}/login"
        self.headings = {403: forbidden_heading, 404: "Not found"}

    def __deepcopy__(self, memo: dict) -> PageArea:
        # Litestar deep-copies route handlers (and their exception handlers, bound to this
        # area) for each app it builds; the area is shared configuration, never changed.
        return self

    def render(self, name: str, status_code: int = 200, **context: Any) -> Response:
        return Response(self.env.get_template(name).render(**context), media_type=HTML, status_code=status_code,
                        headers=NO_STORE)

    @staticmethod
    def user_or_none(request: Request) -> CurrentUser | None:
        try:
            return current_user(request)
        except NotAuthorizedException:
            return None

    def to_login(self, request: Request, _: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            target = self.home  # e.g. signing out of a session that had ended: back to the area after sign-in
        return Redirect(f"{self.login_path}?next={quote(target, safe='/')}", status_code=303)

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

    def exception_handlers(self) -> dict:
        return {NotAuthorizedException: self.to_login, PermissionDeniedException: self.error_page,
                DoorstepError: self.error_page}
