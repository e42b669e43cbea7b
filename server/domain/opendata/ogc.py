"""OGC API – Features, Part 1: Core (GeoJSON, OpenAPI 3.0) at /ogc.

Read with GDAL's OAPIF driver (`ogrinfo OAPIF:http://host/ogc`) or QGIS. Anyone gets the published
operations' `operation-{id}-streets` collections; a coordinator's bearer token adds the internal
layers of the operations they run (ogc_layers.py). Links are absolute: GDAL joins a link that
starts with "/" to the service's own URL, not the host's.

Query parameters of /items: `limit` (a whole number from 1; above MAX_LIMIT the page holds
MAX_LIMIT, as the standard permits; default DEFAULT_LIMIT), `bbox` (four numbers, WGS 84
longitude/latitude: min lon, min lat, max lon, max lat; a min lon above the max lon crosses the
antimeridian), `bbox-crs` (CRS84 only), `datetime` (accepted and ignored: the collections have no
time), `cursor` (from a `next` link), `f` (json). Anything else is a 400 naming what is allowed.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, Router, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from server.lib.auth import optional_user
from server.lib.exceptions import BadRequest

from . import files, ogc_layers
from .ogc_openapi import openapi_document

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
OPENAPI_TYPE = "application/vnd.oai.openapi+json;version=3.0"
GEOJSON = "application/geo+json"
JSON = "application/json"
ITEMS_PARAMETERS = frozenset({"limit", "bbox", "bbox-crs", "datetime", "cursor", "f"})
PLAIN_PARAMETERS = frozenset({"f"})

_encoder = msgspec.json.Encoder()


def _root(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _answer(body: Any, media_type: str, signed_in: bool) -> Response:
    # Internal layers appear only to a bearer token: shared caches must never hand them on.
    headers = {"Cache-Control": "private, no-store" if signed_in else "no-cache", "Vary": "Authorization"}
    return Response(_encoder.encode(body), media_type=media_type, headers=headers)


def _only(request: Request, allowed: frozenset[str]) -> None:
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise BadRequest(f"Unknown query parameter {', '.join(map(repr, unknown))}; this path takes "
                         f"{', '.join(sorted(allowed)) or 'none'}.", field=unknown[0])
    f = request.query_params.get("f")
    if f is not None and f not in ("json", "geojson"):
        raise BadRequest(f"f={f!r} is not served; the only encoding is JSON (f=json).", field="f")


def parse_limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise BadRequest(f"limit={raw!r} is not a whole number from 1; ask for up to {MAX_LIMIT} features a page "
                         f"(more is served as {MAX_LIMIT}).", field="limit")
    return min(int(raw), MAX_LIMIT)


def parse_bbox(raw: str | None, crs: str | None) -> list[ogc_layers.Envelope] | None:
    """The envelopes to search: one, or two where the box crosses the antimeridian."""
    if crs is not None and crs != CRS84:
        raise BadRequest(f"bbox-crs {crs!r} is not supported; give the bbox in WGS 84 longitude/latitude ({CRS84}).",
                         field="bbox-crs")
    if raw is None:
        return None
    parts = raw.split(",")
    what = ("Give bbox as four numbers, min longitude, min latitude, max longitude, max latitude (WGS 84), "
            "separated by commas, e.g. bbox=-1.56,53.80,-1.54,53.81")
    if len(parts) != 4:
        raise BadRequest(f"bbox has {len(parts)} value{'s' if len(parts) != 1 else ''}. {what}.", field="bbox")
    try:
        x0, y0, x1, y1 = (float(p) for p in parts)
    except ValueError:
        raise BadRequest(f"bbox {raw!r} is not four numbers. {what}.", field="bbox") from None
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        raise BadRequest(f"bbox {raw!r} has a value that is not a finite number. {what}.", field="bbox")
    if not (-180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= 90 and -90 <= y1 <= 90):
        raise BadRequest(f"bbox {raw!r} is outside longitude -180..180 or latitude -90..90. {what}.", field="bbox")
    if y0 > y1:
        raise BadRequest(f"bbox {raw!r} has its min latitude above its max latitude. {what}.", field="bbox")
    if x0 > x1:  # across the antimeridian
        return [(x0, y0, 180.0, y1), (-180.0, y0, x1, y1)]
    return [(x0, y0, x1, y1)]


def _link(href: str, rel: str, media_type: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def collection_document(root: str, layer: ogc_layers.Layer, extent: list[float] | None) -> dict[str, Any]:
    url = f"{root}/collections/{layer.id}"
    links = [_link(url, "self", JSON, "This collection"),
             _link(f"{url}/items", "items", GEOJSON, "Its features"),
             _link(f"{url}/schema", "describedby", "application/schema+json", "What its features hold"),
             # GDAL 3.6 looks for this spelling only.
             _link(f"{url}/schema", "describedBy", "application/schema+json", "What its features hold")]
    doc: dict[str, Any] = {"id": layer.id, "title": layer.title, "description": layer.description,
                           "itemType": "feature", "crs": [CRS84], "links": links}
    if not layer.internal:
        page = f"{root.removesuffix('/ogc')}/open-data/operations/{layer.operation.id}/"
        links += [_link(files.OGL["path"], "license", "text/html", files.OGL["title"]),
                  _link(page, "alternate", "text/html", "The operation's open-data page")]
        doc["attribution"] = f"{files.OGL_LINE} {files.OSM_LINE}"
    if extent is not None:
        doc["extent"] = {"spatial": {"bbox": [extent], "crs": CRS84}}
    return doc


# ---------------------------------------------------------------- routes


@get("/", include_in_schema=False)
async def landing(request: Request) -> Response:
    _only(request, PLAIN_PARAMETERS)
    root = _root(request)
    return _answer({
        "title": "Doorstep open data: OGC API – Features",
        "description": "Community safety operations' results by street, under a disclosure rule, free to reuse under "
                       "the Open Government Licence v3.0. A coordinator's bearer token adds the internal layers of "
                       "the operations they run.",
        "attribution": f"{files.OGL_LINE} {files.OSM_LINE}",
        "links": [_link(root, "self", JSON, "This document"),
                  _link(f"{root}/api", "service-desc", OPENAPI_TYPE, "The API definition (OpenAPI 3.0)"),
                  _link(f"{root.removesuffix('/ogc')}/open-data", "service-doc", "text/html",
                        "The open-data pages"),
                  _link(f"{root}/conformance", "conformance", JSON, "Conformance classes"),
                  _link(f"{root}/collections", "data", JSON, "The collections"),
                  _link(files.OGL["path"], "license", "text/html", files.OGL["title"])],
    }, JSON, False)


@get("/api", include_in_schema=False)
async def api(request: Request) -> Response:
    _only(request, PLAIN_PARAMETERS)
    return _answer(openapi_document(_root(request), DEFAULT_LIMIT, MAX_LIMIT), OPENAPI_TYPE, False)


@get("/conformance", include_in_schema=False)
async def conformance(request: Request) -> Response:
    _only(request, PLAIN_PARAMETERS)
    return _answer({"conformsTo": CONFORMANCE}, JSON, False)


@get("/collections", include_in_schema=False)
async def collections(request: Request, db_session: NamedDependency[AsyncSession],
                      read_session: NamedDependency[AsyncSession]) -> Response:
    _only(request, PLAIN_PARAMETERS)
    user = await optional_user(request)
    root = _root(request)
    # Which layers one may see from the primary (a withdrawal applies at once); what is in them from a
    # read replica when there is one.
    found = await ogc_layers.layers(db_session, user)
    boxes = await ogc_layers.extents(read_session, [layer.operation.id for layer in found])
    return _answer({"links": [_link(f"{root}/collections", "self", JSON, "The collections")],
                    "collections": [collection_document(root, layer, boxes.get(layer.operation.id))
                                    for layer in found]}, JSON, user is not None)


@get("/collections/{collection_id:str}", include_in_schema=False)
async def collection(request: Request, db_session: NamedDependency[AsyncSession],
                     read_session: NamedDependency[AsyncSession], collection_id: FromPath[str]) -> Response:
    _only(request, PLAIN_PARAMETERS)
    user = await optional_user(request)
    layer = await ogc_layers.layer(db_session, user, collection_id)
    extent = (await ogc_layers.extents(read_session, [layer.operation.id])).get(layer.operation.id)
    return _answer(collection_document(_root(request), layer, extent), JSON, user is not None)


@get("/collections/{collection_id:str}/schema", include_in_schema=False)
async def schema(request: Request, db_session: NamedDependency[AsyncSession], collection_id: FromPath[str]) -> Response:
    _only(request, PLAIN_PARAMETERS)
    user = await optional_user(request)
    layer = await ogc_layers.layer(db_session, user, collection_id)
    url = f"{_root(request)}/collections/{layer.id}/schema"
    return _answer(ogc_layers.feature_schema(layer, url), "application/schema+json", user is not None)


@get("/collections/{collection_id:str}/items", include_in_schema=False)
async def items(request: Request, db_session: NamedDependency[AsyncSession],
                read_session: NamedDependency[AsyncSession], collection_id: FromPath[str]) -> Response:
    _only(request, ITEMS_PARAMETERS)
    query = request.query_params
    limit = parse_limit(query.get("limit"))
    boxes = parse_bbox(query.get("bbox"), query.get("bbox-crs"))
    user = await optional_user(request)
    layer = await ogc_layers.layer(db_session, user, collection_id)
    page = await ogc_layers.items(read_session, user, layer, limit=limit, cursor=query.get("cursor"), boxes=boxes)
    url = f"{_root(request)}/collections/{layer.id}/items"
    kept = {k: query[k] for k in ("bbox", "bbox-crs") if k in query}
    this = {**kept, "limit": str(limit), **({"cursor": query["cursor"]} if "cursor" in query else {})}
    links = [_link(f"{url}?{urlencode(this)}", "self", GEOJSON, "This page"),
             _link(f"{_root(request)}/collections/{layer.id}", "collection", JSON, "The collection")]
    if page.next_cursor is not None:
        links.append(_link(f"{url}?{urlencode({**kept, 'limit': str(limit), 'cursor': page.next_cursor})}", "next",
                           GEOJSON, "The next page"))
    return _answer({"type": "FeatureCollection", "features": page.features, "numberMatched": page.matched,
                    "numberReturned": len(page.features), "links": links}, GEOJSON, user is not None)


@get("/collections/{collection_id:str}/items/{feature_id:str}", include_in_schema=False)
async def feature(request: Request, db_session: NamedDependency[AsyncSession],
                  read_session: NamedDependency[AsyncSession], collection_id: FromPath[str],
                  feature_id: FromPath[str]) -> Response:
    _only(request, PLAIN_PARAMETERS)
    user = await optional_user(request)
    layer = await ogc_layers.layer(db_session, user, collection_id)
    body = await ogc_layers.item(read_session, user, layer, feature_id)
    url = f"{_root(request)}/collections/{layer.id}"
    body["links"] = [_link(f"{url}/items/{feature_id}", "self", GEOJSON, "This feature"),
                     _link(url, "collection", JSON, "The collection")]
    return _answer(body, GEOJSON, user is not None)


OGC_ROUTES = [Router(path="/ogc", route_handlers=[landing, api, conformance, collections, collection, schema, items,
                                                  feature], include_in_schema=False)]
