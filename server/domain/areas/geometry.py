"""Small planar geometry in local metres, on shared_schemas.geometry.LocalProjection (the tablet
uses the same projection): deterministic, no pyproj needed. Distances that are stored or
compared against thresholds are computed by PostGIS in EPSG:27700.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from server.domain.areas.features import Coord

XY = tuple[float, float]


def osm_precision(lonlat: tuple[float, float]) -> Coord:
    """Rounded to 1e-7 degree (~1 cm), OpenStreetMap's own precision, so output is reproducible."""
    return (round(lonlat[0], 7), round(lonlat[1], 7))


def length(line: Sequence[XY]) -> float:
    return sum(math.dist(a, b) for a, b in zip(line, line[1:], strict=False))


def point_along(line: Sequence[XY], s: float) -> tuple[XY, XY]:
    """The point at distance s along the line, and the unit direction of its segment."""
    walked = 0.0
    segments = [(a, b) for a, b in zip(line, line[1:], strict=False) if math.dist(a, b) > 0]
    for i, (a, b) in enumerate(segments):
        d = math.dist(a, b)
        if walked + d >= s or i == len(segments) - 1:
            t = min(max((s - walked) / d, 0.0), 1.0)
            u = ((b[0] - a[0]) / d, (b[1] - a[1]) / d)
            return (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])), u
        walked += d
    raise ValueError("line has no length")


def locate(line: Sequence[XY], p: XY) -> tuple[float, float, str]:
    """Project p on the line: (distance from p, distance along the line, side "left"/"right")."""
    best = (math.inf, 0.0, "right")
    walked = 0.0
    for a, b in zip(line, line[1:], strict=False):
        dx, dy = b[0] - a[0], b[1] - a[1]
        d2 = dx * dx + dy * dy
        if d2 == 0:
            continue
        t = min(max(((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / d2, 0.0), 1.0)
        q = (a[0] + t * dx, a[1] + t * dy)
        dist = math.dist(p, q)
        if dist < best[0]:
            cross = dx * (p[1] - a[1]) - dy * (p[0] - a[0])
            best = (dist, walked + t * math.sqrt(d2), "left" if cross > 0 else "right")
        walked += math.sqrt(d2)
    return best


def centroid(outer: Sequence[Sequence[Coord]], inner: Sequence[Sequence[Coord]] = ()) -> Coord:
    """Area-weighted centroid of a polygon's rings (holes subtract).

    Computed directly in lon/lat: a centroid commutes with the (affine) equirectangular
    projection, so projecting first would give the same point.
    """
    total_a = cx = cy = 0.0
    for rings, sign in ((outer, 1.0), (inner, -1.0)):
        for ring in rings:
            a, x, y = _ring_moments(ring)
            if a == 0:
                continue
            w = sign * abs(a)
            total_a += w
            cx += w * x
            cy += w * y
    if total_a == 0:  # degenerate (a line or a point): the mean of the vertices
        pts = [c for ring in outer for c in ring]
        return (round(sum(c[0] for c in pts) / len(pts), 7), round(sum(c[1] for c in pts) / len(pts), 7))
    return (round(cx / total_a, 7), round(cy / total_a, 7))


def _ring_moments(ring: Sequence[Coord]) -> tuple[float, float, float]:
    """Signed area and centroid of one ring (shoelace), relative to its first vertex for precision."""
    x0, y0 = ring[0]
    a = cx = cy = 0.0
    pts = [(x - x0, y - y0) for x, y in ring]
    if pts[0] != pts[-1]:
        pts.append(pts[0])
    for (x1, y1), (x2, y2) in zip(pts, pts[1:], strict=False):
        cross = x1 * y2 - x2 * y1
        a += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if a == 0:
        return 0.0, 0.0, 0.0
    return a / 2, x0 + cx / (3 * a), y0 + cy / (3 * a)
