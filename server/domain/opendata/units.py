"""The operation's results as published units, under the disclosure rule (disclosure.py).

Built from the coordinators' street results (server/domain/results/services.street_results), the
one street-results query: the public figures are the same figures, merged into units and passed
through the rule. Nothing unrounded leaves this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from server.domain.results.schemas import StreetResult, Totals
from server.domain.results.services import StreetRows

from . import disclosure
from .fields import CONCERNS, COUNT_FIELDS, FIELD_NAMES, FIXES, RATE_FIELDS


@dataclass(frozen=True)
class Unit:
    """A published unit: one street, or the operation's other streets taken together."""

    unit_id: int
    name: str
    ref: str | None
    locality: str | None
    street_ids: tuple[int, ...]  # the streets it covers
    includes_no_street: bool  # doors on no street count in it (the other streets only)
    geometry: dict[str, Any] | None  # a GeoJSON MultiLineString, or None
    values: dict[str, int | None]  # every count and rate field, published (None: suppressed)

    @property
    def is_other(self) -> bool:
        return self.unit_id == disclosure.OTHER_UNIT_ID

    def row(self) -> dict[str, Any]:
        """The unit as one row of the published table (fields.FIELDS order)."""
        row = {"unit_id": self.unit_id, "unit_name": self.name, "street_ref": self.ref, "locality": self.locality,
               **self.values}
        return {name: row[name] for name in FIELD_NAMES}


@dataclass(frozen=True)
class PublicResults:
    operation_id: int
    units: list[Unit]  # the published units, by name, the other streets last
    totals: dict[str, int | None]  # every count and rate of the whole operation, published
    other_withheld: bool  # smaller streets exist, but together they did not reach MIN_HOUSEHOLDS
    street_names: dict[int, str] = field(default_factory=dict)  # every street of the operation
    withheld_geometry: dict[str, Any] | None = None  # the small streets' lines, when their unit is withheld

    def unit(self, unit_id: int) -> Unit | None:
        return next((u for u in self.units if u.unit_id == unit_id), None)


def _raw(r: StreetResult | Totals) -> dict[str, int]:
    """The unrounded figures of a street (or the totals), keyed by published field name."""
    raw = {"households": r.households, "households_visited": r.knocked, "households_answered": r.answered,
           "households_answered_online": r.answered_online,
           "households_other_language": r.other_language, "households_interpreter": r.with_interpreter,
           "households_adjustment": r.adjustments}
    for code in CONCERNS:
        raw[f"concern_{code}"] = int(r.concerns.get(code, 0))
    for code in FIXES:
        raw[f"fix_{code}"] = int(r.fixes.get(code, 0))
    raw["followups_raised"] = sum(int(n) for n in r.followups.values())
    raw["followups_resolved"] = int(r.followups.get("resolved", 0))
    return raw


def _published(raw: dict[str, int]) -> dict[str, int | None]:
    values: dict[str, int | None] = {name: disclosure.count(raw[name]) for name in COUNT_FIELDS}
    for f in RATE_FIELDS:
        part, base = f.rate_of  # type: ignore[misc]
        values[f.name] = disclosure.rate(raw[part], raw[base])
    return values


def _multiline(geometries: Sequence[str | None]) -> dict[str, Any] | None:
    """Street geometries (PostGIS GeoJSON text, MultiLineStrings) as one MultiLineString."""
    lines: list[Any] = []
    for text in geometries:
        if not text:
            continue
        geom = msgspec.json.decode(text)
        lines.extend(geom["coordinates"] if geom["type"] == "MultiLineString" else [geom["coordinates"]])
    return {"type": "MultiLineString", "coordinates": lines} if lines else None


def build(operation_id: int, rows: StreetRows) -> PublicResults:
    """Units from the street results of one operation, under the rule; with their street lines when
    the results were fetched with geometry (the GeoJSON, the OGC API, the maps), else without."""
    geometries = rows.geometries if rows.geometries is not None else [None] * len(rows.items)
    totals_raw = _raw(rows.totals)
    other_raw = dict(totals_raw)
    units: list[Unit] = []
    small_ids: list[int] = []
    small_geoms: list[str] = []
    for item, geom in zip(rows.items, geometries, strict=True):
        if disclosure.is_own_unit(item.households):
            raw = _raw(item)
            for k, v in raw.items():
                other_raw[k] -= v
            units.append(Unit(unit_id=item.street_id, name=item.name, ref=item.ref, locality=item.locality,
                              street_ids=(item.street_id,), includes_no_street=False,
                              geometry=_multiline([geom]) if geom else None, values=_published(raw)))
        else:
            small_ids.append(item.street_id)
            if geom:
                small_geoms.append(geom)
    other_published = disclosure.is_own_unit(other_raw["households"])
    if other_published:
        units.append(Unit(unit_id=disclosure.OTHER_UNIT_ID, name=disclosure.OTHER_UNIT_NAME, ref=None, locality=None,
                          street_ids=tuple(small_ids), includes_no_street=rows.totals.households_without_street > 0,
                          geometry=_multiline(small_geoms), values=_published(other_raw)))
    return PublicResults(operation_id=operation_id, units=units, totals=_published(totals_raw),
                         other_withheld=other_raw["households"] > 0 and not other_published,
                         street_names={i.street_id: i.name for i in rows.items},
                         withheld_geometry=None if other_published else _multiline(small_geoms))
