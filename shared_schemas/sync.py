"""Sync messages: push records up, pull changes down.

Push (``POST /api/v1/sync/push``): records stay ``msgspec.Raw`` in the request
so the server decodes each one on its own (``records.decode_record``) and one
bad record is rejected with its reason without blocking the batch.

Pull (``GET /api/v1/sync/pull?operation_id=&since=``): changes since a
server-issued cursor, as a tagged union on ``"kind"``. Visits made on other tablets
(other pairs', and the partner's tablet's when the pull names this tablet's ``device_id``) carry
the outcome only: never answers or notes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from .codes import FollowupStatus, Outcome
from .pack import PackMember
from .records import AnyRecord

#: Most records one push may carry; the tablet sends a longer outbox in batches.
MAX_PUSH_RECORDS = 1000

PushStatus = Literal["stored", "duplicate", "rejected"]


DeviceId = Annotated[str, Meta(min_length=1, max_length=200)]


class PushRequest(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    device_id: DeviceId
    #: Raw, so that each record is decoded on its own and one bad record is answered alone.
    records: Annotated[list[msgspec.Raw], Meta(max_length=MAX_PUSH_RECORDS)]


class TypedPushRequest(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    """The same body with every record decoded (a visit, fix or follow-up, tagged on "type"):
    what the server decodes in one go when every record is well formed, and the body the
    OpenAPI document describes."""

    device_id: DeviceId
    records: Annotated[list[AnyRecord], Meta(max_length=MAX_PUSH_RECORDS)]


class PushResult(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    #: The record's id as sent (a string, so even a record with a broken id gets an answer).
    id: str
    status: PushStatus
    #: Why a record was rejected, for a person to act on.
    reason: str | None = None
    #: The field the reason is about, e.g. "$.visited_at".
    path: str | None = None


class PushResponse(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    results: list[PushResult]


class ChangeBase(msgspec.Struct, tag_field="kind", forbid_unknown_fields=False, kw_only=True):
    """Base of every pulled change."""


class VisitChange(ChangeBase, tag="visit", kw_only=True):
    """A visit made on another tablet (another pair's, or the partner's in the same pair): enough to
    colour the door and list its attempts, nothing personal."""

    id: uuid.UUID
    household_id: int
    team_id: int
    outcome: Outcome
    visited_at: datetime
    #: The earlier visit this one corrects: that one no longer counts (left out when none).
    supersedes: uuid.UUID | UnsetType = UNSET


class FollowupStatusChange(ChangeBase, tag="followup_status", kw_only=True):
    followup_id: uuid.UUID
    status: FollowupStatus
    version: int
    note: str = ""
    changed_at: datetime
    #: Code of the agency that made the change.
    agency: str | None = None


class TeamChange(ChangeBase, tag="team", kw_only=True):
    team_id: int
    name: str = ""
    members: list[PackMember] = []
    street_ids: list[int] = []
    #: The team was dissolved; drop it and its assignments.
    removed: bool = False


Change = VisitChange | FollowupStatusChange | TeamChange


class PullResponse(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    changes: list[Change]
    #: Opaque; pass it back as ``since`` for the next pull.
    cursor: str
    #: More changes are waiting: pull again at once with the new cursor.
    more: bool = False


push_request_decoder = msgspec.json.Decoder(PushRequest)
push_response_decoder = msgspec.json.Decoder(PushResponse)


class PushRequestError(ValueError):
    """A push body that cannot be read at all (as opposed to one bad record in it)."""

    def __init__(self, message: str, path: str = "$") -> None:
        super().__init__(message if path == "$" else f"{message} (at {path})")
        self.message = message
        self.path = path


def decode_push_request(body: bytes) -> PushRequest:
    """Read a push body straight from the request bytes.

    Decode from bytes, not from an already parsed dict: ``msgspec.Raw`` only
    exists when decoding JSON, so ``msgspec.convert`` (what a framework does
    with ``data: PushRequest``) refuses the records with "Expected `raw`".
    """
    try:
        request = push_request_decoder.decode(body)
    except msgspec.ValidationError as exc:
        message, _, path = str(exc).partition(" - at ")
        path = path.strip("`") or "$"
        if path == "$.records" and "length <=" in message:
            message = f"at most {MAX_PUSH_RECORDS} records per push; send the rest in another push"
        raise PushRequestError(message, path) from None
    except msgspec.DecodeError as exc:
        raise PushRequestError(f"not valid JSON: {exc}") from None
    if "\x00" in request.device_id:  # the server stores it as text, which cannot hold NUL
        raise PushRequestError("device_id must not contain the NUL character (\\u0000)", "$.device_id")
    return request
