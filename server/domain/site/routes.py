"""The landing page at / (the README's first URL): who signs in where, the open data and the API docs.
Public; a signed-in user also gets links to the areas they may use. Unknown page addresses anywhere
get the styled 404 (server/lib/pages.py ``not_found``)."""

from __future__ import annotations

from litestar import Request, Response, Router, get

from server.lib.auth import optional_user
from server.lib.pages import AreaLook, PageArea

area = PageArea(None, "/", forbidden_heading="Not for your account", look=AreaLook(
    name="Community safety", title="Doorstep", nav="Home", back="Back to the front page",
    who_signs_in="Coordinators, partner agencies and admins", stylesheets=("/static/doorstep.css",)))


@get("/", include_in_schema=False)
async def landing(request: Request) -> Response:
    return area.render("landing.html", user=await optional_user(request))


site = Router(path="/", route_handlers=[landing, *area.sign_in_routes()], include_in_schema=False,
              exception_handlers=area.exception_handlers())

ROUTES = [site]
