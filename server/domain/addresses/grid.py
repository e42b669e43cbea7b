"""British National Grid (EPSG:27700) to longitude, latitude, and what counts as Great Britain.

Measured on this machine against Ordnance Survey's worked example in "A guide to coordinate
systems in Great Britain" (Caister Water Tower: OSGB36 E 651409.792, N 313177.448; ETRS89
52.658007833 N, 1.716073973 E), see tests/addresses/test_grid.py:

| converter | how | error |
|---|---|---|
| convertbng 2.0 (used) | OSTN15, Ordnance Survey's own transformation grid, built in | 0.012 m |
| PostGIS 3.3 ``ST_Transform(…, 4326)`` (PROJ 9.1) | a 7-parameter Helmert (Debian's proj-data: no OSTN15) | 3.45 m |
| pyproj 3.7 (PROJ 9.5, no grid installed) | the same Helmert | 3.45 m |

So grid coordinates are converted here, in one vectorised call, before they reach PostGIS.
ETRS89 is taken as WGS84 (EPSG:4326): they differ by well under a metre in Britain, as OS and
the EPSG transformations do for this purpose. OSTN15 is only defined over Great Britain and its
waters; outside it convertbng answers NaN, which is how a row "outside Great Britain" is told.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from convertbng.cutil import convert_bng, convert_lonlat

# The National Grid's extent (metres) and a box around Great Britain in degrees, for the cheap
# first test of a row and for spotting swapped columns; OSTN15 then has the last word.
EASTING = (0.0, 700_000.0)
NORTHING = (0.0, 1_300_000.0)
LATITUDE = (49.8, 61.0)
LONGITUDE = (-8.7, 2.1)


def in_grid(e: float, n: float) -> bool:
    return EASTING[0] <= e <= EASTING[1] and NORTHING[0] <= n <= NORTHING[1]


def in_gb_box(lat: float, lon: float) -> bool:
    return LATITUDE[0] <= lat <= LATITUDE[1] and LONGITUDE[0] <= lon <= LONGITUDE[1]


def grid_to_lonlat(eastings: Sequence[float], northings: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes (NaN where OSTN15 does not reach)."""
    if not len(eastings):
        return np.empty(0), np.empty(0)
    lons, lats = convert_lonlat(np.asarray(eastings, dtype=float), np.asarray(northings, dtype=float))
    return np.asarray(lons), np.asarray(lats)


def lonlat_in_gb(lons: Sequence[float], lats: Sequence[float]) -> np.ndarray:
    """True where a position lies within OSTN15's reach (Great Britain and its waters)."""
    if not len(lons):
        return np.empty(0, dtype=bool)
    e, _ = convert_bng(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
    return ~np.isnan(np.asarray(e))
