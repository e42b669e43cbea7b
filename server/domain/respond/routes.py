"""The resident's /respond pages (no sign-in: the card's code is the credential)."""

from .pages import ROUTES

__all__ = ["ROUTES"]
