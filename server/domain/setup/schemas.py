"""Requests and answers of operation set-up."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec

from shared_schemas.operations import ListedOperation

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
TeamName = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]


class OperationCreate(msgspec.Struct, forbid_unknown_fields=False):
    name: Name
    area: dict[str, Any]  # a GeoJSON Polygon or MultiPolygon in lon/lat (EPSG:4326)
    questionnaire_id: Annotated[str, msgspec.Meta(max_length=120)]
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


class OperationDetail(ListedOperation, kw_only=True):
    """An operation as the list shows it, with its area and size."""

    area: msgspec.Raw | None = None  # GeoJSON
    streets: int = 0
    households: int = 0
    #: Doors placed along streets where OpenStreetMap had no house numbers: they may not exist.
    generated_households: int = 0
    #: Doors imported earlier that lie outside the area as it is now.
    households_outside_area: int = 0
    closed_at: dt.datetime | None = None


class AreaChange(msgspec.Struct, forbid_unknown_fields=False):
    area: dict[str, Any]  # a GeoJSON Polygon or MultiPolygon (or a Feature of one) in lon/lat


class TeamSave(msgspec.Struct, forbid_unknown_fields=False):
    name: TeamName
    member_ids: list[int]
    street_ids: list[int] = []


class StreetIds(msgspec.Struct, forbid_unknown_fields=False):
    street_ids: list[int]


class StreetTeam(msgspec.Struct, forbid_unknown_fields=False):
    team_id: int | None  # None: no pair


class Member(msgspec.Struct):
    id: int
    username: str
    display_name: str
    agency_code: str
    agency_name: str


class TeamOut(msgspec.Struct):
    id: int
    name: str
    members: list[Member]
    street_ids: list[int]


class StreetOut(msgspec.Struct):
    id: int
    ref: str
    name: str
    households: int
    team_id: int | None


class SetupView(msgspec.Struct):
    """Everything the set-up page needs: the operation, its pairs, its streets, the visitors to choose from."""

    operation: OperationDetail
    teams: list[TeamOut]
    streets: list[StreetOut]
    visitors: list[Member]
    questionnaires: list[str]
