"""Routes of the open-data slice: the coordinators' API, the public pages and files, the OGC API."""

from .api import API_ROUTES
from .ogc import OGC_ROUTES
from .pages import PAGE_ROUTES

ROUTES = [*API_ROUTES, *PAGE_ROUTES, *OGC_ROUTES]
