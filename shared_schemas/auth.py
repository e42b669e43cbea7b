"""Signing in (``POST /api/v1/auth/token``): the request and the answer, one definition for both sides.

A tablet sends its ``device_id`` (the one it pushes with) and a ``device_name`` a person can
recognise; the server then keeps one *device* session per user and tablet, which lives while the
tablet keeps using it (a shift offline never needs the password mid-shift) and which an admin or
coordinator can end. Without a device id the sign-in is a *web* session of fixed length.

Every request checks the session, so a token stops working when its session ends. A 401 says
why in ``extra.reason`` (:data:`SESSION_END_REASONS` and the token problems beside them), so a
client can tell "sign in again" from "this tablet was revoked".
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from .sync import DeviceId

#: Longer passwords are refused before hashing: argon2 over megabytes would be a cheap way to
#: keep a server busy.
MAX_PASSWORD_LENGTH = 1024

SessionKind = Literal["web", "device"]

#: Why a session ended (``user_session.ended_reason``), as a 401's ``extra.reason`` says it.
SESSION_END_REASONS = ("signed_out", "revoked", "user_deactivated", "password_changed", "replaced", "expired",
                       "lost", "retired")
#: Other 401 reasons: no token at all, or a token that is malformed, forged or past its time.
TOKEN_REASONS = ("no_token", "invalid_token")


class SignInRequest(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    username: Annotated[str, Meta(min_length=1, max_length=200)]
    password: Annotated[str, Meta(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
    #: A tablet's own id (the push's ``device_id``): makes this a device session.
    device_id: DeviceId | None = None
    #: What the admin's list of devices shows, e.g. "Samsung Tab A8 (1f3a9c02)".
    device_name: Annotated[str, Meta(max_length=200)] | None = None


class SignedInUser(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    id: int
    username: str
    display_name: str
    agency_code: str
    roles: list[str]


class TabletPolicy(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    """What the organisation sets for its tablets (issue 15), sent with each tablet's sign-in: the app
    locks after ``idle_lock_minutes`` untouched, and after ``offline_days`` without reaching the
    server it needs an online sign-in before it shows any resident's data."""

    idle_lock_minutes: Annotated[float, Meta(gt=0, le=240)] = 5
    offline_days: Annotated[int, Meta(ge=1, le=60)] = 3


class SignInAnswer(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    access_token: str
    #: Seconds until the token itself expires. The session may end sooner (signed out, revoked,
    #: user deactivated) and a device session moves forward while it is used.
    expires_in: int
    user: SignedInUser
    token_type: str = "bearer"
    session_id: str | None = None
    session_kind: SessionKind = "web"
    #: For a tablet's (device) sign-in only.
    tablet: TabletPolicy | None = None
