"""Doors along residential streets that OSM has no house numbers for.

The rule (also in fixtures/areas/README.md): walk each joined residential line of the
street from its start; each pair of doors gets SPACING_M metres of frontage, so a piece L
metres long gets floor(L / SPACING_M) pairs, centred at SPACING_M/2, 3·SPACING_M/2, … along
it; one door OFFSET_M metres to the left (odd numbers 1, 3, 5…) and one to the right (even
numbers 2, 4, 6…). Numbering continues across the street's separate pieces. Same file in, same
doors out: positions depend only on the street's own geometry, and refs on the street ref and
the number.
"""

from __future__ import annotations

from server.domain.areas.features import HouseholdFeature, StreetFeature
from server.domain.areas.geometry import length, osm_precision, point_along
from shared_schemas.geometry import LocalProjection

SPACING_M = 12.0  # a typical terraced/semi-detached frontage
OFFSET_M = 10.0  # from the centreline: half a residential street plus a front garden


def generated_ref(street: StreetFeature, number: int) -> str:
    return f"OSM-G-{street.ref.removeprefix('OSM-ST-')}-{number}"


def generate_households(street: StreetFeature, postcode: str | None = None) -> list[HouseholdFeature]:
    if not street.residential_lines:
        return []
    # Projection centred on this street alone, so edits elsewhere in the extract never move its doors.
    proj = LocalProjection.around([c for line in street.residential_lines for c in line])
    out: list[HouseholdFeature] = []
    next_odd, next_even = 1, 2
    for line in street.residential_lines:
        xy = [proj.to_xy(*c) for c in line]
        for k in range(int(length(xy) // SPACING_M)):
            (x, y), (ux, uy) = point_along(xy, (k + 0.5) * SPACING_M)
            left = (-uy, ux)  # the unit direction turned 90° anticlockwise
            for side, sign in (("odd", 1.0), ("even", -1.0)):
                number = next_odd if side == "odd" else next_even
                lon, lat = osm_precision(proj.to_lonlat(x + sign * OFFSET_M * left[0], y + sign * OFFSET_M * left[1]))
                out.append(
                    HouseholdFeature(
                        ref=generated_ref(street, number),
                        address=f"{number} {street.name}",
                        house_number=str(number),
                        street_name=street.name,
                        postcode=postcode,
                        lon=lon,
                        lat=lat,
                        source="generated",
                        side=side,
                        street_ref=street.ref,
                    )
                )
            next_odd += 2
            next_even += 2
    return out
