"""Routes of the follow-up slice: the API and the partner inbox pages."""

from server.domain.followups.api import API_ROUTES

ROUTES = [*API_ROUTES]
