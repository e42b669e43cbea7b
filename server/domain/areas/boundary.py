"""An operation's area: the one place that decides whether a drawn or uploaded boundary is usable.

Used by every way an area comes in (the create and change routes, the dashboard's map and
GeoJSON upload through them, `doorstep import-… --create --area FILE`). First a check of the
GeoJSON's shape in plain Python, so each mistake gets its own message (a ring that does not
close, a position that is not longitude, latitude); then PostGIS for what needs geometry
(ST_IsValid: edges that cross; ST_Area on the spheroid: the size). Messages say what to fix in
plain words, never a library's text.

Accepted: a GeoJSON Polygon or MultiPolygon, or a Feature / FeatureCollection of them (what
drawing tools and geojson.io save), in longitude, latitude (EPSG:4326), at most
``Settings.max_area_km2`` square kilometres (DOORSTEP_MAX_AREA_KM2, default 25: a few wards;
a county is thousands).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from server.lib.exceptions import Invalid

FIELD = "$.area"


def _fail(message: str) -> Invalid:
    return Invalid(message, field=FIELD)


def polygons_of(area: Any, _depth: int = 0) -> list[list[list[list[float]]]]:
    """The polygons (each a list of rings) of a GeoJSON area; raises Invalid saying what is wrong."""
    if _depth > 2:  # a FeatureCollection holds Features, a Feature a geometry: nothing nests deeper
        raise _fail("The GeoJSON nests Features or FeatureCollections inside each other: give one polygon.")
    if not isinstance(area, dict):
        raise _fail("The area must be a GeoJSON object (a Polygon or MultiPolygon).")
    kind = area.get("type")
    if kind == "FeatureCollection":
        features = area.get("features")
        if not isinstance(features, list) or not features:
            raise _fail("The GeoJSON FeatureCollection has no features: draw or upload one polygon.")
        return [p for f in features for p in polygons_of(f, _depth + 1)]
    if kind == "Feature":
        return polygons_of(area.get("geometry"), _depth + 1)
    coords = area.get("coordinates")
    if kind == "Polygon":
        return [_polygon(coords, "the polygon")]
    if kind == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            raise _fail("The MultiPolygon has no polygons.")
        return [_polygon(p, f"polygon {i + 1}") for i, p in enumerate(coords)]
    raise _fail(f"The area must be a GeoJSON Polygon or MultiPolygon, not {str(kind)[:40]!r}: draw the "
                "neighbourhood's outline as a polygon.")


def _polygon(rings: Any, where: str) -> list[list[list[float]]]:
    if not isinstance(rings, list) or not rings:
        raise _fail(f"The area's {where} has no outline (its coordinates are empty).")
    return [_ring(r, where, i) for i, r in enumerate(rings)]


def _ring(ring: Any, where: str, index: int) -> list[list[float]]:
    name = f"the outline of {where}" if index == 0 else f"hole {index} of {where}"
    if not isinstance(ring, list) or len(ring) < 4:
        raise _fail(f"{name[0].upper()}{name[1:]} needs at least 4 positions (3 corners and the first one again).")
    out = []
    for pos in ring:
        if (
            not isinstance(pos, list)
            or len(pos) < 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in pos[:2])
        ):
            raise _fail(f"A position of {name} is not a pair of numbers [longitude, latitude].")
        lon, lat = float(pos[0]), float(pos[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise _fail(f"A position of {name} ({lon:g}, {lat:g}) is not longitude, latitude: the area must be "
                        "in EPSG:4326 degrees, not British National Grid metres.")
        out.append([lon, lat])
    if out[0] != out[-1]:
        raise _fail(f"{name[0].upper()}{name[1:]} is not closed: its last position must repeat its first.")
    return out


_CROSSING = re.compile(r"self-intersection\[\s*([-\d.eE+]+)\s+([-\d.eE+]+)", re.IGNORECASE)


async def check_area(session: AsyncSession, area: Any, max_km2: float) -> str:
    """The area as a GeoJSON MultiPolygon text, ready for ST_GeomFromGeoJSON; Invalid if unusable."""
    multi = json.dumps({"type": "MultiPolygon", "coordinates": polygons_of(area)})
    row = (await session.execute(text("""
        SELECT ST_IsValid(g) AS valid, ST_IsValidReason(g) AS reason,
               ST_Area(g::geography) / 1e6 AS km2
          FROM (SELECT ST_SetSRID(ST_GeomFromGeoJSON(:area), 4326) AS g) AS x"""), {"area": multi})).one()
    if not row.valid:
        crossing = _CROSSING.search(row.reason or "")
        if crossing:
            lon, lat = float(crossing.group(1)), float(crossing.group(2))
            raise _fail(f"The area's outline crosses itself near {lat:.5f}, {lon:.5f} (latitude, longitude): "
                        "draw it again so that no edge crosses another.")
        raise _fail("The area is not a valid polygon (a hole outside its outline, polygons that overlap, or a "
                    "corner repeated): draw it again as one simple outline.")
    if row.km2 > max_km2:
        raise _fail(f"The area is {row.km2:,.0f} km², more than the {max_km2:g} km² an operation may cover "
                    "(DOORSTEP_MAX_AREA_KM2): draw the neighbourhood, not the whole district.")
    if row.km2 <= 0:
        raise _fail("The area is empty: draw an outline around the streets.")
    return multi
