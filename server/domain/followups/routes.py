"""Routes of the follow-up slice: the API and the partner inbox pages."""

from server.domain.followups.api import API_ROUTES
from server.domain.followups.pages import PAGE_ROUTES

ROUTES = [*API_ROUTES, *PAGE_ROUTES]
