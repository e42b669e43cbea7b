"""Street results as GeoJSON (RFC 7946) and CSV (UTF-8 with a byte-order mark, so spreadsheets read accents)."""

from __future__ import annotations

import csv
import io

import msgspec

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


def _cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def csv_text(rows: StreetRows) -> str:
    concern_keys = list(rows.totals.concerns)
    fix_keys = list(rows.totals.fixes)
    status_keys = list(rows.totals.followups)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)  # RFC 4180: CRLF line ends, quotes where needed
    writer.writerow([*_SCALARS, *(f"concern_{k}" for k in concern_keys), *(f"fix_{k}" for k in fix_keys),
                     *(f"followups_{k}" for k in status_keys)])
    for item in rows.items:
        writer.writerow([
            *(_cell(getattr(item, k)) for k in _SCALARS),
            *(item.concerns.get(k, 0) for k in concern_keys),
            *(item.fixes.get(k, 0) for k in fix_keys),
            *(item.followups.get(k, 0) for k in status_keys),
        ])
    return out.getvalue()
