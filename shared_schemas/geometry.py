"""A flat projection for small areas, the same on the tablet and the server.

A neighbourhood is a few kilometres across, so an equirectangular projection around its centre
is within a fraction of a percent of true distance (well under a metre there): enough for
spacing generated doors and ordering them along a street (server) and for drawing the map and
measuring how far a tablet is from a street (tablet), with no projection library. Distances
that are stored or compared with thresholds on the server are computed by PostGIS in EPSG:27700.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

EARTH_RADIUS_M = 6_371_008.8


class LocalProjection:
    """lon/lat <-> metres east/north of an origin (equirectangular)."""

    __slots__ = ("lon0", "lat0", "_kx", "_ky")

    def __init__(self, lon0: float, lat0: float):
        self.lon0, self.lat0 = lon0, lat0
        self._ky = math.radians(1) * EARTH_RADIUS_M
        self._kx = self._ky * math.cos(math.radians(lat0))

    @classmethod
    def around(cls, coords: Iterable[Sequence[float]]) -> LocalProjection:
        """Centred on the middle of the box around ``coords`` (lon, lat pairs)."""
        points = list(coords)
        lons = [c[0] for c in points]
        lats = [c[1] for c in points]
        return cls((min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2)

    def to_xy(self, lon: float, lat: float) -> tuple[float, float]:
        return ((lon - self.lon0) * self._kx, (lat - self.lat0) * self._ky)

    def to_lonlat(self, x: float, y: float) -> tuple[float, float]:
        return (self.lon0 + x / self._kx, self.lat0 + y / self._ky)

    def __repr__(self) -> str:
        return f"LocalProjection({self.lon0!r}, {self.lat0!r})"
