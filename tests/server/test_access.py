"""Who may reach an operation's routes: the role × route matrix, and every route that takes an
``operation_id`` going through the one access dependency (server/domain/operations/access.py)."""

from __future__ import annotations

import uuid

import pytest

PASSWORD = "a-long-password-for-access"
MISSING = 2_000_000_000  # an operation id no test makes

#: Who asks: demo users plus two made here (a coordinator who does not run the demo operation,
#: a visitor on no pair of it).
PEOPLE = ("admin", "coordinator", "other_coordinator", "officer", "pcso", "visitor_off_pair", "envhealth")

# Answers per person, in PEOPLE order. "ok" is the route's own success (or, for the writes, its
# refusal after access was granted: 409 opening an active operation, 404 for a pair it lacks).
COORDINATOR_ONLY = {"admin": "ok", "coordinator": "ok", "other_coordinator": 403, "officer": 403, "pcso": 403,
                    "visitor_off_pair": 403, "envhealth": 403}
TEAM_OR_COORDINATOR = {"admin": "ok", "coordinator": "ok", "other_coordinator": 403, "officer": "ok",
                       "pcso": "ok", "visitor_off_pair": 403, "envhealth": 403}

ROUTES = [
    # (method, path, json body, expected success status, who may)
    ("GET", "/api/v1/operations/{op}/pack", None, 200, TEAM_OR_COORDINATOR),
    ("GET", "/api/v1/sync/pull?operation_id={op}", None, 200, TEAM_OR_COORDINATOR),
    ("GET", "/api/v1/operations/{op}/streets", None, 200, COORDINATOR_ONLY),
    ("GET", "/api/v1/operations/{op}/streets?format=csv", None, 200, COORDINATOR_ONLY),
    ("GET", "/api/v1/operations/{op}/results/version", None, 200, COORDINATOR_ONLY),
    ("GET", "/api/v1/operations/{op}/households?limit=5", None, 200, COORDINATOR_ONLY),
    ("GET", "/api/v1/operations/{op}/revisits?limit=5", None, 200, COORDINATOR_ONLY),
    ("GET", "/api/v1/operations/{op}/visits?limit=5", None, 200, COORDINATOR_ONLY),
    ("GET", "/api/v1/operations/{op}/pairs", None, 200, COORDINATOR_ONLY),
    ("GET", "/api/v1/operations/{op}/followup-summary", None, 200, COORDINATOR_ONLY),
    ("GET", "/api/v1/operations/{op}/routing", None, 200, COORDINATOR_ONLY),
    ("GET", "/api/v1/operations/{op}/setup", None, 200, COORDINATOR_ONLY),
    ("GET", "/api/v1/operations/{op}/teams", None, 200, COORDINATOR_ONLY),
    ("POST", "/api/v1/operations/{op}/open", None, 409, COORDINATOR_ONLY),
    ("PUT", "/api/v1/operations/{op}/teams/{missing}", {"name": "x", "member_ids": [], "street_ids": []}, 404,
     COORDINATOR_ONLY),
    ("PUT", "/api/v1/operations/{op}/teams/{missing}/streets", {"street_ids": []}, 404, COORDINATOR_ONLY),
    ("GET", "/api/v1/operations/{op}/publish", None, 200, COORDINATOR_ONLY),
    ("GET", "/api/v1/operations/{op}/priorities", None, 200, COORDINATOR_ONLY),
    ("GET", "/dashboard/operations/{op}", None, 200, COORDINATOR_ONLY),
    ("GET", "/dashboard/operations/{op}/revisits", None, 200, COORDINATOR_ONLY),
    ("GET", "/dashboard/operations/{op}/setup", None, 200, COORDINATOR_ONLY),
]


@pytest.fixture(scope="module")
async def people(client, headers, tokens):
    """headers for each of PEOPLE; the two extra users are made once per module."""
    suffix = uuid.uuid4().hex[:6]
    made = {"other_coordinator": ("coordinator", "council"), "visitor_off_pair": ("visitor", "fire")}
    names = {}
    for who, (role, agency) in made.items():
        name = f"{who}-{suffix}"
        r = await client.post("/api/v1/users", headers=await headers("admin"), json={
            "username": name, "password": PASSWORD, "display_name": who, "agency": agency, "roles": [role]})
        assert r.status_code == 201, r.text
        names[who] = name
    out = {}
    for who in PEOPLE:
        if who in names:
            out[who] = {"Authorization": f"Bearer {await tokens(names[who], PASSWORD)}"}
        else:
            out[who] = await headers(who)
    return out


@pytest.mark.parametrize(("method", "path", "body", "success", "who_may"), ROUTES,
                         ids=[f"{m} {p}" for m, p, *_ in ROUTES])
async def test_role_by_route_matrix(client, people, demo, method, path, body, success, who_may):
    url = path.format(op=demo.operation_id, missing=MISSING)
    got = {}
    for who in PEOPLE:
        r = await client.request(method, url, headers=people[who], json=body)
        client.cookies.clear()
        got[who] = r.status_code
    expected = {who: success if answer == "ok" else answer for who, answer in who_may.items()}
    assert got == expected


@pytest.mark.parametrize(("method", "path", "body"), [(m, p, b) for m, p, b, *_ in ROUTES if "{missing}" not in p],
                         ids=[f"{m} {p}" for m, p, *_ in ROUTES if "{missing}" not in p])
async def test_an_operation_that_does_not_exist_is_404(client, people, method, path, body):
    r = await client.request(method, path.format(op=MISSING), headers=people["coordinator"], json=body)
    client.cookies.clear()
    assert r.status_code == 404, r.text


#: Routes whose `operation_id` only narrows rows the caller may already see (access is on the
#: rows: server/domain/operations/access.py sees_followup), not a request to reach an operation.
FILTER_ONLY = {
    ("GET", "/api/v1/followups"): "a filter on the follow-ups the caller sees",
    ("GET", "/api/v1/followups.csv"): "a filter on the follow-ups the caller sees",
    ("GET", "/partner"): "the inbox's filter on the follow-ups the caller sees",
}
#: Public routes: what they show depends on whether the operation is published, not on who asks
#: (server/domain/opendata/publication.py `viewable`; its coordinators may preview it unpublished).
PUBLIC = "/open-data/operations/"


def _operation_id_routes(app):
    """(method, path, handler) of every route that takes an operation_id (path or query)."""
    from litestar.routes import HTTPRoute

    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            names = set(route.path_parameters) | set(handler.parsed_fn_signature.parameters)
            for provider in handler.resolve_dependencies().values():
                names |= set(provider.parsed_fn_signature.parameters)
            if "operation_id" in names:
                for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                    yield method, route.path, handler


def test_every_route_with_an_operation_id_takes_the_access_dependency(app):
    from server.domain.operations.access import ACCESS_PROVIDERS

    routes = list(_operation_id_routes(app))
    checked, missing = [], []
    for method, path, handler in routes:
        if (method, path) in FILTER_ONLY or path.startswith(PUBLIC):
            continue
        provider = handler.resolve_dependencies().get("access")
        uses = provider is not None and any(provider.dependency is p.dependency for p in ACCESS_PROVIDERS) \
            and "access" in handler.parsed_fn_signature.parameters
        (checked if uses else missing).append(f"{method} {path}")
    assert not missing, f"routes with an operation_id but without the access dependency: {missing}"
    # The inventory really finds them: every route of the matrix above, API and pages.
    assert len(checked) >= 20, checked
    for method, path, *_ in ROUTES:
        template = path.split("?")[0].replace("{op}", "{operation_id:int}").replace("{missing}", "{team_id:int}")
        assert f"{method} {template}" in checked, (method, template)
    assert {(m, p) for m, p, _ in routes} >= set(FILTER_ONLY)
