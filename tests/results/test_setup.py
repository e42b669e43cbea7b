"""Operation set-up through the API: create over an area, import its streets with the real CLI, form pairs
(refusing one-agency pairs and foreign streets), assign and move streets, open and close."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text

from server.db.engine import transaction
from tests.support import doorstep

from .world import ROOT

# Around the Bristol BS5 extract (-2.558..-2.549, 51.455..51.460): the import keeps what is inside.
AREA = {"type": "Polygon", "coordinates": [[[-2.565, 51.45], [-2.54, 51.45], [-2.54, 51.465], [-2.565, 51.465],
                                            [-2.565, 51.45]]]}


def _op_body(name: str, **over) -> dict:
    return {"name": name, "area": AREA, "questionnaire_id": "streetsafe-community-v1", "starts_on": "2026-12-01",
            "ends_on": "2026-12-03", **over}


@pytest.fixture(scope="module")
async def created(client, headers, database_url) -> dict:
    """An operation created through the API, with its streets imported by `doorstep import-osm`."""
    name = f"Setup test {uuid.uuid4().hex[:8]}"
    r = await client.post("/api/v1/operations", headers=await headers("coordinator"), json=_op_body(name))
    assert r.status_code == 201, r.text
    op = r.json()
    osm = str(ROOT / "fixtures/areas/bristol-bs5.osm")
    out = await asyncio.to_thread(doorstep, "import-osm", osm, "--operation", name)
    assert out.exit_code == 0, out.stderr
    return op


async def _users(db_engine) -> dict[str, int]:
    async with transaction(db_engine) as s:
        return dict((await s.execute(text("SELECT username, id FROM app_user"))).all())


async def test_create_operation(created, client, headers):
    assert created["status"] == "planned" and created["starts_on"] == "2026-12-01"
    assert created["area"]["type"] == "MultiPolygon"
    assert created["area"]["coordinates"][0] == AREA["coordinates"]
    listed, cursor = [], None
    while True:  # every page: a database reused across runs holds more than one page of operations
        page = (await client.get("/api/v1/operations", headers=await headers("coordinator"),
                                 params={"cursor": cursor} if cursor else {})).json()
        listed += page["items"]
        cursor = page["next"]
        if not cursor:
            break
    assert created["id"] in [o["id"] for o in listed]  # its creator coordinates it
    view = (await client.get(f"/api/v1/operations/{created['id']}/setup", headers=await headers("coordinator"))).json()
    assert view["operation"]["streets"] > 5 and view["operation"]["households"] > 20
    assert len(view["streets"]) == view["operation"]["streets"]
    assert {"officer", "pcso", "councillor", "firefighter"} <= {v["username"] for v in view["visitors"]}
    results = (await client.get(f"/api/v1/operations/{created['id']}/streets",
                                headers=await headers("coordinator"))).json()
    assert results["totals"]["households"] == view["operation"]["households"]
    assert results["totals"]["knocked"] == 0


@pytest.mark.parametrize("change, status, field, words", [
    ({"area": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 1], [1, 0], [0, 0]]]}}, 422, "$.area",
     "crosses itself"),
    ({"area": {"type": "Polygon", "coordinates": "nowhere"}}, 422, "$.area", "has no outline"),
    ({"area": {"type": "Point", "coordinates": [-2.5, 51.4]}}, 422, "$.area", "Polygon or MultiPolygon"),
    ({"area": {"type": "Polygon", "coordinates": [[[500, 0], [501, 0], [501, 1], [500, 0]]]}}, 422, "$.area",
     "longitude, latitude"),
    ({"questionnaire_id": "no-such-survey"}, 422, "$.questionnaire_id", "streetsafe-community-v1"),
    ({"ends_on": "2026-11-01"}, 422, "$.ends_on", "before it starts"),
])
async def test_create_operation_refuses_bad_input(client, headers, change, status, field, words):
    r = await client.post("/api/v1/operations", headers=await headers("coordinator"),
                          json=_op_body(f"Bad {uuid.uuid4().hex[:8]}", **change))
    assert r.status_code == status, r.text
    assert r.json()["field"] == field and words in r.json()["detail"]


async def test_create_operation_refuses_a_taken_name_and_non_coordinators(created, client, headers):
    r = await client.post("/api/v1/operations", headers=await headers("coordinator"), json=_op_body(created["name"]))
    assert r.status_code == 409 and "already an operation" in r.json()["detail"]
    r = await client.post("/api/v1/operations", headers=await headers("officer"), json=_op_body("Officer's own"))
    assert r.status_code == 403


async def test_pairs_streets_and_opening(created, client, headers, db_engine):
    h = await headers("coordinator")
    op = created["id"]
    base = f"/api/v1/operations/{op}"
    users = await _users(db_engine)
    streets = [s["id"] for s in (await client.get(base + "/setup", headers=h)).json()["streets"]]

    # cannot open without a pair
    r = await client.post(base + "/open", headers=h)
    assert r.status_code == 409 and "form a pair" in r.json()["detail"]

    # a pair from one agency is refused with the reason
    r = await client.post(base + "/teams", headers=h, json={"name": "Police only",
                                                              "member_ids": [users["officer"], users["pcso"]]})
    assert r.status_code == 422 and r.json()["field"] == "$.member_ids"
    assert "at least two agencies" in r.json()["detail"] and "Police" in r.json()["detail"]

    # a street of another operation is refused
    async with transaction(db_engine) as s:
        foreign = (await s.execute(text("SELECT min(id) FROM street WHERE operation_id <> :op"), {"op": op})).scalar()
    r = await client.post(base + "/teams", headers=h, json={
        "name": "Pair A", "member_ids": [users["officer"], users["councillor"]], "street_ids": [streets[0], foreign]})
    assert r.status_code == 422 and "another operation" in r.json()["detail"] and r.json()["field"] == "$.street_ids"

    a = await client.post(base + "/teams", headers=h, json={
        "name": "Pair A", "member_ids": [users["officer"], users["councillor"]], "street_ids": streets[:3]})
    assert a.status_code == 201, a.text
    a = a.json()
    assert a["street_ids"] == sorted(streets[:3])
    assert {m["agency_code"] for m in a["members"]} == {"police", "council"}
    b = await client.post(base + "/teams", headers=h, json={
        "name": "Pair B", "member_ids": [users["pcso"], users["firefighter"]], "street_ids": streets[3:5]})
    assert b.status_code == 201, b.text
    b = b.json()

    # same name twice: refused
    r = await client.post(base + "/teams", headers=h, json={
        "name": "Pair A", "member_ids": [users["pcso"], users["firefighter"]]})
    assert r.status_code == 409
    # a street held by pair A cannot also go to pair B ...
    r = await client.put(f"{base}/teams/{b['id']}/streets", headers=h, json={"street_ids": [streets[0], streets[3]]})
    assert r.status_code == 422 and "Pair A" in r.json()["detail"]
    # ... but it can be moved, and the tablets hear of both pairs' change
    async with transaction(db_engine) as s:
        events_before = (await s.execute(text("SELECT count(*) FROM team_event WHERE operation_id = :op"),
                                         {"op": op})).scalar()
    r = await client.put(f"{base}/streets/{streets[0]}/team", headers=h, json={"team_id": b["id"]})
    assert r.status_code == 200 and r.json()["team_id"] == b["id"]
    teams = {t["id"]: t for t in (await client.get(base + "/teams", headers=h)).json()}
    assert teams[a["id"]]["street_ids"] == sorted(streets[1:3])
    assert teams[b["id"]]["street_ids"] == sorted([streets[0], *streets[3:5]])
    async with transaction(db_engine) as s:
        events = (await s.execute(text("SELECT team_id FROM team_event WHERE operation_id = :op ORDER BY id"),
                                  {"op": op})).scalars().all()
    assert sorted(events[events_before:]) == sorted([a["id"], b["id"]])
    # and taken off every pair
    r = await client.put(f"{base}/streets/{streets[0]}/team", headers=h, json={"team_id": None})
    assert r.status_code == 200 and r.json()["team_id"] is None
    # assigning streets keeps the members
    r = await client.put(f"{base}/teams/{a['id']}/streets", headers=h, json={"street_ids": [streets[0], streets[5]]})
    assert r.status_code == 200 and r.json()["street_ids"] == sorted([streets[0], streets[5]])
    assert {m["username"] for m in r.json()["members"]} == {"officer", "councillor"}
    # a pair of another operation is not found here
    r = await client.put(f"{base}/teams/999999/streets", headers=h, json={"street_ids": []})
    assert r.status_code == 404
    # the street results carry the pair of each street
    items = {i["street_id"]: i for i in (await client.get(base + "/streets", headers=h)).json()["items"]}
    assert items[streets[0]]["team_id"] == a["id"] and items[streets[3]]["team_id"] == b["id"]

    # the visitors see the pack's teams (pack built by the sync slice from the same tables)
    pack = await client.get(f"{base}/pack", headers=await headers("officer"))
    assert pack.status_code == 200
    assert {t["id"] for t in pack.json()["teams"]} >= {a["id"], b["id"]}

    # open, then close; each once
    r = await client.post(base + "/open", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "active"
    r = await client.post(base + "/open", headers=h)
    assert r.status_code == 409 and "active" in r.json()["detail"]
    r = await client.post(base + "/close", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = await client.post(base + "/close", headers=h)
    assert r.status_code == 409


async def test_setup_needs_the_operations_coordinator(created, client, headers, db_engine):
    from server.lib.passwords import hash_password

    name = f"setupother{uuid.uuid4().hex[:6]}"
    async with transaction(db_engine) as s:
        await s.execute(text(
            "INSERT INTO app_user (username, display_name, password_hash, agency_id, roles) "
            "SELECT :u, 'Another Coordinator', :p, id, ARRAY['coordinator'] FROM agency WHERE code = 'council'"),
            {"u": name, "p": hash_password("another-pass-1")})
    token = await client.post("/api/v1/auth/token", json={"username": name, "password": "another-pass-1"})
    client.cookies.clear()  # the shared client keeps no session of this user
    assert token.status_code == 200, token.text
    h = {"Authorization": f"Bearer {token.json()['access_token']}"}
    base = f"/api/v1/operations/{created['id']}"
    for method, path, body in [("GET", "/setup", None), ("GET", "/teams", None), ("POST", "/open", None),
                               ("POST", "/close", None), ("POST", "/teams", {"name": "x", "member_ids": [1, 2]}),
                               ("PUT", "/streets/1/team", {"team_id": None}),
                               ("PUT", "/teams/1/streets", {"street_ids": []})]:
        r = await client.request(method, base + path, headers=h, json=body)
        assert r.status_code == 403, (method, path, r.text)
        r = await client.request(method, "/api/v1/operations/999999" + path, headers=h, json=body)
        assert r.status_code == 404, (method, path, r.text)


async def test_pair_rules_hold_when_two_coordinators_save_at_once(created, client, headers, db_engine):
    """The database keeps "one street, one pair" and unique pair names, so a race is a 409 or a 422
    saying why, never a 500 and never two pairs on one street."""
    import asyncio

    h = await headers("coordinator")
    base = f"/api/v1/operations/{created['id']}"
    users = await _users(db_engine)
    members = [users["officer"], users["councillor"]]
    if (await client.get(base + "/setup", headers=h)).json()["operation"]["status"] == "closed":
        assert (await client.post(base + "/reopen", headers=h)).status_code == 200  # an earlier test closed it
    name = f"Racing pair {uuid.uuid4().hex[:6]}"
    answers = await asyncio.gather(*[client.post(base + "/teams", headers=h, json={"name": name, "member_ids": members})
                                     for _ in range(2)])
    assert sorted(r.status_code for r in answers) == [201, 409], [r.text for r in answers]
    assert "already has a pair of that name" in next(r for r in answers if r.status_code == 409).json()["detail"]

    free = [s["id"] for s in (await client.get(base + "/setup", headers=h)).json()["streets"] if s["team_id"] is None]
    pairs = []
    for _ in range(2):
        r = await client.post(base + "/teams", headers=h, json={"name": f"Pair {uuid.uuid4().hex[:6]}",
                                                                  "member_ids": members})
        assert r.status_code == 201, r.text
        pairs.append(r.json())
    answers = await asyncio.gather(*[client.put(f"{base}/teams/{p['id']}/streets", headers=h,
                                                json={"street_ids": [free[0]]}) for p in pairs])
    assert sorted(r.status_code for r in answers) == [200, 422], [r.text for r in answers]
    refused = next(r for r in answers if r.status_code == 422).json()
    winner = next(p for p, r in zip(pairs, answers, strict=False) if r.status_code == 200)
    assert refused["field"] == "$.street_ids" and winner["name"] in refused["detail"]
    async with transaction(db_engine) as s:
        holders = (await s.execute(text("SELECT team_id FROM team_street WHERE street_id = :s"),
                                   {"s": free[0]})).scalars().all()
    assert holders == [winner["id"]]

    # One street moved to two pairs at once, and two streets swapped between the pairs at once
    # (each move rewrites both pairs: the deadlock-prone case): a 200 or a reasoned 409/422, never a 500.
    a, b = pairs
    for _ in range(3):
        moves = [(free[1], a["id"]), (free[1], b["id"]), (free[2], a["id"]), (free[0], b["id"])]
        answers = await asyncio.gather(*[client.put(f"{base}/streets/{street}/team", headers=h,
                                                    json={"team_id": team}) for street, team in moves])
        assert all(r.status_code in (200, 409, 422) for r in answers), [r.text for r in answers]
        assert all(r.json().get("detail") for r in answers if r.status_code != 200)
        async with transaction(db_engine) as s:
            per_street = (await s.execute(text(
                "SELECT street_id, count(*) FROM team_street WHERE street_id = ANY(:s) GROUP BY street_id"),
                {"s": free[:3]})).all()
        assert all(n == 1 for _, n in per_street)


async def test_the_database_refuses_a_second_pair_for_a_street_from_any_writer(created, db_engine):
    from sqlalchemy.exc import IntegrityError

    from server.lib.exceptions import ONE_PAIR_PER_STREET, violated_constraint

    async with transaction(db_engine) as s:
        held = (await s.execute(text(
            "SELECT ts.street_id, t.operation_id FROM team_street ts JOIN team t ON t.id = ts.team_id "
            "WHERE t.operation_id = :op LIMIT 1"), {"op": created["id"]})).first()
        other = (await s.execute(text("SELECT id FROM team WHERE operation_id = :op AND id NOT IN "
                                      "(SELECT team_id FROM team_street WHERE street_id = :s) LIMIT 1"),
                                 {"op": created["id"], "s": held[0]})).scalar()
    with pytest.raises(IntegrityError) as caught:
        async with transaction(db_engine) as s:
            await s.execute(text("INSERT INTO team_street (team_id, street_id) VALUES (:t, :s)"),
                            {"t": other, "s": held[0]})
    assert violated_constraint(caught.value) == ONE_PAIR_PER_STREET
