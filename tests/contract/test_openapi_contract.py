"""Property-based contract test of the whole HTTP API against the OpenAPI document the server publishes.

schemathesis reads /schema/openapi.json from a real server process and, for every operation, sends
generated requests (valid and invalid ones: wrong types, missing fields, out-of-range numbers, odd
strings), signed in as a user the route is meant for. What must hold for every answer:

- `test_never_a_server_error`: no 5xx, and every 4xx is JSON a person can act on: `{"detail": "..."}`
  (Open311 routes answer the GeoReport spec's `[{"code", "description"}]` instead);
- `test_answers_match_the_documented_schema`: where the document describes an answer (status code and
  body schema), the answer matches it, with the documented content type;
- `test_signed_out_requests_get_a_json_401`: every `/api/v1` route but sign-in refuses a request
  without a token, or with a forged one, with a JSON 401.

Aiming (see `_aim`): ids in paths are partly generated as they come and partly pointed at things that
exist, so the routes get past "not found" too. Routes that change an operation are pointed at the
sandbox operation from conftest.py, never at the demo operation the rest of the suite shares.

Bounded for the shared 2-core machine: CONTRACT_MAX_EXAMPLES (default 20) random examples per operation
(half that for the schema test) on top of schemathesis's explicit and boundary cases; runs are
derandomized so the suite is repeatable (CONTRACT_RANDOM=1 explores new inputs) and do not shrink
failures (CONTRACT_SHRINK=1 does).
"""

from __future__ import annotations

import json
import os
import uuid

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

MAX_EXAMPLES = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "20"))
# No shrinking by default: the coverage phase already sends the simplest boundary values, and shrinking a
# 500 found on many operations at once costs minutes of the shared machine. CONTRACT_SHRINK=1 turns it on.
PHASES = [Phase.explicit, Phase.generate] + ([Phase.shrink] if os.environ.get("CONTRACT_SHRINK") == "1" else [])
SETTINGS = settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, phases=PHASES,
                    derandomize=os.environ.get("CONTRACT_RANDOM") != "1",
                    suppress_health_check=list(HealthCheck))
POSITIVE_SETTINGS = settings(SETTINGS, max_examples=max(5, MAX_EXAMPLES // 2))



def _published_document() -> dict:
    """The OpenAPI document exactly as the server builds it (`test_the_server_publishes_this_document` checks
    the running server serves the same). Built from the app at import so pytest can make one test per
    operation; building it touches no database."""
    from server.app import create_app
    from server.settings import Settings

    app = create_app(Settings(database_url="postgresql+asyncpg://unused@/unused", demo=True,
                              secret_key="contract-test-schema-only-0123456789"))
    return app.openapi_schema.to_schema()


DOCUMENT = _published_document()
# Explicit configurations, so a schemathesis.toml somewhere up the tree cannot change what runs.
# Never a 5xx: valid and invalid inputs, the boundary values of the coverage phase, then random ones.
schema = schemathesis.openapi.from_dict(DOCUMENT, config=schemathesis.Config.from_dict({}))
# Documented answers: valid inputs only (they are what earns the documented 200s), fewer of them.
positive_schema = schemathesis.openapi.from_dict(DOCUMENT, config=schemathesis.Config.from_dict(
    {"generation": {"mode": "positive"}, "phases": {"coverage": {"enabled": False}}}))

INT32 = 2**31
DEMO_USERS = {"admin", "coordinator", "officer", "pcso", "councillor", "firefighter", "envhealth", "firesafety"}
UNKNOWN_ID = INT32 - 1
PUBLIC = ("/health", "/api/v1/auth/token", "/open311/")


def who(method: str, path: str) -> str | None:
    """The demo user a route is meant for (None: a public route)."""
    if path.startswith(PUBLIC):
        return None
    if path.startswith("/api/v1/users") or path.endswith("/open311-key"):
        return "admin"
    if path.startswith(("/api/v1/sync/", "/api/v1/auth/check/")) or path.endswith("/pack"):
        return "officer"
    return "coordinator"


def _plain_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _aim(case, world) -> None:
    """Point some generated ids at things that exist; keep changes away from the shared demo.

    A function of the generated values only, so Hypothesis can replay and shrink a failing case.
    """
    writes = case.method.upper() != "GET"
    params = case.path_parameters or {}
    op = params.get("operation_id")
    if isinstance(op, str) and op.isascii() and op.isdigit():
        # The coverage phase also sends ids as text ("1", the documented minimum, is the demo operation):
        # a write must still go to the sandbox.
        op = int(op)
        if writes and 0 < op < INT32:
            params["operation_id"] = str(world.sandbox_operation)
            op = None
    if _plain_int(op) and 0 < op < INT32:
        if writes:
            params["operation_id"] = world.sandbox_operation
        elif op % 2 == 0:
            params["operation_id"] = world.demo_operation
    team = params.get("team_id")
    if _plain_int(team) and 0 < team < INT32 and (writes or team in world.demo_team_ids):
        params["team_id"] = world.sandbox_team
    street = params.get("street_id")
    if writes and _plain_int(street) and street in world.demo_street_ids:
        params["street_id"] = UNKNOWN_ID
    fid = params.get("followup_id")
    if isinstance(fid, str):
        try:
            if uuid.UUID(fid).int % 2 == 0:
                params["followup_id"] = str(world.own_followup)
        except ValueError:
            pass
    body = case.body if writes and isinstance(case.body, dict) else {}
    if isinstance(body.get("member_ids"), list):  # pairs: the sandbox visitors stand in for the demo ones
        body["member_ids"] = [world.sandbox_visitors[i % 2] if _one_of(m, world.demo_visitor_ids) else m
                              for i, m in enumerate(body["member_ids"])]
    if isinstance(body.get("street_ids"), list):  # never move a demo street
        body["street_ids"] = [UNKNOWN_ID if _one_of(s, world.demo_street_ids) else s for s in body["street_ids"]]
    if case.path == "/api/v1/sync/push":
        _aim_push(case.body, world)
    name = params.get("username")
    if case.path.startswith("/api/v1/users/") and isinstance(name, str) and (len(name) % 2 == 0 or name in DEMO_USERS):
        params["username"] = world.sandbox_usernames[len(name) % 4 // 2]  # never a demo user


def _one_of(value, ids) -> bool:
    return _plain_int(value) and value in ids


def _aim_push(body, world) -> None:
    """Records go to the active sync sandbox, its pair and its doors (ids folded onto the real ones)."""
    records = body.get("records") if isinstance(body, dict) else None
    if not isinstance(records, list):
        return
    sync = world.sync
    for record in records:
        if not isinstance(record, dict):
            continue
        if _plain_int(record.get("operation_id")):
            record["operation_id"] = sync.id
        if _plain_int(record.get("team_id")):
            record["team_id"] = sync.team_id
        for key, ids in (("household_id", sync.household_ids), ("street_id", sync.street_ids)):
            value = record.get(key)
            if _plain_int(value) and value >= 0:
                record[key] = ids[value % len(ids)]


def errors_are_json_with_detail(ctx, response, case) -> None:
    """Every 4xx is JSON a person can act on."""
    if not 400 <= response.status_code < 500:
        return None
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    if response.status_code == 400 and response.content == b"Invalid HTTP request received.":
        # uvicorn's HTTP parser refusing a request it cannot frame (e.g. a garbage Content-Length
        # header) before the app sees it: not the app's answer to give.
        return None
    assert "json" in content_type, f"a {response.status_code} answer is {content_type or 'untyped'}, not JSON"
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        raise AssertionError(f"a {response.status_code} answer is not valid JSON: {exc}") from None
    has_detail = isinstance(body, dict) and isinstance(body.get("detail"), str) and bool(body["detail"].strip())
    if case.path.startswith("/open311/"):
        # The GeoReport spec's error list; the router's own 404/405 (before any Open311 handler) keep `detail`.
        spec_list = isinstance(body, list) and bool(body) and all(
            isinstance(e, dict) and isinstance(e.get("description"), str) and e["description"] for e in body)
        assert spec_list or has_detail, f"an Open311 {response.status_code} is not [{{code, description}}]: {body!r}"
    else:
        assert has_detail, f"a {response.status_code} answer has no `detail` message: {body!r}"
    return None


def _call(case, world, checks):
    _aim(case, world)
    headers = world.headers(who(case.method.upper(), case.path))
    if case.path == "/api/v1/auth/logout":  # ends the session it comes with: a throwaway one, not the world's
        headers = {"Authorization": f"Bearer {world.throwaway_token()}"}
    try:
        return case.call_and_validate(base_url=world.base, session=world.http, headers=headers,
                                      checks=checks, timeout=30)
    finally:
        world.http.cookies.clear()  # a successful sign-in sets the web pages' cookie; send headers only


@schema.parametrize()
@SETTINGS
def test_never_a_server_error(case, world):
    _call(case, world, [not_a_server_error, errors_are_json_with_detail])


@positive_schema.parametrize()
@POSITIVE_SETTINGS
def test_answers_match_the_documented_schema(case, world):
    _call(case, world, [response_schema_conformance, content_type_conformance])


def test_the_server_publishes_this_document(world):
    r = world.http.get(f"{world.base}/schema/openapi.json")
    assert r.status_code == 200 and r.json() == DOCUMENT


def test_signed_out_requests_get_a_json_401(world):
    doc = DOCUMENT
    failures = []
    for path, item in doc["paths"].items():
        if not path.startswith("/api/v1/") or path.startswith("/api/v1/auth/token"):
            continue
        concrete = (path.replace("{operation_id}", str(world.demo_operation)).replace("{team_id}", "1")
                    .replace("{street_id}", "1").replace("{followup_id}", str(world.own_followup))
                    .replace("{code}", "police").replace("{role}", "visitor")
                    .replace("{session_id}", "00000000-0000-4000-8000-000000000000")
                    .replace("{username}", "officer").replace("{job_id}", "1"))
        for method in item:
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for label, headers in (("no token", {}), ("forged token", {"Authorization": "Bearer not.a.token"})):
                r = world.http.request(method.upper(), world.base + concrete, headers=headers, json={}, timeout=30)
                world.http.cookies.clear()
                problem = None
                if r.status_code != 401:
                    problem = f"status {r.status_code}"
                else:
                    try:
                        body = r.json()
                    except ValueError:
                        body = None
                    if not (isinstance(body, dict) and isinstance(body.get("detail"), str) and body["detail"]):
                        problem = f"401 body is not JSON with a detail: {r.text[:200]!r}"
                if problem:
                    failures.append(f"{method.upper()} {concrete} ({label}): {problem}")
    assert not failures, "signed-out requests not refused with a JSON 401:\n" + "\n".join(failures)
