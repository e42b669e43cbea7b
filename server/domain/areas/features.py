"""What an OSM extract becomes before it touches the database: plain, immutable values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from server.lib.exceptions import BadRequest, NotFound

Coord = tuple[float, float]  # (lon, lat), EPSG:4326


class AreaFileError(BadRequest):
    """The OSM file cannot be imported; the message is one line a person can act on."""


class UnknownOperationError(NotFound):
    """The import names an operation that does not exist."""


@dataclass(frozen=True)
class StreetFeature:
    ref: str  # "OSM-ST-<hash of name + locality>": stable across re-imports (USRN-like)
    name: str
    locality: str | None
    lines: tuple[tuple[Coord, ...], ...]  # the street's ways joined end to end
    residential_lines: tuple[tuple[Coord, ...], ...] = ()  # the residential/living_street part only
    way_ids: tuple[int, ...] = ()

    @property
    def is_residential(self) -> bool:
        return bool(self.residential_lines)


@dataclass(frozen=True)
class HouseholdFeature:
    ref: str  # "OSM-N<id>", "OSM-W<id>", "OSM-R<id>", or "OSM-G-<street hash>-<number>"
    address: str
    house_number: str | None
    street_name: str | None  # addr:street as written in OSM (or the street generated along)
    postcode: str | None
    lon: float
    lat: float
    source: str  # "building" | "address_point" | "generated"
    side: str = "none"  # "odd" | "even" | "none"
    street_ref: str | None = None  # set when street_name names a street of this area


@dataclass(frozen=True)
class BuildingFeature:
    """A building's outline, drawn faintly on the coordinators' maps for a sense of place (any building,
    numbered or not; its doors are households)."""

    ref: str  # "OSM-W<id>" or "OSM-R<id>"
    polygons: tuple[tuple[tuple[Coord, ...], ...], ...]  # each: the outer ring, then its holes


@dataclass(frozen=True)
class Area:
    streets: tuple[StreetFeature, ...]
    households: tuple[HouseholdFeature, ...]
    locality: str | None = None
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> objects left out
    buildings: tuple[BuildingFeature, ...] = ()


def name_key(name: str) -> str:
    """Key that matches "St. Marks Road" with "St Marks Road" (addr:street vs highway name)."""
    s = name.casefold().replace("&", " and ")
    s = re.sub(r"[^\w\s]", "", s)
    return " ".join(s.split())


def number_side(house_number: str | None) -> str:
    """Odd or even from the leading integer of a house number ("19-20" -> odd, "38A" -> even)."""
    if not house_number:
        return "none"
    m = re.match(r"\s*(\d+)", house_number)
    if not m:
        return "none"
    return "odd" if int(m.group(1)) % 2 else "even"


def leading_number(house_number: str | None) -> int | None:
    m = re.match(r"\s*(\d+)", house_number or "")
    return int(m.group(1)) if m else None
