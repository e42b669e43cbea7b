"""The map: streets and doors projected to a flat plane, with pan and zoom state.

All the arithmetic lives here so tests check it without a window; the widget
(mobile/ui/mapview.py) only turns touches into ``pan``/``zoom`` calls and draws
``screen_lines()``/``screen_doors()`` on its canvas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .base import Observable
from .geo import Bounds, LocalProjection, fit_transform

MIN_SCALE_FACTOR = 0.5   # relative to the fitted scale
MAX_SCALE_FACTOR = 40.0


@dataclass(frozen=True)
class MapStreet:
    id: str
    name: str
    lines: Sequence[Sequence[Sequence[float]]]  # MultiLineString coordinates, [lon, lat]


@dataclass(frozen=True)
class MapDoor:
    id: int | str
    street_id: int | str
    lon: float
    lat: float
    status: str  # a key of mobile.ui.theme.STATUS_COLOURS ("other_pair" for another pair's streets)
    number: str = ""  # the house number, drawn beside the dot when zoomed in

    @property
    def ours(self) -> bool:
        return self.status != "other_pair"


#: Zoomed in this far (relative to the whole area), doors show their numbers.
NUMBERS_AT_ZOOM = 3.0


def place_labels(candidates, width: float, height: float, taken=()) -> list:
    """Which labels to draw so that none overlaps another or leaves the view.

    ``candidates`` are (key, x, y, w, h) in view pixels (x, y: bottom-left), most important
    first; each is kept if its box fits the view and meets no box kept before (nor ``taken``).
    Greedy, like a map renderer's label collision: a street name beats the door numbers under it.
    Returns the kept candidates.
    """
    kept: list = []
    boxes = [tuple(b) for b in taken]
    for key, x, y, w, h in candidates:
        if x < 0 or y < 0 or x + w > width or y + h > height:
            continue
        if any(x < bx + bw and bx < x + w and y < by + bh and by < y + h for bx, by, bw, bh in boxes):
            continue
        boxes.append((x, y, w, h))
        kept.append((key, x, y, w, h))
    return kept


@dataclass
class Position:
    lon: float
    lat: float
    accuracy_m: float | None = None


@dataclass
class _Projected:
    streets: list[tuple[str, list[list[tuple[float, float]]]]] = field(default_factory=list)
    doors: list[tuple[MapDoor, float, float]] = field(default_factory=list)


class MapViewModel(Observable):
    """Projection, view transform (scale, offset) and the things to draw."""

    def __init__(self) -> None:
        super().__init__()
        self.projection: LocalProjection | None = None
        self.bounds: Bounds | None = None
        self._data = _Projected()
        self.position: Position | None = None
        self.scale = 1.0
        self.offset_x = 0.0
        self.offset_y = 0.0
        self.viewport = (0.0, 0.0)
        self._fit_scale = 1.0
        self.selected_street_id: str | None = None
        self._names: dict = {}

    # -- data -----------------------------------------------------------------
    def load(self, streets: Sequence[MapStreet], doors: Sequence[MapDoor]) -> None:
        lonlats = [tuple(p[:2]) for s in streets for line in s.lines for p in line]
        lonlats += [(d.lon, d.lat) for d in doors]
        if not lonlats:
            self.projection, self.bounds, self._data = None, None, _Projected()
            self.changed("data")
            return
        lon0 = (min(p[0] for p in lonlats) + max(p[0] for p in lonlats)) / 2
        lat0 = (min(p[1] for p in lonlats) + max(p[1] for p in lonlats)) / 2
        proj = LocalProjection(lon0, lat0)
        data = _Projected()
        for s in streets:
            data.streets.append((s.id, [[proj.to_xy(p[0], p[1]) for p in line] for line in s.lines]))
        for d in doors:
            x, y = proj.to_xy(d.lon, d.lat)
            data.doors.append((d, x, y))
        self.projection = proj
        self._data = data
        self._names = {s.id: s.name for s in streets}
        self.bounds = Bounds.of(
            [pt for _, lines in data.streets for line in lines for pt in line]
            + [(x, y) for _, x, y in data.doors]
        )
        if self.viewport != (0.0, 0.0):
            self.fit(*self.viewport)
        self.changed("data")

    def update_statuses(self, statuses: dict[Any, str]) -> None:
        """Recolour doors: ``{household_id: status}``."""
        self._data.doors = [
            (MapDoor(d.id, d.street_id, d.lon, d.lat, statuses.get(d.id, d.status)), x, y)
            for d, x, y in self._data.doors
        ]
        self.changed("data")

    def set_position(self, position: Position | None) -> None:
        self.position = position
        self.changed("position")

    def street_name(self, street_id: str) -> str:
        return self._names.get(street_id, "")

    @property
    def door_count(self) -> int:
        return len(self._data.doors)

    @property
    def street_count(self) -> int:
        return len(self._data.streets)

    # -- view transform -----------------------------------------------------------
    def fit(self, width: float, height: float) -> None:
        """Show the whole operation in a ``width`` x ``height`` viewport."""
        self.viewport = (float(width), float(height))
        if self.bounds is None or width <= 0 or height <= 0:
            return
        self.scale, self.offset_x, self.offset_y = fit_transform(self.bounds, width, height)
        self._fit_scale = self.scale
        self.changed("transform")

    def resize(self, width: float, height: float) -> None:
        if (float(width), float(height)) != self.viewport:
            self.fit(width, height)

    def pan(self, dx: float, dy: float) -> None:
        self.offset_x += dx
        self.offset_y += dy
        self.changed("transform")

    def zoom(self, factor: float, cx: float, cy: float) -> None:
        """Zoom by ``factor`` keeping screen point (cx, cy) fixed."""
        new = min(max(self.scale * factor, self._fit_scale * MIN_SCALE_FACTOR),
                  self._fit_scale * MAX_SCALE_FACTOR)
        factor = new / self.scale
        self.offset_x = cx - (cx - self.offset_x) * factor
        self.offset_y = cy - (cy - self.offset_y) * factor
        self.scale = new
        self.changed("transform")

    @property
    def zoom_level(self) -> float:
        """Current scale relative to the fitted one (1.0 = whole area)."""
        return self.scale / self._fit_scale if self._fit_scale else 1.0

    def to_screen(self, x: float, y: float) -> tuple[float, float]:
        return (x * self.scale + self.offset_x, y * self.scale + self.offset_y)

    def lonlat_to_screen(self, lon: float, lat: float) -> tuple[float, float] | None:
        if self.projection is None:
            return None
        return self.to_screen(*self.projection.to_xy(lon, lat))

    # -- what to draw -------------------------------------------------------------
    def screen_lines(self) -> list[tuple[str, list[float]]]:
        """(street id, flat [x0, y0, x1, y1, ...]) per line, in viewport pixels."""
        out = []
        s, ox, oy = self.scale, self.offset_x, self.offset_y
        for street_id, lines in self._data.streets:
            for line in lines:
                flat: list[float] = []
                for x, y in line:
                    flat += [x * s + ox, y * s + oy]
                out.append((street_id, flat))
        return out

    def screen_doors(self) -> dict[str, list[float]]:
        """status -> flat [x0, y0, ...] of door positions in viewport pixels."""
        out: dict[str, list[float]] = {}
        s, ox, oy = self.scale, self.offset_x, self.offset_y
        for d, x, y in self._data.doors:
            out.setdefault(d.status, []).extend((x * s + ox, y * s + oy))
        return out

    def screen_position(self) -> tuple[float, float] | None:
        if self.position is None:
            return None
        return self.lonlat_to_screen(self.position.lon, self.position.lat)

    def screen_door_numbers(self) -> list[tuple[MapDoor, float, float]]:
        """Our doors with a number and their view position, when zoomed in enough to read them."""
        if self.zoom_level < NUMBERS_AT_ZOOM:
            return []
        s, ox, oy = self.scale, self.offset_x, self.offset_y
        return [(d, x * s + ox, y * s + oy) for d, x, y in self._data.doors if d.number and d.ours]

    def door_at(self, sx: float, sy: float, radius: float) -> MapDoor | None:
        """The door nearest a viewport point, within ``radius`` pixels."""
        best, best_d2 = None, radius * radius
        for d, x, y in self._data.doors:
            px, py = self.to_screen(x, y)
            d2 = (px - sx) ** 2 + (py - sy) ** 2
            if d2 <= best_d2:
                best, best_d2 = d, d2
        return best
