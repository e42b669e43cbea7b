"""The walk list: the pair's streets with doors knocked / total, searchable, sorted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mobile import words

from .base import Observable
from .context import AppContext, _get
from .geo import distance_to_lines_m
from .street import drafts_text


@dataclass(frozen=True)
class StreetRow:
    id: int
    name: str
    locality: str
    households: int
    knocked: int
    closed: int
    progress: float  # knocked / households, 0..1
    counts: str  # "12 / 40 knocked" (· "1 draft")
    distance_m: float | None
    distance: str  # "350 m" or ""


def format_distance(metres: float | None) -> str:
    if metres is None:
        return ""
    if metres < 1000:
        return f"{int(round(metres / 10.0) * 10)} m"
    return f"{metres / 1000:.1f} km"


def street_lines(street: Any) -> list:
    geometry = _get(street, "geometry")
    if geometry is None:
        return []
    coords = _get(geometry, "coordinates", []) or []
    gtype = _get(geometry, "type", "MultiLineString")
    return [coords] if gtype == "LineString" else list(coords)


class StreetsViewModel(Observable):
    SORTS = ("name", "distance")

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.query = ""
        self.sort = "name"
        self.rows: list[StreetRow] = []
        self.all_rows: list[StreetRow] = []
        self.message = ""
        self.totals = ""
        self.on_open_street: Callable[[int], None] | None = None

    @property
    def has_position(self) -> bool:
        return self.ctx.position is not None

    def load(self) -> None:
        ctx = self.ctx
        if ctx.operation_id is None:
            self.set(all_rows=[], message=words._("Choose an operation first."))
            self._apply()
            return
        if ctx.team_id is None:
            self.set(all_rows=[], message=words._("You are not in a pair on this operation, so there is no walk "
                                                  "list. Ask your coordinator to add you to a pair."))
            self._apply()
            return
        summaries = ctx.store.streets_for_team(ctx.operation_id, ctx.team_id)
        pos = ctx.position
        rows = []
        for s in summaries:
            dist = None
            if pos is not None:
                street = ctx.street(s.id)
                dist = distance_to_lines_m(pos.lon, pos.lat, street_lines(street)) if street is not None else None
            total = max(s.households, 0)
            rows.append(StreetRow(
                id=s.id, name=s.name, locality=s.locality or "", households=total,
                knocked=s.knocked, closed=s.closed,
                progress=(s.knocked / total) if total else 0.0,
                counts=words._("{knocked} / {doors} knocked").format(knocked=s.knocked, doors=total)
                + drafts_text(s.drafts),
                distance_m=dist, distance=format_distance(dist),
            ))
        knocked = sum(r.knocked for r in rows)
        total = sum(r.households for r in rows)
        drafts = sum(s.drafts for s in summaries)
        self.set(all_rows=rows, message="" if rows else words._("No streets are assigned to your pair yet."),
                 totals=words._("{streets} streets · {knocked} / {doors} doors knocked").format(
                     streets=len(rows), knocked=knocked, doors=total) + drafts_text(drafts))
        if self.sort == "distance" and pos is None:
            self.sort = "name"
        self._apply()

    def set_query(self, query: str) -> None:
        self.query = query
        self._apply()

    def set_sort(self, sort: str) -> None:
        if sort not in self.SORTS:
            raise ValueError(sort)
        if sort == "distance" and not self.has_position:
            self.set(message=words._("Distance sort needs the tablet's position, which is not known yet."))
            sort = "name"
        self.sort = sort
        self._apply()

    def _apply(self) -> None:
        q = self.query.strip().lower()
        rows = [r for r in self.all_rows if not q or q in r.name.lower() or q in r.locality.lower()]
        if self.sort == "distance":
            rows.sort(key=lambda r: (r.distance_m is None, r.distance_m or 0.0, r.name.lower()))
        else:
            rows.sort(key=lambda r: (r.name.lower(), r.locality.lower()))
        self.rows = rows
        self.changed("rows", "sort", "query")

    def open(self, street_id: int) -> None:
        if self.on_open_street:
            self.on_open_street(street_id)
