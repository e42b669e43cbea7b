"""British National Grid positions land within a metre of their published WGS84 (ETRS89) position."""

from __future__ import annotations

import math

from server.domain.addresses.grid import grid_to_lonlat, lonlat_in_gb

# Ordnance Survey, "A guide to coordinate systems in Great Britain", worked example: Caister Water
# Tower. National Grid E 651409.792, N 313177.448; ETRS89 52°39'28.8282"N, 1°42'57.8663"E.
CAISTER_EN = (651409.792, 313177.448)
CAISTER_LAT = 52 + 39 / 60 + 28.8282 / 3600
CAISTER_LON = 1 + 42 / 60 + 57.8663 / 3600


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Distance on a sphere of the Earth's mean radius: exact enough at a metre's scale."""
    r = 6_371_008.8
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return r * math.hypot(x, math.radians(lat2 - lat1))


def test_caister_water_tower_lands_within_a_metre_of_its_published_position():
    lons, lats = grid_to_lonlat([CAISTER_EN[0]], [CAISTER_EN[1]])
    error = metres(float(lons[0]), float(lats[0]), CAISTER_LON, CAISTER_LAT)
    assert error < 1.0
    assert error < 0.05  # OSTN15: centimetres, not the metres of a Helmert transformation


def test_outside_the_grid_is_not_a_position():
    lons, _ = grid_to_lonlat([-5000.0, 800_000.0], [100_000.0, 100_000.0])
    assert all(math.isnan(v) for v in lons)
    assert list(lonlat_in_gb([-1.55, -30.0, 2.35], [53.8, 53.8, 48.85])) == [True, False, False]
