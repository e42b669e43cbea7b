"""Deterministic probes for the classes of input the fuzzer in test_openapi_contract.py finds only by luck.

Each one is cheap and aimed, so "never a 500" holds for the class on every run, not just when Hypothesis
happens to draw it:

- ids past PostgreSQL's `integer` range (2**31) in every integer path and query parameter of the
  published document, and in the integer fields of request bodies;
- NUL characters (\\u0000: valid JSON, refused by PostgreSQL `text`) in text fields and query strings;
- OPTIONS on every path (the framework answers it, before the auth middleware);
- a push where one record carries a NUL: the batch still answers, the good record is stored.

Every answer must be below 500, and a 4xx must be JSON with a `detail` (Open311: the spec's list).
"""

from __future__ import annotations

import uuid

import pytest

from .conftest import SANDBOX_AREA
from .test_openapi_contract import DOCUMENT, who

BIG = 2**31  # one past PostgreSQL's integer
HUGE = 2**63  # one past bigint
NUL = "nul\u0000here"
QUESTIONNAIRE = "streetsafe-community-v1"


def _problem(r) -> str | None:
    """What is wrong with an answer, or None."""
    if r.status_code >= 500:
        return f"{r.status_code}: {r.text[:200]}"
    if 400 <= r.status_code < 500:
        try:
            body = r.json()
        except ValueError:
            return f"{r.status_code} is not JSON: {r.text[:200]!r}"
        detail_ok = isinstance(body, dict) and isinstance(body.get("detail"), str) and body["detail"].strip()
        spec_ok = isinstance(body, list) and body and all(isinstance(e, dict) and e.get("description") for e in body)
        if not (detail_ok or spec_ok):
            return f"{r.status_code} without a detail: {r.text[:200]!r}"
    return None


def _fill(path: str, world, writes: bool, **given) -> str:
    values = {
        "operation_id": world.sandbox_operation if writes else world.demo_operation,
        "team_id": world.sandbox_team, "street_id": 2**31 - 1, "followup_id": world.own_followup,
        "code": "contract-nowhere", "role": "visitor", "name": f"{uuid.uuid4()}.json",
    }
    values.update(given)
    for key, value in values.items():
        path = path.replace("{" + key + "}", str(value))
    return path


# A body each write route accepts the shape of, so a request gets past body decoding to the handler.
MINIMAL_BODIES = {
    ("post", "/api/v1/operations/{operation_id}/teams"): {"name": "probe", "member_ids": [], "street_ids": []},
    ("put", "/api/v1/operations/{operation_id}/teams/{team_id}"): {"name": "probe", "member_ids": [],
                                                                    "street_ids": []},
    ("put", "/api/v1/operations/{operation_id}/teams/{team_id}/streets"): {"street_ids": []},
    ("put", "/api/v1/operations/{operation_id}/streets/{street_id}/team"): {"team_id": None},
    ("put", "/api/v1/operations/{operation_id}/routing"): {"routing": {}},
}


def _integer_parameters():
    for path, item in DOCUMENT["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for param in op.get("parameters", []):
                schema = param.get("schema", {})
                alternatives = schema.get("oneOf", []) + schema.get("anyOf", [])
                types = {schema.get("type")} | {s.get("type") for s in alternatives}
                if "integer" in types and param["in"] in ("path", "query"):
                    yield method, path, param["name"], param["in"]


@pytest.mark.parametrize("value", [BIG, HUGE, -BIG - 1], ids=["2**31", "2**63", "-2**31-1"])
def test_ids_past_the_database_range(world, value):
    """Every integer path and query parameter of the document, one at a time (one test per value, listing
    every request that fails, so a missing range check shows as one finding, not dozens)."""
    failures = []
    for method, path, name, where in _integer_parameters():
        writes = method != "get"
        url = world.base + (_fill(path, world, writes, **{name: value}) if where == "path"
                            else _fill(path, world, writes))
        params = {name: value} if where == "query" else {}
        if path == "/api/v1/sync/pull" and name != "operation_id":
            params["operation_id"] = world.demo_operation
        r = world.http.request(method.upper(), url, params=params, json=MINIMAL_BODIES.get((method, path)),
                               headers=world.headers(who(method.upper(), path)), timeout=30)
        world.http.cookies.clear()
        if _problem(r):
            failures.append(f"{method.upper()} {path} {name}={value}: {_problem(r)}")
    assert not failures, f"{len(failures)} requests fail:\n" + "\n".join(failures)


def _hostile_requests(world):
    """(label, user, method, path, json body, query) for the body fields and query strings worth probing."""
    sync = world.sync
    op, sandbox, team = world.demo_operation, world.sandbox_operation, world.sandbox_team

    def record(kind: str, **fields):
        base = {"id": str(uuid.uuid4()), "operation_id": sync.id}
        if kind == "visit":
            base.update(household_id=sync.household_ids[0], team_id=sync.team_id, visited_at="2026-05-14T17:00:00Z",
                        outcome="no_answer")
        else:
            base.update(category="graffiti", priority="normal", description="Contract probe",
                        raised_at="2026-05-14T17:00:00Z", street_id=sync.street_ids[0])
        return {"type": kind, **base, **fields}

    def push(*records, device_id="contract-probe"):
        return {"device_id": device_id, "records": list(records)}

    return [
        # NUL characters in text
        ("sign-in username with NUL", None, "POST", "/api/v1/auth/token",
         {"username": NUL, "password": "doorstep-demo"}, None),
        ("sign-in password with NUL", None, "POST", "/api/v1/auth/token",
         {"username": "officer", "password": NUL}, None),
        ("operation name with NUL", "coordinator", "POST", "/api/v1/operations",
         {"name": NUL, "area": SANDBOX_AREA, "questionnaire_id": QUESTIONNAIRE}, None),
        ("operation questionnaire with NUL", "coordinator", "POST", "/api/v1/operations",
         {"name": "Contract probe", "area": SANDBOX_AREA, "questionnaire_id": NUL}, None),
        ("pair name with NUL", "coordinator", "POST", f"/api/v1/operations/{sandbox}/teams",
         {"name": NUL, "member_ids": [], "street_ids": []}, None),
        ("routing agency with NUL", "coordinator", "PUT", f"/api/v1/operations/{sandbox}/routing",
         {"routing": {"graffiti": NUL}}, None),
        ("user name with NUL", "admin", "POST", "/api/v1/users",
         {"username": NUL, "password": "contract-probe-pw", "display_name": "Probe", "agency": "police",
          "roles": ["visitor"]}, None),
        ("follow-up note with NUL", "coordinator", "PATCH", f"/api/v1/followups/{world.own_followup}",
         {"version": 1, "note": NUL}, None),
        ("pushed visit notes with NUL", "officer", "POST", "/api/v1/sync/push", push(record("visit", notes=NUL)), None),
        ("pushed follow-up description with NUL", "officer", "POST", "/api/v1/sync/push",
         push(record("followup", description=NUL)), None),
        ("pushed record id with NUL", "officer", "POST", "/api/v1/sync/push", push(record("visit", id=NUL)), None),
        ("push device id with NUL", "officer", "POST", "/api/v1/sync/push",
         push(record("visit"), device_id=NUL), None),
        ("follow-up filters with NUL", "coordinator", "GET", "/api/v1/followups",
         None, {"status": NUL, "category": NUL, "agency": NUL}),
        ("follow-up cursor with NUL", "coordinator", "GET", "/api/v1/followups", None, {"cursor": NUL}),
        ("doors status with NUL", "coordinator", "GET", f"/api/v1/operations/{op}/households", None,
         {"status": NUL}),
        ("visits cursor with NUL", "coordinator", "GET", f"/api/v1/operations/{op}/visits", None, {"cursor": NUL}),
        ("pull cursor with NUL", "officer", "GET", "/api/v1/sync/pull", None, {"operation_id": op, "since": NUL}),
        ("Open311 key with NUL", None, "GET", "/open311/v2/requests.json", None, {"api_key": NUL}),
        # integers past the database's range inside bodies
        ("pair member id 2**31", "coordinator", "POST", f"/api/v1/operations/{sandbox}/teams",
         {"name": "probe", "member_ids": [BIG], "street_ids": []}, None),
        ("pair street id 2**31", "coordinator", "POST", f"/api/v1/operations/{sandbox}/teams",
         {"name": "probe", "member_ids": [], "street_ids": [BIG]}, None),
        ("pair streets 2**31", "coordinator", "PUT", f"/api/v1/operations/{sandbox}/teams/{team}/streets",
         {"street_ids": [BIG]}, None),
        ("street's pair 2**31", "coordinator", "PUT", f"/api/v1/operations/{sandbox}/streets/{2**31 - 1}/team",
         {"team_id": BIG}, None),
        ("follow-up version 2**31", "coordinator", "PATCH", f"/api/v1/followups/{world.own_followup}",
         {"version": BIG, "note": "probe"}, None),
        ("follow-up version 2**63", "coordinator", "PATCH", f"/api/v1/followups/{world.own_followup}",
         {"version": HUGE, "note": "probe"}, None),
        ("pushed household 2**31", "officer", "POST", "/api/v1/sync/push",
         push(record("visit", household_id=BIG)), None),
        ("pushed team 2**31", "officer", "POST", "/api/v1/sync/push", push(record("visit", team_id=BIG)), None),
        ("pushed operation 2**31", "officer", "POST", "/api/v1/sync/push",
         push(record("visit", operation_id=BIG)), None),
        ("pushed street 2**31", "officer", "POST", "/api/v1/sync/push",
         push(record("followup", street_id=BIG)), None),
    ]


def _labels() -> list[str]:
    """The labels, from the same table filled with placeholder ids (pytest needs them before the world)."""
    from types import SimpleNamespace

    sync = SimpleNamespace(id=0, household_ids=[0], street_ids=[0], team_id=0)
    stub = SimpleNamespace(sync=sync, demo_operation=0, sandbox_operation=0, sandbox_team=0, own_followup=0)
    return [r[0] for r in _hostile_requests(stub)]


HOSTILE_LABELS = _labels()


@pytest.mark.parametrize("label", HOSTILE_LABELS)
def test_hostile_input_is_not_a_server_error(world, label):
    _, user, method, path, body, query = next(r for r in _hostile_requests(world) if r[0] == label)
    r = world.http.request(method, world.base + path, json=body, params=query, headers=world.headers(user),
                           timeout=30)
    world.http.cookies.clear()
    assert _problem(r) is None, f"{label}: {method} {path} -> {_problem(r)}"


def test_options_on_every_path_is_not_a_server_error(world):
    failures = []
    for path in DOCUMENT["paths"]:
        for user in (None, "coordinator"):
            r = world.http.options(world.base + _fill(path, world, writes=True), headers=world.headers(user),
                                   timeout=30)
            if _problem(r):
                failures.append(f"OPTIONS {path} ({'signed in' if user else 'signed out'}): {_problem(r)}")
    assert not failures, "\n".join(failures)


def test_a_record_with_a_nul_does_not_block_the_batch(world):
    """DESIGN.md: one bad record is rejected with its reason and does not block the rest of the batch."""
    sync = world.sync
    good, bad = uuid.uuid4(), uuid.uuid4()
    visit = {"type": "visit", "operation_id": sync.id, "household_id": sync.household_ids[1],
             "team_id": sync.team_id, "visited_at": "2026-05-14T17:05:00Z", "outcome": "no_answer"}
    r = world.http.post(f"{world.base}/api/v1/sync/push", headers=world.headers("officer"), timeout=30, json={
        "device_id": "contract-probe",
        "records": [{**visit, "id": str(good)}, {**visit, "id": str(bad), "notes": NUL}]})
    assert r.status_code == 200, f"{r.status_code}: {r.text[:300]}"
    results = {x["id"]: x for x in r.json()["results"]}
    assert results[str(good)]["status"] == "stored", results
    assert results[str(bad)]["status"] in ("stored", "rejected"), results
    if results[str(bad)]["status"] == "rejected":
        assert results[str(bad)]["reason"], results
