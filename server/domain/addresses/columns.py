"""Which column of an address list means what: the names we accept, case-insensitively.

A header is compared with spaces, underscores, hyphens and dots removed and case folded, so
``X_COORDINATE``, ``x coordinate`` and ``XCoordinate`` are one name. Each field lists its names
in order of preference; a row takes the first of them that is filled in (AddressBase Plus has
both POSTCODE, for postal addresses only, and POSTCODE_LOCATOR, for every address).

The names come from the exports councils hand over:
- AddressBase Core: UPRN, USRN, EASTING, NORTHING, LATITUDE, LONGITUDE, SINGLE_LINE_ADDRESS,
  SUB_BUILDING, BUILDING_NAME, BUILDING_NUMBER, STREET_NAME, POSTCODE;
- AddressBase Plus: UPRN, USRN, X_COORDINATE, Y_COORDINATE, LATITUDE, LONGITUDE, SAO_TEXT,
  SAO_START_NUMBER, SAO_START_SUFFIX, PAO_TEXT, PAO_START_NUMBER, PAO_START_SUFFIX,
  PAO_END_NUMBER, PAO_END_SUFFIX, SUB_BUILDING_NAME, BUILDING_NAME, BUILDING_NUMBER,
  STREET_DESCRIPTION, THOROUGHFARE, POSTCODE, POSTCODE_LOCATOR;
- an LLPG (Local Land and Property Gazetteer, BS 7666) extract: UPRN, USRN, X_COORDINATE,
  Y_COORDINATE, SAO_TEXT, PAO_TEXT, PAO_START_NUMBER, STREET_DESCRIPTOR, POSTCODE_LOCATOR;
- a hand-made list: uprn, address_line_1 … address_line_5 (or address), house_number, street,
  postcode, easting/northing or latitude/longitude.
README.md ("Address lists") prints this table for coordinators.
"""

from __future__ import annotations

import re

#: field -> accepted column names, most preferred first (already normalised: see `normalise`).
ALIASES: dict[str, tuple[str, ...]] = {
    "uprn": ("uprn",),
    "usrn": ("usrn",),
    "easting": ("easting", "eastings", "xcoordinate", "x", "bngeasting"),
    "northing": ("northing", "northings", "ycoordinate", "y", "bngnorthing"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "long", "lng"),
    "street": ("streetname", "street", "streetdescription", "streetdescriptor", "thoroughfare"),
    "house_number": ("housenumber", "buildingnumber"),
    "pao_start_number": ("paostartnumber",),
    "pao_start_suffix": ("paostartsuffix",),
    "pao_end_number": ("paoendnumber",),
    "pao_end_suffix": ("paoendsuffix",),
    "pao_text": ("paotext", "buildingname", "housename"),
    "sao_text": ("saotext", "subbuildingname", "subbuilding", "flat"),
    "sao_start_number": ("saostartnumber",),
    "sao_start_suffix": ("saostartsuffix",),
    "single_line": ("singlelineaddress", "address", "fulladdress"),
    "postcode": ("postcode", "postcodelocator", "postalcode"),
}
ADDRESS_LINES = tuple(f"addressline{i}" for i in range(1, 6)) + tuple(f"address{i}" for i in range(1, 6))

def normalise(header: str) -> str:
    return re.sub(r"[\s_\-.]", "", header.replace("\ufeff", "")).casefold()


def map_columns(headers: list[str]) -> dict[str, list[int]]:
    """field -> indexes of the columns that hold it, most preferred first ("address_lines" too)."""
    index: dict[str, int] = {}
    for i, h in enumerate(headers):
        index.setdefault(normalise(h), i)
    found: dict[str, list[int]] = {}
    for field, names in ALIASES.items():
        cols = [index[n] for n in names if n in index]
        if cols:
            found[field] = cols
    lines = [index[n] for n in ADDRESS_LINES if n in index]
    if lines:
        found["address_lines"] = lines
    return found
