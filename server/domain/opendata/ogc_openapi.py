"""The OpenAPI 3.0 document of the OGC API at /ogc (its landing page's `service-desc`), modelled on the
standard's own building blocks (ogcapi-features-1.yaml), trimmed to what this server does."""

from __future__ import annotations

from typing import Any

from server.lib.exceptions import ErrorBody

from .files import OGL


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], media_type: str = "application/json") -> dict[str, Any]:
    return {"content": {media_type: {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, **_json(_ref("error"))}


ERRORS = {
    "400": _error("A query parameter has a value this server does not take, or is not one it knows; `detail` says "
                  "which and what to send instead."),
    "401": _error("An Authorization header was sent, but its bearer token is not valid (expired, signed out or "
                  "forged). Sign in again, or send no header for the public collections."),
}
NOT_FOUND = {"404": _error("There is no such collection or feature, or none you may see.")}

_LINK = {"type": "object", "required": ["href"], "properties": {
    "href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"},
    "title": {"type": "string"}}}
_GEOMETRY = {"type": "object", "nullable": True, "required": ["type"], "properties": {"type": {"type": "string"}}}
_FEATURE = {"type": "object", "required": ["type", "geometry", "properties"], "properties": {
    "type": {"type": "string", "enum": ["Feature"]},
    "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
    "geometry": _GEOMETRY,
    "properties": {"type": "object", "nullable": True},
    "links": {"type": "array", "items": _ref("link")}}}
_COLLECTION = {"type": "object", "required": ["id", "links"], "properties": {
    "id": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
    "attribution": {"type": "string"}, "itemType": {"type": "string"},
    "crs": {"type": "array", "items": {"type": "string"}},
    "links": {"type": "array", "items": _ref("link")},
    "extent": {"type": "object", "properties": {"spatial": {"type": "object", "properties": {
        "bbox": {"type": "array", "items": {"type": "array", "minItems": 4, "maxItems": 4,
                                            "items": {"type": "number"}}},
        "crs": {"type": "string"}}}}}}}


def openapi_document(root: str, default_limit: int, max_limit: int) -> dict[str, Any]:
    collection_id = {"name": "collectionId", "in": "path", "required": True, "schema": {"type": "string"},
                     "description": "`operation-{id}-streets` for a published operation; with a coordinator's token "
                                    "also `operation-{id}-streets-full`, `-doors`, `-followups`."}
    f = {"name": "f", "in": "query", "required": False, "schema": {"type": "string", "enum": ["json", "geojson"]},
         "description": "The encoding: JSON is the only one."}
    plain = [f]
    security: list[dict[str, list[str]]] = [{}, {"bearerToken": []}]

    def get(summary: str, operation_id: str, ok: dict[str, Any], parameters: list[dict[str, Any]],
            extra: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"get": {"summary": summary, "operationId": operation_id, "parameters": parameters,
                        "security": security, "responses": {"200": ok, **ERRORS, **(extra or {})}}}

    items_parameters = [
        collection_id,
        {"name": "limit", "in": "query", "required": False, "style": "form", "explode": False,
         "schema": {"type": "integer", "minimum": 1, "default": default_limit},
         "description": f"Features a page, from 1. Above {max_limit}, a page holds {max_limit} (it is not an "
                        f"error); below 1 is a 400."},
        {"name": "bbox", "in": "query", "required": False, "style": "form", "explode": False,
         "schema": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}},
         "description": "Only features whose geometry intersects the box: min longitude, min latitude, max "
                        "longitude, max latitude (WGS 84). Anything but four numbers is a 400 saying why."},
        {"name": "bbox-crs", "in": "query", "required": False,
         "schema": {"type": "string", "enum": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"]}},
        {"name": "datetime", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "Accepted and ignored: the collections have no time."},
        {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "Where a page starts: take it from the previous page's `next` link."},
        f,
    ]
    return {
        "openapi": "3.0.3",
        "info": {"title": "Doorstep open data: OGC API – Features", "version": "1.0.0",
                 "description": "Community safety operations' results by street, under the disclosure rule "
                                "(see each collection's description).",
                 "license": {"name": OGL["title"], "url": OGL["path"]}},
        "servers": [{"url": root}],
        "paths": {
            "/": get("The landing page", "getLandingPage", {"description": "Links to the API, its conformance "
                     "classes and its collections.", **_json(_ref("landingPage"))}, plain),
            "/api": get("This document", "getAPI", {"description": "The API definition.", **_json(
                {"type": "object"}, "application/vnd.oai.openapi+json;version=3.0")}, plain),
            "/conformance": get("Conformance classes", "getConformance", {"description": "The classes.",
                                **_json(_ref("confClasses"))}, plain),
            "/collections": get("The collections", "getCollections", {"description": "The collections you may "
                                "read.", **_json(_ref("collections"))}, plain),
            "/collections/{collectionId}": get("A collection", "describeCollection", {
                "description": "The collection.", **_json(_ref("collection"))}, [collection_id, f], NOT_FOUND),
            "/collections/{collectionId}/schema": get("What a collection's features hold (JSON Schema)", "getSchema", {
                "description": "A JSON Schema of a feature.", **_json({"type": "object"}, "application/schema+json")},
                [collection_id, f], NOT_FOUND),
            "/collections/{collectionId}/items": get("A page of a collection's features", "getFeatures", {
                "description": "A GeoJSON FeatureCollection with numberMatched, numberReturned and a `next` link on "
                               "every page but the last.",
                **_json(_ref("featureCollectionGeoJSON"), "application/geo+json")}, items_parameters, NOT_FOUND),
            "/collections/{collectionId}/items/{featureId}": get("One feature", "getFeature", {
                "description": "The feature.", **_json(_ref("featureGeoJSON"), "application/geo+json")},
                [collection_id, {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}},
                 f], NOT_FOUND),
        },
        "components": {
            "securitySchemes": {"bearerToken": {"type": "http", "scheme": "bearer",
                                                "description": "A coordinator's token from POST /api/v1/auth/token"}},
            "schemas": {
                "link": _LINK,
                "landingPage": {"type": "object", "required": ["links"], "properties": {
                    "title": {"type": "string"}, "description": {"type": "string"},
                    "attribution": {"type": "string"}, "links": {"type": "array", "items": _ref("link")}}},
                "confClasses": {"type": "object", "required": ["conformsTo"], "properties": {
                    "conformsTo": {"type": "array", "items": {"type": "string"}}}},
                "collection": _COLLECTION,
                "collections": {"type": "object", "required": ["links", "collections"], "properties": {
                    "links": {"type": "array", "items": _ref("link")},
                    "collections": {"type": "array", "items": _ref("collection")}}},
                "featureGeoJSON": _FEATURE,
                "featureCollectionGeoJSON": {"type": "object", "required": ["type", "features"], "properties": {
                    "type": {"type": "string", "enum": ["FeatureCollection"]},
                    "features": {"type": "array", "items": _ref("featureGeoJSON")},
                    "links": {"type": "array", "items": _ref("link")},
                    "numberMatched": {"type": "integer", "minimum": 0},
                    "numberReturned": {"type": "integer", "minimum": 0}}},
                "error": {"type": "object", "required": ["status_code", "detail"], "properties": {
                    "status_code": {"type": "integer"}, "detail": {"type": "string"},
                    "field": {"type": "string", "nullable": True}, "extra": {"nullable": True}},
                    "description": ErrorBody.__doc__ or ""},
            },
        },
    }
