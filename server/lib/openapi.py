"""What the OpenAPI document (/schema/openapi.json) says about a route's answers, in one place.

A route lists the error answers it really gives, and nothing else:

    @get("/api/v1/things/{thing_id:int}", ..., **answers(401, 403, 404, 422))

`answers` sets the route's `responses` (each code with the error body of
server/lib/exceptions.py and a sentence on when it comes) and an `operation_class` that keeps
only the answers declared. That is needed because Litestar adds a 400 "validation" answer to
every route with parameters or a body, while here a parameter or a field of the wrong type is
422 and only malformed JSON (or a value the route refuses with BadRequest) is 400.

It also documents a body the route reads itself (`json_body`): push decodes its raw body for
speed, so Litestar cannot see its type; msgspec writes the JSON Schema from the same structs.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar, cast

import msgspec
from litestar import Request
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, RequestBody, Schema
from litestar.openapi.spec.base import BaseSchemaObject

from server.lib.exceptions import ErrorBody

#: When each error answer comes, unless a route says it more precisely.
WHEN: dict[int, str] = {
    400: "The request body is not valid JSON, or a parameter has a value the route does not know (the detail "
         "lists the valid ones).",
    401: "Not signed in: send `Authorization: Bearer <token>` (from POST /api/v1/auth/token) or the session "
         "cookie; the token may have expired.",
    403: "Signed in, but this is not for you: a role you lack, or an operation you do not run or work on.",
    404: "There is no such thing, or none you may see.",
    409: "It conflicts with the current state; the detail says what to do, `extra` may carry more.",
    413: "The request is too large.",
    415: "The body is not JSON: send it as `Content-Type: application/json`.",
    422: "A value has the wrong type or breaks a rule; `field` names it where it can.",
    429: "Too many failed sign-ins; wait a minute and try again.",
}


@dataclass
class DocumentedOperation(Operation):
    """An operation with exactly the error answers its route declares (and its own body, if any)."""

    declared: ClassVar[frozenset[int]] = frozenset()
    body: ClassVar[RequestBody | None] = None

    def __post_init__(self) -> None:
        if self.body is not None:
            self.request_body = self.body
        if self.responses:
            self.responses = {code: answer for code, answer in self.responses.items()
                              if int(code) < 400 or int(code) in self.declared}
            # Every route that reads a body refuses one that is not JSON (server/lib/security.py).
            error = self.responses.get("422") or self.responses.get("400")
            if self.request_body is not None and "415" not in self.responses and isinstance(error, OpenAPIResponse):
                self.responses["415"] = replace(error, description=WHEN[415])


def answers(*codes: int, when: Mapping[int, str] | None = None, error_body: Any = ErrorBody,
            others: Mapping[int, ResponseSpec] | None = None,
            request_body: RequestBody | None = None) -> dict[str, Any]:
    """Keyword arguments of a route decorator: `responses` and `operation_class`.

    codes: the error answers the route gives, with `error_body` as their body; `when`: a route's
    own sentence for some of them; `others`: answers with another body (e.g. 304, 503);
    `request_body`: a body the route reads itself (see `json_body`).
    """
    when = {**WHEN, **(when or {})}
    responses: dict[int, ResponseSpec] = {
        code: ResponseSpec(data_container=error_body, description=when[code], generate_examples=False)
        for code in codes
    }
    responses.update(others or {})
    operation_class = type("DocumentedOperation", (DocumentedOperation,),
                           {"declared": frozenset(responses), "body": request_body})
    return {"responses": responses, "operation_class": operation_class}


@dataclass
class _Verbatim(BaseSchemaObject):
    """A JSON Schema placed in the document as it is."""

    schema: dict[str, Any]

    def to_schema(self) -> dict[str, Any]:
        return self.schema


def json_body(struct: type[msgspec.Struct], description: str) -> RequestBody:
    """A required JSON request body described by msgspec's JSON Schema of `struct`.

    Written out in full, without references: Litestar rebuilds `components/schemas` from the
    types it sees itself, so the structs' own components would not reach the document. Each
    union member keeps its title (Visit, Fix, ...) and its tag as a one-value enum.
    """
    (ref,), components = msgspec.json.schema_components([struct], ref_template="{name}")
    return RequestBody(required=True, description=description,
                       content={"application/json": OpenAPIMediaType(
                           schema=cast(Schema, _Verbatim(_inline(ref, components))))})  # written as it is


def _inline(node: Any, components: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return {**_inline(components[node["$ref"]], components), **_inline(rest, components)}
        # A discriminator maps tags to component names, which an inline schema does not have.
        union = "anyOf" in node or "oneOf" in node
        return {k: _inline(v, components) for k, v in node.items() if not (union and k == "discriminator")}
    if isinstance(node, list):
        return [_inline(v, components) for v in node]
    return node


class LocalSwaggerUI(SwaggerRenderPlugin):
    """Swagger UI at /schema/swagger from the npm package `swagger-ui-dist` served under /static
    (Litestar's page loads it from a CDN and starts it with an inline script, which the pages'
    CSP refuses). The page only links files; /static/swagger-init.js starts it."""

    ASSETS = "/static/swagger-ui-dist"

    def __init__(self) -> None:
        super().__init__(path="/swagger", js_url=f"{self.ASSETS}/swagger-ui-bundle.js",
                         css_url=f"{self.ASSETS}/swagger-ui.css",
                         standalone_preset_js_url=f"{self.ASSETS}/swagger-ui-standalone-preset.js",
                         favicon=f'<link rel="icon" type="image/png" href="{self.ASSETS}/favicon-32x32.png">',
                         style="")

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        title = html.escape(str(openapi_schema["info"]["title"]))
        spec_url = f"{request.app.openapi_config.path if request.app.openapi_config else '/schema'}/openapi.json"
        return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  {self.favicon}
  <link rel="stylesheet" href="{self.css_url}">
</head>
<body>
  <div id="swagger-container" data-spec-url="{html.escape(spec_url)}"></div>
  <script src="{self.js_url}"></script>
  <script src="{self.standalone_preset_js_url}"></script>
  <script src="/static/swagger-init.js"></script>
</body>
</html>
""".encode()


def openapi_config() -> OpenAPIConfig:
    """/schema/openapi.json and Swagger UI at /schema/swagger (also /schema). No other renderer:
    Litestar's others (ReDoc, Elements, RapiDoc) load their scripts from CDNs."""
    return OpenAPIConfig(title="Doorstep API", version="1.0.0", path="/schema",
                         render_plugins=[LocalSwaggerUI()])
