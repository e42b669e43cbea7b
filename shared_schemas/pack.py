"""The offline pack: everything a tablet needs to work a whole operation without signal.

Served by ``GET /api/v1/operations/{id}/pack``. The ``cursor`` is where the
tablet's first pull starts, so changes made after the pack was built still arrive.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import msgspec

from .codes import (
    CONCERN_LABELS,
    FIX_CATEGORY_LABELS,
    FOLLOWUP_CATEGORY_LABELS,
    OUTCOME_LABELS,
    PRIORITY_LABELS,
    OperationStatus,
)
from .questionnaire import Questionnaire


class _PackStruct(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    """Pack parts ignore unknown fields: a newer server may send more."""


class PackOperation(_PackStruct, kw_only=True):
    id: int
    name: str
    status: OperationStatus
    starts_on: date | None = None
    ends_on: date | None = None
    questionnaire_id: str | None = None


class PackStreet(_PackStruct, kw_only=True):
    id: int
    #: Stable reference (USRN-like); survives a re-import where ids may not.
    ref: str
    name: str
    locality: str | None = None
    #: GeoJSON MultiLineString, coordinates in lon/lat (EPSG:4326).
    geometry: dict[str, Any]


class PackHousehold(_PackStruct, kw_only=True):
    id: int
    #: Stable reference (UPRN-like).
    ref: str
    address: str
    house_number: str | None = None
    postcode: str | None = None
    street_id: int | None = None
    lon: float
    lat: float
    #: Which side of the street, for walking one side then the other.
    side: Literal["odd", "even", "none"] = "none"
    #: The door's place in the walk of its street (shared_schemas.walk: each side in number order).
    door_order: int = 0
    #: Where the door comes from: "address_list" (the council's list, ref is the UPRN), "building" or
    #: "address_point" (OpenStreetMap), or "generated" (placed along a street OSM had no house numbers
    #: for: the door may not exist). None from servers that did not say.
    source: str | None = None

    @property
    def generated(self) -> bool:
        return self.source == "generated"


class PackMember(_PackStruct, kw_only=True):
    user_id: int
    username: str
    display_name: str = ""
    agency_code: str = ""
    agency_name: str = ""


class PackTeam(_PackStruct, kw_only=True):
    id: int
    name: str
    members: list[PackMember] = []
    street_ids: list[int] = []


class CodeLabel(_PackStruct, kw_only=True):
    code: str
    label: str


class PackCategories(_PackStruct, kw_only=True):
    fix: list[CodeLabel] = []
    followup: list[CodeLabel] = []
    outcomes: list[CodeLabel] = []
    priorities: list[CodeLabel] = []
    concerns: list[CodeLabel] = []


class Pack(_PackStruct, kw_only=True):
    operation: PackOperation
    questionnaire: Questionnaire | None = None
    streets: list[PackStreet] = []
    households: list[PackHousehold] = []
    teams: list[PackTeam] = []
    categories: PackCategories = msgspec.field(default_factory=lambda: default_categories())
    #: Follow-up category -> agency code it is routed to.
    routing: dict[str, str] = {}
    #: Where the tablet's first pull starts.
    cursor: str = ""


def code_labels(labels: dict[Any, str]) -> list[CodeLabel]:
    return [CodeLabel(code=str(code), label=text) for code, text in labels.items()]


def default_categories() -> PackCategories:
    """Every code this version knows, with its label, for the tablet's pickers."""
    return PackCategories(
        fix=code_labels(FIX_CATEGORY_LABELS),
        followup=code_labels(FOLLOWUP_CATEGORY_LABELS),
        outcomes=code_labels(OUTCOME_LABELS),
        priorities=code_labels(PRIORITY_LABELS),
        concerns=code_labels(CONCERN_LABELS),
    )


pack_decoder = msgspec.json.Decoder(Pack)
