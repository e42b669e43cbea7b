"""The published files of an operation: streets.csv, streets.geojson (RFC 7946) and datapackage.json
(a Frictionless Data Package describing both). Every row is a published unit (units.py), every
column one of fields.FIELDS."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from server.db.models import Operation
from server.lib.csvfile import csv_document

from . import disclosure
from .fields import FIELD_NAMES, FIELDS
from .units import PublicResults, Unit

OGL_LINE = "Contains public sector information licensed under the Open Government Licence v3.0."
OSM_LINE = "Street geometry © OpenStreetMap contributors, available under the Open Database Licence (ODbL) 1.0."
OGL = {"name": "OGL-UK-3.0", "title": "Open Government Licence v3.0",
       "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"}
ODBL = {"name": "ODbL-1.0", "title": "Open Data Commons Open Database License 1.0",
        "path": "https://opendatacommons.org/licenses/odbl/1-0/"}
OSM_SOURCE = {"title": "OpenStreetMap (street geometry)", "path": "https://www.openstreetmap.org/copyright"}

RULE_TEXT = (
    f"Figures are published under a disclosure rule so that no household can be identified: a street is a "
    f"unit of its own only with at least {disclosure.MIN_HOUSEHOLDS} households, and smaller streets are "
    f'taken together as "{disclosure.OTHER_UNIT_NAME}" (published only if that reaches '
    f"{disclosure.MIN_HOUSEHOLDS} households); counts under {disclosure.SUPPRESS_BELOW} (other than 0) "
    f"are suppressed and the rest rounded to the nearest {disclosure.ROUND_TO_WORD}; totals are rounded from the "
    f"unrounded figures; percentages are whole numbers, given only where their base is at least "
    f"{disclosure.RATE_MIN_BASE}. No door, person, pair or free text is published, and dates only to the day."
)

_encoder = msgspec.json.Encoder()


def streets_csv(results: PublicResults) -> str:
    return csv_document(FIELD_NAMES, (list(u.row().values()) for u in results.units))  # row() is in FIELD_NAMES order


def feature(unit: Unit) -> dict[str, Any]:
    return {"type": "Feature", "id": unit.unit_id, "geometry": unit.geometry, "properties": unit.row()}


def streets_geojson(operation: Operation, results: PublicResults, last_updated: dt.date | None) -> bytes:
    """A FeatureCollection (RFC 7946: WGS 84 longitude/latitude); what it is and under which licence
    travel with it as foreign members (section 6.1)."""
    return _encoder.encode({
        "type": "FeatureCollection",
        "name": f"operation-{operation.id}-streets",
        "title": f"{operation.name}: results by street",
        "last_updated": last_updated.isoformat() if last_updated else None,
        "licence": OGL_LINE,
        "attribution": OSM_LINE,
        "disclosure": RULE_TEXT,
        "totals": results.totals,
        "features": [feature(u) for u in results.units],
    })


def datapackage(operation: Operation, page_url: str, last_updated: dt.date | None) -> bytes:
    """A Frictionless Data Package (https://specs.frictionlessdata.io/data-package/) whose resource
    paths are relative, so the folder works the same downloaded."""
    description = (f"What residents said and what was done, street by street, in the {operation.name} community "
                   f"safety operation (door-to-door visits by police and partner agencies). {RULE_TEXT}")
    schema = {"fields": [f.table_schema() for f in FIELDS], "primaryKey": ["unit_id"], "missingValues": [""]}
    package: dict[str, Any] = {
        "name": f"doorstep-operation-{operation.id}",
        "title": f"{operation.name}: results by street",
        "description": description,
        "homepage": page_url,
        "keywords": ["community safety", "StreetSafe", "door-to-door", "PACT", "you said, we did"],
        "licenses": [OGL],
        "sources": [{"title": f"Doorstep visit records and household questionnaire: {operation.name}",
                     "path": page_url}, OSM_SOURCE],
        "resources": [
            {"name": "streets", "path": "streets.csv", "profile": "tabular-data-resource",
             "title": "Results by street (CSV)", "description": "One row per published unit.",
             "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
             "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "header": True},
             "schema": schema, "licenses": [OGL]},
            {"name": "streets-geojson", "path": "streets.geojson", "profile": "data-resource",
             "title": "Results by street with street geometry (GeoJSON, RFC 7946)",
             "description": "The same rows as streets.csv, as GeoJSON features with each unit's street lines "
                            "(WGS 84). The figures are under the Open Government Licence; the street geometry "
                            "comes from OpenStreetMap under the ODbL.",
             "format": "geojson", "mediatype": "application/geo+json", "encoding": "utf-8",
             "licenses": [OGL, ODBL], "sources": [OSM_SOURCE]},
        ],
    }
    if last_updated:
        package["last_updated"] = last_updated.isoformat()  # the figures follow the operation as it goes on
    return _encoder.encode(package)
