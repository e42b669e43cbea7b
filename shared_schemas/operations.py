"""The operations list (``GET /api/v1/operations``): what the server answers and the tablet reads."""

from __future__ import annotations

import datetime as dt

import msgspec


class ListedOperation(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    """An operation the signed-in user may see."""

    id: int
    name: str
    #: planned, active or closed (``codes.OperationStatus``); text, so a status a newer server
    #: adds does not stop an older tablet reading the list.
    status: str
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    questionnaire_id: str = ""


class OperationList(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    items: list[ListedOperation]
    #: The cursor of the next page (pass it back as ``cursor``), or null on the last one.
    next: str | None = None
