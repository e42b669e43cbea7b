"""Routes of the admin slice: the API and the /admin pages."""

from server.domain.admin.api import API_ROUTES
from server.domain.admin.pages import PAGE_ROUTES

ROUTES = [*API_ROUTES, *PAGE_ROUTES]
