"""Street results as GeoJSON (RFC 7946) and CSV (UTF-8 with a byte-order mark, so spreadsheets read accents)."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from server.lib.csvfile import csv_document

from .schemas import StreetResult, Totals
from .services import StreetRows

FORMATS = ("json", "geojson", "csv")

_SCALARS = ("street_id", "ref", "name", "locality", "households", "knocked", "closed", "answered", "to_revisit",
            "refused", "vacant", "do_not_visit", "coverage", "contact_rate", "team_id")


class Feature(msgspec.Struct, tag_field="type", tag="Feature"):
    id: int
    geometry: msgspec.Raw  # PostGIS's own GeoJSON text, passed through untouched
    properties: StreetResult


class FeatureCollection(msgspec.Struct, tag_field="type", tag="FeatureCollection"):
    features: list[Feature]
    operation_id: int  # foreign members (RFC 7946 section 6.1)
    totals: Totals


_encoder = msgspec.json.Encoder()


def geojson_bytes(operation_id: int, rows: StreetRows) -> bytes:
    assert rows.geometries is not None
    features = [Feature(id=item.street_id, geometry=msgspec.Raw(geom.encode()), properties=item)
                for item, geom in zip(rows.items, rows.geometries, strict=True)]
    return _encoder.encode(FeatureCollection(features=features, operation_id=operation_id, totals=rows.totals))


def flat_row(item: StreetResult, concern_keys: Sequence[str], fix_keys: Sequence[str],
             status_keys: Sequence[str]) -> dict[str, object]:
    """A street's full figures as one flat row (the CSV's columns; the OGC internal layer's properties)."""
    return {**{k: getattr(item, k) for k in _SCALARS},
            **{f"concern_{k}": item.concerns.get(k, 0) for k in concern_keys},
            **{f"fix_{k}": item.fixes.get(k, 0) for k in fix_keys},
            **{f"followups_{k}": item.followups.get(k, 0) for k in status_keys}}


def csv_text(rows: StreetRows) -> str:
    keys = (list(rows.totals.concerns), list(rows.totals.fixes), list(rows.totals.followups))
    flat = [flat_row(item, *keys) for item in rows.items]
    header = list(flat[0]) if flat else [*_SCALARS, *(f"concern_{k}" for k in keys[0]),
                                         *(f"fix_{k}" for k in keys[1]), *(f"followups_{k}" for k in keys[2])]
    return csv_document(header, (list(r.values()) for r in flat))
