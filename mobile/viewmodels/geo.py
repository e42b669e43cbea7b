"""Small geometry helpers for the tablet: distances, and the local flat projection it shares with the
server (shared_schemas.geometry): the map needs no tiles and no projection library.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shared_schemas.geometry import EARTH_RADIUS_M, LocalProjection


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def distance_to_lines_m(lon: float, lat: float, lines: Iterable[Sequence[Sequence[float]]]) -> float | None:
    """Shortest distance in metres from a point to any segment of some lines (None if no lines)."""
    proj = LocalProjection(lon, lat)
    best: float | None = None
    for line in lines:
        pts = [proj.to_xy(p[0], p[1]) for p in line]
        if len(pts) == 1:
            pts = pts * 2
        for (x1, y1), (x2, y2) in zip(pts, pts[1:], strict=False):
            d = _point_segment(0.0, 0.0, x1, y1, x2, y2)
            if best is None or d < best:
                best = d
    return best


def _point_segment(px: float, py: float, x1: float, y1: float, x2: float, y2: float) -> float:
    dx, dy = x2 - x1, y2 - y1
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - x1) * dx + (py - y1) * dy) / length2))
    return math.hypot(px - (x1 + t * dx), py - (y1 + t * dy))


@dataclass(frozen=True)
class Bounds:
    min_x: float
    min_y: float
    max_x: float
    max_y: float

    @property
    def width(self) -> float:
        return self.max_x - self.min_x

    @property
    def height(self) -> float:
        return self.max_y - self.min_y

    @classmethod
    def of(cls, points: Iterable[tuple[float, float]]) -> Bounds | None:
        xs, ys = [], []
        for x, y in points:
            xs.append(x)
            ys.append(y)
        if not xs:
            return None
        return cls(min(xs), min(ys), max(xs), max(ys))


def fit_transform(bounds: Bounds, width: float, height: float, margin: float = 24.0) -> tuple[float, float, float]:
    """Scale and offset that fit ``bounds`` (metres) into a ``width`` x ``height`` box.

    Returns (scale, offset_x, offset_y) so that screen = metres * scale + offset.
    """
    w = max(bounds.width, 1.0)
    h = max(bounds.height, 1.0)
    scale = min((width - 2 * margin) / w, (height - 2 * margin) / h)
    scale = max(scale, 1e-6)
    off_x = (width - w * scale) / 2 - bounds.min_x * scale
    off_y = (height - h * scale) / 2 - bounds.min_y * scale
    return scale, off_x, off_y
